package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// TestPreflightEndsTestWithoutPIN: a server that never asks for a
// certificate ends the test at the pre-flight: the PIN dialog closes with
// nothing typed and the card sees no login.
func TestPreflightEndsTestWithoutPIN(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	hold := make(chan struct{})
	be.pfHold = hold
	be.preflight = func(url string) *probe.Preflight {
		return &probe.Preflight{Finding: probe.FindingNotRequested,
			Result: &probe.Result{URL: url, Verdict: probe.NotRequested, Summary: "The server never asked for a client certificate."}}
	}
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	d := h.pinDialog()
	close(hold)
	res := h.waitResult()
	if res.Verdict != probe.NotRequested || d.open || len(be.loginCalls()) != 0 {
		t.Errorf("verdict %s, dialog open %v, %d logins; want not-requested, closed, none", res.Verdict, d.open, len(be.loginCalls()))
	}
}

// TestPINWaitsForPreflight: until the pre-flight finds that the server
// asks for a certificate, OK and Enter send nothing to the card.
func TestPINWaitsForPreflight(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.card.set(false, acceptedResult)
	hold := make(chan struct{})
	be.pfHold = hold
	h := newHarness(t, be, nil, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	d := h.pinDialog()
	test.Type(d.entry, testPIN)
	d.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Tap(d.ok)
	h.q.drain()
	if n := len(be.loginCalls()); n != 0 || !d.ok.Disabled() {
		t.Fatalf("before the pre-flight: %d logins, OK disabled %v", n, d.ok.Disabled())
	}
	close(hold)
	h.waitFor("the pre-flight", func() bool { return d.serverOK })
	test.Tap(d.ok)
	if res := h.waitResult(); res.Verdict != probe.Accepted || len(be.loginCalls()) != 1 {
		t.Errorf("after the pre-flight: verdict %s, %d logins", res.Verdict, len(be.loginCalls()))
	}
}

// TestRememberedPINWaitsForPreflight: a remembered PIN is not tried
// before the server has asked for a certificate, and never when it does
// not.
func TestRememberedPINWaitsForPreflight(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.preflight = func(url string) *probe.Preflight {
		return &probe.Preflight{Finding: probe.FindingRefused,
			Result: &probe.Result{URL: url, Verdict: probe.Failed, Error: &probe.ErrorInfo{Kind: probe.KindNetwork, Message: "refused"}}}
	}
	pins := &fakePINs{pins: map[string]string{pinmemory.Key(fakeModulePath, "0042"): testPIN}}
	h := newHarness(t, be, pins, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	res := h.waitResult()
	if res.Error == nil || res.Error.Kind != probe.KindNetwork || len(be.loginCalls()) != 0 {
		t.Errorf("refused server: error %+v, %d logins; want network, none", res.Error, len(be.loginCalls()))
	}
}

// TestUnusableCertificateAsksNoPIN: a certificate the card cannot sign
// with ends the test before the PIN dialog.
func TestUnusableCertificateAsksNoPIN(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	h := newHarness(t, be, nil, nil)
	c := h.selectCert("Alice Example")
	c.Problems = append(c.Problems, token.ProblemNoPrivateKey)
	h.startTest(testURL)
	res := h.waitResult()
	if res.Error == nil || h.dialog() != nil || len(be.loginCalls()) != 0 {
		t.Errorf("unusable certificate: error %+v, dialog %v, %d logins", res.Error, h.dialog() != nil, len(be.loginCalls()))
	}
}
