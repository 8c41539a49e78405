package probe

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// challengeOpts picks a signature the card can make for the challenge:
// PKCS#1 v1.5 or PSS for RSA keys, ECDSA with SHA-256 otherwise.
func challengeOpts(c Card) crypto.SignerOpts {
	if _, ok := c.Public().(*rsa.PublicKey); ok {
		for _, s := range c.SignatureSchemes() {
			if s == tls.PKCS1WithSHA256 {
				return crypto.SHA256
			}
		}
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	}
	return crypto.SHA256
}

// Rules for the words in this file: one sentence a person can act on;
// say what happened, then what to do; name the server's own words (alert
// names, HTTP codes) so helpdesk staff can search for them.

// finish gathers the trace, runs the local certificate checks and writes
// summary and advice for the verdict.
func (r *run) finish(ctx context.Context, deadline time.Time) {
	if r.tracer != nil {
		r.tracer.Flush()
		r.res.Steps = r.tracer.Steps()
		r.res.Alert = r.firstAlert()
		r.res.Notes = append(r.res.Notes, r.tracer.Notes()...)
		r.res.CertificateRequest = r.certificateRequest()
	}
	r.serverResult()
	r.runChecks(ctx, deadline)
	_, spent := r.signStats()
	r.res.Timings.SignMs = ms(spent)
	r.res.Timings.TotalMs = ms(time.Since(r.start))
	r.explain()
}

func (r *run) firstAlert() *tlstrace.Alert {
	for _, a := range r.tracer.Alerts() {
		if a.Name != "close_notify" {
			return &a
		}
	}
	return nil
}

func (r *run) serverResult() {
	_, _, _, serr := r.state()
	r.res.Server.Verified = serr == nil && len(r.res.Server.Chain) > 0
	if serr != nil {
		s := serverErrorText(serr)
		r.res.Server.Error = &s
	}
	if r.res.Server.Chain == nil {
		r.res.Server.Chain = []ChainCert{}
	}
}

// runChecks runs the client certificate checks. Key possession reuses the
// signature the card made for CertificateVerify; only when the handshake
// made none does it sign one random challenge (at most one signature on
// the card per test).
func (r *run) runChecks(ctx context.Context, deadline time.Time) {
	if r.cred.Leaf == nil {
		return
	}
	sigs, _ := r.signStats()
	in := certcheck.Input{
		Leaf: r.cred.Leaf, Intermediates: r.cred.Intermediates, Roots: r.opt.Roots,
		Signatures: sigs, Now: r.opt.Now(), HTTPClient: r.opt.HTTPClient,
	}
	if r.res.CertificateRequest != nil {
		in.Requested, in.AcceptableCAs = true, r.res.CertificateRequest.rawCAs
		if in.AcceptableCAs == nil {
			in.AcceptableCAs = [][]byte{}
		}
	}
	if r.res.Error != nil && r.res.Error.Kind == string(KindCanceled) {
		return // the user canceled: no more network or card work
	}
	if r.cred.Card != nil && len(sigs) == 0 && !r.preflight && r.signError() == nil { // never a second signature after a failed one
		in.Challenge = r.challenge
	}
	// The checks run until the test's deadline (the network part left them
	// checksShare at least) and at most checksMax: a test that timed out
	// on the server still deserves its local checks.
	end := time.Now().Add(checksMax)
	if deadline.Before(end) {
		end = deadline
	}
	cctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	in.Timeout = max(time.Until(end), time.Millisecond)
	r.res.Checks = certcheck.Run(cctx, in)
}

// challenge signs a random SHA-256 digest on the card.
func (r *run) challenge() (certcheck.SignatureRecord, error) {
	if r.cred.Card == nil {
		return certcheck.SignatureRecord{}, fmt.Errorf("no card")
	}
	var msg [32]byte
	rand.Read(msg[:])
	d := sha256.Sum256(msg[:])
	opts := challengeOpts(r.cred.Card)
	start := time.Now()
	sig, err := r.cred.Card.Sign(rand.Reader, d[:], opts)
	r.mu.Lock()
	r.signTime += time.Since(start)
	r.mu.Unlock()
	return certcheck.SignatureRecord{Digest: d[:], Opts: opts, Signature: sig}, err
}

