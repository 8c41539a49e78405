package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/probe"
)

// The golden files in testdata/ hold the rendered markup of the main
// states. After a deliberate change, review testdata/failed/*.xml and copy
// them over the golden files (testdata/failed/ is never committed).

func TestGoldenEmpty(t *testing.T) {
	h := newHarness(t, newFakeBackend(nil), nil, nil)
	assertMarkup(t, h, "empty.xml")
}

func TestGoldenTokens(t *testing.T) {
	h := newHarness(t, newFakeBackend(newFakeToken(t, readyFlags)), nil, nil)
	h.selectCert("Alice Example (signing)") // expires in 18 days: warning colour
	assertMarkup(t, h, "tokens.xml")
}

func TestGoldenPINDialog(t *testing.T) {
	h, d := openPINDialog(t, readyFlags, &fakePINs{})
	h.waitFor("the keyring check", func() bool { return !d.remember.Disabled() })
	assertMarkup(t, h, "pin_dialog.xml")

	flags := readyFlags
	flags.UserPINFinalTry = true
	h, _ = openPINDialog(t, flags, nil)
	assertMarkup(t, h, "pin_final_try.xml")
}

func TestGoldenAccepted(t *testing.T) {
	h := goldenRun(t, acceptedResult)
	assertMarkup(t, h, "accepted.xml")
}

func TestGoldenRejected(t *testing.T) {
	h := goldenRun(t, rejectedResult)
	assertMarkup(t, h, "rejected.xml")
}

// goldenRun runs one test on a token that needs no PIN.
func goldenRun(t *testing.T, result func(string) *probe.Result) *harness {
	be := newFakeBackend(newFakeToken(t, readyFlags))
	be.setFlags(readyFlags)
	be.card.set(false, result)
	h := runAliceTest(t, be)
	return h
}

// assertMarkup compares the window with a golden file. The GL driver lays
// out again every frame whose sizes changed; the test driver does not, so
// the whole tree is laid out first, as the first frame would be.
func assertMarkup(t *testing.T, h *harness, name string) {
	t.Helper()
	h.w.Content().Refresh()
	test.AssertRendersToMarkup(t, name, h.w.Canvas())
}
