package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
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
