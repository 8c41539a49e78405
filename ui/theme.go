package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// readableTheme is Fyne's default theme with darker success, warning and
// error colours in the light variant. The default ones (a bright green and
// orange) reach a contrast of less than 2:1 as text on white, and
// cardcheck writes verdicts and expiry dates in them. The dark variant is
// unchanged, and light or dark still follows the system. Dialogs are not
// blurred (see Size).
type readableTheme struct{ fyne.Theme }

// Light-variant colours with a contrast of at least 4.5:1 on white
// (WCAG AA for text).
var (
	lightSuccess = color.NRGBA{R: 0x1b, G: 0x7f, B: 0x37, A: 0xff}
	lightWarning = color.NRGBA{R: 0xa3, G: 0x52, B: 0x00, A: 0xff}
	lightError   = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
)

func newReadableTheme() fyne.Theme { return readableTheme{theme.DefaultTheme()} }

func (t readableTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if v == theme.VariantLight {
		switch n {
		case theme.ColorNameSuccess:
			return lightSuccess
		case theme.ColorNameWarning:
			return lightWarning
		case theme.ColorNameError:
			return lightError
		}
	}
	return t.Theme.Color(n, v)
}

// Size turns off the blur behind dialogs (Fyne 2.8 blurs the window
// under a modal dialog): the blur is drawn again on every frame, and a
// blinking cursor in the PIN entry draws about a dozen frames a second.
// Without a GPU (remote desktops, virtual machines: where helpdesks run
// this) that kept one to two cores busy while the PIN dialog waited. The
// shadow colour still dims the window behind.
func (t readableTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameModalBlurRadius {
		return 0
	}
	return t.Theme.Size(n)
}

// Fyne 2.8 adds its colour emoji font (EmojiOneColor, 4 MB) to the
// fallbacks of every text style it draws — regular, bold, monospace — and
// keeps a parsed copy of its tables per style (about 4 MB each) for the
// life of the process: about 20 MB of the window's memory, for a font
// cardcheck never uses. Every character of its texts is in Fyne's text
// fonts or its small symbol font (TestTextsNeedNoEmojiFont); an emoji in a
// certificate's name would still be drawn, from a system font when there
// is one (Fyne looks a missing character up there). So, before any text is
// measured, the emoji font's content becomes the symbol font's — what
// building with `-tags no_emoji` does, without depending on how the binary
// is built. If Fyne stops exposing it this way, nothing changes.
func init() { dropEmojiFont() }

func dropEmojiFont() {
	emoji, ok := theme.DefaultEmojiFont().(*fyne.StaticResource)
	if !ok || emoji == nil {
		return
	}
	emoji.StaticContent = theme.DefaultSymbolFont().Content()
}
