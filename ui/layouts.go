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
