package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/assets"
)

// The tests expect English words whatever LANG says (a developer's
// desktop may be German); the harness and the translation tests that
// switch the language switch it back.
func init() {
	if err := assets.LoadTranslations(); err != nil {
		panic(err)
	}
	if err := assets.SetLanguage("en"); err != nil {
		panic(err)
	}
}

// TestLanguageSetting: the choice is stored as the language's code, and
// the note that a restart shows it appears only while the choice differs
// from the language in use.
func TestLanguageSetting(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetString(keyLanguage, "de")
	s := newLanguageSetting(p)
	if s.choice.Selected != "Deutsch" || s.restart.Visible() {
		t.Fatalf("stored de: shows %q, restart note %v", s.choice.Selected, s.restart.Visible())
	}
	if got := s.choice.Options; len(got) != 4 || got[0] != languageLabel("") || got[3] != "Chinese (Simplified)" {
		t.Errorf("choices %q, want the system's language, English, Deutsch, Chinese (Simplified)", got)
	}
	if w := s.choice.MinSize().Width; w < test.NewTempWindow(t, widget.NewLabel(languageLabel(""))).Content().MinSize().Width {
		t.Errorf("the choice is %v wide, too narrow for %q", w, languageLabel(""))
	}
	s.choice.SetSelected("Chinese (Simplified)")
	if p.String(keyLanguage) != "zh_Hans" || !s.restart.Visible() {
		t.Errorf("chose Chinese: stored %q, restart note %v", p.String(keyLanguage), s.restart.Visible())
	}
	s.choice.SetSelectedIndex(0)
	if p.String(keyLanguage) != "" {
		t.Errorf("chose the system's language: stored %q", p.String(keyLanguage))
	}
	s.choice.SetSelected("Deutsch")
	if s.restart.Visible() {
		t.Error("back to the language in use: the restart note is still shown")
	}

	p.SetString(keyLanguage, "fr") // written by hand, or by a later version
	if s := newLanguageSetting(p); s.choice.SelectedIndex() != 0 {
		t.Errorf("unknown stored language: shows %q, want the system's language", s.choice.Selected)
	}
}
