package emulated_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/build/cardstack/cardstacktest"
	"github.com/cardcheck/cardcheck/token"
)

// stack returns the shared card stack with the card inserted, all PIN
// tries left and the card's counters cleared; it fails with a hint at
// build/deps.sh when a part is missing.
func stack(t *testing.T) *cardstack.Stack {
	t.Helper()
	if m := cardstack.Missing(cardstack.Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	st := cardstacktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.Restore(ctx); err != nil {
		t.Fatalf("restore the card: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("card log:\n%s\npcscd log (end):\n%s", cardLog(st), st.Log())
		}
	})
	return st
}

func cardLog(st *cardstack.Stack) string {
	var b strings.Builder
	for _, e := range st.Card.Log() {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// scan loads OpenSC with a fresh Manager (so nothing is remembered from
// another test) and returns the emulated card's token.
func scan(t *testing.T, st *cardstack.Stack) (*token.Manager, *token.Token) {
	t.Helper()
	m := token.NewManager(token.Options{})
	t.Cleanup(func() { m.Close() })
	inv := m.Scan([]token.Candidate{{Path: st.Module, Source: token.SourceExplicit}})
	if err := inv.Modules[0].Err; err != nil {
		t.Fatalf("scan OpenSC: %v", err)
	}
	if len(inv.Tokens) != 1 {
		t.Fatalf("OpenSC shows %d tokens, want the emulated card only", len(inv.Tokens))
	}
	return m, inv.Tokens[0]
}

func certByCN(t *testing.T, tok *token.Token, cn string) *token.Certificate {
	t.Helper()
	for _, c := range tok.Certificates {
		if c.X509 != nil && c.X509.Subject.CommonName == cn {
			return c
		}
	}
	t.Fatalf("no certificate %q on %q", cn, tok.Label)
	return nil
}

func open(t *testing.T, tok *token.Token) *token.Session {
	t.Helper()
	s, err := tok.Module.Open(tok.Ref())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func flags(t *testing.T, s *token.Session) token.Flags {
	t.Helper()
	f, err := s.Flags()
	if err != nil {
		t.Fatalf("flags: %v", err)
	}
	return f
}

func TestListsTheCardWithoutAPIN(t *testing.T) {
	st := stack(t)
	start := time.Now()
	_, tok := scan(t, st)
	took := time.Since(start)
	stats := st.Card.Stats()
	t.Logf("token %q serial %s model %q; listing took %v, %d APDUs %v",
		tok.Label, tok.Serial, tok.Model, took.Round(time.Millisecond), stats.APDUs, stats.ByName)

	if !tok.Flags.LoginRequired || !tok.Flags.UserPINInitialized || tok.Flags.PINState() != token.PINOK {
		t.Errorf("flags %+v", tok.Flags)
	}
	if !tok.Flags.RemovableDevice {
		t.Error("a card in a reader should be a removable device")
	}
	if !strings.Contains(tok.SlotDescription, cardstack.ReaderName) {
		t.Errorf("slot %q is not the emulated reader", tok.SlotDescription)
	}
	auth, sign := certByCN(t, tok, cardstack.AuthCN), certByCN(t, tok, cardstack.SignCN)
	if got := auth.KeyDescription(); got != "RSA-2048" {
		t.Errorf("9A key %s", got)
	}
	if got := sign.KeyDescription(); got != "ECDSA-P256" {
		t.Errorf("9C key %s", got)
	}
	for _, c := range []*token.Certificate{auth, sign} {
		if !strings.Contains(c.URI, "pkcs11:") || c.ParseError != nil {
			t.Errorf("%s: uri %q, parse error %v", c.Label, c.URI, c.ParseError)
		}
	}
	if stats.PINAttempts() != 0 || stats.Signatures != 0 {
		t.Errorf("listing sent %d PINs and made %d signatures", stats.PINAttempts(), stats.Signatures)
	}
}

// TestWrongPINCostsOneTry: a wrong PIN costs exactly one VERIFY, the same
// PIN is not sent again, OpenSC then reports the PIN state, and the final
// try needs the user's explicit consent.
func TestWrongPINCostsOneTry(t *testing.T) {
	st := stack(t)
	_, tok := scan(t, st)
	s := open(t, tok)

	err := s.Login(token.LoginOptions{PIN: "000000"})
	if !errors.Is(err, token.KindPINIncorrect) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if strings.Contains(err.Error(), "000000") {
		t.Fatal("the error shows the PIN")
	}
	if got := st.Card.Stats(); got.VerifyWrong != 1 || got.PINAttempts() != 1 {
		t.Fatalf("the card saw %d PINs (%d wrong), want exactly one", got.PINAttempts(), got.VerifyWrong)
	}
	if st.Card.Tries() != 2 {
		t.Fatalf("tries left %d, want 2", st.Card.Tries())
	}
	// The same wrong PIN again: refused in cardcheck, never sent.
	if err := s.Login(token.LoginOptions{PIN: "000000"}); !errors.Is(err, token.KindPINIncorrect) {
		t.Fatalf("same PIN again: %v", err)
	}
	if got := st.Card.Stats().PINAttempts(); got != 1 {
		t.Fatalf("a rejected PIN was sent again (%d PINs on the card)", got)
	}
	// OpenSC's PIV driver leaves max_tries unknown, so "count low" never
	// shows through it: two of three tries left looks like a fresh card.
	if f := flags(t, s); f.PINState() != token.PINOK {
		t.Errorf("two tries left: state %v (OpenSC shows no count-low for PIV)", f.PINState())
	}

	err = s.Login(token.LoginOptions{PIN: "111111"})
	if !errors.Is(err, token.KindPINIncorrect) {
		t.Fatalf("second wrong PIN: %v", err)
	}
	var te *token.Error
	if !errors.As(err, &te) || te.Flags == nil || te.Flags.PINState() != token.PINFinalTry {
		t.Fatalf("the error after the second wrong PIN does not say final try: %#v", err)
	}
	if f := flags(t, s); f.PINState() != token.PINFinalTry {
		t.Fatalf("one try left: state %v, want final try", f.PINState())
	}
	before := st.Card.Stats().PINAttempts()
	if err := s.Login(token.LoginOptions{PIN: cardstack.PIN}); !errors.Is(err, token.KindPINFinalTry) {
		t.Fatalf("final try without consent: %v", err)
	}
	if got := st.Card.Stats().PINAttempts(); got != before {
		t.Fatal("a PIN was sent on the final try without consent")
	}
	if err := s.Login(token.LoginOptions{PIN: cardstack.PIN, ConfirmFinalTry: true}); err != nil {
		t.Fatalf("final try with consent and the right PIN: %v", err)
	}
	if st.Card.Tries() != 3 {
		t.Fatalf("tries after a good PIN: %d", st.Card.Tries())
	}
	if got := st.Card.Stats(); got.VerifyWrong != 2 || got.VerifyOK != 1 {
		t.Fatalf("card counters %+v", got)
	}
}

func TestLockedCardGetsNoLogin(t *testing.T) {
	st := stack(t)
	st.Card.SetTries(0)
	_, tok := scan(t, st)
	if tok.Flags.PINState() != token.PINLocked {
		t.Fatalf("blocked card listed with state %v", tok.Flags.PINState())
	}
	s := open(t, tok)
	if err := s.Login(token.LoginOptions{PIN: cardstack.PIN, ConfirmFinalTry: true}); !errors.Is(err, token.KindPINLocked) {
		t.Fatalf("login on a locked card: %v", err)
	}
	if got := st.Card.Stats().PINAttempts(); got != 0 {
		t.Fatalf("a locked card was sent %d PINs", got)
	}
}

// TestSignsWithBothKeys signs through OpenSC with the RSA key in 9A and the
// "PIN Always" EC key in 9C, and verifies the signatures in software.
func TestSignsWithBothKeys(t *testing.T) {
	st := stack(t)
	_, tok := scan(t, st)
	s := open(t, tok)
	if err := s.Login(token.LoginOptions{PIN: cardstack.PIN}); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("cardcheck through pcscd"))
	for _, cn := range []string{cardstack.AuthCN, cardstack.SignCN} {
		signer, err := s.Signer(certByCN(t, tok, cn))
		if err != nil {
			t.Fatalf("%s: %v", cn, err)
		}
		for range 2 {
			sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("%s: sign: %v", cn, err)
			}
			switch pub := signer.Public().(type) {
			case *rsa.PublicKey:
				err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, digest[:], sig) {
					err = errors.New("bad ECDSA signature")
				}
			}
			if err != nil {
				t.Fatalf("%s: %v", cn, err)
			}
		}
	}
	got := st.Card.Stats()
	t.Logf("4 signatures: %d APDUs %v, %d PINs", got.APDUs, got.ByName, got.PINAttempts())
	// One C_Login, plus one context-specific login per 9C signature
	// (OpenSC marks 9C CKA_ALWAYS_AUTHENTICATE, as the card requires).
	if got.Signatures != 4 || got.VerifyOK != 3 || got.VerifyWrong != 0 {
		t.Fatalf("card counters %+v", got)
	}
}

