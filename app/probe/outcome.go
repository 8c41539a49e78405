package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// dialFailed explains why no TCP connection was made.
func (r *run) dialFailed(ctx context.Context, err error) {
	if r.ctxFailed(ctx, err, "connecting") {
		return
	}
	var dnsErr *net.DNSError
	var pe *proxyHeadError
	switch {
	case errors.As(err, &pe):
		r.fail(KindNetwork, "The server was not reached: "+pe.Error()+".")
		r.res.CauseCode = CauseProxyHeadTooLarge
		if pe.head.lines {
			r.res.CauseCode = CauseProxyTooManyLines
		}
		r.res.Cause = "The HTTP proxy's answer broke cardcheck's limits (" + pe.head.Error() + ")."
	case errors.As(err, &dnsErr):
		r.dialFinding = FindingUnknownHost
		r.fail(KindNetwork, fmt.Sprintf("The host name %q could not be found (DNS). Check the address for typing mistakes.", r.target.Host))
	case errors.Is(err, syscall.ECONNREFUSED):
		r.dialFinding = FindingRefused
		r.fail(KindNetwork, fmt.Sprintf("Nothing is listening on %s (connection refused). Check the address and the port, and that the server is running.", r.target.Addr()))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		r.dialFinding = FindingUnreachable
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
	if serr := r.signError(); serr != nil {
		err = serr // the card's error, with its kind, not crypto/tls's string of it
	}
	requested, sent, mismatch, _ := r.state()
	alert := r.serverAlert(err)
	var rh tls.RecordHeaderError
	switch {
	case r.preflight && errors.Is(err, errPreflightStop):
		// The pre-flight ends here by design.
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

// recordTLS2 refreshes version and suite after a renegotiation.
func (r *run) recordTLS2(conn *tls.Conn) {
	cs := conn.ConnectionState()
	if v := versionString(cs.Version); v != "" {
		r.res.TLS.Version = v
		r.res.TLS.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	}
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
