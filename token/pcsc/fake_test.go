package pcsc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/token/pcsc"
)

// fake is a PC/SC service in memory: readers with states, and faults.
type fake struct {
	connectErr error
	listErr    error
	statesErr  error
	hang       string // "connect", "list", "states", "features": block until the deadline
	readers    []pcsc.RawState
	features   map[string][]byte
	closed     bool
}

func (f *fake) connect(ctx context.Context) (pcsc.Client, error) {
	if f.hang == "connect" {
		<-ctx.Done()
		return nil, &pcsc.Error{Op: "establish context", Err: ctx.Err()}
	}
	if f.connectErr != nil {
		return nil, &pcsc.Error{Op: "establish context", Err: f.connectErr}
	}
	return f, nil
}

func (f *fake) ListReaders(ctx context.Context) ([]string, error) {
	if f.hang == "list" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.listErr != nil {
		return nil, f.listErr
	}
	if len(f.readers) == 0 {
		return nil, pcsc.ErrNoReaders
	}
	var out []string
	for _, r := range f.readers {
		out = append(out, r.Reader)
	}
	return out, nil
}

func (f *fake) States(ctx context.Context, readers []string) ([]pcsc.RawState, error) {
	if f.hang == "states" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.readers, f.statesErr
}

func (f *fake) Features(ctx context.Context, reader string) ([]byte, error) {
	if f.hang == "features" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if b, ok := f.features[reader]; ok {
		return b, nil
	}
	return nil, pcsc.ErrUnsupportedFeature
}

func (f *fake) WaitChange(ctx context.Context, known []pcsc.RawState, timeout time.Duration) error {
	return nil
}

func (f *fake) Close() error { f.closed = true; return nil }

func scanFake(f *fake) pcsc.Status {
	return pcsc.Scan(context.Background(), pcsc.Options{Connect: f.connect, CallTimeout: 50 * time.Millisecond})
}

func TestScanClassifiesTheService(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *fake
		want pcsc.Service
	}{
		{"no pcscd", &fake{connectErr: pcsc.ErrNoService}, pcsc.ServiceNotRunning},
		{"pcscd stopped", &fake{listErr: pcsc.ErrServiceStopped}, pcsc.ServiceNotRunning},
		{"no library", &fake{connectErr: pcsc.ErrNoLibrary}, pcsc.ServiceNoLibrary},
		{"other OS", &fake{connectErr: pcsc.ErrUnsupported}, pcsc.ServiceUnsupported},
		{"hangs on connect", &fake{hang: "connect"}, pcsc.ServiceNotResponding},
		{"hangs on list", &fake{hang: "list"}, pcsc.ServiceNotResponding},
		{"odd error", &fake{listErr: pcsc.Code(0x80100001)}, pcsc.ServiceError},
		{"no readers", &fake{}, pcsc.ServiceRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := scanFake(tc.f)
			if st.Service != tc.want {
				t.Fatalf("service %q (%v), want %q", st.Service, st.Err, tc.want)
			}
			if tc.want != pcsc.ServiceRunning && st.Err == nil {
				t.Error("no error given")
			}
		})
	}
}

