package ui

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/assets"
)

// translationFiles are the languages the GUI ships besides English; each
// must translate every string of en.json.
var translationFiles = []string{"de.json", "zh_Hans.json"}

// placeholderRE finds the template actions of a message ({{.Name}}).
var placeholderRE = regexp.MustCompile(`\{\{[^}]*\}\}`)

// TestTranslationsTranslated checks every translation against en.json:
// each English string has a translation, no translation is left over
// from a string the code no longer uses, and each translation has the
// English placeholders, no more and no fewer. A translation identical to
// the English is accepted only for short technical words (OK, PIN,
// TLS 1.3) and placeholders with punctuation, so that an English copy
// cannot pass for a translation.
func TestTranslationsTranslated(t *testing.T) {
	en := readTranslation(t, "en.json")
	for _, file := range translationFiles {
		tr := readTranslation(t, file)
		for key, want := range en {
			got, ok := tr[key]
			if !ok {
				t.Errorf("%s lacks %q", file, key)
				continue
			}
			checkTranslation(t, file, key, want, got)
		}
		for key := range tr {
			if _, ok := en[key]; !ok {
				t.Errorf("%s has %q, which en.json does not have", file, key)
			}
		}
	}
}

// checkTranslation compares one translation with its English source.
func checkTranslation(t *testing.T, file, key string, en, tr any) {
	t.Helper()
	want := placeholders(forms(en)["other"])
	trForms := forms(tr)
	if _, plural := en.(map[string]any); plural && trForms["other"] == "" {
		t.Errorf("%s: %q needs the plural form other", file, key)
	}
	for form, s := range trForms {
		switch {
		case strings.TrimSpace(s) == "":
			t.Errorf("%s: %q (%s) is empty", file, key, form)
		case !slices.Equal(placeholders(s), want):
			t.Errorf("%s: %q (%s) has the placeholders %v, the English %v", file, key, form, placeholders(s), want)
		case s == forms(en)[form] && len(strings.TrimSpace(placeholderRE.ReplaceAllString(s, ""))) > 12:
			t.Errorf("%s: %q (%s) is still English", file, key, form)
		}
	}
}

// readTranslation parses one of the embedded translation files.
func readTranslation(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := assets.TranslationFile(name)
	if err != nil {
		t.Fatalf("%s is not embedded: %v", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// forms returns a message's text by plural form; a plain string is the
// form other.
func forms(v any) map[string]string {
	out := map[string]string{}
	switch v := v.(type) {
	case string:
		out["other"] = v
	case map[string]any:
		for form, s := range v {
			out[form], _ = s.(string)
		}
	}
	return out
}

// placeholders lists a text's template actions, sorted.
func placeholders(s string) []string {
	p := placeholderRE.FindAllString(s, -1)
	slices.Sort(p)
	return p
}

// TestWindowFitsInEveryLanguage opens the demo in each language, runs a
// test and explains it, and checks that the window still fits a
// 1024×640 screen: German words are longer than the English, and a
// control that cannot shrink (a check box's text, a form's labels) makes
// the whole window wider than the screen.
func TestWindowFitsInEveryLanguage(t *testing.T) {
	for _, language := range assets.Languages {
		t.Run(language, func(t *testing.T) {
			harnessLanguage = language
			t.Cleanup(func() {
				harnessLanguage = "en"
				if err := assets.SetLanguage("en"); err != nil {
					t.Error(err)
				}
			})
			h := newDemoHarness(t)
			h.m.app.Settings().SetTheme(newReadableTheme()) // the sizes of the real window
			checkFits(t, h, "at the start")
			test.Tap(h.m.conn.test)
			d := h.pinDialog()
			checkFits(t, h, "with the PIN dialog")
			test.Tap(d.ok)
			h.waitResult()
			checkFits(t, h, "with a result")
			test.Tap(h.m.result.explain)
			checkFits(t, h, "with the explanations")
			h.m.showLesson()
			checkFits(t, h, "with the lesson")

			empty := newHarness(t, newFakeBackend(nil), nil, func() error { return nil })
			empty.m.app.Settings().SetTheme(newReadableTheme())
			checkFits(t, empty, "with no card")
		})
	}
}

// checkFits fails when the window's content needs more room than the
// window opens with on a small screen, and names the parts that do.
func checkFits(t *testing.T, h *harness, when string) {
	t.Helper()
	h.q.drain()
	h.w.Content().Refresh()
	limit := initialWindowSize
	for _, o := range h.w.Canvas().Overlays().List() {
		if got := o.MinSize(); got.Width > limit.Width || got.Height > limit.Height {
			t.Errorf("%s a dialog needs %v, more than %v", when, got, limit)
		}
	}
	got := h.w.Content().MinSize()
	if got.Width <= limit.Width && got.Height <= limit.Height {
		return
	}
	t.Errorf("%s the window needs %v, more than %v", when, got, limit)
	m := h.m
	for name, o := range map[string]fyne.CanvasObject{
		"card list": m.left, "right column": m.right, "connection bar": m.conn.content, "options": m.conn.form,
		"banner": m.banner.content, "certificate": m.details.content, "handshake": m.result.handshake,
		"server certificate": m.result.server, "request": m.result.request, "lesson": m.result.lesson.content,
		"empty state": m.emptyView,
	} {
		t.Logf("%s: %v", name, o.MinSize())
	}
}

// cjkSpaceRE finds a space next to a Chinese character or punctuation.
var cjkSpaceRE = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303f}\x{ff00}-\x{ffef}] | [\p{Han}\x{3000}-\x{303f}\x{ff00}-\x{ffef}]`)

// TestChineseHasNoSpacesAroundCJK: Fyne breaks lines only at spaces, so
// a space before a long run of Chinese text ends a line early (a line
// with just "2." was the result); without spaces the Chinese wraps by
// character as it should. A date keeps the space before its time.
func TestChineseHasNoSpacesAroundCJK(t *testing.T) {
	for key, v := range readTranslation(t, "zh_Hans.json") {
		if key == "certcheck.date" {
			continue
		}
		for form, s := range forms(v) {
			if m := cjkSpaceRE.FindString(s); m != "" {
				t.Errorf("zh_Hans.json: %q (%s) has a space next to Chinese text (%q): %s", key, form, m, s)
			}
		}
	}
}
