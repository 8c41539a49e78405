package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

const testURL = "https://server.example.org/"

var readyFlags = token.Flags{LoginRequired: true, UserPINInitialized: true, TokenInitialized: true}

// TestSelectTypePINRun is the end user's path: pick the certificate,
// press Enter in the URL, type the PIN, see the ladder fill in and the
// verdict.
func TestSelectTypePINRun(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	h := newHarness(t, newFakeBackend(tok), nil, nil)
	h.selectCert("Alice Example")
	if h.m.details.name.Text != "Alice Example" || !strings.Contains(h.m.details.expiry.Text, "456 days") {
		t.Errorf("details show %q, %q", h.m.details.name.Text, h.m.details.expiry.Text)
	}

	h.startTest("server.example.org") // no scheme: https is assumed
	d := h.pinDialog()
	if d.ok.Disabled() == false {
		t.Error("OK is enabled before a PIN was typed")
	}
	if d.tokenName.Text != "Alice's card" || !strings.Contains(d.tokenInfo.Text(), "0042") {
		t.Errorf("dialog names %q / %q, want the token and its serial", d.tokenName.Text, d.tokenInfo.Text())
	}
	test.Type(d.entry, testPIN)
	test.Tap(d.ok)
	res := h.waitResult()

	if res.Verdict != probe.Accepted || h.m.banner.title.Text != verdictHeadline(probe.Accepted) {
		t.Errorf("verdict %s, banner %q", res.Verdict, h.m.banner.title.Text)
	}
	if got, want := len(h.m.result.ladder.steps), len(acceptedSteps()); got != want {
		t.Errorf("ladder has %d messages, want %d", got, want)
	}
	if d.open {
		t.Error("the PIN dialog is still open after a good PIN")
	}
	calls := h.be.loginCalls()
	if len(calls) != 1 || !calls[0].pinRight {
		t.Errorf("logins = %+v, want one with the right PIN", calls)
	}
	if h.m.conn.url.Text != testURL || h.be.card.options().URL != testURL {
		t.Errorf("URL %q tested %q, want %q", h.m.conn.url.Text, h.be.card.opts.URL, testURL)
	}
	if !h.m.result.message.body.Visible() || h.m.result.message.title.Text != "5. CertificateRequest" {
		t.Errorf("first message explained: %q", h.m.result.message.title.Text)
	}

	// Tap the first arrow: its fields and explanation appear, in order.
	test.TapAt(h.m.result.ladder, fyne.NewPos(200, h.m.result.ladder.rowTop(0)+ladderRow/2))
	mv := h.m.result.message
	if mv.title.Text != "1. ClientHello" || mv.explain.Text != "What ClientHello is for." {
		t.Errorf("message view shows %q / %q", mv.title.Text, mv.explain.Text)
	}
	if len(mv.names) != 2 || mv.names[0].Text != "Versions" || mv.names[1].Text != "SNI" {
		t.Errorf("fields shown %d, want Versions then SNI (wire order)", len(mv.names))
	}
	h.m.result.ladder.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if mv.title.Text != "2. ServerHello" {
		t.Errorf("Down selects %q, want the next message", mv.title.Text)
	}

	// Test again: the card stays logged in, no PIN asked.
	h.startTest(testURL)
	h.waitResult()
	if n := len(h.be.loginCalls()); n != 1 {
		t.Errorf("%d logins after a second test, want still 1 (card kept logged in)", n)
	}
	if tests, _, _ := h.be.card.counts(); tests != 2 {
		t.Errorf("card ran %d tests, want 2", tests)
	}
	test.Tap(h.m.conn.logout)
	h.waitFor("log out", func() bool { _, _, closes := h.be.card.counts(); return closes == 1 })
	if h.m.conn.logout.Visible() {
		t.Error("Log out is still offered after logging out")
	}
}

// TestLiveSteps checks that messages appear while the test runs, before
// the result: the fake card sends one step and then stalls.
func TestLiveStepsAndCancel(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	be := newFakeBackend(tok)
	be.card.set(true, nil)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	d := h.pinDialog()
	test.Type(d.entry, testPIN)
	d.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter submits
	h.waitFor("the first live step", func() bool { return len(h.m.result.ladder.steps) == 1 })
	if !h.m.conn.test.Disabled() || !h.m.banner.cancel.Visible() || !h.m.banner.progress.running() {
		t.Error("while running: Test must be disabled, Cancel and the progress shown")
	}
	test.Tap(h.m.banner.cancel)
	res := h.waitResult()
	if res.Error == nil || res.Error.Kind != probe.KindCanceled {
		t.Errorf("result after cancel: %+v", res.Error)
	}
	if h.m.conn.test.Disabled() || h.m.banner.cancel.Visible() {
		t.Error("after cancel: Test must be enabled again and Cancel hidden")
	}
}

