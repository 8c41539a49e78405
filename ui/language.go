package ui

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/assets"
)

// keyLanguage is the preference that holds the GUI's language: one of
// assets.Languages, or empty for the system's language. It is kept in
// the app's preferences even in the demo (whose other settings stay in
// memory): a trainer who runs the demo in German wants it so next time.
const keyLanguage = "language"

// languageNames are the languages as the setting offers them, each in its
// own language so that it can be found whatever the GUI shows now
// (Chinese in Latin letters unless the GUI shows Chinese: languageLabel).
var languageNames = map[string]string{"en": "English", "de": "Deutsch", "zh_Hans": "中文"}

// applyLanguage shows the GUI in the language the user chose, if any.
// Call it after loading the translations and before building the window.
func applyLanguage(p fyne.Preferences) {
	if err := assets.SetLanguage(p.String(keyLanguage)); err != nil {
		fyne.LogError("choosing the language", err)
	}
}

// languageSetting is the language choice of the Options tab. Fyne's
// widgets keep their texts, so a new language shows at the next start;
// the note under the choice says so.
type languageSetting struct {
	choice  *widget.Select
	restart *widget.Label
	content fyne.CanvasObject
	codes   []string // behind the choice's labels: "" (system), then assets.Languages
}

func newLanguageSetting(p fyne.Preferences) *languageSetting {
	s := &languageSetting{codes: append([]string{""}, assets.Languages...)}
	labels := make([]string, len(s.codes))
	for i, c := range s.codes {
		labels[i] = languageLabel(c)
	}
	s.restart = &widget.Label{Text: lang.L("The new language shows when you start cardcheck again."), Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	s.restart.Hide()
	s.choice = widget.NewSelect(labels, nil)
	// A Select is as wide as its placeholder, which never shows here (a
	// choice is always made): the longest label makes every label fit.
	s.choice.PlaceHolder = slices.MaxFunc(labels, func(a, b string) int {
		return cmp.Compare(fyne.MeasureText(a, theme.TextSize(), fyne.TextStyle{}).Width, fyne.MeasureText(b, theme.TextSize(), fyne.TextStyle{}).Width)
	})
	current := p.String(keyLanguage)
	if !slices.Contains(s.codes, current) {
		current = ""
	}
	s.choice.SetSelectedIndex(slices.Index(s.codes, current))
	s.choice.OnChanged = func(string) {
		code := s.codes[s.choice.SelectedIndex()]
		p.SetString(keyLanguage, code)
		s.restart.Hidden = code == current
		s.restart.Refresh()
	}
	s.content = container.NewVBox(container.NewHBox(s.choice), s.restart)
	return s
}

// languageLabel names a language code in the setting.
func languageLabel(code string) string {
	switch {
	case code == "":
		return lang.L("As the system")
	case code == "zh_Hans" && !showsHan():
		// "中文" needs a font Fyne does not bundle: measuring it loads a
		// system CJK font, about 17 MB that a window in another language
		// never needs otherwise (measured under Xvfb, at start).
		return "Chinese (Simplified)"
	}
	return languageNames[code]
}

// showsHan reports whether the GUI is in a language written in Chinese
// characters, whose font is loaded anyway.
func showsHan() bool {
	return strings.ContainsFunc(lang.L("Test connection"), func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