func TestScanReadsReaderStates(t *testing.T) {
	atr := []byte{0x3B, 0x8D, 0x80, 0x01}
	verify := []byte{0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x0A, 4, 0x42, 0x33, 0x00, 0x0A}
	f := &fake{
		readers: []pcsc.RawState{
			{Reader: "B reader 00 00", State: pcsc.StatePresent | pcsc.StateExclusive, ATR: atr},
			{Reader: "A reader 00 00", State: pcsc.StateEmpty},
			{Reader: "C pinpad 00 00", State: pcsc.StatePresent | pcsc.StateMute},
			{Reader: "D SPR532 00 00", State: pcsc.StateEmpty},
		},
		features: map[string][]byte{"C pinpad 00 00": verify, "A reader 00 00": {1, 2, 3}},
	}
	st := scanFake(f)
	if st.Service != pcsc.ServiceRunning || st.Err != nil || len(st.Readers) != 4 {
		t.Fatalf("%+v", st)
	}
	a, b, c, d := st.Readers[0], st.Readers[1], st.Readers[2], st.Readers[3]
	if a.Name != "A reader 00 00" || a.CardPresent || a.ATR != nil || a.PINPad.Present() {
		t.Errorf("A: %+v", a)
	}
	if !b.CardPresent || !b.Exclusive || pcsc.FormatATR(b.ATR) != "3B 8D 80 01" {
		t.Errorf("B: %+v", b)
	}
	if !c.Mute || !c.PINPad.Verify || c.PINPad.Modify || c.PINPad.Source != "features" {
		t.Errorf("C: %+v", c)
	}
	if !d.PINPad.Verify || d.PINPad.Source != "name" {
		t.Errorf("D: %+v", d)
	}
	if !f.closed {
		t.Error("context not released")
	}
}

func TestScanStopsAskingAHungReader(t *testing.T) {
	f := &fake{hang: "features", readers: []pcsc.RawState{{Reader: "a", State: pcsc.StateEmpty}, {Reader: "b", State: pcsc.StateEmpty}}}
	start := time.Now()
	st := scanFake(f)
	if st.Service != pcsc.ServiceNotResponding || !errors.Is(st.Err, context.DeadlineExceeded) {
		t.Fatalf("%+v", st)
	}
	if len(st.Readers) != 2 {
		t.Fatalf("readers %d", len(st.Readers))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: each reader waited for its deadline", took)
	}
}

func TestParseFeaturesRejectsJunk(t *testing.T) {
	for _, b := range [][]byte{nil, {1}, {6, 4, 0, 0, 0}, {6, 3, 0, 0, 0, 1}, {6, 4, 0, 0, 0, 0}} {
		if _, ok := pcsc.ParseFeatures(b); ok {
			t.Errorf("%x accepted", b)
		}
	}
	p, ok := pcsc.ParseFeatures([]byte{7, 4, 0x42, 0, 0, 7})
	if !ok || !p.Modify || p.Verify {
		t.Errorf("modify: %+v %v", p, ok)
	}
}

func TestSlotShowsReader(t *testing.T) {
	long := "Alcor Micro AU9560 Smart Card Reader with a very long name indeed 00 00"
	for _, tc := range []struct {
		desc, man, reader string
		want              bool
	}{
		{"cardcheck virtual reader 00 00", "OpenSC Project", "cardcheck virtual reader 00 00", true},
		{"cardcheck virtual reader 00 00   ", "", "cardcheck virtual reader 00 00", true},
		{"cardcheck virtual reader 00 01", "", "cardcheck virtual reader 00 00", false},
		{long[:64], "", long, true},
		{long[:30], "", long, false}, // a short description is not a cut
		{"Yubico YubiKey OTP+FIDO+CCID 00 00 (slot 1)", "", "Yubico YubiKey OTP+FIDO+CCID 00 00", true},
		{"SoftHSM slot ID 0x1", "SoftHSM project", "cardcheck virtual reader 00 00", false},
		{"", "Gemalto PC Twin Reader 00 00", "Gemalto PC Twin Reader 00 00", true},
		{"anything", "", "", false},
	} {
		if got := pcsc.SlotShowsReader(tc.desc, tc.man, tc.reader); got != tc.want {
			t.Errorf("SlotShowsReader(%q, %q, %q) = %v", tc.desc, tc.man, tc.reader, got)
		}
	}
}

func TestCardTypeFromATR(t *testing.T) {
	piv := []byte{0x3B, 0x8D, 0x80, 0x01, 0x80, 0xFB, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00}
	if got := pcsc.CardTypeFromATR(piv); got != "PIV" {
		t.Errorf("PIV ATR: %q", got)
	}
	if got := pcsc.CardTypeFromATR([]byte{0x3B, 0x02, 0x14, 0x50}); got != "" {
		t.Errorf("short ATR: %q", got)
	}
}
