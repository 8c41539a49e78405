package token_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

const trustModule = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-trust.so"

// scan loads the rig's SoftHSM module through a fault-injecting loader and
// returns the main token.
func scan(t *testing.T, f *tokentest.Faults) (*token.Manager, *token.Token) {
	t.Helper()
	rig := testrig.Shared(t)
	if f == nil {
		f = &tokentest.Faults{}
	}
	m := token.NewManager(token.Options{Loader: f.Loader()})
	t.Cleanup(func() { m.Close() })
	inv := m.Scan([]token.Candidate{{Path: rig.Module, Source: token.SourceExplicit}})
	if err := inv.Modules[0].Err; err != nil {
		t.Fatalf("scan: %v", err)
	}
	return m, findToken(t, inv, testrig.MainToken)
}

func findToken(t *testing.T, inv *token.Inventory, label string) *token.Token {
	t.Helper()
	for _, tok := range inv.Tokens {
		if tok.Label == label {
			return tok
		}
	}
	t.Fatalf("token %q not listed", label)
	return nil
}

func certByLabel(t *testing.T, tok *token.Token, label string) *token.Certificate {
	t.Helper()
	for _, c := range tok.Certificates {
		if c.Label == label {
			return c
		}
	}
	t.Fatalf("certificate %q not on token %q", label, tok.Label)
	return nil
}

func login(t *testing.T, tok *token.Token) *token.Session {
	t.Helper()
	s, err := tok.Module.Open(tok.Ref())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Login(token.LoginOptions{PIN: testrig.PIN}); err != nil {
		t.Fatalf("login: %v", err)
	}
	return s
}

func TestListsEveryRigCertificateWithoutLogin(t *testing.T) {
	rig := testrig.Shared(t)
	_, tok := scan(t, nil)
	if tok.PrivateObjectsVisible {
		t.Fatal("SoftHSM hides private keys before login, but the snapshot claims they are visible")
	}
	for name, e := range rig.Entries {
		if e.Cert == nil {
			continue
		}
		c := certByLabel(t, tok, e.Label)
		if !bytes.Equal(c.ID, e.ID) {
			t.Errorf("%s: id %x, want %x", name, c.ID, e.ID)
		}
		if c.X509 == nil || !c.X509.Equal(e.Cert) {
			t.Errorf("%s: certificate does not match the rig's", name)
		}
		if c.HasPrivateKey != nil {
			t.Errorf("%s: has_private_key = %v before login, want unknown", name, *c.HasPrivateKey)
		}
		if f, err := token.ParseURI(c.URI); err != nil || !f.Match(c) {
			t.Errorf("%s: URI %q does not select its own certificate (%v)", name, c.URI, err)
		}
	}
	if got := certByLabel(t, tok, rig.Entries["unicode"].Label).X509.Subject.CommonName; got != "张三" {
		t.Errorf("non-ASCII subject read as %q", got)
	}
}

func TestProblemsAndKeyDescriptions(t *testing.T) {
	rig := testrig.Shared(t)
	_, tok := scan(t, nil)
	cases := []struct {
		entry   string
		key     string
		problem token.Problem // "" = usable
	}{
		{"rsa", "RSA-2048", ""},
		{"ec256", "ECDSA-P256", ""},
		{"ec384", "ECDSA-P384", ""},
		{"expired", "", token.ProblemExpired},
		{"notyet", "", token.ProblemNotYetValid},
		{"noclientauth", "", token.ProblemNoClientAuth},
	}
	for _, tc := range cases {
		c := certByLabel(t, tok, rig.Entries[tc.entry].Label)
		if tc.key != "" && c.KeyDescription() != tc.key {
			t.Errorf("%s: key %q, want %q", tc.entry, c.KeyDescription(), tc.key)
		}
		if tc.problem == "" && !c.Usable() {
			t.Errorf("%s: problems %v, want none", tc.entry, c.Problems)
		}
		if tc.problem != "" && !hasProblem(c, tc.problem) {
			t.Errorf("%s: problems %v, want %s", tc.entry, c.Problems, tc.problem)
		}
	}
	g := certByLabel(t, tok, rig.Entries["garbage"].Label)
	if g.ParseError == nil || !hasProblem(g, token.ProblemParseError) {
		t.Errorf("garbage certificate: parse error %v, problems %v", g.ParseError, g.Problems)
	}
}