// TestRejectedShowsCauseAndAlert checks the red banner with cause and
// advice, and the alert chosen for explanation.
func TestRejectedShowsCauseAndAlert(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	be := newFakeBackend(tok)
	be.card.set(false, rejectedResult)
	h := runAliceTest(t, be)
	b := h.m.banner
	if b.title.Text != verdictHeadline(probe.Rejected) || !strings.Contains(b.cause.Text, "does not trust the CA") ||
		!strings.Contains(b.advice.Text, "• Ask the server's administrators") {
		t.Errorf("banner: %q / %q / %q", b.title.Text, b.cause.Text, b.advice.Text)
	}
	if h.m.result.message.title.Text != "12. Alert" {
		t.Errorf("explained first: %q, want the alert", h.m.result.message.title.Text)
	}
	if r := h.m.result.lesson.rows[1]; r.name != certcheck.NameChain || r.outcome.text != "failed" || !strings.Contains(r.detail.String(), "Not issued by a CA the server named") {
		t.Errorf("lesson, chain: %s %q %q", r.name, r.outcome.text, r.detail.String())
	}
}

// TestTokenRemovalRefreshesTree sends a Removed event: the tree is read
// again, the certificate disappears, the held login is closed.
func TestTokenRemovalRefreshesTree(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	be := newFakeBackend(tok)
	h := runAliceTest(t, be)

	scans := be.scanCount()
	be.setInventory(newFakeBackend(nil).inv) // the card is gone
	be.events <- token.Event{Kind: token.Removed, Token: tok.Ref()}
	h.waitFor("the tree without the token", func() bool { return be.scanCount() > scans && len(h.m.tokens.certificates()) == 0 })
	if h.m.selectedCert() != nil || h.m.details.cert != nil {
		t.Error("the removed certificate is still selected")
	}
	if !h.m.emptyView.Visible() || h.m.testView.Visible() {
		t.Error("the empty state is not shown")
	}
	h.waitFor("log out of the removed card", func() bool { _, _, c := be.card.counts(); return c == 1 })

	// The card comes back: the certificate used last is selected again.
	be.setInventory(newFakeBackend(newFakeToken(t, readyFlags)).inv)
	be.events <- token.Event{Kind: token.Inserted, Token: tok.Ref()}
	h.waitFor("the certificate back and selected", func() bool {
		c := h.m.selectedCert()
		return c != nil && c.X509.Subject.CommonName == "Alice Example"
	})
}

// TestSelectionKeptAcrossScans: a refresh keeps the selected certificate.
func TestSelectionKeptAcrossScans(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	be := newFakeBackend(tok)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example (old)")
	be.setInventory(newFakeBackend(newFakeToken(t, readyFlags)).inv) // new snapshot, same objects
	scans := be.scanCount()
	test.Tap(h.m.tokens.refresh)
	h.waitFor("the rescan", func() bool { return be.scanCount() > scans && !h.m.scanning })
	c := h.m.selectedCert()
	if c == nil || c.X509.Subject.CommonName != "Alice Example (old)" {
		t.Fatalf("selection after refresh: %v", c)
	}
	if c == certNamed(t, tok, "Alice Example (old)") {
		t.Error("the selection still points to the old snapshot")
	}
	if h.m.details.expiry.Importance != widget.DangerImportance || !strings.Contains(h.m.details.expiry.Text, "expired 90 days ago") {
		t.Errorf("expiry of the old certificate: %q", h.m.details.expiry.Text)
	}
}

// TestEmptyState: modules but no token; the demo button only with a demo.
func TestEmptyState(t *testing.T) {
	h := newHarness(t, newFakeBackend(nil), nil, nil)
	if !h.m.emptyView.Visible() || h.m.testView.Visible() {
		t.Fatal("no card: the empty state must replace the test view")
	}
	e := h.m.empty
	if e.title.Text != "No smart card found" || !strings.Contains(e.steps.Text, "Insert your smart card") ||
		!strings.Contains(e.modules.Text(), fakeModulePath) || !strings.Contains(e.where.Text(), "p11-kit") {
		t.Errorf("empty state: %q / %q / %q", e.title.Text, e.steps.Text, e.modules.Text())
	}
	if e.demo != nil {
		t.Error("Try the demo is offered without a demo")
	}

	demoed := 0
	h2 := newHarness(t, newFakeBackend(nil), nil, func() error { demoed++; return nil })
	test.Tap(h2.m.empty.demo)
	if demoed != 1 {
		t.Errorf("Try the demo called the hook %d times", demoed)
	}

	// The demo cannot start (no SoftHSM): the error shows, the window stays.
	h3 := newHarness(t, newFakeBackend(nil), nil, func() error { return errors.New("SoftHSM2 is not installed") })
	test.Tap(h3.m.empty.demo)
	if !h3.m.emptyView.Visible() || h3.w.Canvas().Overlays().Top() == nil {
		t.Error("a failed demo start must show its error and keep the window")
	}
}

