// Package assets holds cardcheck's bundled resources: the application
// icon, a few icons of its own (drawn for cardcheck, single colour so that
// Fyne can recolour them for the light and dark themes) and the
// translations of the user interface.
//
// Translations are go-i18n JSON files in translations/, one per language
// (en.json is the English source). Adding a language is adding a file:
// no code changes.
package assets

import (
	"embed"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

//go:embed translations
var translations embed.FS

//go:embed icon.png
var iconPNG []byte

//go:embed icons/lock.svg
var lockSVG []byte

//go:embed icons/card.svg
var cardSVG []byte

//go:embed icons/certificate.svg
var certificateSVG []byte

// Bundled resources. They are immutable; wrap the SVG icons in
// theme.NewThemedResource (or a coloured variant) before showing them.
var (
	Icon            = fyne.NewStaticResource("icon.png", iconPNG)
	LockIcon        = fyne.NewStaticResource("lock.svg", lockSVG)
	CardIcon        = fyne.NewStaticResource("card.svg", cardSVG)
	CertificateIcon = fyne.NewStaticResource("certificate.svg", certificateSVG)
)

// LoadTranslations registers every translation file with Fyne's lang
// package. Call it once at start-up, before building the windows.
func LoadTranslations() error {
	return lang.AddTranslationsFS(translations, "translations")
}

// TranslationFile returns the content of one translation file, such as
// "en.json" (tests compare it with the strings the code uses).
func TranslationFile(name string) ([]byte, error) {
	return translations.ReadFile("translations/" + name)
}
