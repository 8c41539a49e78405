package ui

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/cardcheck/cardcheck/app/cardtest"
	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// tls12Steps is a TLS 1.2 handshake with a client certificate: two round
// trips, only the Finished messages encrypted.
func tls12Steps() []tlstrace.Step {
	return []tlstrace.Step{
		step(1, "client", "ClientHello", 0.4, false),
		step(2, "server", "ServerHello", 2.9, false),
		step(3, "server", "Certificate", 2.9, false),
		step(4, "server", "ServerKeyExchange", 2.9, false),
		step(5, "server", "CertificateRequest", 2.9, false),
		step(6, "server", "ServerHelloDone", 2.9, false),
		step(7, "client", "Certificate", 4.6, false),
		step(8, "client", "ClientKeyExchange", 4.6, false),
		step(9, "client", "CertificateVerify", 5.1, false),
		step(10, "client", "ChangeCipherSpec", 5.1, false),
		step(11, "client", "Finished", 5.1, true),
		step(12, "server", "NewSessionTicket", 6.8, false),
		step(13, "server", "ChangeCipherSpec", 6.8, false),
		step(14, "server", "Finished", 6.8, true),
		step(15, "client", "ApplicationData", 7.0, true),
		step(16, "server", "ApplicationData", 9.2, true),
	}
}

