// Package probe runs cardcheck's test: a real mutual-TLS handshake with the
// card's private key to a URL the user chose, traced message by message
// (TLS 1.3 decrypted from the key log), followed by an HTTP request (or a
// short read for tls:// services), local checks of the client certificate,
// and a verdict in plain words. It knows nothing about windows: the GUI and
// the CLI both drive it and receive steps through a callback.
package probe

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/files"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

var timeZero time.Time

// Card is the signing side: a key on a token, logged in already. token.Signer
// satisfies it.
type Card interface {
	crypto.Signer
	// SignatureSchemes are the schemes the token can really sign.
	SignatureSchemes() []tls.SignatureScheme
	// TLS13Capable reports whether any TLS 1.3 scheme is among them.
	TLS13Capable() bool
}

// Credential is the client certificate with its key on the card.
type Credential struct {
	Leaf *x509.Certificate
	// Intermediates found on the token; the probe adds AIA downloads.
	Intermediates []*x509.Certificate
	Card          Card
	// Ready, when not nil, is waited for before the certificate is sent:
	// the card's login, running beside the test's connection when the PIN
	// is in hand already (app/check). An error ends the handshake there,
	// before anything of the card is sent.
	Ready func(context.Context) error
}

// Options are the user's choices for one test.
type Options struct {
	URL        string
	TLSVersion TLSVersion // TLSAuto (default, also ""), TLS12, TLS13
	// Roots are the CAs of --ca (nil = none). The server is verified
	// against them and, when that fails, against the system roots too; the
	// client certificate's chain is checked against them alone.
	Roots             *x509.CertPool
	ContinueUntrusted bool          // go on when the server's certificate fails verification
	Timeout           time.Duration // whole test; default 30 s
	// Deadline, when set, is when the whole test must be over, pre-flight
	// included: the CLI sets it once, before the pre-flight, and both
	// connections share it. Zero: Timeout from the start of Run (or
	// RunPreflight).
	Deadline time.Time
	KeyLog   io.Writer // NSS key log for Wireshark, only when the user asks
	OnStep   func(tlstrace.Step)
	Now      func() time.Time
	// HTTPClient is used for AIA, OCSP and CRL downloads of the checks.
	HTTPClient *http.Client
	// LateAlertWait bounds the wait for a late alert after a TLS 1.3
	// handshake in which the card's certificate was sent and the server
	// has not yet said whether it accepted it (no NewSessionTicket, no
	// data, no close): a server checking revocation online answers only
	// after its OCSP responder did. Default DefaultLateAlertWait.
	LateAlertWait time.Duration
	// OnProgress, if not nil, hears what the test is doing (connections,
	// waits); called from the test's goroutines, never concurrently.
	OnProgress func(Progress)
	// Preflight is the result of Preflight for the same URL and options;
	// Run reports it and, when it found the post-handshake authentication
	// pattern under auto, goes straight to TLS 1.2.
	Preflight *Preflight
	// Proxy picks the HTTP proxy for a target; default: HTTPS_PROXY and
	// NO_PROXY from the environment (loopback addresses are never proxied).
	Proxy func(Target) (*url.URL, error)
}

