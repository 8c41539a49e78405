package diagnose_test

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// fakePCSC is a PC/SC service in memory.
type fakePCSC struct {
	err     error // from establishing the context
	hang    bool
	readers []pcsc.RawState
}

func (f *fakePCSC) connect(ctx context.Context) (pcsc.Client, error) {
	if f.hang {
		<-ctx.Done()
		return nil, &pcsc.Error{Op: "establish context", Err: ctx.Err()}
	}
	if f.err != nil {
		return nil, &pcsc.Error{Op: "establish context", Err: f.err}
	}
	return f, nil
}

func (f *fakePCSC) ListReaders(context.Context) ([]string, error) {
	var out []string
	for _, r := range f.readers {
		out = append(out, r.Reader)
	}
	if len(out) == 0 {
		return nil, pcsc.ErrNoReaders
	}
	return out, nil
}

func (f *fakePCSC) States(context.Context, []string) ([]pcsc.RawState, error) { return f.readers, nil }
func (f *fakePCSC) Features(context.Context, string) ([]byte, error) {
	return nil, pcsc.ErrUnsupportedFeature
}
func (f *fakePCSC) WaitChange(context.Context, []pcsc.RawState, time.Duration) error { return nil }
func (f *fakePCSC) Close() error                                                     { return nil }

const (
	openSC = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
	reader = "Cherry SmartTerminal ST-2xxx 00 00"
)

var pivATR = []byte{0x3B, 0x8D, 0x80, 0x01, 0x80, 0xFB, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0xCD}

// atrList writes an ATR list naming the PIV ATR.
func atrList(t *testing.T) []string {
	p := filepath.Join(t.TempDir(), "smartcard_list.txt")
	list := "# test\n" + pcsc.FormatATR(pivATR) + "\n\tTest PIV card (eID)\n\n"
	if err := os.WriteFile(p, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{p}
}

func run(t *testing.T, f *fakePCSC, inv *token.Inventory) *diagnose.Report {
	t.Helper()
	return diagnose.Run(context.Background(), diagnose.Options{
		Inventory: inv, ATRLists: atrList(t), NoVersions: true,
		PCSC: pcsc.Options{Connect: f.connect, CallTimeout: 100 * time.Millisecond},
	})
}

func codes(r *diagnose.Report) []diagnose.Code {
	var out []diagnose.Code
	for _, f := range r.Diagnosis {
		out = append(out, f.Code)
	}
	return out
}

func want(t *testing.T, r *diagnose.Report, cs ...diagnose.Code) {
	t.Helper()
	got := codes(r)
	if len(got) != len(cs) {
		t.Fatalf("findings %v, want %v\n%+v", got, cs, r.Diagnosis)
	}
	for i := range cs {
		if got[i] != cs[i] {
			t.Fatalf("findings %v, want %v", got, cs)
		}
	}
	for _, f := range r.Diagnosis {
		if f.Message == "" || f.Message == string(f.Code) {
			t.Errorf("%s has no text", f.Code)
		}
	}
}

// openSCInv is OpenSC loaded, with the given slots and tokens.
func openSCInv(slots []token.Slot, toks ...*token.Token) *token.Inventory {
	return &token.Inventory{Modules: []token.ModuleStatus{{Path: openSC, Source: token.SourceWellKnown, Slots: slots}}, Tokens: toks}
}

func present(state uint32) *fakePCSC {
	return &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StatePresent | state, ATR: pivATR}}}
}