func tls12Result(url string) *probe.Result {
	r := acceptedResult(url)
	r.TLS = probe.TLSInfo{Version: "1.2", CipherSuite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
	r.Steps = tls12Steps()
	return r
}

// byVersion answers TLS 1.2 tests with a TLS 1.2 handshake and the
// others with TLS 1.3.
func byVersion(o cardtest.Options) *probe.Result {
	if o.TLSVersion == "1.2" {
		return tls12Result(o.URL)
	}
	return acceptedResult(o.URL)
}

// runAccepted runs one accepted test on a card that needs no PIN.
func runAccepted(t *testing.T) *harness {
	h := newHarness(t, newFakeBackend(newFakeToken(t, token.Flags{})), nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	h.waitResult()
	return h
}

// rendered collects the text drawn by a widget's renderer.
func rendered(w fyne.Widget) []string {
	var out []string
	for _, o := range test.WidgetRenderer(w).Objects() {
		if t, ok := o.(*canvas.Text); ok {
			out = append(out, t.Text)
		}
	}
	return out
}

// TestExplainInline: the Explain box writes each message's explanation
// under its arrow; the diagram grows, taps still find the messages, and
// switching it off shrinks it back.
func TestExplainInline(t *testing.T) {
	h := runAccepted(t)
	l := h.m.result.ladder
	before := l.Size().Height
	if slices.Contains(rendered(l), "What ClientHello is for.") {
		t.Fatal("explanations shown before Explain was ticked")
	}
	test.Tap(h.m.result.explain)
	if !l.explain {
		t.Fatal("Explain did not switch the diagram to explain mode")
	}
	texts := rendered(l)
	for _, s := range acceptedSteps() {
		if !slices.Contains(texts, s.Explain) {
			t.Errorf("the explanation of %s is not drawn", s.Message)
		}
	}
	if after := l.Size().Height; after < before+float32(len(acceptedSteps()))*20 {
		t.Errorf("the diagram is %v high with explanations, %v without: it did not grow", after, before)
	}
	if l.rowTop(1) < ladderHeader+ladderRow+20 {
		t.Errorf("message 2 starts at %v: no room for the first explanation", l.rowTop(1))
	}
	test.TapAt(l, fyne.NewPos(200, l.rowTop(1)+ladderArrowY))
	if h.m.result.message.title.Text != "2. ServerHello" {
		t.Errorf("a tap on the second arrow selected %q", h.m.result.message.title.Text)
	}
	test.TapAt(l, fyne.NewPos(200, l.rowTop(1)+l.rowHeight(1)-2)) // on its explanation
	if h.m.result.message.title.Text != "2. ServerHello" {
		t.Errorf("a tap on the second explanation selected %q", h.m.result.message.title.Text)
	}

	// The menu item does the same, from anywhere.
	h.m.toggleExplain()
	if l.explain || h.m.result.explain.Checked || h.m.explainItem.Checked {
		t.Error("the menu item did not switch Explain off")
	}
	if got := l.Size().Height; got > before+1 {
		t.Errorf("without explanations the diagram stays %v high (was %v)", got, before)
	}
}

// TestCompareRunsBothVersions: Compare runs the test with TLS 1.2, then
// TLS 1.3, with the same options on one login, and shows both ladders
// and their differences.
func TestCompareRunsBothVersions(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.mu.Lock()
	be.card.byOpts = byVersion
	be.card.mu.Unlock()
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.m.conn.url.SetText(testURL)
	h.m.conn.setCAFile("/etc/ssl/ca.pem")
	test.Tap(h.m.result.compareBtn)
	d := h.pinDialog()
	test.Type(d.entry, testPIN)
	test.Tap(d.ok)
	h.waitResult()

	opts := be.card.testOptions()
	if len(opts) != 2 {
		t.Fatalf("%d tests, want 2", len(opts))
	}
	for i, version := range []string{"1.2", "1.3"} {
		if o := opts[i]; o.TLSVersion != version || o.URL != testURL || o.CAFile != "/etc/ssl/ca.pem" {
			t.Errorf("test %d ran with %+v, want TLS %s on the same URL and CA file", i+1, o, version)
		}
	}
	if n := len(be.loginCalls()); n != 1 {
		t.Errorf("%d logins, want one for both tests", n)
	}
	cv := h.m.result.compare
	if !cv.content.Visible() || h.m.result.single.Visible() {
		t.Fatal("the comparison is not shown")
	}
	if n12, n13 := len(cv.cols[0].ladder.steps), len(cv.cols[1].ladder.steps); n12 != len(tls12Steps()) || n13 != len(acceptedSteps()) {
		t.Errorf("ladders show %d and %d messages", n12, n13)
	}
	if cv.cols[0].title.Text != "TLS 1.2" || cv.cols[1].verdict.text != "accepted" {
		t.Errorf("column heads %q / %q", cv.cols[0].title.Text, cv.cols[1].verdict.text)
	}
	if got := cv.cols[0].counts.Text; got != "14 handshake messages · 2 encrypted · 2 round trips" {
		t.Errorf("TLS 1.2 counts %q", got)
	}
	if got := cv.cols[1].counts.Text; got != "11 handshake messages · 8 encrypted · 1 round trip" {
		t.Errorf("TLS 1.3 counts %q", got)
	}
	for _, want := range []string{"Encrypted in TLS 1.2: Finished. Encrypted in TLS 1.3: EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished.",
		"Only in TLS 1.2: ServerKeyExchange, ServerHelloDone, ClientKeyExchange, NewSessionTicket. Only in TLS 1.3: EncryptedExtensions.",
		"In TLS 1.3 the certificates travel encrypted"} {
		if !strings.Contains(cv.caption.Text, want) {
			t.Errorf("caption lacks %q:\n%s", want, cv.caption.Text)
		}
	}
	if h.m.banner.content.Visible() || h.m.result.res.TLS.Version != "1.3" {
		t.Errorf("banner shown %v, result TLS %s: want the two verdicts above the diagrams and the TLS 1.3 test as the result",
			h.m.banner.content.Visible(), h.m.result.res.TLS.Version)
	}
	assertMarkup(t, h, "compare.xml")

	// Explain reaches both sides; Back shows the single test.
	test.Tap(h.m.result.explain)
	if !cv.cols[0].ladder.explain || !cv.cols[1].ladder.explain {
		t.Error("Explain does not reach the compared ladders")
	}
	test.Tap(h.m.result.backBtn)
	if cv.content.Visible() || !h.m.result.single.Visible() || h.m.result.backBtn.Visible() ||
		h.m.banner.title.Text != verdictHeadline(probe.Accepted) || !h.m.banner.content.Visible() {
		t.Error("Back to one test does not go back to the TLS 1.3 test and its verdict")
	}

	// Again: the card is still logged in, no PIN.
	test.Tap(h.m.result.compareBtn)
	h.waitResult()
	if n := len(be.loginCalls()); n != 1 || len(be.card.testOptions()) != 4 {
		t.Errorf("second comparison: %d logins, %d tests", n, len(be.card.testOptions()))
	}
}

// TestCompareCanceled: Cancel during the first test stops the
// comparison; the second test never runs.
func TestCompareCanceled(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, token.Flags{}))
	be.card.set(true, nil)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.m.conn.url.SetText(testURL)
	test.Tap(h.m.result.compareBtn)
	h.waitFor("the first live step", func() bool { return len(h.m.result.compare.cols[0].ladder.steps) == 1 })
	if !h.m.result.compareBtn.Disabled() {
		t.Error("Compare stays enabled during a comparison")
	}
	test.Tap(h.m.banner.cancel)
	res := h.waitResult()
	if res.Error == nil || res.Error.Kind != string(probe.KindCanceled) || len(be.card.testOptions()) != 1 {
		t.Errorf("after cancel: %+v, %d tests", res.Error, len(be.card.testOptions()))
	}
	if h.m.result.compare.content.Visible() {
		t.Error("a canceled comparison stays on screen instead of the result")
	}
}

