// Package ui is cardcheck's desktop interface, written with Fyne. It holds
// only presentation: it talks to the token layer and the probe through
// the small interfaces it declares (Backend, PINMemory), never calls
// PKCS#11 or crypto/tls itself, and does all card and network work off the
// UI goroutine, coming back with fyne.Do.
//
// Each part of the window is a struct with its widgets as typed fields
// (tokenPanel, certDetails, connectionBar, verdictBanner, resultView,
// compareView, lessonView, demoPanel, pinDialog), so that tests can drive
// them with fyne.io/fyne/v2/test.
package ui

import (
	"runtime/debug"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/assets"
)

// Run opens the main window and blocks until it is closed; it returns
// the process exit code.
func Run(deps Deps) int { return run(deps, nil) }

// run opens the window, in demo mode when d is set.
func run(deps Deps, d *demo.Demo) int {
	debug.SetGCPercent(idleGCPercent)
	a := app.NewWithID(config.AppID)
	a.SetIcon(assets.Icon)
	a.Settings().SetTheme(newReadableTheme())
	if err := assets.LoadTranslations(); err != nil {
		fyne.LogError("loading translations", err)
	}
	applyLanguage(a.Preferences())
	title := lang.L("cardcheck")
	if d != nil {
		title = lang.L("cardcheck demo")
	}
	w := a.NewWindow(title)
	w.SetMaster()
	m := newMainWindow(a, w, deps, windowOptions{demo: d})
	w.Resize(m.windowSize())
	w.CenterOnScreen()
	w.ShowAndRun()
	m.close()
	return 0
}