func TestNotListedLayerByLayer(t *testing.T) {
	empty := openSCInv(nil)
	t.Run("service not running", func(t *testing.T) {
		r := run(t, &fakePCSC{err: pcsc.ErrNoService}, empty)
		want(t, r, diagnose.ServiceNotRunning)
		if r.Diagnosis[0].Command == "" || r.Service.State != pcsc.ServiceNotRunning {
			t.Errorf("%+v", r.Diagnosis[0])
		}
	})
	t.Run("no library", func(t *testing.T) {
		want(t, run(t, &fakePCSC{err: pcsc.ErrNoLibrary}, empty), diagnose.PCSCLibraryMissing)
	})
	t.Run("service hangs", func(t *testing.T) {
		want(t, run(t, &fakePCSC{hang: true}, empty), diagnose.ServiceNotResponding)
	})
	t.Run("no reader", func(t *testing.T) {
		want(t, run(t, &fakePCSC{}, empty), diagnose.NoReader)
	})
	t.Run("reader without card", func(t *testing.T) {
		r := run(t, &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StateEmpty}}}, empty)
		want(t, r, diagnose.NoCard)
	})
	t.Run("reader unavailable", func(t *testing.T) {
		want(t, run(t, &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StateUnavailable}}}, empty),
			diagnose.ReaderUnavailable, diagnose.NoCard)
	})
	t.Run("card mute", func(t *testing.T) {
		want(t, run(t, present(pcsc.StateMute), empty), diagnose.CardMute)
	})
	t.Run("card held by another program", func(t *testing.T) {
		r := run(t, present(pcsc.StateExclusive), empty)
		want(t, r, diagnose.CardInUse)
		if !r.Readers[0].Exclusive || !r.CardNotShown() {
			t.Errorf("%+v", r.Readers[0])
		}
	})
	t.Run("no module for the card", func(t *testing.T) {
		softhsm := &token.Inventory{Modules: []token.ModuleStatus{{Path: "/usr/lib/softhsm/libsofthsm2.so"}}}
		r := run(t, present(0), softhsm)
		want(t, r, diagnose.NoModuleForCard)
		f := r.Diagnosis[0]
		if f.Card != "Test PIV card (eID)" || f.Reader != reader || len(f.Suggest) == 0 || f.Suggest[0].Name != "OpenSC" || f.Suggest[0].Loaded {
			t.Errorf("%+v", f)
		}
		if rd := r.Readers[0]; rd.ATR != pcsc.FormatATR(pivATR) || rd.CardType != "PIV" || len(rd.CardNames) != 1 {
			t.Errorf("%+v", rd)
		}
	})
	t.Run("module shows an uninitialized token", func(t *testing.T) {
		r := run(t, present(0), openSCInv([]token.Slot{{ID: 3, Description: reader, TokenLabel: "blank"}}))
		want(t, r, diagnose.ModuleHidesCard)
		if f := r.Diagnosis[0]; f.Module != openSC || f.Detail != "token not initialized" || f.Token != "blank" {
			t.Errorf("%+v", f)
		}
	})
	t.Run("module fails on the token", func(t *testing.T) {
		bad := errors.New("CKR_DEVICE_ERROR")
		r := run(t, present(0), openSCInv([]token.Slot{{ID: 3, Description: reader, Err: bad}}))
		want(t, r, diagnose.ModuleHidesCard)
		if f := r.Diagnosis[0]; f.Detail != bad.Error() {
			t.Errorf("%+v", f)
		}
	})
	t.Run("module does not load", func(t *testing.T) {
		inv := &token.Inventory{Modules: []token.ModuleStatus{{Path: "/nope.so", Err: &token.Error{Kind: token.KindModule, Op: "load", Msg: "missing"}}}}
		want(t, run(t, &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StateEmpty}}}, inv), diagnose.NoCard, diagnose.ModuleFailed)
	})
	t.Run("no modules at all", func(t *testing.T) {
		want(t, run(t, &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StateEmpty}}}, &token.Inventory{}),
			diagnose.NoCard, diagnose.NoModules)
	})
	t.Run("listed", func(t *testing.T) {
		mod := &token.Module{Path: openSC}
		tok := &token.Token{Module: mod, SlotID: 3, SlotDescription: reader, Label: "PIV Card", Serial: "00112233"}
		r := run(t, present(pcsc.StateInUse), openSCInv([]token.Slot{{ID: 3, Description: reader, TokenLabel: "PIV Card", TokenInitialized: true, Listed: true}}, tok))
		want(t, r)
		if rt := r.Readers[0].Tokens; len(rt) != 1 || !rt[0].Listed || rt[0].Serial != "00112233" || r.Tokens[0].Reader != reader {
			t.Errorf("reader tokens %+v, token reader %q", rt, r.Tokens[0].Reader)
		}
	})
}