// TestLessonShowsEachCheck: "What the server checks" lists the five
// checks of a lesson with their meaning, and each one's outcome in the
// last test in its colour; checks outside the list follow.
func TestLessonShowsEachCheck(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, token.Flags{}))
	be.card.set(false, func(url string) *probe.Result {
		r := rejectedResult(url)
		r.Checks = append(r.Checks,
			certcheck.Check{Name: certcheck.NameKeyUsage, Status: certcheck.Warn, Detail: "No clientAuth in the extended key usage."},
			certcheck.Check{Name: certcheck.NameAcceptableCA, Status: certcheck.Fail, Detail: "The server named other CAs."})
		return r
	})
	h := newHarness(t, be, nil, nil)
	lv := h.m.result.lesson
	for _, r := range lv.rows {
		if r.outcome.text != "not tested yet" || r.meaning.Text == "" || r.detail.Visible() {
			t.Errorf("before a test, %s: %q, meaning %q", r.name, r.outcome.text, r.meaning.Text)
		}
	}
	h.selectCert("Alice Example")
	h.startTest(testURL)
	h.waitResult()
	want := []struct {
		name, word string
		color      fyne.ThemeColorName
		detail     string
	}{
		{certcheck.NameKeyPossession, "passed", theme.ColorNameSuccess, "The card signed the handshake"},
		{certcheck.NameChain, "failed", theme.ColorNameError, "Not issued by a CA the server named"},
		{certcheck.NameValidity, "passed", theme.ColorNameSuccess, "Valid until 2027-06-01"},
		{certcheck.NameRevocation, "unknown", theme.ColorNameForeground, "No OCSP or CRL address"},
		{certcheck.NameKeyUsage, "warning", theme.ColorNameWarning, "No clientAuth"},
	}
	if len(lv.rows) != len(want) {
		t.Fatalf("%d rows", len(lv.rows))
	}
	for i, w := range want {
		r := lv.rows[i]
		if r.name != w.name || r.outcome.text != w.word || r.outcome.color != w.color || !strings.Contains(r.detail.String(), "In this test: "+w.detail) {
			t.Errorf("row %d: %s %q (%s) %q; want %s %q", i, r.name, r.outcome.text, r.outcome.color, r.detail.String(), w.name, w.word)
		}
		if r.icon.Resource == nil {
			t.Errorf("row %s has no icon", r.name)
		}
	}
	if n := len(lv.more.Objects); n != 2 { // separator + the acceptable-CA row
		t.Errorf("%d objects after the lesson's checks, want the acceptable-CA row", n)
	}

	// A test that made no checks says so, and marks each as skipped.
	be.card.set(false, func(url string) *probe.Result {
		return probe.Failure(url, "network", msg.Text("The server cannot be reached."))
	})
	h.startTest(testURL)
	h.waitResult()
	if r := lv.rows[0]; r.outcome.text != "skipped" || !strings.Contains(lv.intro.Text, "No checks were made") {
		t.Errorf("without checks: %q / %q", r.outcome.text, lv.intro.Text)
	}
}