// TestAddModule stores the module, hands it to the backend and rescans;
// removing it undoes that.
func TestAddModule(t *testing.T) {
	be := newFakeBackend(nil)
	h := newHarness(t, be, nil, nil)
	scans := be.scanCount()
	h.m.addModule("/opt/vendor/libvendor-pkcs11.so")
	h.waitFor("the rescan", func() bool { return be.scanCount() > scans && !h.m.scanning })
	if got := h.m.app.Preferences().StringList(config.KeyModules); !slices.Equal(got, []string{"/opt/vendor/libvendor-pkcs11.so"}) {
		t.Errorf("preferences modules = %v", got)
	}
	be.mu.Lock()
	user := slices.Clone(be.userModules)
	be.mu.Unlock()
	if !slices.Equal(user, []string{"/opt/vendor/libvendor-pkcs11.so"}) {
		t.Errorf("backend user modules = %v", user)
	}
	h.m.details.module = &token.ModuleStatus{Path: "/opt/vendor/libvendor-pkcs11.so", Source: token.SourceUser}
	test.Tap(h.m.details.modRemove)
	if got := h.m.app.Preferences().StringList(config.KeyModules); len(got) != 0 {
		t.Errorf("after remove: %v", got)
	}
}

// TestURLHistoryAndOptions: history newest first without duplicates, at
// most historySize; options stored in preferences.
func TestURLHistoryAndOptions(t *testing.T) {
	tok := newFakeToken(t, token.Flags{}) // no login needed: no PIN dialog
	h := newHarness(t, newFakeBackend(tok), nil, nil)
	h.selectCert("Alice Example")
	for _, u := range []string{"https://a.example/", "https://b.example/", "https://a.example/"} {
		h.startTest(u)
		h.waitResult()
	}
	prefs := h.m.app.Preferences()
	if got := prefs.StringList(config.KeyURLHistory); !slices.Equal(got, []string{"https://a.example/", "https://b.example/"}) {
		t.Errorf("history = %v", got)
	}
	if got := h.m.conn.history; !slices.Equal(got, []string{"https://a.example/", "https://b.example/"}) {
		t.Errorf("URL entry offers %v", got)
	}
	if prefs.String(config.KeyLastURL) != "https://a.example/" {
		t.Errorf("last URL = %q", prefs.String(config.KeyLastURL))
	}
	for i := 0; i < historySize+3; i++ {
		h.m.prefs.rememberURL("https://h" + string(rune('a'+i)) + ".example/")
	}
	if n := len(prefs.StringList(config.KeyURLHistory)); n != historySize {
		t.Errorf("history keeps %d URLs, want %d", n, historySize)
	}

	h.m.conn.tlsVersion.SetSelected(tlsLabel("1.3"))
	h.m.conn.cont.SetChecked(true)
	h.m.conn.timeout.SetSelectedIndex(0)
	h.m.conn.setCAFile("/etc/ssl/ca.pem")
	if o := h.m.prefs.options(); o.TLSVersion != "1.3" || !o.ContinueUntrusted || o.Timeout != timeouts[0] || o.CAFile != "/etc/ssl/ca.pem" {
		t.Errorf("stored options = %+v", o)
	}
	if !strings.Contains(h.m.conn.summary.Text(), "TLS 1.3") || !strings.Contains(h.m.conn.summary.Text(), "ca.pem") {
		t.Errorf("options summary %q", h.m.conn.summary.Text())
	}
	h.startTest("https://c.example/")
	h.waitResult()
	if o := h.be.card.options(); o.TLSVersion != "1.3" || !o.ContinueUntrusted || o.CAFile != "/etc/ssl/ca.pem" || o.Timeout != timeouts[0] {
		t.Errorf("the test ran with %+v", o)
	}
}

// TestInvalidURLIsNotTested: the error shows, no login happens.
func TestInvalidURLIsNotTested(t *testing.T) {
	tok := newFakeToken(t, readyFlags)
	h := newHarness(t, newFakeBackend(tok), nil, nil)
	h.selectCert("Alice Example")
	h.startTest("http://server.example.org/")
	h.q.drain()
	if h.m.run != nil || !h.m.conn.message.Visible() || !strings.Contains(h.m.conn.message.Text, "http://") {
		t.Errorf("run %v, message %q", h.m.run, h.m.conn.message.Text)
	}
	if n := len(h.be.loginCalls()); n != 0 {
		t.Errorf("%d logins for an invalid URL", n)
	}
}

