package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/msg"
)

// afterHandshake sends the HTTP request (or, for tls://, waits for the
// service) and decides the verdict of a completed handshake.
func (r *run) afterHandshake(ctx context.Context, conn *tls.Conn) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	_, sent, _, _ := r.state()
	switch {
	case !r.target.IsHTTP:
		r.serviceWait(ctx, conn)
	case sent && r.res.TLS.Version == TLS13:
		// A TLS 1.3 server judges our certificate after the handshake. If
		// it closes while our request is still unread on its side, its
		// kernel resets the connection and ours drops the alert that was
		// already on its way (NOTES "Lost alerts"): give it a moment to
		// answer before we write anything.
		out := r.waitServer(ctx, conn, r.settleWait(), true, false)
		if out.err != nil {
			r.readFailed(ctx, out.err, doingWaitServer.New())
			break
		}
		r.httpExchange(ctx, conn, out.data)
	default:
		r.httpExchange(ctx, conn, nil)
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

// httpExchange GETs the URL's path. In TLS 1.3 a server's rejection of the
// client certificate arrives only now, on the first read; nginx completes
// the handshake and answers 400 instead. pending holds bytes the server
// sent before the request.
func (r *run) httpExchange(ctx context.Context, conn *tls.Conn, pending []byte) {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cardcheck/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		r.target.Path, r.target.URL.Host, config.Version)
	if _, err := io.WriteString(conn, req); err != nil {
		r.readFailed(ctx, err, doingSend.New())
		return
	}
	br := bufio.NewReader(io.MultiReader(bytes.NewReader(pending), conn))
	resp, err := readResponse(br, &http.Request{Method: http.MethodGet})
	var he *headError
	if errors.As(err, &he) {
		r.headTooLarge(he)
		return
	}
	if err != nil {
		r.readFailed(ctx, err, doingAnswer.New())
		return
	}
	var body []byte
	if resp.StatusCode == 400 { // only nginx's 400 page is read: it names the certificate error
		dl, _ := ctx.Deadline()
		body = bodySnippet(conn, resp.Body, dl)
	}
	// resp.Body.Close would read the rest of the body (to reuse the
	// connection); this one is closed instead, unread.
	r.res.HTTP = &HTTPInfo{Status: resp.StatusCode, Reason: reasonOf(resp)}
	r.judgeHTTP(resp.StatusCode, string(body))
}

// headTooLarge ends a test whose server sent an answer beyond the bounds:
// no verdict on the card can be read from it.
func (r *run) headTooLarge(he *headError) {
	r.fail(KindProtocol, errHTTPHeadTooLarge.New("Limit", he.words()))
	r.res.CauseCode = CauseHTTPHeadTooLarge
	if he.lines {
		r.res.CauseCode = CauseHTTPTooManyHeaders
	}
	r.cause(causeHTTPHeadLimits.New("Limit", he.words()))
}

// serviceWait follows a tls:// handshake. A TLS 1.3 server reports a
// refused certificate only after its handshake is over, and one that
// checks revocation online only after its OCSP responder answered, so
// the test waits for the server's first word — a NewSessionTicket (TLS
// accepted the certificate), data, an alert or a close — up to
// LateAlertWait. In TLS 1.2 the server's Finished already said yes: a
// short wait shows whether the service then stays up.
func (r *run) serviceWait(ctx context.Context, conn *tls.Conn) {
	_, sent, _, _ := r.state()
	late := sent && r.res.TLS.Version == TLS13
	limit := r.graceWait()
	if late {
		limit = r.opt.LateAlertWait
	}
	out := r.waitServer(ctx, conn, limit, late, late)
	if out.ticket && out.timedOut {
		// Accepted by TLS; does the service behind it stay?
		out = r.waitServer(ctx, conn, r.graceWait(), false, false)
	}
	switch {
	case len(out.data) > 0:
		r.note(noteServiceData.New())
	case out.timedOut && late && !r.ticketed():
		r.note(noteNoLateAlert.New("Wait", r.opt.LateAlertWait.String()))
	case out.timedOut:
		r.note(noteServiceOpen.New())
	default:
		r.readFailed(ctx, out.err, doingWait.New())
	}
}

// waited is what waitServer saw.
type waited struct {
	data     []byte // the server's first byte of data
	timedOut bool   // nothing arrived within the limit (or the ticket ended the wait)
	ticket   bool   // a NewSessionTicket after our Finished has been seen
	err      error  // alert, close or failure
}

// waitServer reads until the server's first data, an alert, a close, or
// limit; with stopOnTicket also until its NewSessionTicket. Reading at
// once is what keeps an alert from being lost to a reset. progress
// reports the wait through OnProgress.
func (r *run) waitServer(ctx context.Context, conn *tls.Conn, limit time.Duration, stopOnTicket, progress bool) waited {
	start := time.Now()
	end := start.Add(limit)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
	}
	conn.SetReadDeadline(end)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticket := r.ticketSeen
		if !stopOnTicket {
			ticket = nil
		}
		var tick <-chan time.Time
		if progress {
			t := time.NewTicker(progressTick)
			defer t.Stop()
			tick = t.C
			r.progress(Progress{Stage: StageLateAlertWait, Limit: limit})
		}
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				conn.SetReadDeadline(time.Now())
				return
			case <-ticket:
				conn.SetReadDeadline(time.Now()) // wake the read: the server has spoken
				ticket = nil
			case <-tick:
				r.progress(Progress{Stage: StageLateAlertWait, Elapsed: time.Since(start), Limit: limit})
			}
		}
	}()
	buf := make([]byte, 1)
	n, err := conn.Read(buf)
	close(stop)
	wg.Wait()
	spent := time.Since(start)
	if progress {
		r.res.Timings.LateAlertWaitMs += ms(spent)
		r.progress(Progress{Stage: StageLateAlertWait, Elapsed: spent, Limit: limit, Done: true})
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(dl)
	} else {
		conn.SetReadDeadline(time.Time{})
	}
	out := waited{ticket: r.ticketed()}
	var ne net.Error
	switch {
	case n > 0:
		out.data = buf[:n]
	case err != nil && errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil:
		out.timedOut = true
	case err == nil:
		out.timedOut = true // a zero-byte read: nothing said
	default:
		out.err = err
	}
	return out
}

