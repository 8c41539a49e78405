package assets

import (
	"os"
	"testing"

	"fyne.io/fyne/v2/lang"
)

// Each language's word for probeKey.
var probeWords = map[string]string{"en": "Test connection", "de": "Verbindung testen", "zh_Hans": "测试连接"}

// systemLanguage makes the environment say the user's language is
// locale, as a desktop session does, and loads the translations.
func systemLanguage(t *testing.T, locale string) {
	t.Helper()
	t.Setenv("LC_ALL", "")
	t.Setenv("LANGUAGE", "")
	t.Setenv("LANG", locale)
	if err := LoadTranslations(); err != nil {
		t.Fatal(err)
	}
}

func TestLanguageFollowsTheSystem(t *testing.T) {
	for locale, want := range map[string]string{
		"de_DE.UTF-8": "de", "de_AT.UTF-8": "de", "zh_CN.UTF-8": "zh_Hans", "zh_SG.UTF-8": "zh_Hans",
		"en_US.UTF-8": "en", "fr_FR.UTF-8": "en", "C.UTF-8": "en",
	} {
		systemLanguage(t, locale)
		if got := lang.L(probeKey); got != probeWords[want] {
			t.Errorf("LANG=%s: %q, want the %s %q", locale, got, want, probeWords[want])
		}
	}
}

func TestSetLanguageOverridesTheSystem(t *testing.T) {
	for _, system := range []string{"en_US.UTF-8", "de_DE.UTF-8", "zh_CN.UTF-8", "C"} {
		for _, choice := range Languages {
			systemLanguage(t, system)
			if err := SetLanguage(choice); err != nil {
				t.Fatal(err)
			}
			if got := lang.L(probeKey); got != probeWords[choice] {
				t.Errorf("LANG=%s, chosen %s: %q, want %q", system, choice, got, probeWords[choice])
			}
			if os.Getenv("LANG") != system || os.Getenv("LC_ALL") != "" || os.Getenv("LANGUAGE") != "" {
				t.Errorf("the environment was not restored: LANG=%q LC_ALL=%q LANGUAGE=%q",
					os.Getenv("LANG"), os.Getenv("LC_ALL"), os.Getenv("LANGUAGE"))
			}
		}
	}
}

// TestSetLanguageWithoutEnvironment is macOS and Windows, where the
// system's language does not come from the environment: the choice is
// registered under the system's locale, plural forms included.
func TestSetLanguageWithoutEnvironment(t *testing.T) {
	orig := setLocaleEnv
	setLocaleEnv = func(string) func() { return func() {} }
	t.Cleanup(func() { setLocaleEnv = orig })
	cases := []struct{ system, choice, one string }{
		{"de_DE.UTF-8", "zh_Hans", "1分钟"},
		{"en_US.UTF-8", "de", "1 Minute"},
		{"zh_CN.UTF-8", "de", "2 Minuten"},
	}
	for _, c := range cases {
		systemLanguage(t, c.system)
		if err := SetLanguage(c.choice); err != nil {
			t.Fatal(err)
		}
		if got := lang.L(probeKey); got != probeWords[c.choice] {
			t.Errorf("LANG=%s, chosen %s: %q, want %q", c.system, c.choice, got, probeWords[c.choice])
		}
		n := 1
		if c.system == "zh_CN.UTF-8" {
			n = 2 // Chinese has one plural form: "other"
		}
		if got := lang.N("{{.Count}} minutes", n, map[string]any{"Count": n}); got != c.one {
			t.Errorf("LANG=%s, chosen %s: %q, want %q", c.system, c.choice, got, c.one)
		}
	}
}

func TestSetLanguageRejectsUnknown(t *testing.T) {
	if err := SetLanguage("fr"); err == nil {
		t.Error("SetLanguage(fr) accepted a language without a translation")
	}
	if err := SetLanguage(""); err != nil {
		t.Errorf("SetLanguage(\"\") (the system's language): %v", err)
	}
}