// TestReports: Copy report puts the text report on the clipboard; the
// save writer picks JSON by the file name.
func TestReports(t *testing.T) {
	tok := newFakeToken(t, token.Flags{})
	h := newHarness(t, newFakeBackend(tok), nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	res := h.waitResult()
	test.Tap(h.m.banner.copy)
	clip := h.m.app.Clipboard().Content()
	if !strings.HasPrefix(clip, "VERDICT: ACCEPTED") || !strings.Contains(clip, "CertificateRequest") {
		t.Errorf("clipboard: %.200q", clip)
	}
	var text, js bytes.Buffer
	if err := writeReport(&text, "r.txt", res); err != nil || text.String() != clip {
		t.Errorf("text report differs from the clipboard (err %v)", err)
	}
	if err := writeReport(&js, "r.JSON", res); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["verdict"] != "accepted" {
		t.Errorf("JSON report: %v %v", err, back["verdict"])
	}
	if strings.Contains(text.String()+js.String(), testPIN) {
		t.Error("a report contains the PIN")
	}

	test.Tap(h.m.details.copyURI)
	if got := h.m.app.Clipboard().Content(); got != h.m.selectedCert().URI {
		t.Errorf("Copy URI put %q", got)
	}
	var pemOut bytes.Buffer
	if err := writeCertificatePEM(&pemOut, h.m.selectedCert()); err != nil || !strings.HasPrefix(pemOut.String(), "-----BEGIN CERTIFICATE-----") {
		t.Errorf("PEM export: %v %.40q", err, pemOut.String())
	}
	if got := certFileName(h.m.selectedCert()); got != "Alice-Example.pem" {
		t.Errorf("export file name %q", got)
	}
}

// TestKeyboard: Enter with nothing focused runs the test, Esc cancels.
func TestKeyboard(t *testing.T) {
	tok := newFakeToken(t, token.Flags{})
	be := newFakeBackend(tok)
	be.card.set(true, nil)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.m.conn.url.SetText(testURL)
	h.w.Canvas().Unfocus()
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.waitFor("the test running", func() bool { return h.m.run != nil && h.m.run.cancel != nil })
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	res := h.waitResult()
	if res.Error == nil || res.Error.Kind != "canceled" {
		t.Errorf("Esc: %+v", res.Error)
	}
}

// TestCertificateDetails: problems in words, expiry colours, a module
// that failed to load shown with its error.
func TestCertificateDetails(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.inv.Modules = append(be.inv.Modules, token.ModuleStatus{Path: "/opt/broken/libbroken.so", Source: token.SourceUser,
		Err: errors.New("cannot load the library: file not found")})
	h := newHarness(t, be, nil, nil)
	d := h.m.details

	h.selectCert("server.example.org")
	if d.status.Text != "Not usable to log in to a server:" || !d.problems.Visible() ||
		!strings.Contains(d.problems.Text, token.ProblemNoClientAuth.Describe()) {
		t.Errorf("unusable certificate: %q / %q", d.status.Text, d.problems.Text)
	}
	h.selectCert("Alice Example (signing)")
	if d.expiry.Importance != widget.WarningImportance || d.expiry.Text != "expires in 18 days" {
		t.Errorf("soon expiring: %q (importance %d)", d.expiry.Text, d.expiry.Importance)
	}
	if d.problems.Visible() {
		t.Error("a usable certificate lists problems")
	}

	n := h.m.tokens.nodes[moduleID("/opt/broken/libbroken.so")]
	if n == nil || !strings.Contains(n.detail, "cannot be used: cannot load the library") {
		t.Fatalf("broken module node: %+v", n)
	}
	h.m.tokens.tree.Select(n.id)
	if !d.moduleView.Visible() || !strings.Contains(d.modError.Text, "file not found") || !d.modRemove.Visible() {
		t.Errorf("module details: visible %v, error %q, remove offered %v", d.moduleView.Visible(), d.modError.Text, d.modRemove.Visible())
	}
}

// prefetchingBackend has read the cards before the window was built
// (desktop.Backend after Prefetch).
type prefetchingBackend struct{ *fakeBackend }

func (p prefetchingBackend) Prefetched() (*token.Inventory, bool) { return p.inv, true }

// TestPrefetchedCardsInFirstFrame: cards read while the window was being
// built are in it when newMainWindow returns — in the first frame — with
// no scan of its own.
func TestPrefetchedCardsInFirstFrame(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	m := newMainWindow(a, w, Deps{Backend: prefetchingBackend{be}}, windowOptions{do: newUIQueue().do, now: func() time.Time { return testNow }})
	t.Cleanup(m.close)
	if m.inv == nil || len(m.tokens.certificates()) == 0 {
		t.Fatal("the prefetched cards are not listed when the window is built")
	}
	if n := be.scanCount(); n != 0 {
		t.Errorf("the window scanned %d times although the cards were read already", n)
	}
	if !m.testView.Visible() || m.emptyView.Visible() {
		t.Error("the test view is not shown")
	}
}