func (r *run) ticketed() bool {
	if r.tracer != nil {
		r.tracer.Sync() // a ticket read but not yet decoded counts too
	}
	select {
	case <-r.ticketSeen:
		return true
	default:
		return false
	}
}

// rtt estimates the round trip from the first handshake flight: the time
// between our ClientHello and the server's first message.
func (r *run) rtt() time.Duration {
	var hello time.Duration = -1
	for _, s := range r.tracer.Steps() {
		if s.From == "client" && hello < 0 {
			hello = s.At
		}
		if s.From == "server" && hello >= 0 {
			return s.At - hello
		}
	}
	return 50 * time.Millisecond
}

// settleWait is how long an HTTPS test waits after a TLS 1.3 handshake
// before writing its request: a few round trips, for a server that judges
// the certificate at once (one that sends a NewSessionTicket ends it).
func (r *run) settleWait() time.Duration {
	return min(r.opt.LateAlertWait, clamp(4*r.rtt()+25*time.Millisecond, 25*time.Millisecond, time.Second))
}

// graceWait is how long a tls:// test watches a service the TLS layer has
// accepted, to see whether it stays up.
func (r *run) graceWait() time.Duration {
	return min(r.opt.LateAlertWait, clamp(10*r.rtt()+500*time.Millisecond, 500*time.Millisecond, 2*time.Second))
}

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

// readFailed classifies an error after the handshake.
func (r *run) readFailed(ctx context.Context, err error, doing msg.Msg) {
	requested, _, _, _ := r.state()
	if r.preflight && errors.Is(err, errPreflightStop) {
		return // the server asked for the certificate by renegotiation
	}
	if a := r.serverAlert(err); a != nil {
		if !requested {
			r.mu.Lock()
			r.refusedAfterRequest = true
			r.mu.Unlock()
			r.fail(KindProtocol, errAlertWithoutAsk.New("Alert", strconv.Quote(a.Name), "Meaning", alertMeaning(a.Name)))
			return
		}
		r.rejectedBy(a)
		return
	}
	if r.ctxFailed(ctx, err, doing) {
		return
	}
	if isClosed(err) {
		r.closedAfterHandshake()
		return
	}
	r.fail(KindProtocol, errConnFailed.New("Doing", doing, "Reason", err.Error()))
}

// closedAfterHandshake explains a close without an alert after the
// handshake. TLS 1.2: the server's Finished after our certificate means
// it accepted it. TLS 1.3: a NewSessionTicket after our Finished means
// the same; without one the two readings are both said.
func (r *run) closedAfterHandshake() {
	requested, sent, _, _ := r.state()
	if !requested {
		r.mu.Lock()
		r.refusedAfterRequest = true
		r.mu.Unlock()
		if r.target.IsHTTP {
			r.fail(KindProtocol, errClosedNoAnswer.New())
			return
		}
		r.note(noteServiceClosed.New())
		r.res.Verdict = NotRequested
		return
	}
	accepted, known := r.tlsAccepted()
	switch {
	case !sent || known && !accepted:
		r.res.Verdict, r.res.CauseCode = Rejected, "closed"
		r.cause(causeClosed.New())
	case known:
		r.res.Verdict, r.res.CauseCode = Accepted, CauseServiceClosed
		r.cause(causeServiceClosed.New())
	default:
		r.fail(KindProtocol, causeClosed.New())
		r.res.CauseCode = CauseClosedUnclear
		r.cause(causeClosedUnclear.New())
	}
}

// tlsAccepted reports whether the trace proves that the server's TLS
// layer accepted our certificate, and whether the trace can tell.
func (r *run) tlsAccepted() (accepted, known bool) {
	if r.res.TLS.Version == TLS13 {
		if r.ticketed() {
			return true, true
		}
		return false, false
	}
	// TLS 1.2 (RFC 5246 §7.4.9): the server sends its Finished only after
	// it processed our Certificate and CertificateVerify.
	certSeen := false
	for _, s := range r.tracer.Steps() {
		switch {
		case s.From == "client" && s.Message == "Certificate":
			certSeen, accepted = true, false
		case certSeen && s.From == "server" && s.Message == "Finished":
			accepted = true
		}
	}
	return accepted, true
}

// postHandshakePattern reports what a TLS 1.3 server that wants
// post-handshake authentication looks like to a client that does not
// offer it (RFC 8446 §4.2.6, §4.6.2): a CertificateRequest after our
// Finished, or no CertificateRequest in the handshake and then 401/403,
// an alert or a close on the request (Apache: AH10158).
func (r *run) postHandshakePattern() bool {
	if r.res.TLS.Version != TLS13 || r.tracer == nil {
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.requested || !r.target.IsHTTP || !r.handshakeDone {
		return false
	}
	if r.res.HTTP != nil {
		return r.res.HTTP.Status == 401 || r.res.HTTP.Status == 403
	}
	return r.refusedAfterRequest
}