// TestRemovalAndReinsertion pulls the card out during a session: the
// watcher reports the removal, the session fails with token-removed; the
// card comes back: the watcher reports it and the next login works.
func TestRemovalAndReinsertion(t *testing.T) {
	st := stack(t)
	m, tok := scan(t, st)
	s := open(t, tok)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	events := token.Watch(ctx, m.Modules, 50*time.Millisecond)

	if err := st.Reader.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, ctx, st, events)
	if ev.Kind != token.Removed || ev.Token.Serial != tok.Serial {
		t.Fatalf("event %+v, want the card's removal", ev)
	}
	err := s.Login(token.LoginOptions{PIN: cardstack.PIN})
	if !errors.Is(err, token.KindTokenRemoved) {
		t.Fatalf("login on a removed card: %v", err)
	}
	t.Logf("login on the removed card: %v", err)
	if got := st.Card.Stats().PINAttempts(); got != 0 {
		t.Fatalf("a PIN reached the card while it was out (%d)", got)
	}

	if err := st.Reader.Insert(ctx); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, ctx, st, events)
	if ev.Kind != token.Inserted || ev.Token.Serial != tok.Serial {
		t.Fatalf("event %+v, want the card's insertion", ev)
	}
	s2, err := tok.Module.Open(ev.Token)
	if err != nil {
		t.Fatalf("open after re-insertion: %v", err)
	}
	defer s2.Close()
	if err := s2.Login(token.LoginOptions{PIN: cardstack.PIN}); err != nil {
		t.Fatalf("login after re-insertion: %v", err)
	}
	if got := st.Card.Stats(); got.VerifyOK != 1 || got.PINAttempts() != 1 {
		t.Fatalf("card counters %+v", got)
	}
}

func nextEvent(t *testing.T, ctx context.Context, st *cardstack.Stack, ch <-chan token.Event) token.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watcher stopped")
		}
		return ev
	case <-ctx.Done():
		t.Fatalf("no hot-plug event before the deadline\ncard log:\n%s\npcscd log (end):\n%s", cardLog(st), st.Log())
	}
	return token.Event{}
}

// roots loads a CA file as the GUI does before each test.
func roots(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pool, err := probe.LoadRoots(file)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}
