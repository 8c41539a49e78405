package tlstrace

import (
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// TestAlertStormIsMerged: one 16 KB record of 8,190 alerts becomes a few
// steps and one "… and N more alerts", not 8,190 steps.
func TestAlertStormIsMerged(t *testing.T) {
	e := newEngine(func() time.Duration { return 0 })
	payload := make([]byte, 0, 2*8190)
	for range 8190 {
		payload = append(payload, 2, 40) // fatal handshake_failure
	}
	e.feed(&e.server, tlsRecord(ctAlert, payload))
	if n := len(e.steps); n != maxAlertSteps+1 {
		t.Fatalf("%d steps, want %d", n, maxAlertSteps+1)
	}
	last := e.steps[len(e.steps)-1]
	if want := "… and 8186 more alerts"; last.Summary != want || last.Alert == nil || last.Bytes != 2*8186 {
		t.Fatalf("merged step %q (%d bytes), want %q", last.Summary, last.Bytes, want)
	}
	if len(e.alerts) > maxAlerts {
		t.Fatalf("%d alerts kept", len(e.alerts))
	}
	// Another storm record adds one merged step, no more.
	e.feed(&e.server, tlsRecord(ctAlert, payload))
	if n := len(e.steps); n != maxAlertSteps+2 {
		t.Fatalf("%d steps after a second record", n)
	}
}

// TestStepsAreBounded: a peer that makes a step of every few bytes stops
// being listed at maxSteps, with a note.
func TestStepsAreBounded(t *testing.T) {
	e := newEngine(func() time.Duration { return 0 })
	for range maxSteps + 50 {
		e.feed(&e.client, tlsRecord(ctChangeCipherSpec, []byte{1}))
	}
	if len(e.steps) != maxSteps {
		t.Fatalf("%d steps", len(e.steps))
	}
	var notes []string
	for _, m := range e.notes {
		notes = append(notes, msg.English(m))
	}
	if !strings.Contains(strings.Join(notes, "\n"), "not listed") {
		t.Fatalf("no note: %q", e.notes)
	}
}
