package ui

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/assets"
	"github.com/cardcheck/cardcheck/token"
)

// testNow is the clock of every GUI test: the fixture certificates in
// testdata/certs.pem are dated around it.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// waitLimit bounds every wait for the UI; nothing in these tests takes
// more than a few milliseconds, so reaching it means a bug.
const waitLimit = 10 * time.Second

// testPIN is the fake card's PIN. It must never show in test output.
const testPIN = "4711-pin"

// uiQueue stands in for fyne.Do. The test driver runs fyne.Do at once on
// the calling goroutine, which would run UI code on background goroutines
// while the test reads the widgets. The queue instead runs UI work on the
// test goroutine, as the real driver runs it on the main goroutine, so
// that the race detector sees the same ordering as in the application.
type uiQueue struct {
	mu   sync.Mutex
	fns  []func()
	wake chan struct{}
}

func newUIQueue() *uiQueue { return &uiQueue{wake: make(chan struct{}, 1)} }

// do queues f (called from any goroutine).
func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// poke wakes waitFor without queueing work (for state that background
// goroutines change outside the UI, such as a fake card being closed).
func (q *uiQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// drain runs what is queued, on the calling (test) goroutine.
func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// waitFor runs queued UI work until cond holds, failing the test after
// waitLimit. No sleeping: it wakes when background work queues something.
func (q *uiQueue) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		q.drain()
		if cond() {
			return
		}
		select {
		case <-q.wake:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// loadFixtureCerts reads testdata/certs.pem: the issuing CA, then
// "Alice Example" (valid to 2027), "Alice Example (signing)" (RSA,
// expires 2026-03-20, 19 days after testNow), "Alice Example (old)"
// (expired 2025-12-01) and "server.example.org" (no clientAuth EKU).
func loadFixtureCerts(t testing.TB) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile("testdata/certs.pem")
	if err != nil {
		t.Fatal(err)
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// fakeModulePath is the fake token's module.
const fakeModulePath = "/usr/lib/fake/libfakecard.so"

// newFakeToken builds a token with the fixture certificates (the CA last,
// as cards keep it) and their problems as the token layer would find them.
func newFakeToken(t testing.TB, flags token.Flags) *token.Token {
	certs := loadFixtureCerts(t)
	mod := &token.Module{Path: fakeModulePath, Info: token.ModuleInfo{Description: "Fake card module", Manufacturer: "cardcheck tests", LibraryVersion: "1.0", CryptokiVersion: "2.40"}}
	tok := &token.Token{Module: mod, Label: "Alice's card", Manufacturer: "Example Cards", Model: "PIV", Serial: "0042",
		SlotDescription: "Fake reader 00", HardwareVersion: "1.0", FirmwareVersion: "2.1", Flags: flags}
	labels := []string{"ca", "auth", "signing", "old", "server"}
	order := append(certs[1:], certs[0])
	for i, x := range order {
		label := labels[(i+1)%len(labels)]
		c := &token.Certificate{Token: tok, Label: label, ID: []byte{byte(i + 1)}, Raw: x.Raw, X509: x,
			URI: fmt.Sprintf("pkcs11:token=Alice%%27s%%20card;serial=0042;id=%%%02x;object=%s;type=cert", i+1, label)}
		c.Problems = fixtureProblems(x)
		tok.Certificates = append(tok.Certificates, c)
	}
	return tok
}

func fixtureProblems(x *x509.Certificate) []token.Problem {
	var ps []token.Problem
	if x.IsCA {
		ps = append(ps, token.ProblemCACertificate)
	}
	if testNow.After(x.NotAfter) {
		ps = append(ps, token.ProblemExpired)
	}
	if len(x.ExtKeyUsage) > 0 && !slices.Contains(x.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		ps = append(ps, token.ProblemNoClientAuth)
	}
	return ps
}

// certNamed finds a fixture certificate by common name.
func certNamed(t testing.TB, tok *token.Token, cn string) *token.Certificate {
	t.Helper()
	for _, c := range tok.Certificates {
		if c.X509.Subject.CommonName == cn {
			return c
		}
	}
	t.Fatalf("no certificate %q", cn)
	return nil
}

// loginCall records one Login without the PIN itself.
type loginCall struct {
	pinGiven, pinRight, pinPad, confirmFinalTry bool
}

// fakeBackend is a token layer with one module and (optionally) one
// token, a PIN counter that behaves like a card's, and a fake card.
type fakeBackend struct {
	mu          sync.Mutex
	inv         *token.Inventory
	flags       token.Flags
	pin         string
	logins      []loginCall
	scans       int
	userModules []string
	card        *fakeCard
	events      chan token.Event
	// preflight answers Preflight (nil: the server asks for a
	// certificate); pfHold, when set, holds it until closed.
	preflight  func(url string) *probe.Preflight
	pfHold     chan struct{}
	preflights int
	findings   []diagnose.Finding // what Diagnose reports
	diagnoses  int
}

func newFakeBackend(tok *token.Token) *fakeBackend {
	f := &fakeBackend{pin: testPIN, events: make(chan token.Event, 4), card: &fakeCard{}}
	f.inv = &token.Inventory{Modules: []token.ModuleStatus{{Path: fakeModulePath, Source: token.SourceP11Kit,
		Info: token.ModuleInfo{Description: "Fake card module", Manufacturer: "cardcheck tests", LibraryVersion: "1.0"}}}}
	if tok != nil {
		f.inv.Tokens = []*token.Token{tok}
		f.inv.Modules[0].Info = tok.Module.Info
		f.flags = tok.Flags
	}
	return f
}

func (f *fakeBackend) Scan() *token.Inventory {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scans++
	return f.inv
}

func (f *fakeBackend) setInventory(inv *token.Inventory) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inv = inv
}

func (f *fakeBackend) scanCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scans
}

// Watch forwards the test's events until ctx ends.
func (f *fakeBackend) Watch(ctx context.Context) <-chan token.Event {
	out := make(chan token.Event)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-f.events:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (f *fakeBackend) Flags(*token.Token) (token.Flags, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flags, nil
}

func (f *fakeBackend) setFlags(fl token.Flags) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags = fl
}

func (f *fakeBackend) holdsPreflight() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pfHold
}