// TestRedaction: the redacted report names no one and no serial, and the
// same value gets the same placeholder; the full report shows them.
func TestRedaction(t *testing.T) {
	ca, err := pki.NewRoot("Redact Test Root CA", pki.ECDSAP256, pki.WithSubject(pkix.Name{CommonName: "Redact Test Root CA", Organization: []string{"Acme Trust Services"}}))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafSpec{Subject: pkix.Name{CommonName: "Mari-Liis Männik, 38001085718", Organization: []string{"Acme Trust Services"},
		OrganizationalUnit: []string{"Authentication"}, SerialNumber: "PNOEE-38001085718"}, EmailAddresses: []string{"mari-liis@example.org"}, KeyType: pki.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	mod := &token.Module{Path: openSC}
	tok := &token.Token{Module: mod, SlotID: 1, SlotDescription: reader, Label: "Mari-Liis Männik, 38001085718 (PIN1)", Serial: "EE1234567"}
	tok.Certificates = []*token.Certificate{{Token: tok, Label: "Authentication", Raw: leaf.Cert.Raw, X509: leaf.Cert,
		URI: "pkcs11:serial=EE1234567;id=%01"}}
	r := run(t, present(0), openSCInv([]token.Slot{{ID: 1, Description: reader, Listed: true, TokenInitialized: true}}, tok))

	var red, full bytes.Buffer
	if err := r.WriteJSON(&red, true); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&red, true); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&full, false); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Mari-Liis", "Männik", "38001085718", "mari-liis@example.org", "Acme Trust", "Authentication,", "EE1234567",
		leaf.Cert.SerialNumber.Text(16), strings.ToUpper(leaf.Cert.SerialNumber.Text(16)), "Redact Test Root CA"}
	for _, s := range secrets {
		if strings.Contains(red.String(), s) {
			t.Errorf("redacted report contains %q", s)
		}
	}
	// The full report shows them (SAN e-mail addresses are not in reports at all).
	for _, s := range []string{"Mari-Liis", "38001085718", "Acme Trust", "EE1234567", leaf.Cert.SerialNumber.Text(16), "Redact Test Root CA"} {
		if !strings.Contains(full.String(), s) {
			t.Errorf("full report lacks %q", s)
		}
	}
	out := red.String()
	for _, ph := range []string{"<name-1>", "<org-1>", "<serial-1>", "<unit-1>", "<fingerprint-1>", `"redacted": true`} {
		if !strings.Contains(out, ph) {
			t.Errorf("no %s in\n%s", ph, out)
		}
	}
	// The organisation is in subject and issuer: one placeholder.
	if strings.Contains(out, "<org-2>") {
		t.Error("one organisation got two placeholders")
	}
	if r.Redacted || strings.Contains(full.String(), "<name-1>") {
		t.Error("redaction changed the report itself")
	}
}

// Redaction reaches the values inside the messages (message_msg,
// advice_msgs, a module's error_msg), not only the English texts.
func TestRedactionReachesMessages(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, "mari-liis", "module.so")
	inv := &token.Inventory{Modules: []token.ModuleStatus{{Path: path, Err: &token.Error{Kind: token.KindModule, Op: "load", Msg: "missing"}}}}
	r := run(t, &fakePCSC{readers: []pcsc.RawState{{Reader: reader, State: pcsc.StateEmpty}}}, inv)
	var full, red bytes.Buffer
	if err := r.WriteJSON(&full, false); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&red, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.String(), `"message_msg"`) || !strings.Contains(full.String(), home) {
		t.Fatalf("the full report has no message with the module path:\n%s", full.String())
	}
	if strings.Contains(red.String(), home) {
		t.Errorf("the redacted report still names the home directory:\n%s", red.String())
	}
}
