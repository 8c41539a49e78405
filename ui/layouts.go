package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tightVBox stacks labels closer than a VBox does: each label carries its
// own inner padding, so a VBox leaves a gap of two paddings between lines
// of one tree row.
type tightVBox struct{}

func (tightVBox) overlap() float32 { return theme.InnerPadding() * 1.5 }

func (l tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		if i > 0 {
			y -= l.overlap()
		}
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
}

func (l tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		n++
	}
	if n > 1 {
		s.Height -= float32(n-1) * l.overlap()
	}
	return s
}

// minSizeLayout gives its single child at least a minimum size, which is
// how a Fyne window gets a minimum size: a window never shrinks below its
// content's MinSize.
type minSizeLayout struct{ min fyne.Size }

func (l minSizeLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l minSizeLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := l.min
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// note is secondary text in the theme's placeholder colour. A Label with
// LowImportance uses the disabled colour instead, which is too faint to
// read in the light and the dark theme alike. Like Label, it draws through
// a RichText of its own.
type note struct {
	widget.BaseWidget
	rt  *widget.RichText
	seg *widget.TextSegment
}

// newNote makes a note of the given text size (theme.SizeNameText or
// theme.SizeNameCaptionText).
func newNote(text string, size fyne.ThemeSizeName) *note {
	seg := &widget.TextSegment{Text: text, Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, SizeName: size}}
	n := &note{rt: widget.NewRichText(seg), seg: seg}
	n.rt.Wrapping = fyne.TextWrapWord
	n.ExtendBaseWidget(n)
	return n
}

func (n *note) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(n.rt) }

// SetText replaces the text.
func (n *note) SetText(text string) {
	n.seg.Text = text
	n.rt.Refresh()
	n.Refresh()
}

// Text returns the text.
func (n *note) Text() string { return n.seg.Text }

// centered aligns the text in the middle.
func (n *note) centered() *note {
	n.seg.Style.Alignment = fyne.TextAlignCenter
	return n
}

// truncated shows one line cut with an ellipsis instead of wrapping.
func (n *note) truncated() *note {
	n.rt.Wrapping = fyne.TextWrapOff
	n.rt.Truncation = fyne.TextTruncateEllipsis
	return n
}

// resultColumn stacks the connection bar, the verdict banner and the tabs.
// The banner gets the height its whole text needs, up to bannerShare of
// the column, and never less than its (capped) minimum; the tabs, with the
// handshake, get the rest. The share is taken in Layout, not in MinSize:
// a minimum that grew with the window would grow the window without end.
type resultColumn struct{ banner *verdictBanner }

// bannerShare is the part of the column's height the banner may take.
const bannerShare = 0.42

func (l *resultColumn) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	top, banner, tabs := objs[0], objs[1], objs[2]
	pad := theme.Padding()
	y := float32(0)
	top.Move(fyne.NewPos(0, y))
	top.Resize(fyne.NewSize(size.Width, top.MinSize().Height))
	y += top.MinSize().Height + pad
	if banner.Visible() {
		h := min(l.banner.fullHeight(), max(banner.MinSize().Height, size.Height*bannerShare))
		h = min(h, size.Height-y-pad-tabs.MinSize().Height) // the tabs keep their minimum: the banner scrolls
		h = max(h, banner.MinSize().Height)
		banner.Move(fyne.NewPos(0, y))
		banner.Resize(fyne.NewSize(size.Width, h))
		y += h + pad
	}
	tabs.Move(fyne.NewPos(0, y))
	tabs.Resize(fyne.NewSize(size.Width, max(size.Height-y, tabs.MinSize().Height)))
}

func (l *resultColumn) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height + theme.Padding()
	}
	return s
}

// centeredBlock places each object in the middle of its space, at most
// width wide and as tall as its text needs at that width. It lays out
// hidden objects too and asks for no minimum of its own: a note shown
// later is already the right size (container.NewCenter sizes a hidden
// object to nothing, and its centred text then spills over both sides),
// and a long note never widens or lengthens the window.
type centeredBlock struct{ width float32 }

func (l *centeredBlock) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, l.width)
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height)) // wraps its text at w
		h := min(o.MinSize().Height, size.Height)
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (l *centeredBlock) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }
