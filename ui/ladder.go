package ui

import (
	"fmt"
	"image/color"
	"strings"
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
	ladderHeader = 4  // space above the first message
	ladderTitleH = 30 // the column titles above the diagram
	ladderRow    = 44 // one message (without its explanation)
	ladderArrowY = 32 // arrow position inside a row
	ladderHead   = 9  // arrowhead length
	explainPad   = 8  // inside the box of an inline explanation
	explainGap   = 8  // below that box
	labelPad     = 4  // between a message's name and the lifelines
	labelLines   = 2  // a name longer than the arrow wraps into this many lines at most
)

// ladderGeometry is the shape of a diagram: the full one of a test, or
// the compact one shown twice side by side to compare TLS versions.
type ladderGeometry struct {
	timeW    float32 // time offset column
	margin   float32 // from the lifelines to the edges of the arrow area
	minWidth float32 // below this the names no longer fit
	bytes    bool    // message sizes next to the names
}

var (
	fullLadder    = ladderGeometry{timeW: 84, margin: 56, minWidth: 420, bytes: true}
	compactLadder = ladderGeometry{timeW: 60, margin: 30, minWidth: 290}
)

// columns returns the x of the client and server lifelines for a
// diagram of the given width.
func (g ladderGeometry) columns(width float32) (float32, float32) {
	w := max(width, g.minWidth)
	return g.timeW + g.margin, w - g.margin
}

// ladder draws a handshake as a ladder (sequence) diagram: the client's
// and the server's lifelines, one arrow per message in order with its
// time offset, a lock on messages that were encrypted on the wire and
// alerts in the error colour. Tap (or arrow keys) selects a message. In
// explain mode each message's plain-language explanation is written
// under its arrow, and the diagram grows to hold them.
//
// To compare two handshakes, two ladders are twinned: each row of one
// is as high as the same row of the other, and either may leave a row
// empty (a gap) where its handshake has no message the other has, so
// that the same message sits on the same row on both sides.
type ladder struct {
	widget.BaseWidget
	geo        ladderGeometry
	steps      []tlstrace.Step
	selected   int // index in steps, -1: none
	focused    bool
	explain    bool
	OnSelected func(i int) // -1 when the selection is cleared

	slots []int   // the step on each row, -1 for a gap; nil: one row per step
	twin  *ladder // the other side of a comparison, or nil

	rows    []ladderRowBox // as high as the messages need, laid out for rowsFor
	rowsFor rowsKey
}

// ladderRowBox is where one row sits and what it holds: the message's
// name fitted between the lifelines (one or more lines above its arrow)
// and, in explain mode, its explanation wrapped to the diagram's width.
type ladderRowBox struct {
	step        int // index in steps, -1: a gap
	top, height float32
	arrow       float32  // y of the arrow, from the row's top
	label       []string // the name over the arrow
	lines       []string // the explanation under it
}

// rowsKey is what the row layout depends on; a change lays it out again.
type rowsKey struct {
	valid    bool
	width    float32
	textSize float32
}

func newLadder(geo ladderGeometry, onSelected func(int)) *ladder {
	l := &ladder{geo: geo, selected: -1, OnSelected: onSelected}
	l.ExtendBaseWidget(l)
	return l
}

// setSteps replaces the messages (for a finished test), one per row,
// and keeps the selection when it still exists.
func (l *ladder) setSteps(steps []tlstrace.Step) {
	l.steps = append([]tlstrace.Step(nil), steps...)
	l.slots = nil
	if l.selected >= len(l.steps) {
		l.selected = -1
	}
	l.changed()
}

// add appends one message as the probe reports it, on a new last row.
func (l *ladder) add(s tlstrace.Step) {
	l.steps = append(l.steps, s)
	if l.slots != nil {
		l.slots = append(l.slots, len(l.steps)-1)
	}
	l.changed()
}

// clear empties the diagram for a new test.
func (l *ladder) clear() {
	l.steps = nil
	l.slots = nil
	l.selected = -1
	l.changed()
}

// setSlots places the messages on rows: slots[row] is the index of the
// message on that row, -1 for an empty row. Every message has a row, in
// order; nil means one row per message.
func (l *ladder) setSlots(slots []int) {
	l.slots = slots
	l.changed()
}

// twinWith makes a and b the two sides of a comparison: rows as high as
// the other side's.
func twinWith(a, b *ladder) {
	a.twin, b.twin = b, a
}

// rowSteps is the message on each row (-1: a gap).
func (l *ladder) rowSteps() []int {
	if l.slots != nil {
		return l.slots
	}
	out := make([]int, len(l.steps))
	for i := range out {
		out[i] = i
	}
	return out
}

