package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// demoScenario is one line of testdata/demo_scenarios.json: a scenario as
// `cardcheck demo --no-gui --json` lists it, without what changes from run
// to run (the servers' ports, the demo's directory: ca_file holds the
// file's name, or "" for none). build/smoke checks the file against the
// real demo, so that these tests and en.json follow it.
type demoScenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	CertURI     string `json:"cert_uri"`
	Expect      string `json:"expect"`
	TLS         string `json:"tls"`
	CAFile      string `json:"ca_file"`
}

func loadDemoScenarios(t testing.TB) []demoScenario {
	t.Helper()
	b, err := os.ReadFile("testdata/demo_scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []demoScenario
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Where the fake demo lives.
const (
	fakeDemoModule = "/usr/lib/softhsm/libsofthsm2.so"
	fakeDemoDir    = "/home/trainer/.local/share/cardcheck/demo"
)

// newFakeDemo is a started demo as the GUI sees it: the fixture's
// scenarios on made-up local ports.
func newFakeDemo(t testing.TB) *demo.Demo {
	d := &demo.Demo{Dir: fakeDemoDir, Module: fakeDemoModule, TokenURI: "pkcs11:token=cardcheck%20demo",
		PIN: demo.PIN, Conf: path.Join(fakeDemoDir, "softhsm2.conf")}
	for i, s := range loadDemoScenarios(t) {
		ca := ""
		if s.CAFile != "" {
			ca = path.Join(fakeDemoDir, s.CAFile)
		}
		d.Scenarios = append(d.Scenarios, demo.Scenario{Name: s.Name, Description: s.Description,
			URL: fmt.Sprintf("https://127.0.0.1:%d/", 44301+i), CAFile: ca, CertURI: s.CertURI, Expect: s.Expect, TLS: s.TLS})
	}
	return d
}

// newFakeDemoToken is the demo token: the fixture certificates under the
// demo's labels.
func newFakeDemoToken(t testing.TB) *token.Token {
	certs := loadFixtureCerts(t) // CA, Alice, Alice (signing, RSA), Alice (old), server
	mod := &token.Module{Path: fakeDemoModule, Info: token.ModuleInfo{Description: "SoftHSM slot ID 0x1", Manufacturer: "SoftHSM", LibraryVersion: "2.6"}}
	tok := &token.Token{Module: mod, Label: demo.TokenLabel, Manufacturer: "SoftHSM project", Model: "SoftHSM v2", Serial: "5d1c0a7e",
		Flags: readyFlags}
	for i, e := range []struct {
		label string
		cert  int
	}{{"demo-rsa", 2}, {"demo-ecdsa", 1}, {"demo-expired", 3}, {"demo-unknown-ca", 1}, {"demo-revoked", 1}, {"demo-no-client-auth", 4}} {
		x := certs[e.cert]
		tok.Certificates = append(tok.Certificates, &token.Certificate{Token: tok, Label: e.label, ID: []byte{byte(i + 1)}, Raw: x.Raw, X509: x,
			URI: "pkcs11:token=cardcheck%20demo;id=%0" + fmt.Sprint(i+1) + ";object=" + e.label + ";type=cert", Problems: fixtureProblems(x)})
	}
	return tok
}

// newDemoHarness opens the window in demo mode on the demo token, with
// the demo's PIN.
func newDemoHarness(t *testing.T) *harness {
	t.Helper()
	be := newFakeBackend(newFakeDemoToken(t))
	be.inv.Modules[0].Path = fakeDemoModule
	be.pin = demo.PIN
	h := openHarness(t, Deps{Backend: be}, newFakeDemo(t))
	h.waitFor("the scenario's certificate selected", func() bool { return h.m.selectedCert() != nil })
	return h
}

// chooseScenario selects a scenario in the list by name.
func (h *harness) chooseScenario(name string) demo.Scenario {
	h.t.Helper()
	for i, s := range h.m.demo.d.Scenarios {
		if s.Name == name {
			h.m.demo.list.Select(i)
			return s
		}
	}
	h.t.Fatalf("no scenario %q", name)
	return demo.Scenario{}
}

// TestDemoStartsReady: the demo token's certificate of the first
// scenario is selected, the test filled in, the PIN shown.
func TestDemoStartsReady(t *testing.T) {
	h := newDemoHarness(t)
	first := h.m.demo.d.Scenarios[0]
	if h.m.demo.selected != 0 || h.m.conn.url.Text != first.URL {
		t.Fatalf("at start: scenario %d, URL %q; want the first, %q", h.m.demo.selected, h.m.conn.url.Text, first.URL)
	}
	if c := h.m.selectedCert(); c == nil || c.Label != "demo-rsa" || c.Token.Label != demo.TokenLabel {
		t.Errorf("selected certificate %v, want the demo token's demo-rsa", c)
	}
	if o := h.m.conn.currentOptions(); o.CAFile != first.CAFile || o.TLSVersion != "auto" {
		t.Errorf("options %+v, want the scenario's CA file and automatic TLS", o)
	}
	if h.m.demo.pin.Text != "Demo PIN: 123456" || !h.m.demo.banner.Visible() {
		t.Errorf("demo PIN shown as %q", h.m.demo.pin.Text)
	}
	if h.m.demo.title.Text != "Accepted with TLS 1.3" || h.m.demo.expect.text != "expected: accepted" || h.m.demo.desc.Text != first.Description {
		t.Errorf("chosen scenario shown as %q / %q / %q", h.m.demo.title.Text, h.m.demo.expect.text, h.m.demo.desc.Text)
	}
	if h.m.app.Preferences().String("lastURL") != "" {
		t.Error("the demo wrote to the user's preferences")
	}

	// Each line of the list: title, expected verdict, description.
	for i, s := range h.m.demo.d.Scenarios {
		row := h.m.demo.createItem().(*scenarioRow)
		h.m.demo.updateItem(i, row)
		name, _ := verdictLook(probe.Verdict(s.Expect))
		if row.title.Text == s.Name || row.desc.Text() != s.Description || row.expect.text != verdictShort(probe.Verdict(s.Expect)) || row.expect.color != name {
			t.Errorf("row %s: %q / %q / %q", s.Name, row.title.Text, row.desc.Text(), row.expect.text)
		}
	}
}

// TestDemoScenarioFillsTest: choosing a scenario preselects its
// certificate (by its PKCS#11 URI), fills its URL and CA file in and
// sets TLS to automatic, whatever was set before.
func TestDemoScenarioFillsTest(t *testing.T) {
	h := newDemoHarness(t)
	h.m.conn.tlsVersion.SetSelected(tlsLabel("1.3"))
	h.m.conn.cont.SetChecked(true)
	for _, c := range []struct{ scenario, label string }{
		{"expired", "demo-expired"},
		{"untrusted-server", "demo-rsa"},
		{"not-for-client-auth", "demo-no-client-auth"},
		{"accepted-tls12", "demo-ecdsa"},
	} {
		s := h.chooseScenario(c.scenario)
		o := h.m.conn.currentOptions()
		if h.m.conn.url.Text != s.URL || o.CAFile != s.CAFile || o.TLSVersion != "auto" || o.ContinueUntrusted {
			t.Errorf("%s: URL %q, options %+v; want %q, CA %q, automatic TLS", c.scenario, h.m.conn.url.Text, o, s.URL, s.CAFile)
		}
		if cert := h.m.selectedCert(); cert == nil || cert.Label != c.label {
			t.Errorf("%s: certificate %v, want %s", c.scenario, cert, c.label)
		}
		if h.m.demo.desc.Text != s.Description {
			t.Errorf("%s: description %q", c.scenario, h.m.demo.desc.Text)
		}
	}
}

// TestDemoScenarioKeptWhileRunning: while a test runs, choosing another
// scenario changes nothing: the test keeps its scenario.
func TestDemoScenarioKeptWhileRunning(t *testing.T) {
	h := newDemoHarness(t)
	h.be.card.set(true, nil) // the test stalls until canceled
	first := h.m.demo.d.Scenarios[0]
	test.Tap(h.m.conn.test)
	test.Tap(h.pinDialog().ok)
	h.waitFor("the test running", func() bool { return h.m.run != nil && h.m.run.cancel != nil })
	h.chooseScenario("revoked")
	if h.m.demo.selected != 0 || h.m.conn.url.Text != first.URL || h.m.selectedCert().Label != "demo-rsa" {
		t.Errorf("during a test: scenario %d, URL %q, certificate %s", h.m.demo.selected, h.m.conn.url.Text, h.m.selectedCert().Label)
	}
	test.Tap(h.m.banner.cancel)
	h.waitResult()
	h.chooseScenario("revoked")
	if cert := h.m.selectedCert(); h.m.demo.selected != 3 || cert.Label != "demo-revoked" {
		t.Errorf("after the test: scenario %d, certificate %s", h.m.demo.selected, cert.Label)
	}
}

// TestDemoPINPrefilled: the PIN dialog has the demo PIN filled in and
// says so; OK is one login, a wrong PIN is one login and is not
// replaced by the right one behind the user's back.
func TestDemoPINPrefilled(t *testing.T) {
	h := newDemoHarness(t)
	test.Tap(h.m.conn.test) // Test connection: the second click
	d := h.pinDialog()
	if d.entry.Text != demo.PIN || d.ok.Disabled() || !d.demoNote.Visible() || !strings.Contains(d.demoNote.Text, "123456") {
		t.Fatalf("dialog: PIN filled %v, OK disabled %v, note %q", d.entry.Text == demo.PIN, d.ok.Disabled(), d.demoNote.Text)
	}
	if d.remember.Visible() {
		t.Error("the demo offers to remember its PIN in the keyring")
	}
	if n := len(h.be.loginCalls()); n != 0 {
		t.Fatalf("%d logins before OK", n)
	}
	test.Tap(d.ok)
	res := h.waitResult()
	if calls := h.be.loginCalls(); len(calls) != 1 || !calls[0].pinRight || res.Verdict != probe.Accepted {
		t.Fatalf("logins %+v, verdict %s", calls, res.Verdict)
	}
	if !h.m.demo.outcome.Visible() || !strings.Contains(h.m.demo.outcome.Text, "as this scenario expects") {
		t.Errorf("outcome %q", h.m.demo.outcome.Text)
	}

	// Another certificate: a new login. Type a wrong PIN over the filled one.
	h.be.card.set(false, rejectedResult)
	h.chooseScenario("expired")
	test.Tap(h.m.conn.test)
	d = h.pinDialog()
	d.entry.SetText("")
	test.Type(d.entry, "0000")
	submitAndWait(h, d)
	h.q.drain()
	if n := len(h.be.loginCalls()); n != 2 || !d.open || d.entry.Text != "" {
		t.Fatalf("after a wrong PIN: %d logins (want 2), open %v, PIN filled in again %v", n, d.open, d.entry.Text != "")
	}
	if strings.Contains(d.demoNote.Text, "filled in") || !strings.Contains(d.demoNote.Text, demo.PIN) || d.remember.Visible() {
		t.Errorf("after a wrong PIN: note %q (must not claim the PIN is filled in), remember shown %v", d.demoNote.Text, d.remember.Visible())
	}
	test.Type(d.entry, demo.PIN)
	test.Tap(d.ok)
	h.waitResult()
	if calls := h.be.loginCalls(); len(calls) != 3 || !calls[2].pinRight {
		t.Errorf("logins %+v", calls)
	}
	if !strings.Contains(h.m.demo.outcome.Text, "as this scenario expects") {
		t.Errorf("outcome of the expired scenario: %q", h.m.demo.outcome.Text)
	}
}

// TestDemoPINOnlyForDemoToken: a real card plugged in during the demo
// never gets the demo PIN.
func TestDemoPINOnlyForDemoToken(t *testing.T) {
	h := newDemoHarness(t)
	real := newFakeToken(t, readyFlags).Certificates[0]
	if pin := h.m.demoPIN(real); pin != "" {
		t.Error("the demo PIN would be filled in for a real card")
	}
	if pin := h.m.demoPIN(h.m.selectedCert()); pin != demo.PIN {
		t.Error("the demo PIN is not filled in for the demo token")
	}
	n := newHarness(t, newFakeBackend(nil), nil, nil)
	if pin := n.m.demoPIN(newFakeDemoToken(t).Certificates[0]); pin != "" {
		t.Error("outside demo mode a PIN is filled in")
	}
}

// TestDemoCompareUsesEachVersionsServer: the demo's accepting servers
// speak one TLS version each, so Compare tests TLS 1.2 against the
// TLS 1.2 server, with the same certificate and login.
func TestDemoCompareUsesEachVersionsServer(t *testing.T) {
	h := newDemoHarness(t)
	tls13 := h.m.demo.d.Scenarios[0]
	tls12, _ := h.m.demo.d.Scenario("accepted-tls12")
	test.Tap(h.m.result.compareBtn)
	test.Tap(h.pinDialog().ok)
	h.waitFor("the comparison", func() bool { return h.m.run == nil && h.m.result.compare.content.Visible() })
	opts := h.be.card.testOptions()
	if len(opts) != 2 || opts[0].TLSVersion != "1.2" || opts[0].URL != tls12.URL || opts[1].TLSVersion != "1.3" || opts[1].URL != tls13.URL {
		t.Fatalf("tests ran with %+v", opts)
	}
	if n := len(h.be.loginCalls()); n != 1 {
		t.Errorf("%d logins for a comparison", n)
	}
	if got := h.m.demo.compareURL("https://elsewhere.example/", h.m.selectedCert(), "1.2"); got != "https://elsewhere.example/" {
		t.Errorf("an address outside the demo became %q", got)
	}
}

// TestDemoCompareURL: a scenario's server speaks one version; the other
// version goes to the demo's server for it, preferring the scenario with
// the same expectation.
func TestDemoCompareURL(t *testing.T) {
	h := newDemoHarness(t)
	p := h.m.demo
	sc := func(name string) demo.Scenario { s, _ := p.d.Scenario(name); return s }
	cert := func(s demo.Scenario) *token.Certificate {
		for _, c := range h.m.tokens.certificates() {
			if scenarioCert(s, c) {
				return c
			}
		}
		t.Fatalf("no certificate for %s", s.Name)
		return nil
	}
	for _, c := range []struct{ scenario, version, want string }{
		{"accepted-tls13", "1.2", sc("accepted-tls12").URL},
		{"accepted-tls13", "1.3", sc("accepted-tls13").URL},
		{"accepted-tls12", "1.3", sc("accepted-tls13").URL},
		{"expired", "1.2", sc("accepted-tls12").URL},    // the same CA, the TLS 1.2 server
		{"untrusted-ca", "1.2", sc("untrusted-ca").URL}, // speaks both
	} {
		s := sc(c.scenario)
		if got := p.compareURL(s.URL, cert(s), c.version); got != c.want {
			t.Errorf("%s with TLS %s: %s, want %s", c.scenario, c.version, got, c.want)
		}
	}
}

// TestGoldenDemo: the demo window at start.
func TestGoldenDemo(t *testing.T) {
	h := newDemoHarness(t)
	assertMarkup(t, h, "demo.xml")
}

// TestDemoBadgeColours: the expected verdicts use the verdict colours.
func TestDemoBadgeColours(t *testing.T) {
	h := newDemoHarness(t)
	h.chooseScenario("denied")
	if h.m.demo.expect.color != theme.ColorNameWarning || h.m.demo.expect.text != "expected: access denied" {
		t.Errorf("denied: %s %q", h.m.demo.expect.color, h.m.demo.expect.text)
	}
	h.chooseScenario("revoked")
	if h.m.demo.expect.color != theme.ColorNameError {
		t.Errorf("revoked: %s", h.m.demo.expect.color)
	}
}