// Diagnose reports findings as set by the test (none by default).
func (f *fakeBackend) Diagnose(_ context.Context, inv *token.Inventory, _ bool) *diagnose.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.diagnoses++
	return &diagnose.Report{Diagnosis: append([]diagnose.Finding(nil), f.findings...)}
}

// Preflight answers as set by the test, by default a server that asks
// for a certificate.
func (f *fakeBackend) Preflight(ctx context.Context, _ *token.Certificate, o desktop.Options) *probe.Preflight {
	f.mu.Lock()
	f.preflights++
	answer, hold := f.preflight, f.pfHold
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return &probe.Preflight{Finding: probe.FindingCanceled, Result: &probe.Result{URL: o.URL, Verdict: probe.Failed,
				Error: &probe.ErrorInfo{Kind: probe.KindCanceled, Message: "canceled"}}}
		}
	}
	if answer != nil {
		return answer(o.URL)
	}
	return &probe.Preflight{Finding: probe.FindingRequested, NeedsCard: true, Summary: "The server asks for a client certificate."}
}

// Login behaves like a card: locked refuses, final try needs the
// confirmation, a wrong PIN moves the counter towards locked and the
// error carries the fresh flags; the right PIN resets the counter.
func (f *fakeBackend) Login(_ *token.Certificate, opt token.LoginOptions) (desktop.Card, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := loginCall{pinGiven: opt.PIN != "", pinRight: opt.PIN == f.pin, pinPad: opt.UsePINPad, confirmFinalTry: opt.ConfirmFinalTry}
	f.logins = append(f.logins, call)
	fresh := f.flags
	switch {
	case f.flags.UserPINLocked:
		return nil, &token.Error{Kind: token.KindPINLocked, Op: "login", Msg: "The card's PIN is locked.", Flags: &fresh}
	case f.flags.UserPINFinalTry && !opt.ConfirmFinalTry:
		return nil, &token.Error{Kind: token.KindPINFinalTry, Op: "login", Msg: "Confirm the final try.", Flags: &fresh}
	case !f.flags.LoginRequired, opt.UsePINPad && f.flags.ProtectedAuthPath:
	case !call.pinRight:
		switch {
		case f.flags.UserPINFinalTry:
			f.flags.UserPINFinalTry, f.flags.UserPINLocked = false, true
		case f.flags.UserPINCountLow:
			f.flags.UserPINCountLow, f.flags.UserPINFinalTry = false, true
		default:
			f.flags.UserPINCountLow = true
		}
		fresh = f.flags
		return nil, &token.Error{Kind: token.KindPINIncorrect, Op: "login", Msg: "The PIN is wrong.", Flags: &fresh}
	}
	f.flags.UserPINCountLow, f.flags.UserPINFinalTry = false, false
	f.card.opened()
	return f.card, nil
}