func hasProblem(c *token.Certificate, p token.Problem) bool {
	for _, q := range c.Problems {
		if q == p {
			return true
		}
	}
	return false
}

func TestLoginMakesPrivateKeysDefinite(t *testing.T) {
	rig := testrig.Shared(t)
	_, tok := scan(t, nil)
	s := login(t, tok)
	after, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !after.PrivateObjectsVisible {
		t.Fatal("after login the snapshot should see private objects")
	}
	for name, e := range rig.Entries {
		if e.Cert == nil {
			continue
		}
		c := certByLabel(t, after, e.Label)
		if c.HasPrivateKey == nil {
			t.Errorf("%s: has_private_key still unknown after login", name)
			continue
		}
		if want := e.Key != nil; *c.HasPrivateKey != want {
			t.Errorf("%s: has_private_key = %v, want %v", name, *c.HasPrivateKey, want)
		}
	}
	if !hasProblem(certByLabel(t, after, rig.Entries["certonly"].Label), token.ProblemNoPrivateKey) {
		t.Error("certificate without key is not flagged no-private-key")
	}
	var orphan bool
	for _, k := range after.Keys {
		orphan = orphan || bytes.Equal(k.ID, rig.Entries["keyonly"].ID)
	}
	if !orphan {
		t.Error("the key without a certificate is not listed among the keys")
	}
}

func TestBigTokenListsAllCertificates(t *testing.T) {
	rig := testrig.Shared(t)
	m := token.NewManager(token.Options{})
	defer m.Close()
	inv := m.Scan([]token.Candidate{{Path: rig.Module}})
	if n := len(findToken(t, inv, testrig.BigToken).Certificates); n != 200 {
		t.Fatalf("big token lists %d certificates, want 200", n)
	}
}

func TestSystemTrustModule(t *testing.T) {
	m := token.NewManager(token.Options{})
	defer m.Close()
	inv := m.Scan([]token.Candidate{{Path: trustModule}})
	if err := inv.Modules[0].Err; err != nil {
		t.Fatalf("p11-kit-trust: %v", err)
	}
	var n int
	for _, tok := range inv.Tokens {
		if !tok.PrivateObjectsVisible {
			t.Errorf("%s needs no login, so absence of keys is definite", tok.Label)
		}
		for _, c := range tok.Certificates {
			n++
			if c.HasPrivateKey == nil || *c.HasPrivateKey {
				t.Errorf("%s: a trust store certificate must have has_private_key=false", c.Label)
			}
			if c.X509 != nil && c.X509.IsCA && !hasProblem(c, token.ProblemCACertificate) {
				t.Errorf("%s: CA certificate not flagged", c.Label)
			}
		}
	}
	if n < 100 {
		t.Fatalf("p11-kit-trust listed %d certificates, want the system store (~140)", n)
	}
}

func signer(t *testing.T, f *tokentest.Faults, entry string) (*token.Signer, *token.Session) {
	t.Helper()
	rig := testrig.Shared(t)
	_, tok := scan(t, f)
	s := login(t, tok)
	sg, err := s.Signer(certByLabel(t, tok, rig.Entries[entry].Label))
	if err != nil {
		t.Fatalf("signer for %s: %v", entry, err)
	}
	return sg, s
}

func digest(h crypto.Hash, msg string) []byte {
	hh := h.New()
	hh.Write([]byte(msg))
	return hh.Sum(nil)
}

