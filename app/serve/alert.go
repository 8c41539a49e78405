package serve

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/cardcheck/cardcheck/app/tls13rec"
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
	recordTypeAlert = tls13rec.TypeAlert
	alertLevelFatal = 2
)

// sealAlert13 returns the TLSCiphertext record of a fatal alert protected
// with the traffic secret at sequence number 0.
func sealAlert13(suiteID uint16, secret []byte, code uint8) ([]byte, error) {
	c, err := tls13rec.New(suiteID, secret)
	if err != nil {
		return nil, fmt.Errorf("TLS 1.3 cipher suite %#04x: %w", suiteID, err)
	}
	return c.Seal(recordTypeAlert, []byte{alertLevelFatal, code}, 0), nil
}