func (f *fakeBackend) loginCalls() []loginCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.logins)
}

func (f *fakeBackend) SetUserModules(paths []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.userModules = slices.Clone(paths)
}

// fakeCard runs a scripted test: it reports steps through OnStep and
// returns a prepared result, or blocks until canceled when stall is set.
type fakeCard struct {
	mu      sync.Mutex
	result  func(url string) *probe.Result
	byOpts  func(o desktop.Options) *probe.Result // when set, instead of result
	stall   bool
	tests   int
	opens   int
	closes  int
	opts    desktop.Options   // of the last test
	allOpts []desktop.Options // of every test, in order
	poke    func()
}

func (c *fakeCard) opened() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opens++
}

func (c *fakeCard) Test(ctx context.Context, o desktop.Options) *probe.Result {
	c.mu.Lock()
	c.tests++
	c.opts = o
	c.allOpts = append(c.allOpts, o)
	stall, result, byOpts := c.stall, c.result, c.byOpts
	c.mu.Unlock()
	if stall {
		o.OnStep(acceptedSteps()[0])
		<-ctx.Done()
		return probe.Failure(o.URL, probe.KindCanceled, msg.Text("The test was canceled."))
	}
	if result == nil {
		result = acceptedResult
	}
	res := result(o.URL)
	if byOpts != nil {
		res = byOpts(o)
	}
	for _, s := range res.Steps {
		o.OnStep(s)
	}
	return res
}

func (c *fakeCard) Close() {
	c.mu.Lock()
	c.closes++
	poke := c.poke
	c.mu.Unlock()
	if poke != nil {
		poke() // Close runs off the UI goroutine: wake a waiting test
	}
}

func (c *fakeCard) options() desktop.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts
}

// testOptions returns the options of every test so far, in order.
func (c *fakeCard) testOptions() []desktop.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.allOpts)
}

func (c *fakeCard) counts() (tests, opens, closes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tests, c.opens, c.closes
}

func (c *fakeCard) set(stall bool, result func(string) *probe.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stall, c.result = stall, result
}

func step(seq int, from, msg string, ms float64, enc bool, fields ...string) tlstrace.Step {
	s := tlstrace.Step{Seq: seq, From: from, Message: msg, At: time.Duration(ms * float64(time.Millisecond)), Bytes: 40 + 10*seq,
		Encrypted: enc, Summary: msg + " summary", Explain: "What " + msg + " is for."}
	for i := 0; i+1 < len(fields); i += 2 {
		s.Fields = append(s.Fields, tlstrace.Field{Name: fields[i], Value: fields[i+1]})
	}
	return s
}

