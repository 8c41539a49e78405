package tlstrace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"

	"github.com/cardcheck/cardcheck/app/tls13rec"
	"golang.org/x/crypto/chacha20poly1305"
)

var (
	errUnsupportedSuite = errors.New("cipher suite not supported for decryption")
	errShortRecord      = tls13rec.ErrShortRecord
	errBadPadding       = errors.New("bad CBC padding or MAC")
)

// recordCipher opens the protected records of one direction. hdr is the
// 5-byte record header as it was on the wire.
type recordCipher interface {
	Open(hdr [5]byte, payload []byte) (typ uint8, plain []byte, err error)
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// TLS 1.3 records are tls13rec's (*tls13rec.Cipher is a recordCipher).

// ---- TLS 1.2 (RFC 5246 §6.3, RFC 5288, RFC 7905) ----

const (
	modeGCM = iota
	modeChaCha
	modeCBC
)

type suite12 struct {
	mode           int
	keyLen, macLen int
	fixedIVLen     int // RFC 5288 §3 salt (4) or RFC 7905 IV (12); CBC: 16, unused (explicit IV)
	prf, mac       func() hash.Hash
}

var (
	gcm128     = suite12{modeGCM, 16, 0, 4, sha256.New, nil}
	gcm256     = suite12{modeGCM, 32, 0, 4, sha512.New384, nil}
	chacha     = suite12{modeChaCha, 32, 0, 12, sha256.New, nil}
	cbc128sha  = suite12{modeCBC, 16, 20, 16, sha256.New, sha1.New}
	cbc256sha  = suite12{modeCBC, 32, 20, 16, sha256.New, sha1.New}
	cbc128s256 = suite12{modeCBC, 16, 32, 16, sha256.New, sha256.New}
	cbc256s256 = suite12{modeCBC, 32, 32, 16, sha256.New, sha256.New}
	cbc256s384 = suite12{modeCBC, 32, 48, 16, sha512.New384, sha512.New384}
)

// The PRF is SHA-256 (RFC 5246 §5) except for the *_SHA384 suites (RFC 5289).
var suites12 = map[uint16]suite12{
	0xc02b: gcm128, 0xc02f: gcm128, 0x009c: gcm128, 0x009e: gcm128,
	0xc02c: gcm256, 0xc030: gcm256, 0x009d: gcm256, 0x009f: gcm256,
	0xcca8: chacha, 0xcca9: chacha, 0xccaa: chacha,
	0xc009: cbc128sha, 0xc013: cbc128sha, 0x002f: cbc128sha,
	0xc00a: cbc256sha, 0xc014: cbc256sha, 0x0035: cbc256sha,
	0xc023: cbc128s256, 0xc027: cbc128s256, 0x003c: cbc128s256,
	0x003d: cbc256s256, 0xc024: cbc256s384, 0xc028: cbc256s384,
}

// prf12 is the TLS 1.2 PRF: P_hash(secret, label + seed), RFC 5246 §5.
func prf12(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	seed = append([]byte(label), seed...)
	out := make([]byte, 0, n+64)
	a := seed
	for len(out) < n {
		m := hmac.New(h, secret)
		m.Write(a)
		a = m.Sum(nil)
		m.Reset()
		m.Write(a)
		m.Write(seed)
		out = m.Sum(out)
	}
	return out[:n]
}

// newCipher12 derives one direction's keys from the master secret
// (RFC 5246 §6.3 key_block layout: MAC keys, encryption keys, IVs; client
// first, then server).
func newCipher12(suiteID uint16, master, clientRandom, serverRandom []byte, client bool) (recordCipher, error) {
	s, ok := suites12[suiteID]
	if !ok {
		return nil, errUnsupportedSuite
	}
	seed := append(append([]byte(nil), serverRandom...), clientRandom...)
	kb := prf12(s.prf, master, "key expansion", seed, 2*(s.macLen+s.keyLen+s.fixedIVLen))
	mac, key, iv := kb[:s.macLen], kb[2*s.macLen:][:s.keyLen], kb[2*(s.macLen+s.keyLen):][:s.fixedIVLen]
	if !client {
		mac, key, iv = kb[s.macLen:][:s.macLen], kb[2*s.macLen+s.keyLen:][:s.keyLen], kb[2*(s.macLen+s.keyLen)+s.fixedIVLen:][:s.fixedIVLen]
	}
	switch s.mode {
	case modeCBC:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return &cbc12{block: b, mac: s.mac, macKey: mac, macLen: s.macLen}, nil
	case modeChaCha:
		a, err := chacha20poly1305.New(key)
		if err != nil {
			return nil, err
		}
		return &aead12{aead: a, iv: iv}, nil
	}
	a, err := newAESGCM(key)
	if err != nil {
		return nil, err
	}
	return &aead12{aead: a, iv: iv, explicit: true}, nil
}

// additionalData12 is seq_num + type + version + length (RFC 5246 §6.2.3.3),
// also the MAC input prefix of §6.2.3.1.
func additionalData12(seq uint64, hdr [5]byte, n int) []byte {
	ad := binary.BigEndian.AppendUint64(nil, seq)
	ad = append(ad, hdr[0], hdr[1], hdr[2])
	return binary.BigEndian.AppendUint16(ad, uint16(n))
}

type aead12 struct {
	aead     cipher.AEAD
	iv       []byte
	explicit bool // GCM: 8-byte explicit nonce in front of the ciphertext
	seq      uint64
}

func (c *aead12) Open(hdr [5]byte, payload []byte) (uint8, []byte, error) {
	var nonce, ct []byte
	if c.explicit {
		// RFC 5288 §3: nonce = 4-byte salt from the key block + 8 explicit bytes.
		if len(payload) < 8 {
			return 0, nil, errShortRecord
		}
		nonce, ct = append(append([]byte(nil), c.iv...), payload[:8]...), payload[8:]
	} else {
		nonce, ct = tls13rec.Nonce(c.iv, c.seq), payload // RFC 7905 §2
	}
	if len(ct) < c.aead.Overhead() {
		return 0, nil, errShortRecord
	}
	pt, err := c.aead.Open(nil, nonce, ct, additionalData12(c.seq, hdr, len(ct)-c.aead.Overhead()))
	if err != nil {
		return 0, nil, err
	}
	c.seq++
	return hdr[0], pt, nil
}

type cbc12 struct {
	block  cipher.Block
	mac    func() hash.Hash
	macKey []byte
	macLen int
	seq    uint64
}

// Open handles GenericBlockCipher with an explicit IV (RFC 5246 §6.2.3.2):
// IV, then CBC(content + MAC + padding + padding_length). The MAC is checked
// so a wrong key is noticed rather than producing garbage.
func (c *cbc12) Open(hdr [5]byte, payload []byte) (uint8, []byte, error) {
	bs := c.block.BlockSize()
	if len(payload) < 2*bs || len(payload)%bs != 0 {
		return 0, nil, errShortRecord
	}
	pt := make([]byte, len(payload)-bs)
	cipher.NewCBCDecrypter(c.block, payload[:bs]).CryptBlocks(pt, payload[bs:])
	pad := int(pt[len(pt)-1])
	if pad+1+c.macLen > len(pt) {
		return 0, nil, errBadPadding
	}
	n := len(pt) - 1 - pad - c.macLen
	m := hmac.New(c.mac, c.macKey)
	m.Write(additionalData12(c.seq, hdr, n))
	m.Write(pt[:n])
	if !hmac.Equal(m.Sum(nil), pt[n:n+c.macLen]) {
		return 0, nil, errBadPadding
	}
	c.seq++
	return hdr[0], pt[:n], nil
}
