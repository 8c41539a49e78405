package ui

import (
	"bytes"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// TestRealBackend drives the window on the real token layer: SoftHSM
// tokens of the test rig and cardcheck's own mTLS server. Select the
// ec256 certificate, type the PIN, run: the server accepts, and the
// ladder shows the real handshake.
func TestRealBackend(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	be := desktop.New([]string{rig.Module})
	t.Cleanup(be.Close)
	h := newHarness(t, be, nil, nil)

	e := rig.Entries[testrig.EC256]
	if !h.m.tokens.selectCert(func(c *token.Certificate) bool {
		return c.Token.Label == testrig.MainToken && bytes.Equal(c.ID, e.ID)
	}) {
		t.Fatalf("the ec256 certificate is not in the tree (%d certificates)", len(h.m.tokens.certificates()))
	}
	if got := h.m.details.name.Text; got != e.Cert.Subject.CommonName {
		t.Errorf("details show %q, want %q", got, e.Cert.Subject.CommonName)
	}
	if !strings.HasPrefix(h.m.details.privateKey.Text, "unknown") {
		t.Errorf("private key before login: %q, want unknown", h.m.details.privateKey.Text)
	}
	h.m.conn.setCAFile(rig.CAFile)
	h.startTest(srv.URL)
	d := h.pinDialog()
	test.Type(d.entry, testrig.PIN)
	test.Tap(d.ok)
	res := h.waitResult()

	if res.Verdict != probe.Accepted {
		t.Fatalf("verdict %s: %s (%+v)", res.Verdict, res.Summary, res.Error)
	}
	if n := len(h.m.result.ladder.steps); n < 8 {
		t.Errorf("the ladder shows %d messages, want at least 8", n)
	}
	if h.m.banner.title.Text != verdictHeadline(probe.Accepted) {
		t.Errorf("banner %q", h.m.banner.title.Text)
	}
	if !strings.HasPrefix(h.m.details.privateKey.Text, "yes") {
		t.Errorf("private key after login: %q, want yes", h.m.details.privateKey.Text)
	}
	if !h.m.result.serverState.Visible() || !strings.Contains(h.m.result.serverState.Text, "trusted") {
		t.Errorf("server: %q", h.m.result.serverState.Text)
	}
}