func TestSignaturesVerifyWithGoCrypto(t *testing.T) {
	_ = sha256.New
	_ = sha512.New
	rsaSigner, _ := signer(t, nil, "rsa")
	pub := rsaSigner.Public().(*rsa.PublicKey)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		d := digest(h, "cardcheck")
		sig, err := rsaSigner.Sign(rand.Reader, d, h)
		if err != nil {
			t.Fatalf("PKCS#1 v1.5 %v: %v", h, err)
		}
		if err := rsa.VerifyPKCS1v15(pub, h, d, sig); err != nil {
			t.Errorf("PKCS#1 v1.5 %v does not verify: %v", h, err)
		}
		pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		sig, err = rsaSigner.Sign(rand.Reader, d, pss)
		if err != nil {
			t.Fatalf("PSS %v: %v", h, err)
		}
		if err := rsa.VerifyPSS(pub, h, d, sig, pss); err != nil {
			t.Errorf("PSS %v does not verify: %v", h, err)
		}
	}
	for entry, h := range map[string]crypto.Hash{"ec256": crypto.SHA256, "ec384": crypto.SHA384} {
		sg, _ := signer(t, nil, entry)
		d := digest(h, "cardcheck")
		sig, err := sg.Sign(rand.Reader, d, h)
		if err != nil {
			t.Fatalf("%s: %v", entry, err)
		}
		if !ecdsa.VerifyASN1(sg.Public().(*ecdsa.PublicKey), d, sig) {
			t.Errorf("%s: ECDSA signature does not verify", entry)
		}
	}
}

func TestSignatureSchemesFollowMechanisms(t *testing.T) {
	sg, _ := signer(t, nil, "rsa")
	if !sg.TLS13Capable() || !hasScheme(sg.SignatureSchemes(), tls.PSSWithSHA256) {
		t.Errorf("SoftHSM RSA key with CKM_RSA_PKCS_PSS: schemes %v", sg.SignatureSchemes())
	}
	noPSS := &tokentest.Faults{HideMechanisms: []uint{pkcs11.CKM_RSA_PKCS_PSS}}
	sg, _ = signer(t, noPSS, "rsa")
	if sg.TLS13Capable() || hasScheme(sg.SignatureSchemes(), tls.PSSWithSHA256) || !hasScheme(sg.SignatureSchemes(), tls.PKCS1WithSHA256) {
		t.Errorf("token without CKM_RSA_PKCS_PSS: schemes %v, TLS 1.3 capable %v", sg.SignatureSchemes(), sg.TLS13Capable())
	}
	ec, _ := signer(t, nil, "ec384")
	if got := ec.SignatureSchemes(); len(got) != 1 || got[0] != tls.ECDSAWithP384AndSHA384 {
		t.Errorf("P-384 key schemes %v", got)
	}
}

func hasScheme(list []tls.SignatureScheme, s tls.SignatureScheme) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestAlwaysAuthenticateKeyLogsInPerSignature(t *testing.T) {
	f := &tokentest.Faults{}
	sg, _ := signer(t, f, "alwaysauth")
	for i := 1; i <= 2; i++ {
		d := digest(crypto.SHA256, "x")
		sig, err := sg.Sign(rand.Reader, d, crypto.SHA256)
		if err != nil {
			t.Fatalf("sign %d: %v", i, err)
		}
		if !ecdsa.VerifyASN1(sg.Public().(*ecdsa.PublicKey), d, sig) {
			t.Fatalf("sign %d does not verify", i)
		}
		if f.ContextLogins() != i {
			t.Fatalf("after %d signatures, %d context-specific logins", i, f.ContextLogins())
		}
	}
}

// --- PIN safety through the seam -------------------------------------------

func TestWrongPINIsSentExactlyOnce(t *testing.T) {
	f := &tokentest.Faults{}
	_, tok := scan(t, f)
	s, err := tok.Module.Open(tok.Ref())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const wrong = "wrong-pin-7391"
	err = s.Login(token.LoginOptions{PIN: wrong})
	if !errors.Is(err, token.KindPINIncorrect) {
		t.Fatalf("wrong PIN: %v, want pin-incorrect", err)
	}
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)) {
		t.Errorf("the CKR code is not carried: %v", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatal("the error message contains the PIN")
	}
	err = s.Login(token.LoginOptions{PIN: wrong})
	if !errors.Is(err, token.KindPINIncorrect) || f.Logins() != 1 {
		t.Fatalf("second try of the same wrong PIN: %v after %d C_Login calls, want refusal without a call", err, f.Logins())
	}
	if err := s.Login(token.LoginOptions{PIN: testrig.PIN}); err != nil || f.Logins() != 2 {
		t.Fatalf("right PIN after a wrong one: %v (%d calls)", err, f.Logins())
	}
}

