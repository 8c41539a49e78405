package token_test

import (
	"crypto"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// A PIN the token cannot accept by its length (SoftHSM: 4 to 255 bytes)
// never reaches C_Login, and the error does not quote it.
func TestPINLengthIsCheckedBeforeLogin(t *testing.T) {
	for name, pin := range map[string]string{
		"one byte over the token's maximum": strings.Repeat("7", 256),
		"10 MB":                             strings.Repeat("8", 10<<20),
		"under the token's minimum":         "123",
	} {
		t.Run(name, func(t *testing.T) {
			f := &tokentest.Faults{}
			_, tok := scan(t, f)
			s, err := tok.Module.Open(tok.Ref())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Login(token.LoginOptions{PIN: pin})
			if !errors.Is(err, token.KindPINIncorrect) || f.Logins() != 0 || strings.Contains(err.Error(), pin) ||
				!strings.Contains(err.Error(), "did not send it") {
				t.Fatalf("login: %v after %d C_Login", err, f.Logins())
			}
		})
	}
}

// No PIN is sent for a certificate known to be unusable for the test.
func TestNoLoginForAnUnusableCertificate(t *testing.T) {
	rig := testrig.Shared(t)
	for _, tc := range []struct {
		entry      string
		clientAuth bool
		refused    bool
	}{
		{testrig.Garbage, false, true},
		{testrig.NoClientAuth, true, true},
		{testrig.NoClientAuth, false, false}, // the caller wants the server's answer to it
		{testrig.Expired, true, false},       // the same: expiry is the server's to judge
	} {
		f := &tokentest.Faults{}
		_, tok := scan(t, f)
		c := certByLabel(t, tok, rig.Entries[tc.entry].Label)
		if err := c.CheckUsable(tc.clientAuth); (err != nil) != tc.refused || err != nil && !errors.Is(err, token.KindCertificate) {
			t.Errorf("%s (client auth %v): CheckUsable %v", tc.entry, tc.clientAuth, err)
		}
		s, err := tok.Module.Open(tok.Ref())
		if err != nil {
			t.Fatal(err)
		}
		err = s.Login(token.LoginOptions{PIN: testrig.PIN, Certificate: c, RequireClientAuth: tc.clientAuth})
		s.Close()
		if want := map[bool]int{true: 0, false: 1}[tc.refused]; f.Logins() != want || (err != nil) != tc.refused {
			t.Errorf("%s (client auth %v): login %v after %d C_Login, want %d", tc.entry, tc.clientAuth, err, f.Logins(), want)
		}
	}
}

// A card pulled out during the signature is token-removed even when the
// module answers with a device error (as OpenSC does), and the signer
// keeps the error for callers behind crypto/tls.
func TestCardPulledDuringSignatureIsTokenRemoved(t *testing.T) {
	f := &tokentest.Faults{}
	sg, _ := signer(t, f, testrig.EC256)
	f.RemoveOnSign, f.RemoveErr = true, pkcs11.Error(pkcs11.CKR_DEVICE_ERROR)
	_, err := sg.Sign(rand.Reader, digest(crypto.SHA256, "x"), crypto.SHA256)
	if !errors.Is(err, token.KindTokenRemoved) || !errors.Is(sg.LastError(), token.KindTokenRemoved) {
		t.Fatalf("sign: %v (last error %v), want token-removed", err, sg.LastError())
	}
	f.Reinsert()
}
