package certcheck

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

func sign(t *testing.T, key crypto.Signer, opts crypto.SignerOpts) SignatureRecord {
	t.Helper()
	sum := sha256.Sum256([]byte("handshake transcript"))
	digest := sum[:]
	if opts.HashFunc() == 0 {
		digest = []byte("raw message")
	}
	sig, err := key.Sign(rand.Reader, digest, opts)
	if err != nil {
		t.Fatal(err)
	}
	return SignatureRecord{Digest: digest, Opts: opts, Signature: sig}
}

func ed25519Leaf(t *testing.T, ca *pki.CA) (*x509.Certificate, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Ed"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, priv
}

func TestKeyPossession(t *testing.T) {
	p := newPKI(t)
	ec := issue(t, p.inter, pki.LeafSpec{})
	rsaLeaf := issue(t, p.inter, pki.LeafSpec{KeyType: pki.RSA2048})
	stranger := issue(t, p.inter, pki.LeafSpec{})
	edCert, edKey := ed25519Leaf(t, p.inter)
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	tampered := sign(t, ec.Key, crypto.SHA256)
	tampered.Digest = []byte("another digest, another handshake")

	tests := []struct {
		name    string
		leaf    *x509.Certificate
		records []SignatureRecord
		status  Status
		detail  string
	}{
		{"ecdsa", ec.Cert, []SignatureRecord{sign(t, ec.Key, crypto.SHA256)}, Pass, "matches the certificate"},
		{"rsa-pkcs1", rsaLeaf.Cert, []SignatureRecord{sign(t, rsaLeaf.Key, crypto.SHA256)}, Pass, "matches"},
		{"rsa-pss", rsaLeaf.Cert, []SignatureRecord{sign(t, rsaLeaf.Key, pss)}, Pass, "matches"},
		{"ed25519", edCert, []SignatureRecord{sign(t, edKey, crypto.Hash(0))}, Pass, "matches"},
		{"two-records", ec.Cert, []SignatureRecord{sign(t, ec.Key, crypto.SHA256), sign(t, ec.Key, crypto.SHA384)}, Pass, "matches"},
		{"wrong-key", ec.Cert, []SignatureRecord{sign(t, stranger.Key, crypto.SHA256)}, Fail, "does not belong to this certificate"},
		{"one-of-two-wrong", ec.Cert, []SignatureRecord{sign(t, ec.Key, crypto.SHA256), sign(t, stranger.Key, crypto.SHA256)}, Fail, "does not belong"},
		{"rsa-wrong-padding", rsaLeaf.Cert, []SignatureRecord{{Digest: sign(t, rsaLeaf.Key, pss).Digest, Opts: crypto.SHA256, Signature: sign(t, rsaLeaf.Key, pss).Signature}}, Fail, "does not belong"},
		{"other-digest", ec.Cert, []SignatureRecord{tampered}, Fail, "does not belong"},
		{"empty-signature", ec.Cert, []SignatureRecord{{Digest: []byte{1}, Opts: crypto.SHA256}}, Fail, "does not belong"},
		{"no-records", ec.Cert, nil, Skipped, "no signature"},
		{"no-leaf", nil, nil, Skipped, "no certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, KeyPossession(tt.leaf, tt.records, nil), NameKeyPossession, tt.status, tt.detail)
		})
	}
}

func TestKeyPossessionChallenge(t *testing.T) {
	p := newPKI(t)
	leaf := issue(t, p.inter, pki.LeafSpec{KeyType: pki.RSA2048})
	stranger := issue(t, p.inter, pki.LeafSpec{})
	calls := 0
	challenge := func(key crypto.Signer) func() (SignatureRecord, error) {
		return func() (SignatureRecord, error) {
			calls++
			return SignChallenge(key)
		}
	}
	expect(t, KeyPossession(leaf.Cert, nil, challenge(leaf.Key)), NameKeyPossession, Pass, "test challenge")
	expect(t, KeyPossession(stranger.Cert, nil, challenge(leaf.Key)), NameKeyPossession, Fail, "does not belong")
	if calls != 2 {
		t.Errorf("challenge called %d times for two checks", calls)
	}
	// Signatures from the handshake make the challenge unnecessary: one
	// test costs at most one signature on the card.
	expect(t, KeyPossession(leaf.Cert, []SignatureRecord{sign(t, leaf.Key, crypto.SHA256)}, challenge(leaf.Key)),
		NameKeyPossession, Pass, "signed with the key")
	if calls != 2 {
		t.Error("challenge called although the handshake made a signature")
	}
	failing := func() (SignatureRecord, error) { return SignatureRecord{}, errors.New("CKR_KEY_HANDLE_INVALID") }
	expect(t, KeyPossession(leaf.Cert, nil, failing), NameKeyPossession, Fail, "could not sign", "CKR_KEY_HANDLE_INVALID")
}

func TestSignChallenge(t *testing.T) {
	p := newPKI(t)
	ec := issue(t, p.inter, pki.LeafSpec{})
	rec, err := SignChallenge(ec.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Digest) != 32 || rec.Opts.HashFunc() != crypto.SHA256 || verifySignature(ec.Cert.PublicKey, rec) != nil {
		t.Errorf("challenge record %+v does not verify", rec)
	}
	again, _ := SignChallenge(ec.Key)
	if string(again.Digest) == string(rec.Digest) {
		t.Error("two challenges with the same digest")
	}
	edCert, edKey := ed25519Leaf(t, p.inter)
	rec, err = SignChallenge(edKey)
	if err != nil || verifySignature(edCert.PublicKey, rec) != nil {
		t.Errorf("Ed25519 challenge: %v", err)
	}
}

func TestKeyPossessionUnsupportedKey(t *testing.T) {
	leaf := &x509.Certificate{PublicKey: struct{}{}}
	expect(t, KeyPossession(leaf, []SignatureRecord{{Digest: []byte{1}, Signature: []byte{2}}}, nil),
		NameKeyPossession, Unknown, "cannot verify")
}
