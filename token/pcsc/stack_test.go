//go:build linux

package pcsc_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// TestMain stops the shared card stack when the tests are done.
func TestMain(m *testing.M) { cardstack.Main(m) }

// TestScanSeesTheEmulatedCard reads the private pcscd of the card stack
// through libpcsclite: the vpcd reader with the emulated card and its ATR,
// and vpcd's second, empty slot.
func TestScanSeesTheEmulatedCard(t *testing.T) {
	if m := cardstack.Missing(cardstack.Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	st := cardstack.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := pcsc.Scan(ctx, pcsc.Options{})
	t.Logf("scan took %v: %+v", time.Since(start).Round(time.Millisecond), s)
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