func TestLockedTokenGetsNoLogin(t *testing.T) {
	f := &tokentest.Faults{ExtraFlags: pkcs11.CKF_USER_PIN_LOCKED}
	_, tok := scan(t, f)
	if tok.Flags.PINState() != token.PINLocked {
		t.Fatalf("flags %+v, want locked", tok.Flags)
	}
	s, _ := tok.Module.Open(tok.Ref())
	defer s.Close()
	err := s.Login(token.LoginOptions{PIN: testrig.PIN, ConfirmFinalTry: true})
	if !errors.Is(err, token.KindPINLocked) || f.Logins() != 0 {
		t.Fatalf("locked token: %v after %d C_Login calls", err, f.Logins())
	}
}

func TestFinalTryNeedsExplicitConsent(t *testing.T) {
	f := &tokentest.Faults{ExtraFlags: pkcs11.CKF_USER_PIN_FINAL_TRY}
	_, tok := scan(t, f)
	s, _ := tok.Module.Open(tok.Ref())
	defer s.Close()
	err := s.Login(token.LoginOptions{PIN: testrig.PIN})
	if !errors.Is(err, token.KindPINFinalTry) || f.Logins() != 0 {
		t.Fatalf("final try without consent: %v after %d C_Login calls", err, f.Logins())
	}
	if err := s.Login(token.LoginOptions{PIN: testrig.PIN, ConfirmFinalTry: true}); err != nil || f.Logins() != 1 {
		t.Fatalf("final try with consent: %v after %d calls", err, f.Logins())
	}
}

func TestEmptyPINIsNotSent(t *testing.T) {
	f := &tokentest.Faults{}
	_, tok := scan(t, f)
	s, _ := tok.Module.Open(tok.Ref())
	defer s.Close()
	if err := s.Login(token.LoginOptions{}); !errors.Is(err, token.KindPINRequired) || f.Logins() != 0 {
		t.Fatalf("empty PIN: %v after %d calls", err, f.Logins())
	}
}

func TestWrongPINReportsLowCount(t *testing.T) {
	f := &tokentest.Faults{LoginErr: pkcs11.Error(pkcs11.CKR_PIN_INCORRECT), ExtraFlags: pkcs11.CKF_USER_PIN_FINAL_TRY}
	_, tok := scan(t, f)
	s, _ := tok.Module.Open(tok.Ref())
	defer s.Close()
	err := s.Login(token.LoginOptions{PIN: "0000", ConfirmFinalTry: true})
	var e *token.Error
	if !errors.As(err, &e) || e.Flags == nil || e.Flags.PINState() != token.PINFinalTry {
		t.Fatalf("wrong PIN on final try: %v, want the fresh PIN state attached", err)
	}
}

