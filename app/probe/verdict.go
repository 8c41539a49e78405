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
	"github.com/cardcheck/cardcheck/app/msg"
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

// The words are catalog entries (messages.go, texts.go, causes.go): the
// functions here pick which message, with which arguments.

// finish gathers the trace, runs the local certificate checks and writes
// summary and advice for the verdict.
func (r *run) finish(ctx context.Context, deadline time.Time) {
	if r.tracer != nil {
		r.tracer.Flush()
		r.res.Steps = r.tracer.Steps()
		r.res.Alert = r.firstAlert()
		for _, m := range r.tracer.NoteMsgs() {
			r.note(m)
		}
		r.res.CertificateRequest = r.certificateRequest()
	}
	r.serverResult()
	if !r.cardFailed() { // else the login failed: its caller reports that, without waiting for the checks
		r.runChecks(ctx, deadline)
	}
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
		m := serverErrorText(serr)
		s := msg.English(m)
		r.res.Server.Error, r.res.Server.ErrorMsg = &s, m
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
	in := r.checksInput()
	in.Signatures = sigs
	if r.res.CertificateRequest != nil {
		in.Requested, in.AcceptableCAs = true, r.res.CertificateRequest.rawCAs
		if in.AcceptableCAs == nil {
			in.AcceptableCAs = [][]byte{}
		}
	}
	if r.res.Error != nil && r.res.Error.Kind == KindCanceled {
		return // the user canceled: no more network or card work
	}
	if r.cred.Card != nil && len(sigs) == 0 && !r.preflight && r.signError() == nil { // never a second signature after a failed one
		in.Challenge = r.challenge
	}
	end := checksEnd(deadline)
	cctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	in.Timeout = max(time.Until(end), time.Millisecond)
	in.Early = r.early
	r.res.Checks = certcheck.Run(cctx, in)
}

// checksEnd is when the local checks must end: at the test's deadline
// (the network part left them checksShare at least) and at most
// checksMax from now: a test that timed out on the server still deserves
// its local checks.
func checksEnd(deadline time.Time) time.Time {
	if end := time.Now().Add(checksMax); end.Before(deadline) {
		return end
	}
	return deadline
}

// checksInput is the certificate part of the checks' input.
func (r *run) checksInput() certcheck.Input {
	return certcheck.Input{Leaf: r.cred.Leaf, Intermediates: r.cred.Intermediates, Roots: r.opt.Roots,
		Now: r.opt.Now(), HTTPClient: r.opt.HTTPClient}
}

// startChecks starts the chain and revocation checks (AIA, OCSP, CRL) of
// cred so that they run beside the handshake instead of after it; nil
// without a certificate.
func startChecks(ctx context.Context, opt Options, cred Credential, deadline time.Time) *certcheck.Early {
	if cred.Leaf == nil {
		return nil
	}
	end := checksEnd(deadline)
	cctx, cancel := context.WithDeadline(ctx, end)
	defer cancel() // StartEarly keeps only the deadline
	return certcheck.StartEarly(cctx, certcheck.Input{Leaf: cred.Leaf, Intermediates: cred.Intermediates,
		Roots: opt.Roots, Now: opt.Now(), HTTPClient: opt.HTTPClient, Timeout: max(time.Until(end), time.Millisecond)})
}

// takeEarly takes over the checks the pre-flight started when they check
// the same chain, and otherwise stops them and starts its own.
func (r *run) takeEarly(ctx context.Context, deadline time.Time) *certcheck.Early {
	if pf := r.opt.Preflight; pf != nil && pf.early != nil {
		if pf.early.For(r.checksInput()) {
			return pf.early
		}
		pf.early.Stop()
	}
	return startChecks(ctx, r.opt, r.cred, deadline)
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
		r.summary(sumAccepted.New())
		if res.HTTP != nil && res.HTTP.Status >= 400 {
			r.summary(sumAcceptedPage.New("Status", res.HTTP.Status, "Reason", res.HTTP.Reason))
		}
	case Denied:
		refusal := refusalHTTP.New("Status", res.HTTP.Status)
		if c := r.failedCheck(); c != nil {
			r.blameCheck(c, refusal)
			break
		}
		r.summary(sumDenied.New("Status", res.HTTP.Status))
		r.advise(AdviceAskAccess, adviceAskAccess.New())
	case Rejected:
		r.summary(sumRejected.New())
		r.adviseAll(adviceFor(res.CauseCode))
		if c := r.failedCheck(); c != nil && res.CauseCode == "access_denied" {
			r.blameCheck(c, refusalDenied.New())
		}
	case NotRequested:
		r.summary(sumNotRequested.New())
		r.advise(AdviceCheckURL, adviceCheckURL.New())
		r.advise(AdviceServerNotSetUp, adviceNotSetUp.New())
	case ServerUntrusted:
		r.summary(sumServerUntrusted.New())
		r.cause(res.Server.ErrorMsg)
		r.adviseUntrusted(res.Server.ErrorMsg)
		r.advise(AdviceContinueUntrusted, adviceContinue.New())
	case Failed:
		r.summary(sumFailed.New())
		if res.Error != nil {
			r.summary(sumFailedBecause.New("Error", res.Error.MessageMsg))
		}
		if res.CauseCode == CauseProxyFailed || res.CauseCode == CauseProxyAuth {
			r.advise(AdviceCheckProxy, adviceCheckProxy.New())
		}
		if a, ok := adviceBeforeAsk(r.alertBeforeAsk, r.opt.TLSVersion); ok {
			r.advise(a.code, a.text)
		}
		r.adviseAll(adviceForError(res.Error))
		switch c := r.failedCheck(); {
		case res.CauseCode == CauseClosedUnclear && c != nil:
			res.Verdict, res.Error = Rejected, nil
			r.blameCheck(c, refusalClosed.New())
		case res.CauseCode == CauseClosedUnclear:
			r.summary(sumClosedUnclear.New())
			r.advise(AdviceAskWhichClose, adviceAskWhichClose.New())
		case res.CauseCode == CausePostHandshakeAuth:
			r.summary(sumPHAFailed.New("Error", res.Error.MessageMsg))
			r.advise(AdviceTestPostHandshakeTLS12, adviceTestTLS12PHA.New())
			r.adviseAll(phaAdvice())
		}
	}
	if res.Verdict == Accepted && res.CauseCode == CauseServiceClosed {
		r.summary(sumServiceClosed.New())
		r.advise(AdviceAskWhyServiceClosed, adviceServiceClosed.New())
	}
	if r.pha {
		r.explainPostHandshake()
	}
	if res.Verdict == Accepted {
		r.uncheckedWarnings()
	}
	r.adviceFromChecks()
	if res.Server.Error != nil && res.Verdict != ServerUntrusted {
		r.advise(AdviceServerUntrustedNote, adviceUntrustedNote.New("Reason", res.Server.ErrorMsg))
	}
}