// explain writes summary and advice from the verdict, the cause and the
// failed checks.
func (r *run) explain() {
	res := r.res
	switch res.Verdict {
	case Accepted:
		res.Summary = "Your card works with this server: it accepted your certificate."
		if res.HTTP != nil && res.HTTP.Status >= 400 {
			res.Summary = fmt.Sprintf("Your card works with this server: it accepted your certificate (the page itself answered %d %s).", res.HTTP.Status, res.HTTP.Reason)
		}
	case Denied:
		refusal := fmt.Sprintf("The server refused access (HTTP %d)", res.HTTP.Status)
		if c := r.failedCheck(); c != nil {
			r.blameCheck(c, refusal)
			break
		}
		res.Summary = fmt.Sprintf("The server accepted your certificate, but the application refused access (HTTP %d).", res.HTTP.Status)
		r.advise(AdviceAskAccess, "Your card is fine. Ask the service's administrators to grant your account access.")
	case Rejected:
		res.Summary = "The server refused your certificate."
		r.adviseAll(adviceFor(res.CauseCode))
		if c := r.failedCheck(); c != nil && res.CauseCode == "access_denied" {
			r.blameCheck(c, "The server refused access (access_denied)")
		}
	case NotRequested:
		res.Summary = "The server never asked for a client certificate, so your card was not used."
		r.advise(AdviceCheckURL, "Check the address: the service may use a different URL or port for smart-card login.")
		r.advise(AdviceServerNotSetUp, "If this is the right address, the server is not set up for certificate login.")
	case ServerUntrusted:
		res.Summary = "The server's own certificate could not be verified, so the test stopped before your certificate was sent."
		res.Cause = derefOr(res.Server.Error, "")
		r.advise(AdviceGiveServerCA, "If this is a test or internal server, give its CA certificate with --ca FILE.")
		r.advise(AdviceContinueUntrusted, "To test your card anyway, run again with --continue-untrusted; the report will still mark the server as untrusted.")
	case Failed:
		res.Summary = "The test could not be completed."
		if res.Error != nil {
			res.Summary = "The test could not be completed: " + res.Error.Message
		}
		r.adviseAll(adviceForError(res.Error))
		switch c := r.failedCheck(); {
		case res.CauseCode == CauseClosedUnclear && c != nil:
			res.Verdict, res.Error = Rejected, nil
			r.blameCheck(c, "The server closed the connection after receiving your certificate")
		case res.CauseCode == CauseClosedUnclear:
			res.Summary = "The server closed the connection after receiving your certificate, without saying why: either it refused the certificate, or it accepted it and the service behind it closed."
			r.advise(AdviceAskWhichClose, "Ask the service's administrators which it was: the server's log names the reason.")
		case res.CauseCode == CausePostHandshakeAuth:
			res.Summary = "Your card could not be tested over TLS 1.3: " + res.Error.Message
			r.advise(AdviceTestPostHandshakeTLS12, "Test with --tls auto or --tls 1.2: over TLS 1.2 the server asks by renegotiation.")
			r.adviseAll(phaAdvice)
		}
	}
	if res.Verdict == Accepted && res.CauseCode == CauseServiceClosed {
		res.Summary = "The server accepted your certificate, but then the service closed the connection without an answer."
		r.advise(AdviceAskWhyServiceClosed, "The card works at the TLS level. Ask the service's administrators why the service behind the TLS server closed (it may be down).")
	}
	if r.pha {
		r.explainPostHandshake()
	}
	if res.Verdict == Accepted {
		r.uncheckedWarnings()
	}
	r.adviceFromChecks()
	if res.Server.Error != nil && res.Verdict != ServerUntrusted {
		r.advise(AdviceServerUntrustedNote, "Note: the server's own certificate is not trusted ("+*res.Server.Error+").")
	}
}

func derefOr(s *string, d string) string {
	if s == nil {
		return d
	}
	return *s
}

// adviceFromChecks adds what the local checks found, which often names the
// real reason behind a terse alert.
func (r *run) adviceFromChecks() {
	if r.res.Verdict == Accepted || r.res.Verdict == NotRequested {
		return
	}
	for _, c := range r.res.Checks {
		if c.Status == certcheck.Fail {
			r.advise(AdviceLocalCheckPrefix+adviceName(c.Name), "Local check \""+c.Name+"\": "+c.Detail)
		}
	}
}

// adviceName is a check's name in an advice code: '-' as '_'.
func adviceName(check string) string { return strings.ReplaceAll(check, "-", "_") }

// advise adds one entry to Advice and its code to AdviceCodes.
func (r *run) advise(code, text string) {
	r.res.Advice = append(r.res.Advice, text)
	r.res.AdviceCodes = append(r.res.AdviceCodes, code)
}

func (r *run) adviseAll(as []advice) {
	for _, a := range as {
		r.advise(a.code, a.text)
	}
}

func adviceForError(e *ErrorInfo) []advice {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case "pin-incorrect":
		return []advice{{AdviceRetypePIN, "Type the PIN again carefully. cardcheck never retries a wrong PIN by itself."}}
	case "pin-locked":
		return []advice{{AdviceUnblockPIN, "Contact your helpdesk to unblock the card with the PUK or an administrator PIN."}}
	case "pin-final-try":
		return []advice{{AdviceConfirmFinalTry, "One more wrong PIN locks the card. Make sure of the PIN, then confirm the final try explicitly with --final-try."}}
	case "token-removed", "token-not-found":
		return []advice{{AdviceInsertCard, "Insert the card (firmly) and try again."}}
	case string(KindTimeout):
		return []advice{{AdviceCheckReachable, "Check that the server is reachable from this network (VPN, proxy, firewall), or allow more time with --timeout (e.g. --timeout 60s)."}}
	case string(KindNetwork):
		return []advice{{AdviceCheckNetwork, "Check the address, your network connection, VPN and proxy settings."}}
	}
	return nil
}

// Failure is the result of a test that could not start (token side or
// setup): verdict error with kind and message, summary and advice filled.
func Failure(url, kind, msg string) *Result {
	r := &run{res: &Result{URL: RedactURL(url), Advice: []string{}, AdviceCodes: []string{}, Checks: []certcheck.Check{}, Steps: []tlstrace.Step{}, Notes: []string{}}}
	r.fail(ErrorKind(kind), msg)
	r.res.Server.Chain = []ChainCert{}
	r.explain()
	return r.res
}
