package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
)

// TestStaleVerdictIsMarked checks that a verdict no longer matching the
// certificate, the address or the options says so, and loses its colour,
// and that going back to what was tested makes it current again.
func TestStaleVerdictIsMarked(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, acceptedResult)
	h := runAliceTest(t, be)
	if h.m.banner.stale.Visible() {
		t.Fatal("a fresh verdict is marked stale")
	}
	h.selectCert("Alice Example (signing)")
	if !h.m.banner.stale.Visible() || h.m.banner.bg.color == h.m.banner.look {
		t.Error("another certificate selected: the verdict must say it is from an earlier test and lose its colour")
	}
	h.selectCert("Alice Example")
	if h.m.banner.stale.Visible() {
		t.Error("back to the tested certificate: the verdict is current again")
	}
	h.m.conn.url.SetText("https://other.example.org/")
	if !h.m.banner.stale.Visible() {
		t.Error("another address typed: the verdict must be marked")
	}
	h.m.conn.url.SetText(testURL)
	h.m.conn.caFile.SetText("/etc/ssl/other.pem")
	if !h.m.banner.stale.Visible() {
		t.Error("another CA file: the verdict must be marked")
	}
}

// TestCanceledPINKeepsTheLastResult checks that canceling the PIN
// dialog of a second test leaves the first test's result as it was.
func TestCanceledPINKeepsTheLastResult(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, acceptedResult)
	h := runAliceTest(t, be)
	h.m.logout() // the next test asks for the PIN again
	steps := len(h.m.result.ladder.steps)
	h.startTest(testURL)
	d := h.pinDialog()
	d.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.waitFor("the login to end", func() bool { return h.m.run == nil })
	if h.m.result.res == nil || h.m.result.res.Verdict != probe.Accepted || len(h.m.result.ladder.steps) != steps {
		t.Errorf("after a canceled PIN dialog the last result must stay; got %v with %d steps", h.m.result.res, len(h.m.result.ladder.steps))
	}
	if !h.m.banner.content.Visible() || h.m.banner.title.Text != verdictHeadline(probe.Accepted) {
		t.Errorf("banner after a canceled PIN dialog: %q", h.m.banner.title.Text)
	}
}

// TestCanceledTestIsNotAFailure checks the canceled look: no verdict
// colour, no advice, no handshake time.
func TestCanceledTestIsNotAFailure(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(true, nil)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	d := h.pinDialog()
	test.Type(d.entry, testPIN)
	test.Tap(d.ok)
	h.waitFor("the first live step", func() bool { return len(h.m.result.ladder.steps) == 1 })
	h.m.conn.url.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) // Esc in the address field
	h.waitResult()
	if h.m.banner.look == verdictColor(probe.Failed) || h.m.banner.title.Text != "Test canceled" || h.m.banner.advice.Visible() {
		t.Errorf("canceled: look %s, title %q, advice shown %v", h.m.banner.look, h.m.banner.title.Text, h.m.banner.advice.Visible())
	}
	if line := connectionLine(h.m.result.res); containsAny(line, "handshake", " ms") {
		t.Errorf("canceled: the connection line gives a time: %q", line)
	}
}

// TestKeysBehindADialog checks that Enter and the menu's shortcuts do
// not start a test while About is open, and that Esc and Enter close it.
func TestKeysBehindADialog(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, acceptedResult)
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.m.conn.url.SetText(testURL)
	for _, key := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEscape} {
		h.m.about()
		if !h.m.modal.any() {
			t.Fatal("About is not tracked as open")
		}
		h.m.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if h.m.run != nil {
			t.Fatal("Enter in About started a test behind it")
		}
		if h.m.modal.any() {
			t.Fatal("Enter did not close About")
		}
		h.m.about()
		h.m.guarded(h.m.startTest)() // Ctrl+T: a main-menu shortcut
		if h.m.run != nil {
			t.Fatal("a menu shortcut started a test behind About")
		}
		h.m.typedKey(&fyne.KeyEvent{Name: key})
		if h.m.modal.any() {
			t.Fatalf("%s did not close About", key)
		}
	}
}

func verdictColor(v probe.Verdict) fyne.ThemeColorName {
	c, _ := verdictLook(v)
	return c
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestGUIAdviceNamesControls checks that advice shown in the window names
// no command-line flag and that its fixes are offered as buttons.
func TestGUIAdviceNamesControls(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, func(url string) *probe.Result {
		r := baseResult(url)
		r.Verdict = probe.ServerUntrusted
		r.Advice = []string{"If this is a test or internal server, give its CA certificate with --ca FILE.",
			"To test your card anyway, run again with --continue-untrusted; the report will still mark the server as untrusted."}
		r.AdviceCodes = []string{probe.AdviceGiveServerCA, probe.AdviceContinueUntrusted}
		return r
	})
	h := runAliceTest(t, be)
	if text := h.m.banner.advice.Text; strings.Contains(text, "--") {
		t.Errorf("the banner's advice names a flag: %q", text)
	}
	var labels []string
	for _, b := range h.m.banner.fixes() {
		labels = append(labels, b.Text)
	}
	if strings.Join(labels, "|") != "Choose CA file…|Test anyway" {
		t.Fatalf("fix buttons %q", labels)
	}
	h.m.logout()
	test.Tap(h.m.banner.fixes()[1]) // Test anyway: ticks the option and tests again
	h.pinDialog()
	if !h.m.conn.cont.Checked || h.m.run == nil {
		t.Errorf("Test anyway: option ticked %v, test running %v", h.m.conn.cont.Checked, h.m.run != nil)
	}
}

