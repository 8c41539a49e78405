package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/miekg/pkcs11"
)

// Signer is a crypto.Signer whose private key stays on the token. It is
// safe for concurrent use (calls are serialized by the module).
type Signer struct {
	s          *Session
	cert       *Certificate
	key        *KeyInfo
	pub        crypto.PublicKey
	mechs      map[uint]bool
	alwaysAuth bool

	mu      sync.Mutex
	count   int
	spent   time.Duration
	lastErr error
}

// Signer returns a signer for the certificate's private key. The session
// must be logged in (keys are private objects) and the token must be the
// certificate's. The key is looked up by CKA_ID; only when that finds
// nothing is the whole token read again to pair by public key.
func (s *Session) Signer(c *Certificate) (*Signer, error) {
	if c.X509 == nil {
		return nil, &Error{Kind: KindCertificate, Op: "find key", Text: mCertificateUnreadableKey.New()}
	}
	found, mechs, err := s.keyByID(c)
	if err != nil {
		return nil, err
	}
	if found == nil {
		if found, mechs, err = s.keyByRereading(c); err != nil {
			return nil, err
		}
	}
	if found == nil || found.Key == nil {
		return nil, &Error{Kind: KindCertificate, Op: "find key",
			Text: mCertificateNoPrivateKey.New()}
	}
	set := map[uint]bool{}
	for _, m := range mechs {
		set[m.Type] = true
	}
	return &Signer{s: s, cert: found, key: found.Key, pub: found.X509.PublicKey, mechs: set,
		alwaysAuth: found.Key.AlwaysAuthenticate}, nil
}

// keyByID finds the private key with the certificate's CKA_ID: the fast
// path, a single search. It returns a copy of c paired with the key.
func (s *Session) keyByID(c *Certificate) (*Certificate, []Mechanism, error) {
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	if s.dead {
		return nil, nil, &Error{Kind: KindTokenRemoved, Op: "find key", Text: mRemovedCard.New()}
	}
	mechs, err := s.mod.mechanisms(s.slot)
	if err != nil {
		return nil, nil, s.fail("list mechanisms", err)
	}
	if len(c.ID) == 0 {
		return nil, mechs, nil
	}
	keys, err := s.mod.readKeys(s.sh, pkcs11.NewAttribute(pkcs11.CKA_ID, c.ID))
	if err != nil || len(keys) != 1 {
		return nil, mechs, nil // none, several, or an odd module: take the slow path
	}
	cc := *c
	cc.Key, cc.HasPrivateKey = keys[0], ptr(true)
	cc.Problems = problemsOf(&cc, s.mod.now())
	return &cc, mechs, nil
}

// keyByRereading reads the token again and pairs by public key.
func (s *Session) keyByRereading(c *Certificate) (*Certificate, []Mechanism, error) {
	tok, err := s.Token()
	if err != nil {
		return nil, nil, err
	}
	fp := c.SHA256()
	for _, tc := range tok.Certificates {
		if tc.SHA256() == fp {
			return tc, tok.Mechanisms, nil
		}
	}
	return nil, tok.Mechanisms, nil
}

// Public returns the certificate's public key.
func (k *Signer) Public() crypto.PublicKey { return k.pub }

// Certificate is the certificate the key belongs to.
func (k *Signer) Certificate() *Certificate { return k.cert }

// Stats reports how many signatures the card made and the time they took.
func (k *Signer) Stats() (count int, spent time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.count, k.spent
}

// LastError is the error of the card's last signature, nil after a
// success. crypto/tls flattens a signer's error into a string in TLS 1.3;
// a caller reads the token error (and its kind) here after the handshake.
func (k *Signer) LastError() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastErr
}

// SignatureSchemes lists the TLS signature schemes this key can really
// produce on this token, derived from the token's mechanism list, so the
// probe never offers a scheme the card cannot sign (docs/design.md, Token layer).
func (k *Signer) SignatureSchemes() []tls.SignatureScheme {
	return schemesFor(k.pub, func(m uint) bool { return k.mechs[m] })
}

// SignatureSchemes lists the TLS signature schemes the certificate's key
// can produce on its token, from the mechanism list read without login:
// what the pre-flight compares with the server's CertificateRequest before
// the PIN is asked. Nil when the certificate does not parse.
func (c *Certificate) SignatureSchemes() []tls.SignatureScheme {
	if c.X509 == nil || c.Token == nil {
		return nil
	}
	return schemesFor(c.X509.PublicKey, c.Token.HasMechanism)
}

