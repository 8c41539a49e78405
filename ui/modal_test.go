package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// focusSpy is an entry that records being told it lost the focus.
type focusSpy struct {
	widget.Entry
	lost int
}

func (f *focusSpy) FocusLost() { f.lost++; f.Entry.FocusLost() }

// TestClosedDialogReleasesItsEntries: the entries a dialog may leave
// focused are told they lost the focus when it closes (Fyne does not,
// and their cursors would blink on), and the save dialog's file-name
// entry is among them.
func TestClosedDialogReleasesItsEntries(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, acceptedResult)
	h := runAliceTest(t, be)
	h.m.saveReport()
	top := h.m.modal.top()
	if top == nil || top.name != "save-report" || len(top.entries) != 1 {
		t.Fatalf("save dialog tracked as %+v; want save-report with its file-name entry", top)
	}
	top.dismiss()
	h.q.drain()
	if h.m.modal.any() {
		t.Fatal("the save dialog is still tracked as open")
	}

	spy := &focusSpy{}
	spy.ExtendBaseWidget(spy)
	d := &openDialog{name: "test", entries: []fyne.Focusable{spy}}
	h.m.modal.push(d)
	h.m.modal.pop(d)
	h.m.modal.pop(d) // twice is harmless
	if spy.lost != 1 {
		t.Errorf("the entry was told %d times it lost the focus, want 1", spy.lost)
	}
}
