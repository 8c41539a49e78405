// Package ui is cardcheck's desktop interface, written with Fyne. It holds
// only presentation: it talks to the token layer and the probe through
// small interfaces it declares, and never calls PKCS#11 or crypto/tls.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/config"
)

// Run opens the main window and blocks until it is closed.
func Run() int {
	a := app.NewWithID(config.AppID)
	w := a.NewWindow(lang.L("cardcheck"))
	w.SetContent(container.NewCenter(widget.NewLabel(lang.L("cardcheck is starting…"))))
	w.Resize(fyne.NewSize(960, 640))
	w.ShowAndRun()
	return 0
}
