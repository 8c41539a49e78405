package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/assets"
)

// Ladder geometry, in Fyne units.
const (
	ladderHeader   = 4   // space above the first message
	ladderTitleH   = 30  // the column titles above the diagram
	ladderRow      = 44  // one message
	ladderTimeW    = 84  // time offset column
	ladderMargin   = 56  // from the lifelines to the edges of the arrow area
	ladderMinWidth = 420 // below this the names no longer fit
	ladderArrowY   = 32  // arrow position inside a row
	ladderHead     = 9   // arrowhead length
)

// ladder draws a handshake as a ladder (sequence) diagram: the client's
// and the server's lifelines, one arrow per message in order with its
// time offset, a lock on messages that were encrypted on the wire and
// alerts in the error colour. Tap (or arrow keys) selects a message.
type ladder struct {
	widget.BaseWidget
	steps      []tlstrace.Step
	selected   int // -1: none
	focused    bool
	OnSelected func(i int) // -1 when the selection is cleared
}

func newLadder(onSelected func(int)) *ladder {
	l := &ladder{selected: -1, OnSelected: onSelected}
	l.ExtendBaseWidget(l)
	return l
}

// setSteps replaces the messages (for a finished test) and keeps the
// selection when it still exists.
func (l *ladder) setSteps(steps []tlstrace.Step) {
	l.steps = append([]tlstrace.Step(nil), steps...)
	if l.selected >= len(l.steps) {
		l.selected = -1
	}
	l.Refresh()
}

// add appends one message as the probe reports it.
func (l *ladder) add(s tlstrace.Step) {
	l.steps = append(l.steps, s)
	l.Refresh()
}

// clear empties the diagram for a new test.
func (l *ladder) clear() {
	l.steps = nil
	l.selected = -1
	l.Refresh()
}

// Select selects message i (-1 for none) and tells OnSelected.
func (l *ladder) Select(i int) {
	if i < -1 || i >= len(l.steps) {
		return
	}
	l.selected = i
	l.Refresh()
	if l.OnSelected != nil {
		l.OnSelected(i)
	}
}

// rowAt returns the message at y, or -1.
func (l *ladder) rowAt(y float32) int {
	if y < ladderHeader {
		return -1
	}
	i := int((y - ladderHeader) / ladderRow)
	if i >= len(l.steps) {
		return -1
	}
	return i
}

// rowTop is where message i's row starts (for scrolling to it).
func rowTop(i int) float32 { return ladderHeader + float32(i)*ladderRow }

// Tapped selects the message under the pointer.
func (l *ladder) Tapped(e *fyne.PointEvent) {
	if i := l.rowAt(e.Position.Y); i >= 0 {
		if c := fyne.CurrentApp().Driver().CanvasForObject(l); c != nil {
			c.Focus(l)
		}
		l.Select(i)
	}
}

// FocusGained and the other keyboard methods make the ladder usable
// without a mouse: up and down move the selection.
func (l *ladder) FocusGained()   { l.focused = true; l.Refresh() }
func (l *ladder) FocusLost()     { l.focused = false; l.Refresh() }
func (l *ladder) TypedRune(rune) {}

func (l *ladder) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyUp:
		if l.selected > 0 {
			l.Select(l.selected - 1)
		}
	case fyne.KeyDown:
		if l.selected < len(l.steps)-1 {
			l.Select(l.selected + 1)
		}
	case fyne.KeyHome:
		if len(l.steps) > 0 {
			l.Select(0)
		}
	case fyne.KeyEnd:
		l.Select(len(l.steps) - 1)
	}
}

func (l *ladder) MinSize() fyne.Size {
	l.ExtendBaseWidget(l)
	return fyne.NewSize(ladderMinWidth, ladderHeader+float32(max(len(l.steps), 1))*ladderRow+theme.Padding())
}

func (l *ladder) CreateRenderer() fyne.WidgetRenderer {
	r := &ladderRenderer{l: l}
	r.rebuild()
	return r
}

// ladderRenderer draws with canvas primitives; it rebuilds its objects on
// each Refresh (a trace has a few dozen messages at most), which also
// picks up a theme change.
type ladderRenderer struct {
	l       *ladder
	size    fyne.Size
	objects []fyne.CanvasObject
}

func (r *ladderRenderer) Destroy()                     {}
func (r *ladderRenderer) MinSize() fyne.Size           { return r.l.MinSize() }
func (r *ladderRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *ladderRenderer) Refresh()                     { r.rebuild(); canvas.Refresh(r.l) }

func (r *ladderRenderer) Layout(size fyne.Size) {
	if size != r.size {
		r.size = size
		r.rebuild()
	}
}

// ladderColumns returns the x of the client and server lifelines for a
// diagram of the given width.
func ladderColumns(width float32) (float32, float32) {
	w := max(width, ladderMinWidth)
	return ladderTimeW + ladderMargin, w - ladderMargin
}

func (r *ladderRenderer) rebuild() {
	th := r.l.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	dim := th.Color(theme.ColorNamePlaceHolder, v)
	errc := th.Color(theme.ColorNameError, v)
	sel := th.Color(theme.ColorNameSelection, v)
	focus := th.Color(theme.ColorNameFocus, v)
	textSize := th.Size(theme.SizeNameText)
	small := th.Size(theme.SizeNameCaptionText)

	cx, sx := ladderColumns(r.size.Width)
	height := max(r.size.Height, r.l.MinSize().Height)
	var objs []fyne.CanvasObject

	for i := range r.l.steps {
		if i == r.l.selected {
			bg := canvas.NewRectangle(sel)
			if r.l.focused {
				bg.StrokeColor, bg.StrokeWidth = focus, 1
			}
			bg.Move(fyne.NewPos(0, rowTop(i)))
			bg.Resize(fyne.NewSize(max(r.size.Width, ladderMinWidth), ladderRow))
			objs = append(objs, bg)
		}
	}
	for _, x := range []float32{cx, sx} {
		line := canvas.NewLine(dim)
		line.StrokeWidth = 2
		line.Position1 = fyne.NewPos(x, 0)
		line.Position2 = fyne.NewPos(x, height)
		objs = append(objs, line)
	}

	for i, s := range r.l.steps {
		objs = append(objs, r.step(i, s, cx, sx, fg, dim, errc, textSize, small)...)
	}
	r.objects = objs
}

