package probe

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// The pre-flight (docs/contract.md, The test: pre-flight, then PIN, then the test) runs the
// handshake without the card, as far as the server's flight, and ends it
// before anything of the card is sent: an error returned from
// GetClientCertificate aborts the handshake (Go 1.26; in TLS 1.3 after
// the server's Finished was read, without an alert; in TLS 1.2 right
// after the CertificateRequest, with internal_error). The server logs one
// aborted handshake. A typo, a dead or untrusted server, or one that
// never asks for a certificate then costs no PIN.

// errPreflightStop ends the pre-flight's handshake at the CertificateRequest.
var errPreflightStop = errors.New("cardcheck pre-flight: stop before the client certificate")

// Finding codes of a pre-flight (JSON `preflight.finding`), stable.
const (
	FindingRequested         = "certificate-requested" // the server asks: log in and test
	FindingPostHandshakeAuth = "post-handshake-auth"   // TLS 1.3 pattern of a later request (see Run)
	FindingNotRequested      = "not-requested"         // the server never asks: no PIN needed
	FindingServerUntrusted   = "server-untrusted"      // stop (without ContinueUntrusted)
	FindingUnknownHost       = "unknown-host"          // DNS found no such name
	FindingRefused           = "connection-refused"    // nothing listens on the port
	FindingUnreachable       = "unreachable"           // no route to the host
	FindingTimeout           = "timeout"               // no answer in time
	FindingCanceled          = "canceled"              // the user canceled
	FindingFailed            = "failed"                // any other failure: see Result.Error
)

// Candidate is the certificate chosen for the test, before login: what
// the pre-flight compares with the server's request.
type Candidate struct {
	Leaf          *x509.Certificate
	Intermediates []*x509.Certificate
	// Schemes are the TLS signature schemes the token can sign with this
	// key (from its mechanism list, readable without login).
	Schemes []tls.SignatureScheme
}

// Preflight is what the handshake without the card found out: JSON
// `preflight` of `check --json`.
type Preflight struct {
	Finding    string     `json:"finding"`     // one of the Finding* codes
	NeedsCard  bool       `json:"needs_card"`  // the test goes on: ask the PIN now
	Summary    string     `json:"summary"`     // one sentence about the finding
	SummaryMsg msg.Msg    `json:"summary_msg"` // Summary as a message
	Reachable  bool       `json:"reachable"`   // a connection to the server was made (through the proxy, when one is used)
	TLS        TLSInfo    `json:"tls"`
	Server     ServerInfo `json:"server"`
	// CertificateRequested: the server asked for a client certificate,
	// in the handshake or by renegotiation (RequestedBy).
	CertificateRequested bool         `json:"certificate_requested"`
	RequestedBy          string       `json:"requested_by"` // "handshake", "renegotiation" or ""
	CertificateRequest   *CertRequest `json:"certificate_request"`
	// Fit says whether the chosen certificate and key fit the request:
	// the acceptable-ca check and a signature-scheme check.
	Fit        []certcheck.Check `json:"fit"`
	HTTP       *HTTPInfo         `json:"http"`
	Alert      *tlstrace.Alert   `json:"alert"`
	Steps      []tlstrace.Step   `json:"steps"`
	DurationMs float64           `json:"duration_ms"`
	// Result is the test's result when the test ends here (NeedsCard
	// false): show it as the verdict, no PIN was needed.
	Result *Result `json:"-"`
	// early are the certificate checks started with the pre-flight, for
	// Run to take over (see Close).
	early *certcheck.Early
	// trusted is the server's chain the pre-flight verified for host with
	// roots: the test's handshake does not verify the same chain again.
	trusted []*x509.Certificate
	host    string
	roots   *x509.CertPool
}

// trusts reports whether the pre-flight verified this very chain for host.
func (pf *Preflight) trusts(chain []*x509.Certificate, host string, roots *x509.CertPool) bool {
	return len(pf.trusted) > 0 && host == pf.host && roots == pf.roots &&
		slices.EqualFunc(chain, pf.trusted, (*x509.Certificate).Equal)
}