// acceptedSteps is a TLS 1.3 handshake with a client certificate.
func acceptedSteps() []tlstrace.Step {
	return []tlstrace.Step{
		step(1, "client", "ClientHello", 0.4, false, "Versions", "TLS 1.3, TLS 1.2", "SNI", "server.example.org"),
		step(2, "server", "ServerHello", 3.1, false, "Version", "TLS 1.3", "Cipher suite", "TLS_AES_128_GCM_SHA256"),
		step(3, "server", "ChangeCipherSpec", 3.1, false),
		step(4, "server", "EncryptedExtensions", 3.2, true, "ALPN", "http/1.1"),
		step(5, "server", "CertificateRequest", 3.2, true, "Signature schemes", "ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256", "Acceptable CAs", "CN=Example Issuing CA,O=Example Corp,C=DE"),
		step(6, "server", "Certificate", 3.3, true, "Subject", "CN=server.example.org"),
		step(7, "server", "CertificateVerify", 3.3, true, "Scheme", "ecdsa_secp256r1_sha256"),
		step(8, "server", "Finished", 3.4, true),
		step(9, "client", "Certificate", 5.0, true, "Subject", "CN=Alice Example,OU=Staff,O=Example Corp,C=DE"),
		step(10, "client", "CertificateVerify", 6.2, true, "Scheme", "ecdsa_secp256r1_sha256"),
		step(11, "client", "Finished", 6.3, true),
		step(12, "client", "ApplicationData", 6.5, true),
		step(13, "server", "ApplicationData", 8.9, true),
	}
}

