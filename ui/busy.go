package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// busyBar is an infinite progress bar that exists only while it runs.
//
// Fyne v2.8.1's ProgressBarInfinite starts animating when its renderer is
// created, whether or not it was stopped or hidden before, and Hide does
// not stop it: a bar that was ever laid out keeps the window redrawing
// every frame (a whole core under software rendering) for as long as it
// lives. So a fresh bar is put in the box on start, and stopped and
// dropped on stop; the idle window holds no bar at all.
type busyBar struct {
	box *fyne.Container
	bar *widget.ProgressBarInfinite
}

func newBusyBar() *busyBar {
	b := &busyBar{box: container.NewStack()}
	b.box.Hide()
	return b
}

// start shows a running bar (once).
func (b *busyBar) start() {
	if b.bar != nil {
		return
	}
	b.bar = widget.NewProgressBarInfinite()
	b.box.Objects = []fyne.CanvasObject{b.bar}
	b.box.Show()
	b.box.Refresh()
}

// stop ends the animation and removes the bar.
func (b *busyBar) stop() {
	if b.bar == nil {
		return
	}
	b.bar.Stop() // tells the renderer, if there is one
	b.bar = nil
	b.box.Objects = nil
	b.box.Hide()
}

// running says whether the bar is shown.
func (b *busyBar) running() bool { return b.bar != nil }