// Close stops the certificate checks the pre-flight started for the test,
// when no test follows (the PIN was not given, the login failed). Run
// takes them over otherwise. Safe on nil.
func (pf *Preflight) Close() {
	if pf != nil {
		pf.early.Stop()
	}
}

// NameSignatureScheme is the fit check of the key's signature schemes.
const NameSignatureScheme = "signature-scheme"

// RunPreflight connects and handshakes without the card (opt as for Run;
// OnStep and OnProgress hear this connection as ConnPreflight). It always
// returns a Preflight; when NeedsCard is false its Result is the verdict.
func RunPreflight(ctx context.Context, opt Options, cand Candidate) *Preflight {
	return runPreflight(ctx, opt, cand, nil)
}

// runPreflight is RunPreflight with the certificate checks already
// started for cand (early), or nil to start them.
func runPreflight(ctx context.Context, opt Options, cand Candidate, early *certcheck.Early) *Preflight {
	opt.defaults()
	start := time.Now()
	deadline := opt.deadline(start)
	r := newRun(opt, cand.credential(), start, ConnPreflight)
	r.preflight = true
	// The certificate's own checks need no card: they start now and run
	// beside the pre-flight, the PIN and the handshake (Run takes them over).
	r.early = early
	if early == nil {
		r.early = startChecks(ctx, opt, r.cred, deadline)
	}
	pctx, cancel := context.WithDeadline(ctx, deadline.Add(-checksShare(opt.Timeout)))
	defer cancel()
	r.execute(pctx)
	return r.preflightEnd(ctx, pctx, deadline)
}

// RunPreflightAhead is RunPreflight started before the certificate is
// chosen, so that connecting and the server's flight overlap with loading
// the module and reading the token: the pre-flight needs the certificate
// only once its handshake is over. chosen returns the candidate (false: none
// could be chosen; the pre-flight is then abandoned and the result is
// nil). The handshake assumes a key that can sign in TLS 1.3; when in TLS
// auto the chosen one cannot (RSA without PSS), the pre-flight is run again
// as RunPreflight runs it, over TLS 1.2.
func RunPreflightAhead(ctx context.Context, opt Options, chosen func() (Candidate, bool)) *Preflight {
	opt.defaults()
	start := time.Now()
	deadline := opt.deadline(start)
	pctx, cancel := context.WithDeadline(ctx, deadline.Add(-checksShare(opt.Timeout)))
	defer cancel()
	type choice struct {
		cand  Candidate
		ok    bool
		early *certcheck.Early
	}
	got := make(chan choice, 1)
	go func() {
		cand, ok := chosen()
		c := choice{cand: cand, ok: ok}
		if ok {
			c.early = startChecks(ctx, opt, cand.credential(), deadline)
		} else {
			cancel() // nothing to test: end the handshake now
		}
		got <- c
	}()
	r := newRun(opt, Credential{}, start, ConnPreflight)
	r.preflight = true
	r.execute(pctx)
	c := <-got
	if !c.ok {
		return nil
	}
	cred := c.cand.credential()
	if opt.TLSVersion != TLS12 && cred.Card != nil && !cred.Card.TLS13Capable() {
		return runPreflight(ctx, opt, c.cand, c.early) // the same certificate: its checks go on
	}
	r.cred, r.early = cred, c.early
	return r.preflightEnd(ctx, pctx, deadline)
}

// credential is the candidate as the pre-flight's stand-in for the card.
func (c Candidate) credential() Credential {
	cred := Credential{Leaf: c.Leaf, Intermediates: c.Intermediates}
	if c.Leaf != nil {
		cred.Card = schemesOnly{pub: c.Leaf.PublicKey, schemes: c.Schemes}
	}
	return cred
}

