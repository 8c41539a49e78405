package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/token"
)

// openPINDialog selects Alice's certificate, starts a test and returns
// the PIN dialog.
func openPINDialog(t *testing.T, flags token.Flags, pins PINMemory) (*harness, *pinDialog) {
	t.Helper()
	be := newFakeBackend(newFakeToken(t, flags))
	// The pre-flight's answer comes once the dialog is open, always in
	// that order (in real use it may come first), so that the dialog's
	// layout is the same in every run.
	hold := make(chan struct{})
	be.pfHold = hold
	h := newHarness(t, be, pins, nil)
	h.selectCert("Alice Example")
	h.startTest(testURL)
	// The dialog opens at once, or (with a remembered PIN to try first)
	// once the pre-flight has let the login go on.
	h.waitFor("the PIN dialog or a waiting login", func() bool {
		return h.dialog() != nil && h.dialog().open || h.m.run != nil && h.m.run.login != nil && h.m.run.login.pending != nil
	})
	be.mu.Lock()
	be.pfHold = nil
	be.mu.Unlock()
	close(hold)
	d := h.pinDialog()
	h.waitFor("the pre-flight", func() bool { return d.serverOK })
	return h, d
}

// submitAndWait presses OK and waits until the card answered.
func submitAndWait(h *harness, d *pinDialog) {
	h.t.Helper()
	test.Tap(d.ok)
	h.waitFor("the login answer", func() bool { return !d.submitting })
}

// TestWrongPINKeepsDialogOpen: a wrong PIN is shown in the dialog, which
// stays open; nothing is retried; each OK is exactly one login; the PIN
// state the card reports next decides what the dialog asks.
func TestWrongPINKeepsDialogOpen(t *testing.T) {
	h, d := openPINDialog(t, readyFlags, nil)
	test.Type(d.entry, "0000")
	submitAndWait(h, d)
	if !d.open || h.m.run == nil {
		t.Fatal("the dialog closed after a wrong PIN")
	}
	if d.problem.Text != "The PIN is wrong." || !d.problem.Visible() {
		t.Errorf("problem shown: %q", d.problem.Text)
	}
	if !strings.Contains(d.state.Text, "count low") || d.entry.Text != "" || !d.ok.Disabled() {
		t.Errorf("after a wrong PIN: state %q, entry cleared %v, OK disabled %v", d.state.Text, d.entry.Text == "", d.ok.Disabled())
	}
	h.q.drain()
	if n := len(h.be.loginCalls()); n != 1 {
		t.Fatalf("%d logins after one OK, want exactly 1 (no automatic retry)", n)
	}

	// Second wrong PIN: the card is now at its final try.
	test.Type(d.entry, "0001")
	submitAndWait(h, d)
	if n := len(h.be.loginCalls()); n != 2 {
		t.Fatalf("%d logins after two OKs", n)
	}
	if !d.confirm.Visible() || !strings.Contains(d.state.Text, "Final try") {
		t.Fatalf("final try not asked: confirm visible %v, state %q", d.confirm.Visible(), d.state.Text)
	}
	test.Type(d.entry, testPIN)
	if !d.ok.Disabled() {
		t.Error("OK enabled on final try before the confirmation")
	}
	test.Tap(d.confirm)
	test.Tap(d.ok)
	h.waitResult()
	calls := h.be.loginCalls()
	if len(calls) != 3 || !calls[2].pinRight || !calls[2].confirmFinalTry {
		t.Errorf("logins %+v, want a third, confirmed, with the right PIN", calls)
	}
	if d.open {
		t.Error("the dialog is still open after the right PIN")
	}
}

// TestFinalTryNeedsConfirmation: on final try OK stays disabled (and
// Enter does nothing) until the box is ticked.
func TestFinalTryNeedsConfirmation(t *testing.T) {
	flags := readyFlags
	flags.UserPINFinalTry = true
	h, d := openPINDialog(t, flags, nil)
	if !d.confirm.Visible() || d.confirm.Text != "I understand one more wrong PIN locks the card" {
		t.Fatalf("confirmation box: visible %v %q", d.confirm.Visible(), d.confirm.Text)
	}
	if d.state.Importance != widget.DangerImportance || !strings.Contains(d.state.Text, "one more wrong PIN locks the card") {
		t.Errorf("state %q", d.state.Text)
	}
	test.Type(d.entry, testPIN)
	d.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !d.ok.Disabled() || len(h.be.loginCalls()) != 0 {
		t.Fatalf("without confirmation: OK disabled %v, logins %d", d.ok.Disabled(), len(h.be.loginCalls()))
	}
	test.Tap(d.confirm)
	if d.ok.Disabled() {
		t.Fatal("OK still disabled after the confirmation")
	}
	test.Tap(d.ok)
	h.waitResult()
	if calls := h.be.loginCalls(); len(calls) != 1 || !calls[0].confirmFinalTry {
		t.Errorf("logins %+v", calls)
	}
}

// TestLockedOffersNoEntry: a locked card gets no PIN entry and no OK,
// only advice and Close; nothing is sent to the card.
func TestLockedOffersNoEntry(t *testing.T) {
	flags := readyFlags
	flags.UserPINLocked = true
	h, d := openPINDialog(t, flags, &fakePINs{})
	if d.entry.Visible() || d.ok.Visible() || d.remember.Visible() {
		t.Errorf("locked: entry %v, OK %v, remember %v must all be hidden", d.entry.Visible(), d.ok.Visible(), d.remember.Visible())
	}
	if d.cancel.Text != "Close" || !strings.Contains(d.state.Text, "helpdesk") {
		t.Errorf("locked: button %q, text %q", d.cancel.Text, d.state.Text)
	}
	d.submit() // even a programmatic submit must not log in
	test.Tap(d.cancel)
	h.q.drain()
	if d.open || h.m.run != nil || len(h.be.loginCalls()) != 0 {
		t.Errorf("after Close: open %v, running %v, logins %d", d.open, h.m.run != nil, len(h.be.loginCalls()))
	}
}

