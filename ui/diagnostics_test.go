package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/diagnose"
)

// TestEmptyStateSaysWhichLayerIsMissing: with no card listed, the empty
// state shows what the layers below the modules found.
func TestEmptyStateSaysWhichLayerIsMissing(t *testing.T) {
	be := newFakeBackend(nil)
	be.findings = []diagnose.Finding{{Code: diagnose.ServiceNotRunning,
		Message: "The smart-card service is not running, so no card reader can be seen.",
		Advice:  []string{"Start it: sudo systemctl start pcscd.socket"}}}
	h := newHarness(t, be, nil, nil)
	h.waitFor("the findings", func() bool { return h.m.empty.findings.Visible() })
	if text := h.m.empty.findings.Text; !strings.Contains(text, "service is not running") || !strings.Contains(text, "systemctl start pcscd.socket") {
		t.Errorf("empty state findings: %q", text)
	}
}

// TestDiagnosticsDialog: Help → Diagnostics… opens, fills in, copies the
// report and closes with Esc.
func TestDiagnosticsDialog(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	h := newHarness(t, be, nil, nil)
	h.m.showDiagnostics()
	v := h.m.diag
	if v == nil || h.m.modal.top().name != "diagnostics" {
		t.Fatal("the diagnostics dialog is not open")
	}
	h.waitFor("the report", func() bool { return v.report != nil })
	test.Tap(v.copy)
	got := h.m.app.Clipboard().Content()
	if !strings.Contains(got, "cardcheck") {
		t.Errorf("copied report: %q", got)
	}
	// The redacted report names the window's check box, not the CLI's flag.
	if strings.Contains(got, "--full") || !strings.Contains(got, fullLabel()) {
		t.Errorf("copied report does not name the full-report control: %q", firstLine(got[strings.Index(got, "\n")+1:]))
	}
	h.m.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.m.modal.any() || h.m.diag != nil {
		t.Error("Esc did not close the diagnostics")
	}
}