// adviseUntrusted says what can make the server trusted: its CA, when
// that is what is missing; else the certificate must change.
func (r *run) adviseUntrusted(why msg.Msg) {
	switch why.ID {
	case "", serverNotTrustedCA.ID: // "": a result from before the reasons were messages
		r.advise(AdviceGiveServerCA, adviceGiveCA.New())
	case serverWrongHost.ID:
		r.advise(AdviceUseCertificateHost, adviceUseCertHost.New("Host", why.Args["Host"]))
	case serverExpired.ID:
		r.advise(AdviceCheckClock, adviceCheckClock.New())
		r.advise(AdviceFixServerCert, adviceFixServerCert.New())
	default:
		r.advise(AdviceFixServerCert, adviceFixServerCert.New())
	}
}

// adviceFromChecks adds what the local checks found, which often names the
// real reason behind a terse alert.
func (r *run) adviceFromChecks() {
	if r.res.Verdict == Accepted || r.res.Verdict == NotRequested {
		return
	}
	for _, c := range r.res.Checks {
		if c.Status == certcheck.Fail {
			r.advise(AdviceLocalCheckPrefix+adviceName(c.Name), adviceLocalCheck.New("Check", c.Name, "Detail", c.DetailMessage()))
		}
	}
}

// adviceName is a check's name in an advice code: '-' as '_'.
func adviceName(check string) string { return strings.ReplaceAll(check, "-", "_") }

// advise adds one entry to Advice and its code to AdviceCodes.
func (r *run) advise(code string, m msg.Msg) {
	r.res.Advice = append(r.res.Advice, msg.English(m))
	r.res.AdviceCodes = append(r.res.AdviceCodes, code)
	r.res.AdviceMsgs = append(r.res.AdviceMsgs, m)
}

func (r *run) adviseAll(as []advice) {
	for _, a := range as {
		r.advise(a.code, a.text)
	}
}

// adviceBeforeAsk is what to do about an alert that ended the handshake
// before the server asked for a certificate: the version, cipher or
// protocol settings of the two sides, never the certificate (the advice
// of a rejection would blame it).
func adviceBeforeAsk(alert string, asked TLSVersion) (advice, bool) {
	switch alert {
	case "protocol_version":
		if asked == TLSAuto || asked == "" { // 1.2 and 1.3 were offered: the server has neither
			return advice{AdviceAskTLSSettings, adviceServerOldTLS.New()}, true
		}
		return alertAdvice(alert), true
	case "illegal_parameter", "internal_error", "insufficient_security":
		return alertAdvice(alert), true
	case "handshake_failure":
		return alertAdvice("insufficient_security"), true // no common cipher suite, group or version
	}
	return advice{}, false
}

// meaningBeforeAsk explains an alert that came before any certificate
// request: handshake_failure then means the offers did not meet, not a
// refused certificate.
func meaningBeforeAsk(alert string) msg.Msg {
	if alert == "handshake_failure" {
		return meaningNothingInCommon.New()
	}
	return alertMeaning(alert)
}

func adviceForError(e *ErrorInfo) []advice {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case "pin-incorrect":
		return []advice{{AdviceRetypePIN, adviceRetypePIN.New()}}
	case "pin-locked":
		return []advice{{AdviceUnblockPIN, adviceUnblockPIN.New()}}
	case "pin-final-try":
		return []advice{{AdviceConfirmFinalTry, adviceFinalTry.New()}}
	case "token-removed", "token-not-found":
		return []advice{{AdviceInsertCard, adviceInsertCard.New()}}
	case KindTimeout:
		return []advice{{AdviceCheckReachable, adviceReachable.New()}}
	case KindNetwork:
		return []advice{{AdviceCheckNetwork, adviceNetwork.New()}}
	}
	return nil
}

// Failure is the result of a test that could not start (token side or
// setup): verdict error with kind and message, summary and advice filled.
func Failure(url string, kind ErrorKind, m msg.Msg) *Result {
	r := &run{res: newResult(url)}
	r.fail(kind, m)
	r.res.Server.Chain = []ChainCert{}
	r.explain()
	return r.res
}
