package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// TestDetailsScrollToTopOnSelection: the details of a long message are
// scrolled down; selecting another message shows that one from its
// title.
func TestDetailsScrollToTopOnSelection(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, token.Flags{}))
	be.card.set(false, func(url string) *probe.Result {
		r := acceptedResult(url)
		for i := range 40 {
			f := fmt.Sprintf("Extension %d", i)
			r.Steps[0].Fields = append(r.Steps[0].Fields, tlstrace.Field{Name: f, Value: "a value long enough to take a line of its own"})
		}
		return r
	})
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	h.waitResult()

	m := h.m.result.message
	h.m.result.ladder.Select(0)
	m.scroll.Refresh() // lays the longer details out, as the next frame would
	m.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: -400}})
	if m.scroll.Offset.Y <= 0 {
		t.Fatalf("the details of the ClientHello do not scroll (offset %v, view %v, content %v)",
			m.scroll.Offset, m.scroll.Size(), m.scroll.Content.MinSize())
	}
	h.m.result.ladder.Select(1)
	if m.title.Text != "2. ServerHello" || m.scroll.Offset.Y != 0 {
		t.Errorf("after selecting %q the details stay scrolled to %v", m.title.Text, m.scroll.Offset)
	}
}
