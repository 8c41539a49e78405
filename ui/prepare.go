package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/cardcheck/cardcheck/assets"
)

// Prepare starts the work of the window's first frame that needs no
// window, in the background: the translations and the fonts. main calls
// it between creating the app and its window, so that this work runs
// while Fyne opens the display (about 45 ms on the main thread, the same
// for any Fyne window); Run waits for it. Measured at start, before it
// ran beside the display: the first text measured of each style cost
// about 100 ms together (Fyne parses its fonts per style and looks up a
// system font for the language, building the system font index on a
// first start), the translations about 18 ms.
func Prepare(a fyne.App) {
	preparing.Lock()
	defer preparing.Unlock()
	if _, ok := preparing.apps[a]; ok {
		return
	}
	done := make(chan struct{})
	preparing.apps[a] = done
	// The theme first: text is measured with its fonts.
	a.SetIcon(assets.Icon)
	a.Settings().SetTheme(newReadableTheme())
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		wg.Go(func() { loadLanguage(a) })
		warmFonts()
		wg.Wait()
	}()
}

// preparing holds the preparations Prepare started, until run takes
// them.
var preparing = struct {
	sync.Mutex
	apps map[fyne.App]chan struct{}
}{apps: map[fyne.App]chan struct{}{}}

// prepare waits for Prepare's work, starting it now if main did not.
func prepare(a fyne.App) {
	Prepare(a)
	preparing.Lock()
	done := preparing.apps[a]
	delete(preparing.apps, a)
	preparing.Unlock()
	<-done
}

// loadLanguage loads the translations and chooses the language.
func loadLanguage(a fyne.App) {
	if err := assets.LoadTranslations(); err != nil {
		fyne.LogError("loading translations", err)
	}
	applyLanguage(a.Preferences())
}

// warmFonts measures a text in each style the window draws, in the
// order the first frame needs them: Fyne loads a style's fonts when it
// first measures a text in it, and caches them (thread-safe) for the
// life of the process.
func warmFonts() {
	for _, style := range []fyne.TextStyle{{}, {Bold: true}, {Monospace: true}, {Italic: true}, {Bold: true, Italic: true}} {
		fyne.MeasureText("cardcheck", theme.TextSize(), style)
	}
}
