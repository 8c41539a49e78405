package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// badge is a few words in a small coloured frame: the verdict a demo
// scenario expects, the outcome of a check. The colour is a theme colour
// name, looked up on every refresh, so it follows light and dark.
type badge struct {
	widget.BaseWidget
	text  string
	color fyne.ThemeColorName
}

func newBadge(text string, c fyne.ThemeColorName) *badge {
	b := &badge{text: text, color: c}
	b.ExtendBaseWidget(b)
	return b
}

// set changes the words and the colour.
func (b *badge) set(text string, c fyne.ThemeColorName) {
	b.text, b.color = text, c
	b.Refresh()
}

func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	r := &badgeRenderer{b: b, frame: canvas.NewRectangle(color.Transparent), label: canvas.NewText("", color.Black)}
	r.Refresh()
	return r
}

type badgeRenderer struct {
	b     *badge
	frame *canvas.Rectangle
	label *canvas.Text
}

// Padding inside the frame.
const (
	badgePadX = 7
	badgePadY = 2
)

func (r *badgeRenderer) Destroy() {}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.frame, r.label} }

func (r *badgeRenderer) MinSize() fyne.Size {
	m := r.label.MinSize()
	return fyne.NewSize(m.Width+2*badgePadX, m.Height+2*badgePadY)
}

// Layout centres the frame vertically: next to a label the badge gets
// the label's height, which is taller than the badge needs.
func (r *badgeRenderer) Layout(s fyne.Size) {
	m := r.MinSize()
	y := max(0, (s.Height-m.Height)/2)
	r.frame.Move(fyne.NewPos(0, y))
	r.frame.Resize(fyne.NewSize(s.Width, m.Height))
	r.label.Move(fyne.NewPos(badgePadX, y+badgePadY))
	r.label.Resize(r.label.MinSize())
}

func (r *badgeRenderer) Refresh() {
	th := r.b.Theme()
	c := th.Color(r.b.color, fyne.CurrentApp().Settings().ThemeVariant())
	r.frame.FillColor = withAlpha(c, 0x24)
	r.frame.StrokeColor = c
	r.frame.StrokeWidth = 1
	r.frame.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.label.Text = r.b.text
	r.label.Color = c
	r.label.TextSize = th.Size(theme.SizeNameCaptionText)
	r.label.TextStyle = fyne.TextStyle{Bold: true}
	r.frame.Refresh()
	r.label.Refresh()
	r.Layout(r.b.Size())
}
