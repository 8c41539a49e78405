package ui

import (
	"bytes"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"
)

// contrast is the WCAG contrast ratio of two opaque colours.
func contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		r, g, bl, _ := c.RGBA()
		ch := func(v uint32) float64 {
			s := float64(v) / 0xffff
			if s <= 0.03928 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(bl)
	}
	la, lb := lum(a), lum(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestReadableTheme: status colours are readable as text in both
// variants, and everything else is Fyne's default.
func TestReadableTheme(t *testing.T) {
	th := newReadableTheme()
	def := theme.DefaultTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		bg := th.Color(theme.ColorNameBackground, v)
		for _, n := range []fyne.ThemeColorName{theme.ColorNameSuccess, theme.ColorNameWarning, theme.ColorNameError, theme.ColorNameForeground, theme.ColorNamePlaceHolder} {
			if c := contrast(th.Color(n, v), bg); c < 3 {
				t.Errorf("variant %d: %s text has contrast %.1f:1 on the background", v, n, c)
			}
		}
		if th.Color(theme.ColorNamePrimary, v) != def.Color(theme.ColorNamePrimary, v) {
			t.Error("primary colour changed")
		}
	}
	if th.Color(theme.ColorNameSuccess, theme.VariantDark) != def.Color(theme.ColorNameSuccess, theme.VariantDark) {
		t.Error("the dark variant must stay Fyne's default")
	}
}

// TestTextsNeedNoEmojiFont: every character of the GUI's texts (the
// English translations, and the strings in ui/*.go) is in Fyne's regular
// and bold text font or in its symbol font, so that the emoji font Fyne
// would load for each text style can be left out (dropEmojiFont) and no
// character makes Fyne search the system's fonts for it.
func TestTextsNeedNoEmojiFont(t *testing.T) {
	if n := len(theme.DefaultEmojiFont().Content()); n > 64<<10 {
		t.Fatalf("the emoji font is still %d bytes: dropEmojiFont did not run", n)
	}
	var faces []*font.Face
	for _, r := range []fyne.Resource{theme.DefaultTextFont(), theme.DefaultTextBoldFont(), theme.DefaultSymbolFont()} {
		f, err := font.ParseTTF(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatalf("%s: %v", r.Name(), err)
		}
		faces = append(faces, f)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../assets/translations/en.json")
	missing := map[rune]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue // test data holds other scripts on purpose
		}
		if name == "language.go" {
			// "中文" names Chinese in the language menu only while the
			// GUI shows Chinese, whose font is loaded then anyway
			// (languageLabel).
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(b) {
			if r < 0x80 || r == '\ufeff' {
				continue
			}
			found := false
			for _, f := range faces {
				if _, ok := f.NominalGlyph(r); ok {
					found = true
					break
				}
			}
			if !found {
				missing[r] = name
			}
		}
	}
	for r, name := range missing {
		t.Errorf("%U %q (in %s) is in none of Fyne's bundled text and symbol fonts: use a character they have, or a theme icon", r, r, name)
	}
}
