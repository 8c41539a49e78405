package assets

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"fyne.io/fyne/v2/lang"
)

// Languages are the codes of the translations the GUI ships: the names
// of their files in translations/ (zh_Hans is the name Fyne's own
// translations use for Simplified Chinese; a file called zh.json is not
// chosen for zh_CN, zh_SG or zh_TW).
var Languages = []string{"en", "de", "zh_Hans"}

// probeKey is a string every translation words differently; it tells
// whether a language is in use.
const probeKey = "Test connection"

// SetLanguage shows the GUI in language (one of Languages) instead of the
// system's language; "" keeps the system's. Call it after
// LoadTranslations and before building the windows: Fyne has no call to
// choose the language, it asks the system once per loaded file.
//
// On Linux and the BSDs Fyne reads the language from LC_ALL, LANGUAGE
// and LANG, so the files are loaded again with those set to the choice
// for a moment (Fyne's own strings follow then too). Where the system is
// asked otherwise (macOS, Windows), the choice's strings are registered
// under the system's locale: cardcheck's strings follow, Fyne's own few
// (file dialog) stay in the system's language.
func SetLanguage(language string) error {
	if language == "" {
		return nil
	}
	if !slices.Contains(Languages, language) {
		return fmt.Errorf("no translation for the language %q", language)
	}
	data, err := translations.ReadFile("translations/" + language + ".json")
	if err != nil {
		return err
	}
	var strs map[string]any
	if err := json.Unmarshal(data, &strs); err != nil {
		return fmt.Errorf("%s.json: %w", language, err)
	}
	restore := setLocaleEnv(language)
	err = lang.AddTranslationsFS(translations, "translations")
	restore()
	if err != nil || lang.L(probeKey) == strs[probeKey] {
		return err
	}
	return lang.AddTranslationsForLocale(data, lang.SystemLocale())
}

// setLocaleEnv sets the variables that name the user's language to
// language and returns the function that puts them back (a variable:
// tests replace it to see what happens where the system is not asked
// through the environment).
var setLocaleEnv = func(language string) (restore func()) {
	vars := []string{"LC_ALL", "LANGUAGE"}
	old := map[string]*string{}
	for _, v := range vars {
		if s, ok := os.LookupEnv(v); ok {
			old[v] = &s
		} else {
			old[v] = nil
		}
		os.Setenv(v, language)
	}
	return func() {
		for _, v := range vars {
			if old[v] == nil {
				os.Unsetenv(v)
			} else {
				os.Setenv(v, *old[v])
			}
		}
	}
}