// schemesFor derives the schemes a key can sign from the mechanisms the
// token has.
func schemesFor(pub crypto.PublicKey, has func(uint) bool) []tls.SignatureScheme {
	var out []tls.SignatureScheme
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if has(pkcs11.CKM_RSA_PKCS_PSS) {
			for _, s := range []tls.SignatureScheme{tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512} {
				// PSS needs emLen >= hLen + sLen + 2 with sLen = hLen.
				if pub.Size() >= 2*hashOf(s).Size()+2 {
					out = append(out, s)
				}
			}
		}
		if has(pkcs11.CKM_RSA_PKCS) {
			out = append(out, tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512)
		}
	case *ecdsa.PublicKey:
		if has(pkcs11.CKM_ECDSA) {
			switch pub.Curve.Params().BitSize {
			case 256:
				out = append(out, tls.ECDSAWithP256AndSHA256)
			case 384:
				out = append(out, tls.ECDSAWithP384AndSHA384)
			case 521:
				out = append(out, tls.ECDSAWithP521AndSHA512)
			}
		}
	}
	return out
}

// TLS13Capable reports whether the key can sign any scheme TLS 1.3 allows
// (RSA keys need RSA-PSS there; PKCS#1 v1.5 is not allowed, RFC 8446 §4.2.3).
func (k *Signer) TLS13Capable() bool { return TLS13Capable(k.SignatureSchemes()) }

// TLS13Capable reports whether any of the schemes is allowed in TLS 1.3.
func TLS13Capable(schemes []tls.SignatureScheme) bool {
	for _, s := range schemes {
		switch s {
		case tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512:
		default:
			return true
		}
	}
	return false
}

func hashOf(s tls.SignatureScheme) crypto.Hash {
	switch s {
	case tls.PSSWithSHA384, tls.PKCS1WithSHA384, tls.ECDSAWithP384AndSHA384:
		return crypto.SHA384
	case tls.PSSWithSHA512, tls.PKCS1WithSHA512, tls.ECDSAWithP521AndSHA512:
		return crypto.SHA512
	}
	return crypto.SHA256
}

// Sign signs digest on the token: RSA PKCS#1 v1.5 (CKM_RSA_PKCS with the
// DigestInfo prefix), RSA-PSS (CKM_RSA_PKCS_PSS, salt = hash length) or
// ECDSA (CKM_ECDSA, raw r||s converted to ASN.1 DER as crypto.Signer
// requires).
func (k *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, input, err := k.mechanism(digest, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	sig, err := k.signOnToken(mech, input)
	k.mu.Lock()
	k.count++
	k.spent += time.Since(start)
	k.lastErr = err
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return rawToDER(sig)
	}
	return sig, nil
}

func (k *Signer) mechanism(digest []byte, opts crypto.SignerOpts) (*pkcs11.Mechanism, []byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, nil, fmt.Errorf("token: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	switch k.pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			return k.pssMechanism(h, pss, digest)
		}
		prefix, ok := digestInfoPrefix[h]
		if !ok {
			return nil, nil, fmt.Errorf("token: hash %v is not supported for RSA PKCS#1 v1.5", h)
		}
		return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), append(append([]byte{}, prefix...), digest...), nil
	case *ecdsa.PublicKey:
		return pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil), digest, nil
	}
	return nil, nil, errors.New("token: unsupported key type")
}

func (k *Signer) pssMechanism(h crypto.Hash, _ *rsa.PSSOptions, digest []byte) (*pkcs11.Mechanism, []byte, error) {
	var hashMech, mgf uint
	switch h {
	case crypto.SHA256:
		hashMech, mgf = pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256
	case crypto.SHA384:
		hashMech, mgf = pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384
	case crypto.SHA512:
		hashMech, mgf = pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512
	default:
		return nil, nil, fmt.Errorf("token: hash %v is not supported for RSA-PSS", h)
	}
	// TLS uses salt length = hash length (RFC 8446 §4.2.3); so do we for
	// every PSS caller, which also verifies under rsa.PSSSaltLengthAuto.
	params := pkcs11.NewPSSParams(hashMech, mgf, uint(h.Size()))
	return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, params), digest, nil
}

