package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Fyne gives keys to the focused widget only, and its entries and check
// boxes ignore Esc, so Esc would not cancel a test while the address
// field has the focus. The fields the window keeps the focus in pass Esc
// on to the window instead.

// escSelectEntry is the address field: a SelectEntry (history) that
// passes Esc on.
type escSelectEntry struct {
	widget.SelectEntry
	onEscape func()
}

func newEscSelectEntry(onEscape func()) *escSelectEntry {
	e := &escSelectEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip) // as widget.NewSelectEntry
	return e
}

func (e *escSelectEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.SelectEntry.TypedKey(k)
}

// escEntry is a plain entry that passes Esc on.
type escEntry struct {
	widget.Entry
	onEscape func()
}

func newEscEntry(onEscape func()) *escEntry {
	e := &escEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

func (e *escEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