// setExplain switches the inline explanations on or off.
func (l *ladder) setExplain(on bool) {
	if l.explain == on {
		return
	}
	l.explain = on
	l.changed()
}

// changed lays the rows out again and grows (or shrinks) the diagram to
// them before it is drawn: a scroll container around it reads its size.
// A twin's rows follow this side's heights, so it is fitted again too.
func (l *ladder) changed() {
	l.rowsFor.valid = false
	l.fit()
	if l.twin != nil {
		l.twin.fit()
	}
}

func (l *ladder) fit() {
	if s := l.Size(); s.Width > 0 {
		l.BaseWidget.Resize(fyne.NewSize(s.Width, l.heightFor(s.Width)))
	}
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

// layoutRows places the rows for a diagram of the given width: each as
// high as its message needs and, with a twin, as the twin's row beside it.
func (l *ladder) layoutRows(width float32) []ladderRowBox {
	own := l.naturalRows(width)
	if l.twin == nil {
		return own
	}
	other := l.twin.naturalRows(width)
	rows := make([]ladderRowBox, len(own))
	y := float32(ladderHeader)
	for r, box := range own {
		box.top = y
		if r < len(other) {
			box.height = max(box.height, other[r].height)
		}
		rows[r] = box
		y += box.height
	}
	return rows
}

// naturalRows places the rows as high as their own messages need.
// Fitting names and wrapping explanations measures text, so the result
// is kept until the messages, the mode, the width or the text size
// change.
func (l *ladder) naturalRows(width float32) []ladderRowBox {
	width = max(width, l.geo.minWidth)
	th := l.Theme()
	key := rowsKey{valid: true, width: width, textSize: th.Size(theme.SizeNameText)}
	slots := l.rowSteps()
	if l.rowsFor == key && len(l.rows) == len(slots) {
		return l.rows
	}
	rows := make([]ladderRowBox, len(slots))
	textW := width - l.geo.timeW - 8 - 2*explainPad
	lineH := explainLineHeight(key.textSize)
	y := float32(ladderHeader)
	for r, i := range slots {
		rows[r] = ladderRowBox{step: i, top: y, height: ladderRow, arrow: ladderArrowY}
		if i < 0 || i >= len(l.steps) {
			rows[r].step = -1
			y += rows[r].height
			continue
		}
		s := l.steps[i]
		style := fyne.TextStyle{Bold: isProblemAlert(s)}
		rows[r].label = fitLabel(labelParts(s, l.geo.bytes), l.labelWidth(width, s, key.textSize), labelLines, func(t string) float32 {
			return fyne.MeasureText(t, key.textSize, style).Width
		})
		extra := float32(len(rows[r].label)-1) * lineH
		rows[r].arrow += extra
		rows[r].height += extra
		if l.explain {
			rows[r].lines = wrapText(explainText(s), textW, func(t string) float32 {
				return fyne.MeasureText(t, key.textSize, fyne.TextStyle{}).Width
			})
			rows[r].height += float32(len(rows[r].lines))*lineH + 2*explainPad + explainGap
		}
		y += rows[r].height
	}
	l.rows, l.rowsFor = rows, key
	return rows
}

// labelWidth is the room for a message's name between the lifelines,
// less its lock.
func (l *ladder) labelWidth(width float32, s tlstrace.Step, textSize float32) float32 {
	cx, sx := l.geo.columns(width)
	w := sx - cx - 2*labelPad
	if s.Encrypted {
		w -= lockWidth(textSize)
	}
	return w
}

// lockWidth is the lock before an encrypted message's name, with its gap.
func lockWidth(textSize float32) float32 { return textSize + 4 }

// explainText is the explanation written under a message's arrow.
func explainText(s tlstrace.Step) string {
	if e := sentence(s.ExplainMsg, s.Explain); e != "" {
		return e
	}
	return lang.L("No explanation for this message.")
}

func explainLineHeight(textSize float32) float32 {
	return fyne.MeasureText("Ãg", textSize, fyne.TextStyle{}).Height
}

// heightFor is the diagram's height at a width.
func (l *ladder) heightFor(width float32) float32 {
	rows := l.layoutRows(width)
	if len(rows) == 0 {
		return ladderHeader + ladderRow + theme.Padding()
	}
	last := rows[len(rows)-1]
	return last.top + last.height + theme.Padding()
}

// rowAt returns the message at y, or -1 (also on a gap).
func (l *ladder) rowAt(y float32) int {
	for _, r := range l.layoutRows(l.Size().Width) {
		if y >= r.top && y < r.top+r.height {
			return r.step
		}
	}
	return -1
}

// rowOf returns the row of message i.
func (l *ladder) rowOf(i int) (ladderRowBox, bool) {
	for _, r := range l.layoutRows(l.Size().Width) {
		if r.step == i && i >= 0 {
			return r, true
		}
	}
	return ladderRowBox{}, false
}

// rowTop is where message i's row starts (for scrolling to it).
func (l *ladder) rowTop(i int) float32 {
	if r, ok := l.rowOf(i); ok {
		return r.top
	}
	return ladderHeader
}

// rowHeight is the height of message i's row, explanation included.
func (l *ladder) rowHeight(i int) float32 {
	if r, ok := l.rowOf(i); ok {
		return r.height
	}
	return ladderRow
}

// Resize keeps the diagram at least as tall as its rows at the new
// width: in explain mode a narrower diagram wraps into more lines, and
// the scroll container around it asked for the height of the old width.
func (l *ladder) Resize(s fyne.Size) {
	s.Height = max(s.Height, l.heightFor(s.Width))
	l.BaseWidget.Resize(s)
}

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
	return fyne.NewSize(l.geo.minWidth, l.heightFor(l.Size().Width))
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

func (r *ladderRenderer) rebuild() {
	l := r.l
	th := l.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	dim := th.Color(theme.ColorNamePlaceHolder, v)
	errc := th.Color(theme.ColorNameError, v)
	sel := th.Color(theme.ColorNameSelection, v)
	focus := th.Color(theme.ColorNameFocus, v)
	textSize := th.Size(theme.SizeNameText)
	small := th.Size(theme.SizeNameCaptionText)

	width := max(r.size.Width, l.geo.minWidth)
	rows := l.layoutRows(width)
	cx, sx := l.geo.columns(width)
	height := max(r.size.Height, l.heightFor(width))
	var objs []fyne.CanvasObject

	for _, row := range rows {
		if row.step < 0 || row.step != l.selected {
			continue
		}
		bg := canvas.NewRectangle(sel)
		if l.focused {
			bg.StrokeColor, bg.StrokeWidth = focus, 1
		}
		bg.Move(fyne.NewPos(0, row.top))
		bg.Resize(fyne.NewSize(width, row.height))
		objs = append(objs, bg)
	}
	for _, x := range []float32{cx, sx} {
		line := canvas.NewLine(dim)
		line.StrokeWidth = 2
		line.Position1 = fyne.NewPos(x, 0)
		line.Position2 = fyne.NewPos(x, height)
		objs = append(objs, line)
	}

	for _, row := range rows {
		if row.step < 0 {
			continue // a gap: the other side of a comparison has a message here
		}
		objs = append(objs, r.step(row, l.steps[row.step], cx, sx, fg, dim, errc, textSize, small)...)
		if len(row.lines) > 0 {
			objs = append(objs, r.explanation(row, width, fg, th)...)
		}
	}
	r.objects = objs
}

// explanation draws a message's explanation in a box under its arrow,
// across the lifelines like a note in a sequence diagram.
func (r *ladderRenderer) explanation(row ladderRowBox, width float32, fg color.Color, th fyne.Theme) []fyne.CanvasObject {
	v := fyne.CurrentApp().Settings().ThemeVariant()
	textSize := th.Size(theme.SizeNameText)
	lineH := explainLineHeight(textSize)
	left := r.l.geo.timeW
	box := canvas.NewRectangle(th.Color(theme.ColorNameInputBackground, v))
	box.CornerRadius = th.Size(theme.SizeNameInputRadius)
	top := row.top + row.arrow + ladderRow - ladderArrowY - 4
	box.Move(fyne.NewPos(left, top))
	box.Resize(fyne.NewSize(width-left-8, float32(len(row.lines))*lineH+2*explainPad))
	objs := []fyne.CanvasObject{box}
	for j, line := range row.lines {
		t := canvas.NewText(line, fg)
		t.TextSize = textSize
		t.Move(fyne.NewPos(left+explainPad, top+explainPad+float32(j)*lineH))
		t.Resize(fyne.NewSize(width-left-8-2*explainPad, lineH))
		objs = append(objs, t)
	}
	return objs
}

// step draws one message: time, arrow with head, name, lock.
func (r *ladderRenderer) step(row ladderRowBox, s tlstrace.Step, cx, sx float32, fg, dim, errc color.Color, textSize, small float32) []fyne.CanvasObject {
	c := fg
	if isProblemAlert(s) {
		c = errc
	}
	from, to := cx, sx
	if s.From == "server" {
		from, to = sx, cx
	}
	y := row.top + row.arrow
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

	objs := []fyne.CanvasObject{leftText(formatOffset(s.At), dim, small, 4, y-small), shaft, head1, head2}

	// The name's lines stand above the arrow, centred between the
	// lifelines together with the lock (fitLabel kept them narrow enough).
	var labels []*canvas.Text
	var textW, lineH float32
	for _, line := range row.label {
		t := canvas.NewText(line, c)
		t.TextSize = textSize
		t.TextStyle.Bold = isProblemAlert(s)
		m := t.MinSize()
		textW, lineH = max(textW, m.Width), m.Height
		labels = append(labels, t)
	}
	var lockW float32
	if s.Encrypted {
		lockW = lockWidth(textSize)
	}
	mid := (cx + sx) / 2
	left := mid - (lockW+textW)/2 + lockW
	for j, t := range labels {
		m := t.MinSize()
		t.Move(fyne.NewPos(left+(textW-m.Width)/2, y-2-float32(len(labels)-j)*lineH))
		t.Resize(m)
		objs = append(objs, t)
	}
	if s.Encrypted {
		lock := canvas.NewImageFromResource(theme.NewThemedResource(assets.LockIcon))
		lock.FillMode = canvas.ImageFillContain
		sz := textSize
		lock.Resize(fyne.NewSquareSize(sz))
		first := labels[0].Position() // the lock goes before the message's name
		lock.Move(fyne.NewPos(first.X-lockW, first.Y+lineH/2-sz/2))
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

// labelParts is the text over an arrow, in the pieces it may wrap
// between: the message, the alert's name for alerts, and (with bytes) its
// size.
func labelParts(s tlstrace.Step, bytes bool) []string {
	parts := []string{s.Message}
	if s.Alert != nil {
		parts = append(parts, s.Alert.Name)
	}
	if bytes && s.Bytes > 0 {
		parts = append(parts, "· "+lang.N("{{.Count}} bytes", s.Bytes, map[string]any{"Count": s.Bytes}))
	}
	return parts
}

// fitLabel sets parts (joined by spaces) in at most maxLines lines no
// wider than width, breaking only between parts (a part may start with
// the separator "· ", dropped at the start of a line); a line still too wide is
// shortened with an ellipsis (the details pane has the whole message).
// measure gives the width of a string.
func fitLabel(parts []string, width float32, maxLines int, measure func(string) float32) []string {
	var lines []string
	for _, p := range parts {
		if n := len(lines); n > 0 && (n == maxLines || measure(lines[n-1]+" "+p) <= width) {
			lines[n-1] += " " + p
			continue
		}
		lines = append(lines, strings.TrimPrefix(p, "· ")) // a separator does not start a line
	}
	for i, line := range lines {
		lines[i] = ellipsize(line, width, measure)
	}
	return lines
}

// ellipsize cuts s to fit width, ending it with "…".
func ellipsize(s string, width float32, measure func(string) float32) string {
	if measure(s) <= width {
		return s
	}
	r := []rune(strings.TrimSpace(s))
	for n := len(r) - 1; n > 0; n-- {
		if t := strings.TrimSpace(string(r[:n])) + "…"; measure(t) <= width {
			return t
		}
	}
	return "…"
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
	geo ladderGeometry
}

func newLadderTitles(geo ladderGeometry) *ladderTitles {
	t := &ladderTitles{geo: geo}
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
func (r *titlesRenderer) MinSize() fyne.Size           { return fyne.NewSize(r.t.geo.minWidth, ladderTitleH) }
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
	cx, sx := r.t.geo.columns(r.size.Width)
	client := lang.L("Client (this computer)")
	if r.t.geo.timeW < fullLadder.timeW {
		client = lang.L("Client")
	}
	r.objects = []fyne.CanvasObject{
		centeredText(client, fg, textSize, true, cx, 4),
		centeredText(lang.L("Server"), fg, textSize, true, sx, 4),
		leftText(lang.L("Time"), dim, small, 4, 8),
	}
}

// wrapText breaks text into lines no wider than width, at spaces and at
// the text's own line breaks; a word wider than a line is cut. measure
// gives the width of a string.
func wrapText(text string, width float32, measure func(string) float32) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if measure(try) <= width {
				line = try
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			for r := []rune(word); len(r) > 1 && measure(word) > width; r = []rune(word) {
				n := len(r) - 1
				for n > 1 && measure(string(r[:n])) > width {
					n--
				}
				lines = append(lines, string(r[:n]))
				word = string(r[n:])
			}
			line = word
		}
		lines = append(lines, line)
	}
	return lines
}
