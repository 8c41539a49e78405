// Package ui is cardcheck's desktop interface, written with Fyne. It holds
// only presentation: it talks to the token layer and the probe through
// the small interfaces it declares (Backend, PINMemory), never calls
// PKCS#11 or crypto/tls itself, and does all card and network work off the
// UI goroutine, coming back with fyne.Do.
//
// It does not create the Fyne app either: main does (fyne.io/fyne/v2/app
// links the GL driver) and passes the app and its window to Run, so this
// package and its tests build without GL, on fyne.io/fyne/v2/test.
//
// Each part of the window is a struct with its widgets as typed fields
// (tokenPanel, certDetails, connectionBar, verdictBanner, resultView,
// compareView, lessonView, demoPanel, pinDialog), so that tests can drive
// them with fyne.io/fyne/v2/test.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/assets"
)

// Run fills w, the main window of a (an app created with the app ID
// config.AppID, which its preferences need), shows it and blocks until
// it is closed; it returns the process exit code.
func Run(a fyne.App, w fyne.Window, deps Deps) int { return run(a, w, deps, nil) }

// run sets up the app and the window, in demo mode when d is set. The
// window comes in created but not shown (Fyne makes the native window at
// Show). It took the app's icon when it was created, which was none yet
// unless main called Prepare first, so it is given the icon itself as
// well as the app (for later dialogs).
func run(a fyne.App, w fyne.Window, deps Deps, d *demo.Demo) int {
	prepare(a)
	w.SetIcon(assets.Icon)
	title := lang.L("cardcheck")
	if d != nil {
		title = lang.L("cardcheck demo")
	}
	w.SetTitle(title)
	w.SetMaster()
	m := newMainWindow(a, w, deps, windowOptions{demo: d})
	w.Resize(m.windowSize())
	w.CenterOnScreen()
	w.ShowAndRun()
	m.close()
	return 0
}
