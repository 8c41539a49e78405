package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// modalStack knows which dialogs are open, top last. Fyne hands keys that
// no widget takes to the window, and main-menu shortcuts fire even while
// a dialog is open: the window asks the stack first, so that Enter in
// About never starts a test behind it and Esc closes the dialog on top.
type modalStack struct {
	open   []*openDialog
	events *eventLog
	closed func() // after any dialog closed (nil: nothing)
}

// openDialog is one dialog on screen.
type openDialog struct {
	name string
	// dismiss closes it as Cancel or Close would; nil when the dialog
	// handles Esc itself (the PIN dialog).
	dismiss func()
	// accept is Enter for a dialog whose only answer is OK; nil otherwise.
	accept func()
	// entries are the dialog's entries that can hold the focus when it
	// closes. Fyne drops a closed dialog's focus without telling the
	// focused widget; an entry never told keeps its cursor blinking,
	// redrawing the window many times a second, for as long as the
	// program runs. So each is told on close (see pop).
	entries []fyne.Focusable
	closed  func() // runs after the dialog closed, if set
}

// push records a dialog that was just shown.
func (s *modalStack) push(d *openDialog) {
	s.open = append(s.open, d)
	s.events.emitAfterFrame("dialog", map[string]any{"name": d.name, "open": true})
}

// pop records that d closed; closing twice is harmless.
func (s *modalStack) pop(d *openDialog) {
	for i, o := range s.open {
		if o == d {
			s.open = append(s.open[:i], s.open[i+1:]...)
			for _, e := range d.entries {
				e.FocusLost()
			}
			s.events.emitAfterFrame("dialog", map[string]any{"name": d.name, "open": false})
			if s.closed != nil {
				s.closed()
			}
			return
		}
	}
}

func (s *modalStack) top() *openDialog {
	if len(s.open) == 0 {
		return nil
	}
	return s.open[len(s.open)-1]
}

// any says whether a dialog is open.
func (s *modalStack) any() bool { return len(s.open) > 0 }

func (s *modalStack) names() []string {
	out := []string{}
	for _, d := range s.open {
		out = append(out, d.name)
	}
	return out
}

// typedKey handles a key the window got while a dialog is open: Esc
// closes the top dialog, Enter answers an OK-only dialog; nothing else
// reaches the window behind.
func (s *modalStack) typedKey(k *fyne.KeyEvent) {
	d := s.top()
	if d == nil {
		return
	}
	switch k.Name {
	case fyne.KeyEscape:
		if d.dismiss != nil {
			d.dismiss()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if d.accept != nil {
			d.accept()
		}
	}
}

// show shows a Fyne dialog and tracks it until it closes. okOnly marks
// dialogs whose one button is OK, so that Enter closes them too.
func (s *modalStack) show(name string, d dialog.Dialog, okOnly bool) *openDialog {
	od := &openDialog{name: name, dismiss: d.Hide}
	if okOnly {
		od.accept = d.Hide
	}
	d.SetOnClosed(func() {
		s.pop(od)
		if od.closed != nil {
			od.closed()
		}
	})
	d.Show()
	s.push(od)
	return od
}

// showFile shows a file dialog: Show before Resize, because Fyne
// v2.8.1's FileDialog.Resize dereferences the dialog Show creates.
func (s *modalStack) showFile(name string, d *dialog.FileDialog, c fyne.Canvas) {
	od := &openDialog{name: name, dismiss: d.Dismiss}
	d.SetOnClosed(func() { s.pop(od) })
	d.Show()
	d.Resize(fileDialogSize)
	// The save dialog focuses its file-name field, which would swallow
	// Esc (Fyne's entry ignores it): the name is filled in already, so
	// the focus goes, and Esc closes the dialog. The field is remembered,
	// to be told when the dialog closes (openDialog.entries).
	if e, ok := c.Focused().(*widget.Entry); ok {
		od.entries = append(od.entries, e)
	}
	c.Unfocus()
	s.push(od)
}