// preflightEnd turns the pre-flight's handshake into its finding and, when
// the test ends here, its result. ctx is the caller's, pctx the
// handshake's.
func (r *run) preflightEnd(ctx, pctx context.Context, deadline time.Time) *Preflight {
	r.matchSchemes()
	pf := r.preflightFinding(pctx)
	if !pf.NeedsCard {
		if r.res.Verdict == "" {
			r.res.Verdict = NotRequested
		}
		r.finish(ctx, deadline)
		r.early.Stop()
		r.res.Preflight = pf
		pf.Result = r.res
	} else {
		pf.early = r.early
		r.mu.Lock()
		pf.trusted, pf.host, pf.roots = r.trusted, r.target.Host, r.opt.Roots
		r.mu.Unlock()
		if r.tracer != nil {
			r.tracer.Flush()
		}
	}
	if r.tracer != nil {
		pf.Steps = r.tracer.Steps()
		if pf.Alert == nil {
			pf.Alert = r.serverAlertOnly()
		}
	}
	pf.DurationMs = ms(time.Since(r.start))
	return pf
}

// preflightFinding turns what the pre-flight saw into its finding.
func (r *run) preflightFinding(ctx context.Context) *Preflight {
	requested, _, mismatch, serr := r.state()
	pf := &Preflight{Steps: []tlstrace.Step{}, Fit: []certcheck.Check{}, TLS: r.res.TLS, HTTP: r.res.HTTP,
		Reachable: r.connected, CertificateRequested: requested}
	if r.tracer != nil {
		pf.CertificateRequest = r.certificateRequest()
	}
	r.mu.Lock()
	pf.RequestedBy = r.requestedAt
	r.mu.Unlock()
	pf.Server.Verified = serr == nil && len(r.res.Server.Chain) > 0
	if serr != nil {
		m := serverErrorText(serr)
		s := msg.English(m)
		pf.Server.Error, pf.Server.ErrorMsg = &s, m
	}
	pf.Server.Chain = r.res.Server.Chain
	if pf.Server.Chain == nil {
		pf.Server.Chain = []ChainCert{}
	}
	switch {
	case r.res.Verdict == ServerUntrusted:
		pf.Finding = FindingServerUntrusted
		pf.summary(pfServerUntrusted.New())
	case requested:
		pf.Finding, pf.NeedsCard = FindingRequested, true
		pf.Fit = r.fit(mismatch)
		pf.summary(r.requestSummary(pf))
		r.res.Verdict, r.res.Error = "", nil
	case r.postHandshakePattern() && r.opt.TLSVersion == TLSAuto:
		pf.Finding, pf.NeedsCard = FindingPostHandshakeAuth, true
		pf.summary(pfPHAFallback.New())
		r.res.Verdict, r.res.Error = "", nil
	case r.postHandshakePattern():
		pf.Finding = FindingPostHandshakeAuth
		pf.summary(pfPHAFailed.New())
		r.phaFailed()
	case r.res.Verdict == Failed:
		pf.Finding = r.failureFinding()
		pf.summary(pfFailed.New("Error", r.res.Error.MessageMsg))
	default:
		pf.Finding = FindingNotRequested
		pf.summary(pfNotRequested.New())
	}
	return pf
}

// failureFinding names a failed pre-flight by its cause.
func (r *run) failureFinding() string {
	switch {
	case r.res.Error == nil:
		return FindingFailed
	case r.res.Error.Kind == KindCanceled:
		return FindingCanceled
	case r.res.Error.Kind == KindTimeout:
		return FindingTimeout
	}
	switch r.dialFinding {
	case "":
		return FindingFailed
	default:
		return r.dialFinding
	}
}

// requestSummary says what the server asks for and whether the card fits.
func (r *run) requestSummary(pf *Preflight) msg.Msg {
	var issuers, how msg.Msg
	if cr := pf.CertificateRequest; cr != nil && len(cr.AcceptableCAs) > 0 {
		issuers = issuedBy(cr.AcceptableCAs)
	}
	if pf.RequestedBy == "renegotiation" {
		how = pfByReneg.New()
	}
	fit := pfMayNotFit.New()
	fits := true
	for _, c := range pf.Fit {
		if c.Status == certcheck.Fail {
			fits = false
		}
	}
	switch {
	case r.cred.Leaf == nil:
		fit = pfNoCard.New()
	case fits:
		fit = pfFits.New()
	}
	return pfRequest.New("Issuers", issuers, "How", how, "Fit", fit)
}

