package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// dialFailed explains why no TCP connection was made.
func (r *run) dialFailed(ctx context.Context, err error) {
	if r.ctxFailed(ctx, err, "connecting") {
		return
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		r.fail(KindNetwork, fmt.Sprintf("The host name %q could not be found (DNS). Check the address for typing mistakes.", r.target.Host))
	case errors.Is(err, syscall.ECONNREFUSED):
		r.fail(KindNetwork, fmt.Sprintf("Nothing is listening on %s (connection refused). Check the address and the port, and that the server is running.", r.target.Addr()))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		r.fail(KindNetwork, fmt.Sprintf("%s cannot be reached from this computer (no route). Check the network connection or VPN.", r.target.Host))
	default:
		r.fail(KindNetwork, fmt.Sprintf("Could not connect to %s: %v", r.target.Addr(), err))
	}
}

// ctxFailed handles cancellation and time-outs of the whole test.
func (r *run) ctxFailed(ctx context.Context, err error, doing string) bool {
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		r.fail(KindCanceled, "The test was canceled.")
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		r.fail(KindTimeout, fmt.Sprintf("The server did not answer in time while %s (time limit %v).", doing, r.opt.Timeout))
	default:
		return false
	}
	return true
}

// handshakeFailed classifies a failed handshake: untrusted server, a
// card problem, the server's alert, a closed connection, or not TLS at all.
func (r *run) handshakeFailed(ctx context.Context, err error) {
	requested, sent, _, mismatch := r.state()
	alert := r.serverAlert(err)
	var rh tls.RecordHeaderError
	switch {
	case errors.Is(err, errServerUntrusted):
		r.res.Verdict = ServerUntrusted
	case token.KindOf(err) != "":
		r.fail(ErrorKind(token.KindOf(err)), "The card could not sign: "+tokenMessage(err))
	case mismatch != nil:
		r.fail(KindProtocol, fmt.Sprintf("The card cannot sign with any algorithm the server accepts (server: %s; card: %s).",
			schemeList(mismatch), schemeList(r.cred.Card.SignatureSchemes())))
	case alert != nil && requested:
		r.rejectedBy(alert)
	case alert != nil:
		r.fail(KindProtocol, fmt.Sprintf("The server ended the handshake with the alert %q before asking for a certificate: %s",
			alert.Name, alertMeaning(alert.Name)))
	case r.ctxFailed(ctx, err, "doing the TLS handshake"):
	case errors.As(err, &rh):
		r.fail(KindProtocol, notTLSMessage(r.target, rh))
	case isClosed(err) && sent:
		r.res.Verdict, r.res.CauseCode = Rejected, "closed"
		r.res.Cause = "The server closed the connection after receiving your certificate, without saying why."
	case isClosed(err):
		r.fail(KindProtocol, "The server closed the connection during the handshake. It may not speak TLS on this port, or it refused the connection.")
	default:
		r.fail(KindProtocol, "The TLS handshake failed: "+err.Error())
	}
}

func tokenMessage(err error) string {
	var e *token.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

func schemeList(s []tls.SignatureScheme) string {
	names := make([]string, len(s))
	for i, x := range s {
		names[i] = tlstrace.SignatureSchemeName(uint16(x))
	}
	return strings.Join(names, ", ")
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}

// notTLSMessage explains a first record that is not TLS.
func notTLSMessage(t Target, rh tls.RecordHeaderError) string {
	if strings.HasPrefix(string(rh.RecordHeader[:]), "HTTP/") {
		return fmt.Sprintf("%s answered in plain HTTP, not TLS. Check the port (HTTPS is usually 443) and the scheme.", t.Addr())
	}
	return fmt.Sprintf("%s does not speak TLS: its first bytes (%q) are not a TLS record.", t.Addr(), string(rh.RecordHeader[:]))
}

// serverAlert is the alert the server sent: decoded by the tracer, or, when
// the record could not be read, recovered from Go's error text.
func (r *run) serverAlert(err error) *tlstrace.Alert {
	for _, a := range r.tracer.Alerts() {
		if a.From == "server" && a.Name != "close_notify" {
			return &a
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		text := strings.TrimPrefix(op.Err.Error(), "tls: ")
		if code, ok := goAlertCodes[text]; ok {
			return &tlstrace.Alert{From: "server", Level: "fatal", Code: code, Name: tlstrace.AlertName(code)}
		}
	}
	return nil
}

// goAlertCodes maps crypto/tls alert texts back to their codes.
var goAlertCodes = map[string]int{
	"close notify": 0, "unexpected message": 10, "bad record MAC": 20, "handshake failure": 40,
	"bad certificate": 42, "unsupported certificate": 43, "revoked certificate": 44,
	"expired certificate": 45, "unknown certificate": 46, "illegal parameter": 47,
	"unknown certificate authority": 48, "access denied": 49, "error decoding message": 50,
	"error decrypting message": 51, "protocol version not supported": 70,
	"insufficient security level": 71, "internal error": 80, "user canceled": 90,
	"no renegotiation": 100, "certificate required": 116, "no application protocol": 120,
}

// rejectedBy records a rejection by alert.
func (r *run) rejectedBy(a *tlstrace.Alert) {
	r.res.Verdict, r.res.CauseCode = Rejected, a.Name
	r.res.Cause = alertMeaning(a.Name)
}

// afterHandshake sends the HTTP request (or, for tls://, waits briefly for
// a late alert) and decides the verdict of a completed handshake.
func (r *run) afterHandshake(ctx context.Context, conn *tls.Conn) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if r.target.IsHTTP {
		r.httpExchange(ctx, conn)
	} else {
		r.lateAlert(ctx, conn)
	}
	r.recordTLS2(conn)
	if r.res.Verdict != "" {
		return
	}
	if requested, _, _, _ := r.state(); !requested {
		r.res.Verdict = NotRequested
		return
	}
	r.res.Verdict = Accepted
}

// recordTLS2 refreshes version and suite after a renegotiation.
func (r *run) recordTLS2(conn *tls.Conn) {
	cs := conn.ConnectionState()
	if v := versionString(cs.Version); v != "" {
		r.res.TLS.Version = v
		r.res.TLS.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	}
}

// httpExchange GETs the URL's path. In TLS 1.3 a server's rejection of the
// client certificate arrives only now, on the first read; nginx completes
// the handshake and answers 400 instead.
func (r *run) httpExchange(ctx context.Context, conn *tls.Conn) {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cardcheck/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		r.target.Path, r.target.URL.Host, config.Version)
	if _, err := io.WriteString(conn, req); err != nil {
		r.readFailed(ctx, err, "sending the HTTP request")
		return
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		r.readFailed(ctx, err, "waiting for the HTTP answer")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r.res.HTTP = &HTTPInfo{Status: resp.StatusCode, Reason: strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))}
	r.judgeHTTP(resp.StatusCode, string(body))
}