func baseResult(url string) *probe.Result {
	return &probe.Result{
		URL: url, TLS: probe.TLSInfo{Version: "1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"},
		CertificateRequest: &probe.CertRequest{AcceptableCAs: []string{"CN=Example Issuing CA,O=Example Corp,C=DE"},
			SignatureSchemes: []string{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"}},
		Server: probe.ServerInfo{Verified: true, Chain: []probe.ChainCert{
			{Subject: "CN=server.example.org", Issuer: "CN=Example Issuing CA,O=Example Corp,C=DE", NotAfter: "2027-06-01T00:00:00Z", SHA256: "ab12"},
			{Subject: "CN=Example Issuing CA,O=Example Corp,C=DE", Issuer: "CN=Example Issuing CA,O=Example Corp,C=DE", NotAfter: "2034-01-01T00:00:00Z", SHA256: "cd34"}}},
		Timings: probe.Timings{LoginMs: 1.2, HandshakeMs: 8.1, SignMs: 0.4, TotalMs: 12.5},
		Checks: []certcheck.Check{
			{Name: certcheck.NameKeyPossession, Status: certcheck.Pass, Detail: "The card signed the handshake with the certificate's key."},
			{Name: certcheck.NameValidity, Status: certcheck.Pass, Detail: "Valid until 2027-06-01."},
			{Name: certcheck.NameChain, Status: certcheck.Pass, Detail: "Issued by Example Issuing CA."},
			{Name: certcheck.NameRevocation, Status: certcheck.Unknown, Detail: "No OCSP or CRL address in the certificate."},
		},
		ClientCertificate: &listing.Certificate{Subject: "CN=Alice Example", HasPrivateKey: ptr(true)},
		Advice:            []string{},
	}
}

func acceptedResult(url string) *probe.Result {
	r := baseResult(url)
	r.Verdict, r.Summary = probe.Accepted, "The server accepted your certificate."
	r.Steps = acceptedSteps()
	r.HTTP = &probe.HTTPInfo{Status: 200, Reason: "OK"}
	return r
}

func rejectedResult(url string) *probe.Result {
	r := baseResult(url)
	r.Verdict, r.Summary = probe.Rejected, "The server refused your certificate."
	r.Cause, r.CauseCode = "The server does not trust the CA that issued your certificate.", "unknown_ca"
	r.Advice = []string{"Check that you picked the right certificate for this service.", "Ask the server's administrators which CAs they accept."}
	r.Steps = acceptedSteps()[:11]
	alert := step(12, "server", "Alert", 9.4, true, "Level", "fatal (2)", "Description", "unknown_ca (48)")
	alert.Alert = &tlstrace.Alert{From: "server", Level: "fatal", Code: 48, Name: "unknown_ca"}
	r.Steps = append(r.Steps, alert)
	r.Alert = alert.Alert
	r.Checks[2] = certcheck.Check{Name: certcheck.NameChain, Status: certcheck.Fail, Detail: "Not issued by a CA the server named."}
	return r
}

func ptr[T any](v T) *T { return &v }

// fakePINs is a PIN memory whose availability the test sets.
type fakePINs struct {
	mu   sync.Mutex
	err  error
	pins map[string]string
}

func (p *fakePINs) Available() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *fakePINs) Get(key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pin, ok := p.pins[key]; ok {
		return pin, nil
	}
	return "", pinmemory.ErrNotFound
}

func (p *fakePINs) Set(key, pin string) error { return errors.New("not used in this test") }
func (p *fakePINs) Delete(key string) error   { return nil }

// harness is a main window on fakes, with the UI queue.
type harness struct {
	t  *testing.T
	q  *uiQueue
	m  *mainWindow
	be *fakeBackend
	w  fyne.Window
}

// newHarness opens the window on a fake backend and waits for the first
// scan to be shown.
func newHarness(t *testing.T, be Backend, pins PINMemory, tryDemo func() error) *harness {
	t.Helper()
	return openHarness(t, Deps{Backend: be, PINs: pins, TryDemo: tryDemo}, nil)
}

// testWindowSize is the size of the window in tests (and its golden
// renderings): a common laptop window, larger than minWindowSize.
var testWindowSize = fyne.NewSize(1000, 680)

// harnessLanguage is the language of the windows tests open: English,
// whatever LANG says, as the golden files are (the translation tests
// change it for a moment).
var harnessLanguage = "en"

// openHarness opens the window (in demo mode with d) and waits for the
// first scan to be shown.
func openHarness(t *testing.T, deps Deps, d *demo.Demo) *harness {
	t.Helper()
	be := deps.Backend
	a := test.NewTempApp(t)
	if err := assets.LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	if err := assets.SetLanguage(harnessLanguage); err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	q := newUIQueue()
	m := newMainWindow(a, w, deps, windowOptions{do: q.do, now: func() time.Time { return testNow }, demo: d})
	w.Resize(testWindowSize)
	t.Cleanup(m.close)
	h := &harness{t: t, q: q, m: m, w: w}
	if fb, ok := be.(*fakeBackend); ok {
		h.be = fb
		fb.card.mu.Lock()
		fb.card.poke = q.poke
		fb.card.mu.Unlock()
	}
	q.waitFor(t, "the first scan", func() bool { return m.inv != nil })
	return h
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.q.waitFor(h.t, what, cond)
}

// selectCert selects a certificate in the tree by common name.
func (h *harness) selectCert(cn string) *token.Certificate {
	h.t.Helper()
	if !h.m.tokens.selectCert(func(c *token.Certificate) bool { return c.X509 != nil && c.X509.Subject.CommonName == cn }) {
		h.t.Fatalf("certificate %q is not in the tree", cn)
	}
	c := h.m.selectedCert()
	if c == nil || c.X509.Subject.CommonName != cn {
		h.t.Fatalf("selected %v, want %q", c, cn)
	}
	return c
}

// startTest types the URL and presses Enter in the URL entry.
func (h *harness) startTest(url string) {
	h.t.Helper()
	h.m.conn.url.SetText("")
	test.Type(h.m.conn.url, url)
	h.m.conn.url.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// pinDialog returns the open PIN dialog, waiting for it.
func (h *harness) pinDialog() *pinDialog {
	h.t.Helper()
	h.waitFor("the PIN dialog", func() bool { return h.dialog() != nil && h.dialog().open })
	if h.be == nil || h.be.holdsPreflight() == nil {
		// OK waits for the pre-flight: tests type and press it after.
		h.waitFor("the pre-flight", func() bool { return h.dialog() == nil || h.dialog().serverOK })
	}
	return h.dialog()
}

func (h *harness) dialog() *pinDialog {
	if h.m.run == nil || h.m.run.login == nil {
		return nil
	}
	return h.m.run.login.dialog
}

// waitResult waits for the test to finish.
func (h *harness) waitResult() *probe.Result {
	h.t.Helper()
	h.waitFor("the result", func() bool { return h.m.run == nil && h.m.result.res != nil })
	return h.m.result.res
}

// runAliceTest opens the window on be, tests the "Alice Example"
// certificate against testURL with testPIN and waits for the result.
func runAliceTest(t *testing.T, be *fakeBackend) *harness {
	t.Helper()
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	d := h.pinDialog()
	test.Type(d.entry, testPIN)
	test.Tap(d.ok)
	h.waitResult()
	return h
}