func TestCompareTextHelloRetry(t *testing.T) {
	steps := []tlstrace.Step{
		step(1, "client", "ClientHello", 0, false), step(2, "server", "HelloRetryRequest", 1, false),
		step(3, "client", "ClientHello", 2, false), step(4, "server", "ServerHello", 3, false),
		step(5, "server", "Finished", 3, true), step(6, "client", "Finished", 4, true),
		step(7, "client", "ApplicationData", 4, true), step(8, "server", "NewSessionTicket", 5, true),
	}
	if n := roundTrips(steps); n != 2 {
		t.Errorf("with a HelloRetryRequest: %d round trips, want 2", n)
	}
	if n := roundTrips(acceptedSteps()); n != 1 {
		t.Errorf("TLS 1.3: %d round trips", n)
	}
	if n := roundTrips(tls12Steps()); n != 2 {
		t.Errorf("TLS 1.2: %d round trips", n)
	}
	fail := probe.Failure(testURL, "network", msg.Text("The server cannot be reached."))
	if got := compareText(fail, acceptedResult(testURL)); got != "The verdicts differ: TLS 1.2 error, TLS 1.3 accepted." {
		t.Errorf("caption with a failed side:\n%s", got)
	}
	if got := handshakeCounts(fail); got != "The test did not complete: The server cannot be reached." {
		t.Errorf("counts of a failed side: %q", got)
	}
}

// fixedMeasure measures every rune as 10 units.
func fixedMeasure(s string) float32 { return float32(utf8.RuneCountInString(s)) * 10 }

func TestWrapText(t *testing.T) {
	for _, c := range []struct {
		text  string
		width float32
		want  []string
	}{
		{"one two three", 130, []string{"one two three"}},
		{"one two three", 70, []string{"one two", "three"}},
		{"one two\nthree four", 200, []string{"one two", "three four"}},
		{"abcdefghij xy", 40, []string{"abcd", "efgh", "ij", "xy"}},
		{"", 100, []string{""}},
	} {
		if got := wrapText(c.text, c.width, fixedMeasure); !slices.Equal(got, c.want) {
			t.Errorf("wrapText(%q, %v) = %q, want %q", c.text, c.width, got, c.want)
		}
	}
}

// FuzzWrapText: no line is wider than the width (unless it is a single
// rune), and no word is lost.
func FuzzWrapText(f *testing.F) {
	f.Add("The server asks for a client certificate.", float32(120))
	f.Add("a\n\nbb ccc", float32(5))
	f.Fuzz(func(t *testing.T, text string, width float32) {
		if width < 0 || width > 1e6 || width != width {
			return
		}
		lines := wrapText(text, width, fixedMeasure)
		for _, l := range lines {
			if fixedMeasure(l) > width && utf8.RuneCountInString(l) > 1 {
				t.Fatalf("line %q wider than %v", l, width)
			}
		}
		if strings.Join(strings.Fields(strings.Join(lines, "")), "") != strings.Join(strings.Fields(text), "") {
			t.Fatalf("text changed: %q → %q", text, lines)
		}
	})
}
