package serve

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/chacha20poly1305"
)

// Choosing the alert.
//
// crypto/tls (Go 1.26) answers any error from VerifyConnection or
// VerifyPeerCertificate with bad_certificate (42), and tls.AlertError is
// only honoured for QUIC. A test server must send what real servers send
// (unknown_ca, certificate_revoked…), so wireConn, the net.Conn under the
// tls.Conn, lets the verification callback write the alert record itself
// and then swallows everything crypto/tls writes afterwards (its own
// bad_certificate alert).
//
// When the client certificate is checked, the server's write direction is
//   - TLS 1.2: still in plaintext (the server's ChangeCipherSpec comes
//     after the client's Finished), so the record is 15 03 03 00 02 02 NN;
//   - TLS 1.3: protected with the server application traffic secret, which
//     crypto/tls hands to KeyLogWriter right after the server Finished,
//     and no record was protected with it yet (sequence number 0: session
//     tickets are disabled, and crypto/tls sends none before it has read
//     the client's certificate anyway). The alert is sealed as RFC 8446
//     §5.2 says.

// wireConn is the server side of one TCP connection.
type wireConn struct {
	net.Conn
	muted atomic.Bool // an alert was injected: drop further writes

	mu           sync.Mutex
	serverSecret []byte   // TLS 1.3 server application traffic secret
	verdict      *verdict // set during the handshake
}

func (w *wireConn) Write(b []byte) (int, error) {
	if w.muted.Load() {
		return len(b), nil
	}
	return w.Conn.Write(b)
}

// keyLog is the per-connection KeyLogWriter: it keeps the server
// application traffic secret.
type keyLog struct{ w *wireConn }

func (k keyLog) Write(line []byte) (int, error) {
	f := bytes.Fields(line)
	if len(f) == 3 && string(f[0]) == "SERVER_TRAFFIC_SECRET_0" {
		secret := make([]byte, hex.DecodedLen(len(f[2])))
		if _, err := hex.Decode(secret, f[2]); err == nil {
			k.w.mu.Lock()
			k.w.serverSecret = secret
			k.w.mu.Unlock()
		}
	}
	return len(line), nil
}

// sendAlert writes a fatal alert on the wire and mutes the connection.
func (w *wireConn) sendAlert(cs tls.ConnectionState, code uint8) error {
	var rec []byte
	switch cs.Version {
	case tls.VersionTLS13:
		w.mu.Lock()
		secret := w.serverSecret
		w.mu.Unlock()
		if secret == nil {
			return errors.New("no TLS 1.3 traffic secret")
		}
		var err error
		if rec, err = sealAlert13(cs.CipherSuite, secret, code); err != nil {
			return err
		}
	case tls.VersionTLS12, tls.VersionTLS11, tls.VersionTLS10:
		rec = []byte{recordTypeAlert, byte(cs.Version >> 8), byte(cs.Version), 0, 2, alertLevelFatal, code}
	default:
		return fmt.Errorf("unsupported TLS version %#04x", cs.Version)
	}
	_, err := w.Conn.Write(rec)
	w.muted.Store(true)
	return err
}

const (
	recordTypeAlert           = 21
	recordTypeApplicationData = 23
	alertLevelFatal           = 2
)

// suite13 holds what sealing needs for a TLS 1.3 cipher suite.
type suite13 struct {
	keyLen int
	hash   func() hash.Hash
	aead   func(key []byte) (cipher.AEAD, error)
}

var suites13 = map[uint16]suite13{
	tls.TLS_AES_128_GCM_SHA256:       {16, sha256.New, newGCM},
	tls.TLS_AES_256_GCM_SHA384:       {32, sha512.New384, newGCM},
	tls.TLS_CHACHA20_POLY1305_SHA256: {32, sha256.New, chacha20poly1305.New},
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// sealAlert13 returns the TLSCiphertext record of a fatal alert protected
// with the traffic secret at sequence number 0.
func sealAlert13(suiteID uint16, secret []byte, code uint8) ([]byte, error) {
	s, ok := suites13[suiteID]
	if !ok {
		return nil, fmt.Errorf("unsupported TLS 1.3 cipher suite %#04x", suiteID)
	}
	key, err := expandLabel(s.hash, secret, "key", s.keyLen)
	if err != nil {
		return nil, err
	}
	iv, err := expandLabel(s.hash, secret, "iv", 12)
	if err != nil {
		return nil, err
	}
	aead, err := s.aead(key)
	if err != nil {
		return nil, err
	}
	// TLSInnerPlaintext: the alert, then its real content type. The nonce
	// is the IV XOR the sequence number, which is 0.
	inner := []byte{alertLevelFatal, code, recordTypeAlert}
	n := len(inner) + aead.Overhead()
	header := []byte{recordTypeApplicationData, 3, 3, byte(n >> 8), byte(n)}
	out := make([]byte, len(header), len(header)+n)
	copy(out, header)
	return aead.Seal(out, iv, inner, header), nil
}

// expandLabel is HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
func expandLabel(h func() hash.Hash, secret []byte, label string, length int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = append(info, byte(length>>8), byte(length), byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(h, secret, string(info), length)
}