// TestPINPad: with a PIN pad there is no entry; Continue logs in with
// the pad and no PIN.
func TestPINPad(t *testing.T) {
	flags := readyFlags
	flags.ProtectedAuthPath = true
	h, d := openPINDialog(t, flags, nil)
	if d.entry.Visible() || !d.padNote.Visible() || d.ok.Text != "Continue" || d.ok.Disabled() {
		t.Fatalf("PIN pad: entry %v, note %v, OK %q disabled %v", d.entry.Visible(), d.padNote.Visible(), d.ok.Text, d.ok.Disabled())
	}
	test.Tap(d.ok)
	h.waitResult()
	if calls := h.be.loginCalls(); len(calls) != 1 || !calls[0].pinPad || calls[0].pinGiven {
		t.Errorf("logins %+v, want one with the PIN pad and no PIN", calls)
	}
}

// TestEscClosesDialog: Esc in the PIN entry cancels the login.
func TestEscClosesDialog(t *testing.T) {
	h, d := openPINDialog(t, readyFlags, nil)
	test.Type(d.entry, "12")
	d.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.q.drain()
	if d.open || h.m.run != nil || len(h.be.loginCalls()) != 0 {
		t.Errorf("after Esc: open %v, running %v, logins %d", d.open, h.m.run != nil, len(h.be.loginCalls()))
	}
	if d.entry.Text != "" {
		t.Error("the PIN stays in the closed dialog's entry")
	}
	if h.m.banner.content.Visible() {
		t.Error("a canceled login leaves the progress banner")
	}
}

// TestRememberPIN runs the remembered-PIN rules against the real
// pinmemory.Store on go-keyring's mock: stored after a login with the box
// ticked, used once without asking, deleted when the card rejects it, and
// never used while the card reports count low.
func TestRememberPIN(t *testing.T) {
	keyring.MockInit()
	store := pinmemory.New()
	key := pinmemory.Key(fakeModulePath, "0042")
	h, d := openPINDialog(t, readyFlags, store)
	h.waitFor("the keyring check", func() bool { return !d.remember.Disabled() })
	test.Type(d.entry, testPIN)
	test.Tap(d.remember)
	test.Tap(d.ok)
	h.waitResult()
	if got, err := store.Get(key); err != nil || got != testPIN {
		t.Fatalf("remembered PIN: matches %v, err %v", got == testPIN, err)
	}

	// Next session: the remembered PIN logs in without a dialog.
	test.Tap(h.m.conn.logout)
	h.startTest(testURL)
	h.waitResult()
	if calls := h.be.loginCalls(); len(calls) != 2 || !calls[1].pinRight {
		t.Fatalf("logins %+v, want a second with the remembered PIN", calls)
	}
	if h.dialog() != nil {
		t.Error("a PIN dialog opened although a PIN was remembered")
	}

	// The PIN was changed elsewhere: one try, then forgotten and asked.
	h.be.mu.Lock()
	h.be.pin = "new-pin-9"
	h.be.mu.Unlock()
	test.Tap(h.m.conn.logout)
	h.startTest(testURL)
	d = h.pinDialog()
	if n := len(h.be.loginCalls()); n != 3 {
		t.Fatalf("%d logins, want exactly one try of the remembered PIN", n)
	}
	if !strings.Contains(d.problem.Text, "remembered") || !strings.Contains(d.state.Text, "count low") {
		t.Errorf("dialog after a rejected remembered PIN: %q / %q", d.problem.Text, d.state.Text)
	}
	if _, err := store.Get(key); !errors.Is(err, pinmemory.ErrNotFound) {
		t.Errorf("the rejected PIN is still remembered (err %v)", err)
	}
	test.Type(d.entry, "new-pin-9")
	test.Tap(d.ok)
	h.waitResult()

	// Count low: a remembered PIN is not used, the dialog asks.
	if err := store.Set(key, "new-pin-9"); err != nil {
		t.Fatal(err)
	}
	low := readyFlags
	low.UserPINCountLow = true
	h.be.setFlags(low)
	test.Tap(h.m.conn.logout)
	before := len(h.be.loginCalls())
	h.startTest(testURL)
	d = h.pinDialog()
	if n := len(h.be.loginCalls()); n != before {
		t.Errorf("a remembered PIN was used on a count-low card (%d logins)", n-before)
	}
	test.Tap(d.cancel)
}

// TestRememberUnavailable: without a keyring the box is disabled with the
// reason in words (no D-Bus jargon), and everything else works.
func TestRememberUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	h, d := openPINDialog(t, readyFlags, pinmemory.New())
	h.waitFor("the keyring check", func() bool { return strings.HasPrefix(d.rememberWhy.Text(), "Not available") })
	if !d.remember.Disabled() || !strings.Contains(d.rememberWhy.Text(), "no keyring service") || strings.Contains(d.rememberWhy.Text(), "DBus") {
		t.Errorf("remember disabled %v, reason %q", d.remember.Disabled(), d.rememberWhy.Text())
	}
	test.Type(d.entry, testPIN)
	test.Tap(d.ok)
	h.waitResult()
}
