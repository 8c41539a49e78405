package ui

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

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
// TLS 1.3), so that an English copy cannot pass for a translation.
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
		case s == forms(en)[form] && len(s) > 12:
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
