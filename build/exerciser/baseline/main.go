// Command baseline is the yardstick of the exerciser (build/exerciser): the
// smallest Fyne window that looks like cardcheck's, a 200-row list beside
// an entry and a button, 1180×760, on the same Fyne version. Whatever it
// costs when idle is what Fyne itself costs; cardcheck is measured as a
// ratio to it in the same run, under the same X server.
package main

import (
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.cardcheck.exerciser.baseline")
	w := a.NewWindow("baseline")
	list := widget.NewList(
		func() int { return 200 },
		func() fyne.CanvasObject { return widget.NewLabel("row 000") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(fmt.Sprintf("row %d", i)) },
	)
	entry := widget.NewEntry()
	entry.SetPlaceHolder("https://server.example.org/")
	button := widget.NewButton("Test connection", func() {})
	top := container.NewBorder(nil, nil, nil, button, entry)
	split := container.NewHSplit(list, container.NewBorder(top, nil, nil, nil, widget.NewLabel("")))
	split.Offset = 0.3
	w.SetContent(split)
	w.Resize(fyne.NewSize(1180, 760))
	// An animation's first tick comes right before the first paint: the
	// exerciser sets cardcheck's start to first frame beside this one's,
	// measured under the same load.
	shown := false
	fyne.NewAnimation(time.Millisecond, func(float32) {
		if !shown {
			shown = true
			fmt.Fprintf(os.Stderr, "first frame %d\n", time.Now().UnixMilli())
		}
	}).Start()
	w.ShowAndRun()
}