// judgeHTTP maps the status: 400 (and nginx's 495/496) = certificate
// rejected, 401/403 = denied by the application; anything else means TLS
// accepted the certificate.
func (r *run) judgeHTTP(status int, body string) {
	switch {
	case status == 400 || status == 495 || status == 496:
		r.res.Verdict = Rejected
		switch {
		case strings.Contains(body, "No required SSL certificate was sent") || status == 496:
			r.res.CauseCode, r.res.Cause = "no_certificate", "The server says no client certificate was sent (HTTP 400)."
		case strings.Contains(body, "SSL certificate error") || status == 495:
			r.res.CauseCode, r.res.Cause = "certificate_error", "The server could not verify your certificate (HTTP 400 \"SSL certificate error\"): usually an issuer it does not trust, a revoked or an expired certificate."
		default:
			r.res.CauseCode, r.res.Cause = "http_400", "The server answered HTTP 400 Bad Request, which servers such as nginx use for client certificate errors."
		}
	case status == 401 || status == 403:
		r.res.Verdict, r.res.CauseCode = Denied, fmt.Sprintf("http_%d", status)
		r.res.Cause = "The server accepted your certificate in TLS, but the application does not let you in."
	}
}

// lateAlert reads briefly after a tls:// handshake: a TLS 1.3 server
// reports a refused certificate only after its handshake is over.
func (r *run) lateAlert(ctx context.Context, conn *tls.Conn) {
	wait := time.Now().Add(r.opt.LateAlertWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
		wait = dl
	}
	conn.SetReadDeadline(wait)
	_, err := conn.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil) {
		r.note("The service kept the connection open after the handshake.")
		return
	}
	r.readFailed(ctx, err, "waiting for the service after the handshake")
}

// readFailed classifies an error after the handshake.
func (r *run) readFailed(ctx context.Context, err error, doing string) {
	_, sent, _, _ := r.state()
	if a := r.serverAlert(err); a != nil {
		if r.postHandshakeAuth() {
			r.fail(KindProtocol, postHandshakeAuthMessage)
			return
		}
		r.rejectedBy(a)
		return
	}
	if r.ctxFailed(ctx, err, doing) {
		return
	}
	if isClosed(err) && sent && r.res.TLS.Version == "1.3" {
		r.res.Verdict, r.res.CauseCode = Rejected, "closed"
		r.res.Cause = "The server closed the connection right after receiving your certificate, without saying why: it most likely refused it."
		return
	}
	if r.postHandshakeAuth() {
		r.fail(KindProtocol, postHandshakeAuthMessage)
		return
	}
	r.fail(KindProtocol, fmt.Sprintf("The connection failed while %s: %v", doing, err))
}

const postHandshakeAuthMessage = "The server asked for the client certificate after the TLS 1.3 handshake (post-handshake authentication). " +
	"Go, and so cardcheck, cannot answer that. Test with TLS 1.2 (--tls 1.2), where the server asks by renegotiation instead."

// postHandshakeAuth reports a TLS 1.3 CertificateRequest after the client's
// Finished, which Go does not support.
func (r *run) postHandshakeAuth() bool {
	if r.res.TLS.Version != "1.3" {
		return false
	}
	clientDone := false
	for _, s := range r.tracer.Steps() {
		if s.From == "client" && s.Message == "Finished" {
			clientDone = true
		}
		if clientDone && s.From == "server" && s.Message == "CertificateRequest" {
			return true
		}
	}
	return false
}
