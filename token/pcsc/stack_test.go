//go:build linux

package pcsc_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/build/cardstack/cardstacktest"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// TestMain stops the shared card stack when the tests are done.
func TestMain(m *testing.M) { cardstacktest.Main(m) }

// TestScanSeesTheEmulatedCard reads the private pcscd of the card stack
// through libpcsclite: the vpcd reader with the emulated card and its ATR,
// and vpcd's second, empty slot.
func TestScanSeesTheEmulatedCard(t *testing.T) {
	if m := cardstack.Missing(cardstack.Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	st := cardstacktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := pcsc.Scan(ctx, pcsc.Options{})
	t.Logf("scan took %v: %+v", time.Since(start).Round(time.Millisecond), s)
	// pcscd publishes a new card just after powering it, a moment after
	// the emulator saw the power-up: wait for that change, not a time.
	s = waitFor(ctx, t, s, func(r pcsc.Reader) bool { return r.Name == cardstack.ReaderName+" 00 00" && r.CardPresent })
	if s.Service != pcsc.ServiceRunning || s.Err != nil {
		t.Fatalf("service %s: %v (is libpcsclite1 installed? run build/deps.sh test)", s.Service, s.Err)
	}
	var full, empty *pcsc.Reader
	for i, r := range s.Readers {
		switch r.Name {
		case cardstack.ReaderName + " 00 00":
			full = &s.Readers[i]
		case cardstack.ReaderName + " 00 01":
			empty = &s.Readers[i]
		}
	}
	if full == nil || empty == nil {
		t.Fatalf("readers %+v", s.Readers)
	}
	if !full.CardPresent || !bytes.Equal(full.ATR, st.Card.ATR()) || full.Exclusive || full.Mute {
		t.Errorf("card reader: %+v, ATR want %s", *full, pcsc.FormatATR(st.Card.ATR()))
	}
	if empty.CardPresent || empty.ATR != nil {
		t.Errorf("empty slot: %+v", *empty)
	}
	if st.Card.Stats().APDUs != 0 {
		t.Errorf("looking at the reader sent %d APDUs to the card", st.Card.Stats().APDUs)
	}
}

// waitFor scans until a reader satisfies ok, waiting on PC/SC change
// events (never a sleep), until ctx ends.
func waitFor(ctx context.Context, t *testing.T, s pcsc.Status, ok func(pcsc.Reader) bool) pcsc.Status {
	t.Helper()
	for {
		for _, r := range s.Readers {
			if ok(r) {
				return s
			}
		}
		if err := pcsc.WaitChange(ctx, pcsc.Options{}, s, 5*time.Second); err != nil {
			t.Fatalf("wait for a change: %v (last: %+v)", err, s)
		}
		if ctx.Err() != nil {
			t.Fatalf("no such reader state by the deadline: %+v", s)
		}
		s = pcsc.Scan(ctx, pcsc.Options{})
	}
}

// TestWaitChangeSeesRemovalAndInsertion pulls the card out and puts it
// back: WaitChange wakes for each, and Scan then shows the reader empty,
// then the card with its ATR again.
func TestWaitChangeSeesRemovalAndInsertion(t *testing.T) {
	if m := cardstack.Missing(cardstack.Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	st := cardstacktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	defer st.Restore(context.Background())
	name := cardstack.ReaderName + " 00 00"
	s := waitFor(ctx, t, pcsc.Scan(ctx, pcsc.Options{}), func(r pcsc.Reader) bool { return r.Name == name && r.CardPresent })
	if err := st.Reader.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s = waitFor(ctx, t, s, func(r pcsc.Reader) bool { return r.Name == name && !r.CardPresent })
	t.Logf("removal seen after %v", time.Since(start).Round(time.Millisecond))
	if err := st.Reader.Insert(ctx); err != nil {
		t.Fatal(err)
	}
	s = waitFor(ctx, t, s, func(r pcsc.Reader) bool { return r.Name == name && r.CardPresent })
	for _, r := range s.Readers {
		if r.Name == name && !bytes.Equal(r.ATR, st.Card.ATR()) {
			t.Errorf("ATR after re-insertion %s", pcsc.FormatATR(r.ATR))
		}
	}
}