func TestCardRemovedMidSignatureRecovers(t *testing.T) {
	f := &tokentest.Faults{}
	sg, s := signer(t, f, "ec256")
	f.RemoveOnSign = true
	_, err := sg.Sign(rand.Reader, digest(crypto.SHA256, "x"), crypto.SHA256)
	if !errors.Is(err, token.KindTokenRemoved) {
		t.Fatalf("sign while removed: %v, want token-removed", err)
	}
	if _, err := sg.Sign(rand.Reader, digest(crypto.SHA256, "x"), crypto.SHA256); !errors.Is(err, token.KindTokenRemoved) || f.Signs() != 1 {
		t.Fatalf("a dead session must not reach the module again: %v, %d C_Sign calls", err, f.Signs())
	}
	mod := sg.Certificate().Token.Module
	if _, err := mod.Open(s.Ref()); !errors.Is(err, token.KindTokenNotFound) {
		t.Fatalf("open while the card is out: %v, want token-not-found", err)
	}
	f.Reinsert()
	s2, err := mod.Open(s.Ref())
	if err != nil {
		t.Fatalf("open after re-insertion: %v", err)
	}
	defer s2.Close()
	if err := s2.Login(token.LoginOptions{PIN: testrig.PIN}); err != nil {
		t.Fatal(err)
	}
	sg2, err := s2.Signer(sg.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	d := digest(crypto.SHA256, "y")
	sig, err := sg2.Sign(rand.Reader, d, crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(sg2.Public().(*ecdsa.PublicKey), d, sig) {
		t.Fatalf("sign after recovery: %v", err)
	}
}

func TestGarbageCertificateBytesAreListed(t *testing.T) {
	rig := testrig.Shared(t)
	f := &tokentest.Faults{GarbageLabel: rig.Entries["rsa"].Label}
	_, tok := scan(t, f)
	c := certByLabel(t, tok, rig.Entries["rsa"].Label)
	if c.ParseError == nil || c.X509 != nil || c.Usable() {
		t.Fatalf("garbage bytes: parse error %v, usable %v", c.ParseError, c.Usable())
	}
	if len(tok.Certificates) < len(rig.Entries)-2 {
		t.Errorf("other certificates went missing: %d listed", len(tok.Certificates))
	}
}

func TestModuleThatFailsToInitializeDoesNotHideOthers(t *testing.T) {
	rig := testrig.Shared(t)
	bad := &tokentest.Faults{InitializeErr: pkcs11.Error(pkcs11.CKR_GENERAL_ERROR)}
	loader := func(path string) (token.Backend, error) {
		if path == rig.Module {
			return bad.Loader()(path)
		}
		return token.LoadLibrary(path)
	}
	m := token.NewManager(token.Options{Loader: loader})
	defer m.Close()
	inv := m.Scan([]token.Candidate{{Path: rig.Module}, {Path: trustModule}, {Path: "/nonexistent/module.so"}})
	if token.KindOf(inv.Modules[0].Err) != token.KindModule || !strings.Contains(inv.Modules[0].Err.Error(), "CKR_GENERAL_ERROR") {
		t.Errorf("failing module: %v", inv.Modules[0].Err)
	}
	if inv.Modules[1].Err != nil || len(inv.Tokens) == 0 {
		t.Errorf("the good module is not listed: %v, %d tokens", inv.Modules[1].Err, len(inv.Tokens))
	}
	if inv.Modules[2].Err == nil || !strings.Contains(inv.Modules[2].Err.Error(), "does not exist") {
		t.Errorf("missing module: %v", inv.Modules[2].Err)
	}
}

// TestURIsRefusePINs: a URI carrying a PIN is refused in any spelling of
// the scheme and attribute, and nothing typed where a URI belongs is
// repeated in the error — it may be the PIN itself.
func TestURIsRefusePINs(t *testing.T) {
	for _, u := range []string{"pkcs11:token=x?pin-value=1234", "pkcs11:token=x?pin-source=file:/tmp/p1234",
		"PKCS11:token=x?pin-value=1234", "Pkcs11:token=x;PIN-VALUE=1234", "pkcs11:token=%zz?pin-value=1234",
		"1234", "https://example.com/1234", "pkcs1234"} {
		if _, err := token.ParseURI(u); err == nil || strings.Contains(err.Error(), "1234") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if f, err := token.ParseURI("PKCS11:token=A"); err != nil || !f.MatchToken(&token.Token{Module: &token.Module{}, Label: "A"}) {
		t.Errorf("an upper-case scheme is refused or selects nothing: %v", err)
	}
}

func BenchmarkListBigToken(b *testing.B) {
	rig := testrig.Shared(b)
	m := token.NewManager(token.Options{})
	defer m.Close()
	mod, err := m.Load(rig.Module)
	if err != nil {
		b.Fatal(err)
	}
	toks, _ := mod.Tokens()
	var ref token.Ref
	for _, t := range toks {
		if t.Label == testrig.BigToken {
			ref = t.Ref()
		}
	}
	b.ResetTimer()
	for b.Loop() {
		tok, err := mod.Token(ref)
		if err != nil || len(tok.Certificates) != 200 {
			b.Fatalf("%v, %d", err, len(tok.Certificates))
		}
	}
}
