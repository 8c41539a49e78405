package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/demo"
)

// TestNotDetectedLesson: the demo's "card not detected" lesson walks the
// layers; each step shows the window's empty state with the finding a
// person with that problem gets, and the Diagnostics report of the
// simulated reader layer, labelled as simulated.
func TestNotDetectedLesson(t *testing.T) {
	h := newDemoHarness(t)
	test.Tap(h.m.demo.notDetected)
	v := h.m.lesson
	if v == nil || h.m.modal.top().name != "not-detected" {
		t.Fatal("the lesson is not open")
	}
	h.waitFor("the lesson's reports", func() bool { return v.reports != nil })
	want := map[string]string{ // a piece of what the empty state says
		demo.StepNoReader:          "No card reader is connected.",
		demo.StepServiceNotRunning: "smart-card service",
		demo.StepNoModule:          "no PKCS#11 module shows it",
		demo.StepCardInUse:         "Another program holds the card",
		demo.StepModuleHidesCard:   "sees the card in",
	}
	for i, s := range v.steps {
		if v.i != i {
			t.Fatalf("step %d shown, want %d", v.i, i)
		}
		if !strings.Contains(v.report.Text, "(simulated)") && s.Name != demo.StepServiceNotRunning && s.Name != demo.StepNoReader {
			t.Errorf("%s: the report does not show the simulated reader:\n%s", s.Name, v.report.Text)
		}
		if strings.Contains(v.report.Text, "--full") {
			t.Errorf("%s: the report in the window names the CLI's flag", s.Name)
		}
		if s.Name == demo.StepCardListed {
			if !v.listed.Visible() || v.empty.content.Visible() {
				t.Errorf("%s: the listed card is not shown", s.Name)
			}
		} else if !v.empty.content.Visible() || !strings.Contains(v.empty.findings.Text, want[s.Name]) {
			t.Errorf("%s: empty state findings %q, want %q", s.Name, v.empty.findings.Text, want[s.Name])
		}
		if strings.Contains(v.empty.findings.Text, "--") {
			t.Errorf("%s: the window's advice names a flag: %q", s.Name, v.empty.findings.Text)
		}
		if s.Name == demo.StepModuleHidesCard && !strings.Contains(v.report.Text, "[PIN pad]") {
			t.Errorf("%s: the PIN pad reader is not flagged:\n%s", s.Name, v.report.Text)
		}
		if i+1 < len(v.steps) {
			test.Tap(v.next)
		}
	}
	if !v.next.Disabled() {
		t.Error("Next is enabled on the last step")
	}
	test.Tap(v.back)
	if v.i != len(v.steps)-2 {
		t.Errorf("Back: step %d", v.i)
	}
	h.m.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.m.modal.any() || h.m.lesson != nil {
		t.Error("Esc did not close the lesson")
	}
}

// TestDemoOpensLessonAtStart: `cardcheck demo --lesson not-detected`
// opens the lesson once the cards are read.
func TestDemoOpensLessonAtStart(t *testing.T) {
	be := newFakeBackend(newFakeDemoToken(t))
	be.inv.Modules[0].Path = fakeDemoModule
	d := newFakeDemo(t)
	d.OpenLesson = LessonNotDetected
	h := openHarness(t, Deps{Backend: be}, d)
	h.waitFor("the lesson", func() bool { return h.m.lesson != nil && h.m.lesson.reports != nil })
}