// step draws one message: time, arrow with head, name, lock.
func (r *ladderRenderer) step(i int, s tlstrace.Step, cx, sx float32, fg, dim, errc color.Color, textSize, small float32) []fyne.CanvasObject {
	top := rowTop(i)
	c := fg
	if isProblemAlert(s) {
		c = errc
	}
	from, to := cx, sx
	if s.From == "server" {
		from, to = sx, cx
	}
	y := top + ladderArrowY
	dir := float32(1)
	if to < from {
		dir = -1
	}
	shaft := canvas.NewLine(c)
	shaft.StrokeWidth = 2
	shaft.Position1, shaft.Position2 = fyne.NewPos(from, y), fyne.NewPos(to-dir, y)
	head1 := canvas.NewLine(c)
	head1.StrokeWidth = 2
	head1.Position1, head1.Position2 = fyne.NewPos(to, y), fyne.NewPos(to-dir*ladderHead, y-ladderHead*0.6)
	head2 := canvas.NewLine(c)
	head2.StrokeWidth = 2
	head2.Position1, head2.Position2 = fyne.NewPos(to, y), fyne.NewPos(to-dir*ladderHead, y+ladderHead*0.6)

	name := stepLabel(s)
	label := canvas.NewText(name, c)
	label.TextSize = textSize
	label.TextStyle.Bold = isProblemAlert(s)
	ls := label.MinSize()
	mid := (cx + sx) / 2
	label.Move(fyne.NewPos(mid-ls.Width/2, top+ladderArrowY-ls.Height-2))
	label.Resize(ls)
	objs := []fyne.CanvasObject{
		leftText(formatOffset(s.At), dim, small, 4, top+ladderArrowY-small),
		shaft, head1, head2, label,
	}
	if s.Encrypted {
		lock := canvas.NewImageFromResource(theme.NewThemedResource(assets.LockIcon))
		lock.FillMode = canvas.ImageFillContain
		sz := textSize
		lock.Resize(fyne.NewSquareSize(sz))
		lock.Move(fyne.NewPos(mid-ls.Width/2-sz-4, top+ladderArrowY-ls.Height/2-sz/2-2))
		objs = append(objs, lock)
	}
	return objs
}

// isProblemAlert reports alerts that end a connection in trouble; the
// close_notify at the end of every good connection is not one.
func isProblemAlert(s tlstrace.Step) bool {
	if s.Message != "Alert" {
		return false
	}
	return s.Alert == nil || s.Alert.Name != "close_notify" && s.Alert.Name != "user_canceled"
}

// stepLabel is the text over an arrow: the message, its size, and the
// alert's name for alerts.
func stepLabel(s tlstrace.Step) string {
	name := s.Message
	if s.Alert != nil {
		name += " " + s.Alert.Name
	}
	if s.Bytes > 0 {
		name += " · " + lang.L("{{.Bytes}} bytes", map[string]any{"Bytes": s.Bytes})
	}
	return name
}

// formatOffset shows a time offset in milliseconds.
func formatOffset(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func centeredText(s string, c color.Color, size float32, bold bool, x, y float32) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = size
	t.TextStyle.Bold = bold
	m := t.MinSize()
	t.Move(fyne.NewPos(x-m.Width/2, y))
	t.Resize(m)
	return t
}

func leftText(s string, c color.Color, size, x, y float32) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = size
	t.Move(fyne.NewPos(x, y))
	t.Resize(t.MinSize())
	return t
}

// ladderTitles names the columns above the scrolling diagram, so that
// they stay in view in a long trace.
type ladderTitles struct {
	widget.BaseWidget
}

func newLadderTitles() *ladderTitles {
	t := &ladderTitles{}
	t.ExtendBaseWidget(t)
	return t
}

func (t *ladderTitles) CreateRenderer() fyne.WidgetRenderer {
	r := &titlesRenderer{t: t}
	r.rebuild()
	return r
}

type titlesRenderer struct {
	t       *ladderTitles
	size    fyne.Size
	objects []fyne.CanvasObject
}

func (r *titlesRenderer) Destroy()                     {}
func (r *titlesRenderer) MinSize() fyne.Size           { return fyne.NewSize(ladderMinWidth, ladderTitleH) }
func (r *titlesRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *titlesRenderer) Refresh()                     { r.rebuild(); canvas.Refresh(r.t) }

func (r *titlesRenderer) Layout(size fyne.Size) {
	if size != r.size {
		r.size = size
		r.rebuild()
	}
}

func (r *titlesRenderer) rebuild() {
	th := r.t.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	dim := th.Color(theme.ColorNamePlaceHolder, v)
	textSize := th.Size(theme.SizeNameText)
	small := th.Size(theme.SizeNameCaptionText)
	cx, sx := ladderColumns(r.size.Width)
	r.objects = []fyne.CanvasObject{
		centeredText(lang.L("Client (this computer)"), fg, textSize, true, cx, 4),
		centeredText(lang.L("Server"), fg, textSize, true, sx, 4),
		leftText(lang.L("Time"), dim, small, 4, 8),
	}
}
