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
// ran beside the display, on the main goroutine: the first text of each
// style the first frame draws cost 25–45 ms together (Fyne parses its
// font for the style and a system font for the language, after reading
// the system's font index, built on a first start), the translations
// about 18 ms. It also stops the collector until the window has settled
// (startWithoutGC).
//
// Fyne's text shaper is not safe for concurrent use: this is the only
// text measured until Run, which waits for it first (creating the window
// measures none).
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
// costs about 10–20 ms and 1.3–4 MB (its font and its system fallback
// font, parsed) that a window that never shows them need not pay.
func warmFonts() {
	for _, style := range firstFrameStyles {
		fyne.MeasureText("cardcheck", theme.TextSize(), style)
	}
}