// signOnToken runs C_SignInit, the context-specific login when the key
// demands one, and C_Sign. A vanished token marks the session dead.
func (k *Signer) signOnToken(mech *pkcs11.Mechanism, input []byte) ([]byte, error) {
	s := k.s
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	if s.dead {
		return nil, &Error{Kind: KindTokenRemoved, Op: "sign", Text: mRemovedCard.New()}
	}
	if err := s.mod.be.SignInit(s.sh, []*pkcs11.Mechanism{mech}, k.key.handle); err != nil {
		return nil, s.fail("sign", err)
	}
	if k.alwaysAuth {
		// CKA_ALWAYS_AUTHENTICATE: PKCS#11 v2.40 §4.9 — log in again for
		// this one operation. The PIN was accepted moments ago by C_Login.
		if err := s.mod.be.Login(s.sh, pkcs11.CKU_CONTEXT_SPECIFIC, string(s.pin)); err != nil {
			return nil, s.fail("sign (PIN for this signature)", err)
		}
	}
	sig, err := s.mod.be.Sign(s.sh, input)
	if err != nil {
		return nil, s.signFailed(err)
	}
	return sig, nil
}

// signFailed converts a failed C_Sign. A card pulled out during the
// signature does not always say so: OpenSC may answer CKR_DEVICE_ERROR or
// CKR_GENERAL_ERROR and notice the removal only in a slot call (docs/design.md, Field notes).
// So a module error is checked against a fresh slot list, and a token that
// is gone makes it token-removed. The caller holds mod.mu.
func (s *Session) signFailed(err error) error {
	e := s.fail("sign", err)
	if KindOf(e) != KindModule {
		return e
	}
	var code uint
	if te, ok := e.(*Error); ok {
		code = te.Code
	}
	if s.tokenGone(mayBeRemoval(code)) {
		s.dead, s.loggedIn = true, false
		return &Error{Kind: KindTokenRemoved, Op: "sign", Code: code, Text: mRemovedDuringSignature.New(), Err: err}
	}
	return e
}

// How long a failed signature that may be a removal waits for the slot
// list to show it. A reader without card-detect interrupts learns of a
// removal only at its next presence poll — pcscd polls such readers every
// 400 ms — so the slot list read right after the failure can still show
// the card that is gone (measured with vpcd and OpenSC 0.23: C_Sign
// answers CKR_GENERAL_ERROR and the first slot list still has the token).
const (
	removalNoticeWait = 1500 * time.Millisecond
	removalNoticePoll = 100 * time.Millisecond
)

// mayBeRemoval: the codes a module answers when the card stopped
// answering in the middle of an operation.
func mayBeRemoval(code uint) bool {
	switch code {
	case pkcs11.CKR_GENERAL_ERROR, pkcs11.CKR_DEVICE_ERROR, pkcs11.CKR_FUNCTION_FAILED:
		return true
	}
	return false
}

// tokenGone reports whether the session's slot no longer holds a token;
// with wait, it looks again until removalNoticeWait has passed. It reads
// only the slot list: OpenSC 0.23's C_GetTokenInfo on a card that is
// going away can hang until the caller's deadline (seen in
// app/cli's TestCheckReportsCardPulledOut).
func (s *Session) tokenGone(wait bool) bool {
	deadline := time.Now().Add(removalNoticeWait)
	for {
		slots, err := s.mod.be.GetSlotList(true)
		if err == nil && !slices.Contains(slots, s.slot) {
			return true
		}
		if !wait || time.Now().After(deadline) {
			return false
		}
		time.Sleep(removalNoticePoll)
	}
}

// digestInfoPrefix holds the DER DigestInfo headers of RFC 8017 §9.2 note 1.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
	0:             {}, // raw: the caller supplies the complete DigestInfo
}

// rawToDER converts PKCS#11's ECDSA signature (r||s, each the size of the
// curve order) into the ASN.1 SEQUENCE{r, s} that Go and TLS expect.
func rawToDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, fmt.Errorf("token: ECDSA signature from the card has odd length %d", len(sig))
	}
	n := len(sig) / 2
	r := new(big.Int).SetBytes(sig[:n])
	s := new(big.Int).SetBytes(sig[n:])
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}
