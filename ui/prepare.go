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
	startWithoutGC()
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

// firstFrameStyles are the text styles of the window as it opens
// (measured: a no-card window built and laid out in fyne/test, then a new
// text measured in each style; only these were loaded).
var firstFrameStyles = []fyne.TextStyle{{}, {Bold: true}}

// loadLanguage loads the translations and chooses the language.
func loadLanguage(a fyne.App) {
	if err := assets.LoadTranslations(); err != nil {
		fyne.LogError("loading translations", err)
	}
	applyLanguage(a.Preferences())
}

// warmFonts measures a text in each style the first frame draws: Fyne
// loads a style's fonts when it first measures a text in it (its own
// font, and a system font for the language, after reading the system's
// font index), and caches them, thread-safe, for the life of the process.
// The other styles (monospace, italic) wait until a view draws them: each
// costs 5–10 ms and some of a megabyte that a window that never shows
// them need not pay.
func warmFonts() {
	for _, style := range firstFrameStyles {
		fyne.MeasureText("cardcheck", theme.TextSize(), style)
	}
}
