package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// dialFailed explains why no TCP connection was made.
func (r *run) dialFailed(ctx context.Context, err error) {
	if r.ctxFailed(ctx, err, doingConnect.New()) {
		return
	}
	var dnsErr *net.DNSError
	var pe *proxyHeadError
	var pxe *proxyError
	switch {
	case errors.As(err, &pxe): // before the network errors it wraps: they are the proxy's
		r.fail(KindNetwork, errNotReached.New("Reason", pxe.m))
		r.res.CauseCode = CauseProxyFailed
		if pxe.auth {
			r.res.CauseCode = CauseProxyAuth
		}
	case errors.As(err, &pe):
		r.fail(KindNetwork, errNotReached.New("Reason", pe.words()))
		r.res.CauseCode = CauseProxyHeadTooLarge
		if pe.head.lines {
			r.res.CauseCode = CauseProxyTooManyLines
		}
		r.cause(causeProxyLimits.New("Limit", pe.head.words()))
	case errors.As(err, &dnsErr):
		r.dialFinding = FindingUnknownHost
		r.fail(KindNetwork, errUnknownHost.New("Host", strconv.Quote(r.target.Host)))
	case errors.Is(err, syscall.ECONNREFUSED):
		r.dialFinding = FindingRefused
		r.fail(KindNetwork, errRefused.New("Address", r.target.Addr()))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		r.dialFinding = FindingUnreachable
		r.fail(KindNetwork, errUnreachable.New("Host", r.target.Host))
	default:
		r.fail(KindNetwork, errConnect.New("Address", r.target.Addr(), "Reason", err.Error()))
	}
}

// ctxFailed handles cancellation and time-outs of the whole test.
func (r *run) ctxFailed(ctx context.Context, err error, doing msg.Msg) bool {
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		r.fail(KindCanceled, errCanceled.New())
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		r.fail(KindTimeout, errTimeout.New("Doing", doing, "Limit", r.opt.Timeout.String()))
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
		r.fail(ErrorKind(token.KindOf(err)), errCardSign.New("Reason", token.MessageOf(err)))
	case mismatch != nil:
		r.fail(KindProtocol, errNoCommonScheme.New("Server", schemeList(mismatch), "Card", schemeList(r.cred.Card.SignatureSchemes())))
	case alert != nil && requested:
		r.rejectedBy(alert)
	case alert != nil:
		r.fail(KindProtocol, errAlertBeforeAsk.New("Alert", strconv.Quote(alert.Name), "Meaning", meaningBeforeAsk(alert.Name)))
		r.alertBeforeAsk = alert.Name
	case r.ctxFailed(ctx, err, doingHandshake.New()):
	case errors.As(err, &rh):
		r.fail(KindProtocol, notTLSMessage(r.target, rh))
	case isClosed(err) && sent:
		r.res.Verdict, r.res.CauseCode = Rejected, "closed"
		r.cause(causeClosed.New())
	case isClosed(err):
		r.fail(KindProtocol, errClosedInHS.New())
	default:
		r.fail(KindProtocol, errHandshake.New("Reason", err.Error()))
	}
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
func notTLSMessage(t Target, rh tls.RecordHeaderError) msg.Msg {
	if strings.HasPrefix(string(rh.RecordHeader[:]), "HTTP/") {
		return errPlainHTTP.New("Address", t.Addr())
	}
	return errNotTLS.New("Address", t.Addr(), "Bytes", strconv.Quote(string(rh.RecordHeader[:])))
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
	r.cause(alertMeaning(a.Name))
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
			r.res.CauseCode = "no_certificate"
			r.cause(causeNoCertificate.New())
		case strings.Contains(body, "SSL certificate error") || status == 495:
			r.res.CauseCode = "certificate_error"
			r.cause(causeCertError.New())
		default:
			r.res.CauseCode = "http_400"
			r.cause(causeHTTP400.New())
		}
	case status == 401 || status == 403:
		r.res.Verdict, r.res.CauseCode = Denied, fmt.Sprintf("http_%d", status)
		r.cause(causeHTTPDenied.New())
	}
}
