// Package tls13rec protects and opens TLS 1.3 records (RFC 8446 §5.2,
// §7): the traffic key and IV from a traffic secret, the per-record
// nonce, the inner content type, and the key update. tlstrace uses it to
// read the records of a handshake it recorded (with the key log), and
// serve to send the alert crypto/tls would not send itself.
package tls13rec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// The errors of opening a record or making a cipher.
var (
	ErrUnsupportedSuite = errors.New("cipher suite not supported")
	ErrSecretLength     = errors.New("key log secret does not fit the cipher suite")
	ErrShortRecord      = errors.New("encrypted record too short")
	ErrNoContentType    = errors.New("decrypted record has no content type")
)

// Record content types (RFC 8446 §5.1).
const (
	TypeAlert           = 21
	TypeHandshake       = 22
	TypeApplicationData = 23
)

// Suite is what protecting records needs of a TLS 1.3 cipher suite.
type Suite struct {
	KeyLen  int
	Hash    func() hash.Hash
	NewAEAD func(key []byte) (cipher.AEAD, error)
}

// RFC 8446 §B.4. The CCM suites are not offered by crypto/tls.
var suites = map[uint16]Suite{
	0x1301: {16, sha256.New, newAESGCM},            // TLS_AES_128_GCM_SHA256
	0x1302: {32, sha512.New384, newAESGCM},         // TLS_AES_256_GCM_SHA384
	0x1303: {32, sha256.New, chacha20poly1305.New}, // TLS_CHACHA20_POLY1305_SHA256
}

// SuiteByID returns the suite of a TLS 1.3 cipher suite ID.
func SuiteByID(id uint16) (Suite, bool) {
	s, ok := suites[id]
	return s, ok
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// ExpandLabel is HKDF-Expand-Label of RFC 8446 §7.1.
func ExpandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	full := "tls13 " + label
	if len(full) > 255 || len(context) > 255 || length > 0xffff {
		return nil, errors.New("HKDF-Expand-Label: label, context or length too long")
	}
	info := make([]byte, 0, 4+len(full)+len(context))
	info = append(info, byte(length>>8), byte(length), byte(len(full)))
	info = append(info, full...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	return hkdf.Expand(h, secret, string(info), length)
}

// Nonce XORs the 64-bit record sequence number into the right end of iv,
// the per-record nonce of RFC 8446 §5.3 (and of RFC 7905 §2 in TLS 1.2).
func Nonce(iv []byte, seq uint64) []byte {
	n := append([]byte(nil), iv...)
	for i := 0; i < 8; i++ {
		n[len(n)-1-i] ^= byte(seq >> (8 * i))
	}
	return n
}

// Cipher protects or opens the records of one direction, from sequence
// number 0 on.
type Cipher struct {
	suite  Suite
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

// New derives the traffic key and IV from a traffic secret (RFC 8446 §7.3).
func New(suiteID uint16, secret []byte) (*Cipher, error) {
	s, ok := suites[suiteID]
	if !ok {
		return nil, ErrUnsupportedSuite
	}
	return newCipher(s, secret)
}

func newCipher(s Suite, secret []byte) (*Cipher, error) {
	if len(secret) != s.Hash().Size() {
		return nil, ErrSecretLength
	}
	key, err := ExpandLabel(s.Hash, secret, "key", nil, s.KeyLen)
	if err != nil {
		return nil, err
	}
	iv, err := ExpandLabel(s.Hash, secret, "iv", nil, 12)
	if err != nil {
		return nil, err
	}
	aead, err := s.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Cipher{suite: s, secret: secret, aead: aead, iv: iv}, nil
}

// Next is the cipher after a KeyUpdate: application_traffic_secret_N+1 =
// HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length), RFC 8446 §7.2.
func (c *Cipher) Next() (*Cipher, error) {
	ns, err := ExpandLabel(c.suite.Hash, c.secret, "traffic upd", nil, len(c.secret))
	if err != nil {
		return nil, err
	}
	return newCipher(c.suite, ns)
}

// Open decrypts a TLSCiphertext; the additional data is the record header
// as it was on the wire, and the real content type is the last non-zero
// byte of the plaintext (RFC 8446 §5.2, §5.4).
func (c *Cipher) Open(hdr [5]byte, payload []byte) (typ uint8, plain []byte, err error) {
	if len(payload) < c.aead.Overhead()+1 {
		return 0, nil, ErrShortRecord
	}
	pt, err := c.aead.Open(nil, Nonce(c.iv, c.seq), payload, hdr[:])
	if err != nil {
		return 0, nil, err
	}
	c.seq++
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, ErrNoContentType
	}
	return pt[i], pt[:i], nil
}

// Seal returns the whole TLSCiphertext record (header and protected
// TLSInnerPlaintext: content, its real type, padding zero bytes).
func (c *Cipher) Seal(typ uint8, content []byte, padding int) []byte {
	inner := make([]byte, 0, len(content)+1+padding)
	inner = append(append(inner, content...), typ)
	inner = append(inner, make([]byte, padding)...)
	n := len(inner) + c.aead.Overhead()
	header := []byte{TypeApplicationData, 3, 3, byte(n >> 8), byte(n)}
	out := make([]byte, len(header), len(header)+n)
	copy(out, header)
	out = c.aead.Seal(out, Nonce(c.iv, c.seq), inner, header)
	c.seq++
	return out
}