func (o *Options) defaults() {
	if o.TLSVersion == "" {
		o.TLSVersion = TLSAuto
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Proxy == nil {
		o.Proxy = ProxyFromEnvironment
	}
	if o.LateAlertWait <= 0 {
		o.LateAlertWait = DefaultLateAlertWait
	}
}

// deadline is when the test started at start must end.
func (o *Options) deadline(start time.Time) time.Time {
	if !o.Deadline.IsZero() {
		return o.Deadline
	}
	return start.Add(o.Timeout)
}

// The test's time is shared (one deadline for everything, issue 10): the
// network part — AIA download, connection, handshake, HTTP — ends
// checksShare before the deadline, so the local checks (OCSP, CRL) keep
// time of their own even when the server used all of its share; and the
// AIA download gets at most aiaShare of the network part, so a slow CA
// cannot eat the server's time.

// checksShare is the part of timeout kept for the local checks: a
// quarter, at most certcheck.DefaultTimeout.
func checksShare(timeout time.Duration) time.Duration {
	return min(timeout/4, certcheck.DefaultTimeout)
}

// maxAIAWait bounds the AIA download before the handshake: a CA's web
// server answers in well under a second, and the test can go on without
// the certificate it would give.
const maxAIAWait = 3 * time.Second

// secondsText is "2 s", "1.5 s", "250 ms", as the checks word it.
func secondsText(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}

// checksMax bounds the local checks after the network part.
const checksMax = 8 * time.Second

// DefaultLateAlertWait is how long a test waits, at most, for a TLS 1.3
// server's late verdict on the certificate. Measured: stunnel checking
// OCSP with a responder that takes 3 s rejects a revoked certificate
// about 6 s after the handshake (one OCSP request for the leaf, one for
// the intermediate); 10 s leaves room for that and a slower network,
// and servers that send a NewSessionTicket end the wait at once.
const DefaultLateAlertWait = 10 * time.Second

// run is the state of one test.
type run struct {
	opt    Options
	target Target
	cred   Credential
	res    *Result
	tracer *tlstrace.Tracer
	start  time.Time

	// preflight: no card; GetClientCertificate ends the handshake (see
	// preflight.go). pha: the test runs over TLS 1.2 because TLS 1.3
	// showed the post-handshake authentication pattern.
	preflight, pha bool
	connected      bool       // the TCP connection (to the server or through the proxy) was made
	alertBeforeAsk string     // the alert that ended the handshake before any certificate request
	dialFinding    string     // the pre-flight finding of a failed dial
	conn           string     // connection label for progress: "preflight", "test", "test-tls12"
	progressMu     sync.Mutex // OnProgress is never called concurrently

	mu            sync.Mutex
	ticketSeen    chan struct{} // closed at the server's first NewSessionTicket after our Finished
	ticketOnce    sync.Once
	requestedAt   string // "handshake" or "renegotiation"
	handshakeDone bool   // the first handshake completed
	// refusedAfterRequest: no certificate was asked for, then the server
	// sent an alert or closed instead of answering.
	refusedAfterRequest bool
	requested           bool // GetClientCertificate fired
	sentCert            bool // we answered with a certificate
	cri                 *tls.CertificateRequestInfo
	serverErr           error                 // server verification failure
	trusted             []*x509.Certificate   // the server's chain, verified
	schemeMismatch      []tls.SignatureScheme // the server's schemes when none fits the card
	sigs                []certcheck.SignatureRecord
	signTime            time.Duration
	// signErr is the card's own error of a failed signature: crypto/tls
	// flattens it into a string in TLS 1.3, and no second signature is
	// tried after it.
	signErr error
	// readyWait is how long the handshake waited for Credential.Ready: not
	// the handshake's time, and left out of it. readyErr is its failure.
	readyWait time.Duration
	readyErr  error
	// early are the chain and revocation checks running beside the
	// handshake (certcheck.StartEarly); finish takes their results.
	early *certcheck.Early
}

// Run performs the test. It always returns a Result; failures are in its
// verdict and Error. The caller has logged in to the card already (a
// server will not wait while someone types a PIN).
func Run(ctx context.Context, opt Options, cred Credential) *Result {
	opt.defaults()
	start := time.Now()
	deadline := opt.deadline(start)
	netCtx, cancel := context.WithDeadline(ctx, deadline.Add(-checksShare(opt.Timeout)))
	defer cancel()
	r := newRun(opt, cred, start, "test")
	if pf := opt.Preflight; pf != nil && pf.Finding == FindingPostHandshakeAuth && opt.TLSVersion == TLSAuto {
		r = newRun(opt, cred, start, "test-tls12")
		r.pha = true
	}
	if _, m := r.tlsConfig(); m.IsZero() {
		r.completeChain(netCtx) // before the handshake: the chain sent depends on it
	}
	early := r.takeEarly(ctx, deadline)
	defer early.Stop()
	r.early = early
	r.execute(netCtx)
	if !r.pha && opt.TLSVersion == TLSAuto && r.postHandshakePattern() {
		// RFC 8446 §4.6.2: the server wanted post-handshake authentication,
		// which Go never offers. TLS 1.2 renegotiation asks the same way.
		notes, noteMsgs := r.res.Notes, r.res.NoteMsgs
		r = newRun(opt, r.cred, start, "test-tls12") // the chain completed above
		r.pha, r.early = true, early
		r.res.Notes, r.res.NoteMsgs = notes, noteMsgs
		r.note(noteRepeatedTLS12.New())
		r.execute(netCtx)
	}
	if !r.pha && r.postHandshakePattern() {
		r.phaFailed() // --tls 1.3: the card was not tested
	}
	r.finish(ctx, deadline)
	r.res.Preflight = opt.Preflight
	return r.res
}

func newRun(opt Options, cred Credential, start time.Time, conn string) *run {
	return &run{opt: opt, cred: cred, start: start, conn: conn, ticketSeen: make(chan struct{}),
		res: newResult(opt.URL)}
}

func (r *run) execute(ctx context.Context) {
	t, err := ParseTarget(r.opt.URL)
	if err != nil {
		r.fail(KindNetwork, urlMessage(err))
		return
	}
	r.target = t
	if t.URL.User != nil {
		r.note(noteUserInfo.New())
	}
	cfg, m := r.tlsConfig()
	if !m.IsZero() {
		r.fail(KindProtocol, m)
		return
	}
	r.progress(Progress{Stage: StageConnect})
	r.tracer = tlstrace.New(r.watchStep)
	cfg.KeyLogWriter = r.tracer.KeyLogWriter(r.opt.KeyLog)
	raw, proxy, err := dial(ctx, t, r.opt.Proxy)
	if err != nil {
		r.dialFailed(ctx, err)
		return
	}
	r.connected = true
	if proxy != "" {
		r.note(noteConnectedVia.New("Proxy", proxy))
	}
	conn := tls.Client(r.tracer.Wrap(raw), cfg)
	defer conn.Close()
	hsStart := time.Now()
	err = conn.HandshakeContext(ctx)
	r.res.Timings.HandshakeMs = ms(time.Since(hsStart) - r.waitedForCard())
	r.recordTLS(conn)
	if err != nil {
		r.handshakeFailed(ctx, err)
		return
	}
	r.mu.Lock()
	r.handshakeDone = true
	r.mu.Unlock()
	r.afterHandshake(ctx, conn)
}

// tlsConfig builds the client configuration: our own server verification
// (so an untrusted server can be reported and, if asked, passed), the
// card's certificate offered through GetClientCertificate, and the
// version policy.
func (r *run) tlsConfig() (*tls.Config, msg.Msg) {
	cfg := &tls.Config{
		ServerName:           r.target.ServerName(),
		InsecureSkipVerify:   true, // verified in verifyServer, reported separately
		VerifyConnection:     r.verifyServer,
		GetClientCertificate: r.clientCertificate,
		Renegotiation:        tls.RenegotiateOnceAsClient, // IIS asks for the certificate this way
		MinVersion:           tls.VersionTLS12,
		// A cache of its own for this connection, never reused: with one,
		// Go offers psk_key_exchange_modes, and only then do servers that
		// follow RFC 8446 §4.2.9 (Go's) send the NewSessionTicket that
		// tells us TLS accepted the certificate. Nothing is resumed.
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
	}
	if r.preflight {
		cfg.GetClientCertificate = r.preflightCertificate
	}
	if r.target.IsHTTP {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg, r.applyVersion(cfg)
}

// applyVersion implements auto / 1.2 / 1.3. TLS 1.3 allows RSA keys only
// with RSA-PSS (RFC 8446 §4.2.3): a card without CKM_RSA_PKCS_PSS must use
// TLS 1.2, and auto says why.
func (r *run) applyVersion(cfg *tls.Config) msg.Msg {
	capable := r.cred.Card == nil || r.cred.Card.TLS13Capable()
	switch r.opt.TLSVersion {
	case TLS12:
		cfg.MaxVersion = tls.VersionTLS12
	case TLS13:
		if !capable {
			return errTLS13NeedsPSS.New()
		}
		cfg.MinVersion = tls.VersionTLS13
	case TLSAuto:
		switch {
		case r.pha:
			cfg.MaxVersion = tls.VersionTLS12
			r.fallback(fallbackPHA.New())
		case !capable:
			cfg.MaxVersion = tls.VersionTLS12
			r.fallback(fallbackNoPSS.New())
		}
	default:
		return errBadTLSVersion.New()
	}
	return msg.Msg{}
}

// note adds a note, in English and as a message.
func (r *run) note(m msg.Msg) {
	r.res.Notes = append(r.res.Notes, msg.English(m))
	r.res.NoteMsgs = append(r.res.NoteMsgs, m)
}

// fallback says why the test used another TLS version than asked.
func (r *run) fallback(m msg.Msg) {
	r.res.TLS.FallbackReason, r.res.TLS.FallbackReasonMsg = msg.English(m), m
}

// cause sets the cause, in English and as a message.
func (r *run) cause(m msg.Msg) { r.res.Cause, r.res.CauseMsg = msg.English(m), m }

// summary sets the summary, in English and as a message.
func (r *run) summary(m msg.Msg) { r.res.Summary, r.res.SummaryMsg = msg.English(m), m }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fail ends the test with verdict error.
func (r *run) fail(kind ErrorKind, m msg.Msg) {
	r.res.Verdict = Failed
	r.res.Error = &ErrorInfo{Kind: kind, Message: msg.English(m), MessageMsg: m}
}

// maxCAFile bounds a CA file: the system's whole trust store in one PEM
// file is about 200 KB.
const maxCAFile = 16 << 20

// LoadRoots reads the PEM (or DER) certificates of a CA file; nil for "".
func LoadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	b, err := files.ReadFile(file, maxCAFile)
	if err != nil {
		return nil, err
	}
	certs, err := pki.ParseCerts(b)
	if errors.Is(err, pki.ErrNoCertificate) {
		return nil, errors.New("the CA file holds no PEM or DER certificate")
	}
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// systemRoots loads the system's CA store once, and only when a server
// is not verified by the CA file: parsing it costs more than a handshake.
var systemRoots = sync.OnceValue(func() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		return x509.NewCertPool()
	}
	return pool
})

// completeChain downloads the issuing CA certificate through the leaf's AIA
// address when the token carries no intermediate at all: servers usually
// trust only the root and refuse a bare leaf from an intermediate CA.
func (r *run) completeChain(ctx context.Context) {
	leaf := r.cred.Leaf
	if leaf == nil || len(r.cred.Intermediates) > 0 || len(leaf.IssuingCertificateURL) == 0 ||
		string(leaf.RawIssuer) == string(leaf.RawSubject) {
		return
	}
	wait := maxAIAWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/3)
	}
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	chain, _ := certcheck.BuildChain(actx, leaf, nil, r.opt.Roots, r.opt.HTTPClient)
	switch {
	case len(chain) > 1:
		r.cred.Intermediates = chain[1:]
		r.note(noteAIADownloaded.New())
	case actx.Err() != nil && ctx.Err() == nil:
		r.note(noteAIANoAnswer.New("URL", leaf.IssuingCertificateURL[0], "Wait", secondsText(wait)))
	}
}