// TestKeyringProblemInWords checks that D-Bus jargon never reaches the
// PIN dialog.
func TestKeyringProblemInWords(t *testing.T) {
	for _, err := range []error{
		errors.New("The name org.freedesktop.secrets was not provided by any .service files: org.freedesktop.DBus.Error.ServiceUnknown"),
		errors.New(`exec: "dbus-launch": executable file not found in $PATH`),
		errKeyringTimeout,
	} {
		if got := keyringProblem(err); strings.Contains(got, "DBus") || strings.Contains(got, "exec") || !strings.HasPrefix(got, "Not available: ") {
			t.Errorf("%v → %q", err, got)
		}
	}
}

// TestVerdictAndAddressErrorFitTheWindow: in a window about the size it
// opens with, a verdict with advice and then an address error under the
// URL still fit: the banner scrolls instead of growing the window (Fyne
// grows a window whose content needs more, and a 1000×620 one grew by 46
// pixels, with the status bar over the diagram).
func TestVerdictAndAddressErrorFitTheWindow(t *testing.T) {
	untrusted := func(url string) *probe.Result {
		r := baseResult(url)
		r.Verdict = probe.ServerUntrusted
		r.Summary = "The server's own certificate could not be verified, so the test stopped before your certificate was sent."
		r.Cause = "the server's certificate was issued by a CA this computer does not trust"
		r.Advice = []string{"If this is a test or internal server, give its CA certificate with --ca FILE.",
			"To test your card anyway, run again with --continue-untrusted; the report will still mark the server as untrusted."}
		r.AdviceCodes = []string{probe.AdviceGiveServerCA, probe.AdviceContinueUntrusted}
		return r
	}
	h := newDemoHarness(t) // the demo's banner takes height too
	// 30 px less than the window opens with: the test driver's fonts are
	// smaller than the real ones, and the real window grew by 46 px.
	h.w.Resize(fyne.NewSize(initialWindowSize.Width, initialWindowSize.Height-30))
	h.be.card.set(false, untrusted)
	test.Tap(h.m.conn.test)
	test.Tap(h.pinDialog().ok)
	h.waitResult()
	h.m.conn.url.SetText("htps://server.example.org/")
	h.m.begin(false) // the address error under the URL
	if h.m.conn.message.Hidden {
		t.Fatal("no address error shown")
	}
	h.w.Content().Refresh()
	need, have := h.w.Content().MinSize(), h.w.Canvas().Size()
	if need.Height > have.Height || need.Width > have.Width {
		t.Errorf("the content needs %v in a %v window: the window would grow", need, have)
	}
	tabs := h.m.tabs
	d := fyne.CurrentApp().Driver()
	if bottom := d.AbsolutePositionForObject(tabs).Y + tabs.Size().Height; bottom > have.Height {
		t.Errorf("the tabs end at %v, below the %v-high window", bottom, have.Height)
	}
}

// TestFailedBannerSaysTheErrorOnce: under the headline "The test could
// not be completed" the banner says what went wrong, without repeating
// the headline in front of it, and as a sentence of its own.
func TestFailedBannerSaysTheErrorOnce(t *testing.T) {
	for _, e := range []msg.Msg{
		{ID: "probe.error.unknown_host", Args: map[string]any{"Host": `"no-such-host.invalid"`}},
		{ID: "probe.url.port", Args: map[string]any{"Port": `"0"`}}, // a fragment in English: "port … is not valid"
	} {
		be := newFakeBackend(newFakeToken(t, readyFlags))
		be.card.set(false, func(url string) *probe.Result {
			r := baseResult(url)
			r.Verdict = probe.Failed
			r.SummaryMsg = msg.Msg{ID: probe.SummaryFailedBecause, Args: map[string]any{"Error": e}}
			r.Summary = msg.English(r.SummaryMsg)
			return r
		})
		h := runAliceTest(t, be)
		title, summary := h.m.banner.title.Text, h.m.banner.summary.Text
		want := text(e)
		want = strings.ToUpper(want[:1]) + want[1:]
		if summary != want || strings.Contains(summary, title) {
			t.Errorf("headline %q, then %q; want the error alone: %q", title, summary, want)
		}
	}
}

// ownSentence capitalizes an English fragment, never a value at the start
// of a translation (a host name in Chinese word order stays as typed).
func TestOwnSentenceKeepsValues(t *testing.T) {
	port := msg.Msg{ID: "probe.url.port", Args: map[string]any{"Port": `"0"`}}
	if got := ownSentence(port, msg.English(port)); !strings.HasPrefix(got, "Port ") {
		t.Errorf("English fragment: %q", got)
	}
	refused := msg.Msg{ID: "probe.error.refused", Args: map[string]any{"Address": "wronghost.test:1"}}
	if got := ownSentence(refused, "wronghost.test:1上没有程序在监听（连接被拒绝）。"); got != "wronghost.test:1上没有程序在监听（连接被拒绝）。" {
		t.Errorf("translation starting with the host: %q", got)
	}
}
