package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// handle runs the TLS handshake of one connection, logs its outcome and
// hands an established connection to the HTTP server.
func (s *Server) handle(raw net.Conn) {
	w := &wireConn{Conn: raw}
	cfg := s.tlsConf.Clone()
	if s.requestCert {
		cfg.KeyLogWriter = keyLog{w} // kept in memory only, see alert.go
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return s.verifyConnection(w, cs)
		}
	}
	tc := tls.Server(w, cfg)
	start := time.Now()
	raw.SetDeadline(start.Add(s.cfg.HandshakeTimeout))
	// Close interrupts the handshake through the deadline (not with
	// HandshakeContext, which would replace a finished handshake's error
	// with the context's when both happen at once).
	stop := context.AfterFunc(s.ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	err := tc.Handshake()
	stop()
	if err != nil {
		s.handshakeFailed(w, tc, err)
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	s.logAccepted(w, tc.ConnectionState())
	if !s.queue.put(tc) {
		raw.Close()
	}
}

// verifyConnection is the VerifyConnection callback.
func (s *Server) verifyConnection(w *wireConn, cs tls.ConnectionState) error {
	v := s.verifyClient(cs.PeerCertificates)
	w.mu.Lock()
	w.verdict = v
	w.mu.Unlock()
	if v.ok || s.cfg.Optional || !v.checked {
		return nil
	}
	rej := &rejectError{alert: v.alert, err: v.err}
	if err := w.sendAlert(cs, v.alert); err != nil {
		// crypto/tls sends bad_certificate instead.
		rej.alert = AlertBadCertificate
		rej.err = fmt.Errorf("%w (could not send %s: %v)", v.err, AlertName(v.alert), err)
	}
	return rej
}

// getVerdict returns the connection's verdict.
func (w *wireConn) getVerdict(requested bool) *verdict {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.verdict == nil {
		return &verdict{requested: requested}
	}
	return w.verdict
}

func (s *Server) logAccepted(w *wireConn, cs tls.ConnectionState) {
	v := w.getVerdict(s.requestCert)
	what := ""
	switch v.result() {
	case "not-requested":
		what = "connected; no client certificate requested"
	case "no-certificate":
		what = "connected without a client certificate (optional)"
	case "ok":
		what = fmt.Sprintf("accepted client certificate %s", describeCert(v.peer[0]))
	default:
		what = fmt.Sprintf("client certificate %s failed verification (%s: %v); allowed because the certificate is optional",
			describeCert(v.peer[0]), AlertName(v.alert), v.err)
	}
	s.logf("%s %s: %s", w.RemoteAddr(), connSummary(cs), what)
}

func connSummary(cs tls.ConnectionState) string {
	sni := cs.ServerName
	if sni == "" {
		sni = "-"
	}
	return fmt.Sprintf("%s %s sni=%s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), sni)
}

func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("%q (issuer %q, serial %s)", c.Subject.String(), c.Issuer.String(), serialHex(c))
}

// handshakeFailed logs why a handshake failed and answers an HTTP request
// sent in plain text with an HTTP 400.
func (s *Server) handshakeFailed(w *wireConn, tc *tls.Conn, err error) {
	remote := w.RemoteAddr()
	cs := tc.ConnectionState()
	prefix := remote.String()
	if cs.Version != 0 {
		prefix += " " + tls.VersionName(cs.Version)
	}
	if cs.CipherSuite != 0 {
		prefix += " " + tls.CipherSuiteName(cs.CipherSuite)
	}
	var rej *rejectError
	var rhe tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.As(err, &rej):
		v := w.getVerdict(true)
		s.logf("%s: rejected client certificate %s: sent alert %s (%d): %v",
			prefix, describeCert(v.peer[0]), AlertName(rej.alert), rej.alert, rej.err)
	case strings.Contains(err.Error(), "didn't provide a certificate"):
		alert := AlertHandshakeFailure
		if cs.Version == tls.VersionTLS13 {
			alert = AlertCertificateRequired
		}
		s.logf("%s: rejected: no client certificate sent: sent alert %s (%d)", prefix, AlertName(alert), alert)
	case errors.As(err, &rhe):
		if looksLikeHTTP(rhe.RecordHeader[:]) && rhe.Conn != nil {
			rhe.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(rhe.Conn, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"+
				"This is a TLS server: use https:// (cardcheck test server).\n")
			s.logf("%s: not a TLS client (plain HTTP request); answered HTTP 400", prefix)
			lingerClose(rhe.Conn)
		} else {
			s.logf("%s: not a TLS client (first bytes % x)", prefix, rhe.RecordHeader[:])
		}
	case s.ctx.Err() != nil && isTimeout(err):
		s.logf("%s: handshake interrupted: the server is stopping", prefix)
	case isTimeout(err):
		s.logf("%s: handshake timed out after %v", prefix, s.cfg.HandshakeTimeout)
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		s.logf("%s: the client aborted the handshake with alert %v", prefix, opErr.Err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		s.logf("%s: the client closed the connection during the handshake", prefix)
	default:
		s.logf("%s: handshake failed: %v", prefix, err)
	}
}

// lingerClose ends the connection after an answer without losing it: it
// half-closes, then drains what the client still sends (briefly), so the
// kernel does not reset the connection before the client has read.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else if w, ok := c.(*wireConn); ok {
		if cw, ok := w.Conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// looksLikeHTTP tells whether the first bytes of a connection are an HTTP
// request line ("GET /", "POST ", "HEAD "…).
func looksLikeHTTP(b []byte) bool {
	for _, m := range []string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "} {
		n := min(len(m), len(b))
		if string(b[:n]) == m[:n] {
			return true
		}
	}
	return false
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