// issuedBy names the first three acceptable CAs, and how many more.
func issuedBy(names []string) msg.Msg {
	const shown = 3
	q := make([]string, 0, shown)
	for _, n := range names[:min(shown, len(names))] {
		q = append(q, "“"+n+"”")
	}
	s := strings.Join(q, ", ")
	if len(names) > shown {
		return pfIssuedByMore.New("Names", s, "Count", len(names)-shown)
	}
	return pfIssuedBy.New("Names", s)
}

// summary sets the summary, in English and as a message.
func (pf *Preflight) summary(m msg.Msg) { pf.Summary, pf.SummaryMsg = msg.English(m), m }

// fit compares the certificate and key with the request.
func (r *run) fit(mismatch []tls.SignatureScheme) []certcheck.Check {
	if r.cred.Leaf == nil {
		return []certcheck.Check{}
	}
	chain := append([]*x509.Certificate{r.cred.Leaf}, r.cred.Intermediates...)
	cr := r.certificateRequest()
	var raw [][]byte
	if cr != nil {
		raw = cr.rawCAs
	}
	out := []certcheck.Check{certcheck.AcceptableCA(true, raw, chain)}
	r.mu.Lock()
	cri := r.cri
	r.mu.Unlock()
	switch {
	case len(r.cred.Card.SignatureSchemes()) == 0:
		out = append(out, certcheck.NewCheck(NameSignatureScheme, certcheck.Unknown, checkNoMechanism.New()))
	case mismatch != nil:
		out = append(out, certcheck.NewCheck(NameSignatureScheme, certcheck.Fail,
			checkSchemeMismatch.New("Server", schemeList(mismatch), "Card", schemeList(r.cred.Card.SignatureSchemes()))))
	case cri != nil:
		out = append(out, certcheck.NewCheck(NameSignatureScheme, certcheck.Pass,
			checkSchemeFits.New("Schemes", schemeList(common(r.cred.Card.SignatureSchemes(), cri.SignatureSchemes)))))
	}
	return out
}

func common(a, b []tls.SignatureScheme) []tls.SignatureScheme {
	var out []tls.SignatureScheme
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}

// preflightCertificate records the request and ends the handshake before
// anything of the card is sent.
func (r *run) preflightCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requested, r.cri = true, cri
	r.requestedAt = "handshake"
	if r.handshakeDone {
		r.requestedAt = "renegotiation"
	}
	return nil, errPreflightStop
}

// matchSchemes notes the server's schemes when none fits the card's, once
// the pre-flight's handshake is over (the candidate may have been chosen
// only then).
func (r *run) matchSchemes() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cred.Card; c != nil && r.cri != nil && len(c.SignatureSchemes()) > 0 && !overlap(c.SignatureSchemes(), r.cri.SignatureSchemes) {
		r.schemeMismatch = r.cri.SignatureSchemes
	}
}

// serverAlertOnly is the server's first alert other than close_notify.
func (r *run) serverAlertOnly() *tlstrace.Alert {
	for _, a := range r.tracer.Alerts() {
		if a.From == "server" && a.Name != "close_notify" {
			return &a
		}
	}
	return nil
}

// schemesOnly stands in for the card during the pre-flight: it knows the
// key and what the token can sign, and never signs.
type schemesOnly struct {
	pub     crypto.PublicKey
	schemes []tls.SignatureScheme
}

func (s schemesOnly) Public() crypto.PublicKey { return s.pub }
func (s schemesOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("the pre-flight never signs")
}
func (s schemesOnly) SignatureSchemes() []tls.SignatureScheme { return s.schemes }

// TLS13Capable: without a scheme list (unknown) assume yes, as Run does
// for a card it cannot ask.
func (s schemesOnly) TLS13Capable() bool {
	if len(s.schemes) == 0 {
		return true
	}
	for _, x := range s.schemes {
		switch x {
		case tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512:
		default:
			return true
		}
	}
	return false
}
