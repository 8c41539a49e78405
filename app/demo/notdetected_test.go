package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/diagnose"
)

// Each step of the "card not detected" lesson gives the finding a user
// with that problem gets, through app/diagnose as for a real system.
func TestNotDetectedLessonFindings(t *testing.T) {
	want := map[string][]diagnose.Code{
		StepCardListed:        nil,
		StepNoReader:          {diagnose.NoReader},
		StepServiceNotRunning: {diagnose.ServiceNotRunning, diagnose.ServiceNotInstalled}, // which one depends on this machine
		StepNoModule:          {diagnose.NoModuleForCard},
		StepCardInUse:         {diagnose.CardInUse},
		StepModuleHidesCard:   {diagnose.ModuleHidesCard},
	}
	steps := NotDetectedLesson("/nonexistent/libsofthsm2.so")
	if len(steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(steps), len(want))
	}
	for _, s := range steps {
		r := s.Diagnose(context.Background())
		codes := map[diagnose.Code]bool{}
		for _, f := range r.Diagnosis {
			codes[f.Code] = true
		}
		if want[s.Name] == nil && len(r.Diagnosis) != 0 {
			t.Errorf("%s: findings %v, want none", s.Name, r.Diagnosis)
		}
		found := want[s.Name] == nil
		for _, c := range want[s.Name] {
			found = found || codes[c]
		}
		if !found {
			t.Errorf("%s: findings %v, want one of %v", s.Name, codes, want[s.Name])
		}
		var b strings.Builder
		r.WriteText(&b, true)
		for _, rd := range r.Readers {
			if !strings.Contains(rd.Name, "(simulated)") {
				t.Errorf("%s: reader %q does not say it is simulated", s.Name, rd.Name)
			}
		}
	}
}

// The working chain ties the simulated reader and its card to the token,
// and the PIN pad reader is flagged.
func TestNotDetectedLessonReaders(t *testing.T) {
	steps := NotDetectedLesson("/nonexistent/libsofthsm2.so")
	r := steps[0].Diagnose(context.Background())
	if len(r.Readers) != 1 || len(r.Readers[0].Tokens) != 1 || !r.Readers[0].Tokens[0].Listed || r.Readers[0].CardType != "PIV" {
		t.Fatalf("working chain: readers %+v", r.Readers)
	}
	if len(r.Tokens) != 1 || r.Tokens[0].Reader != SimReader {
		t.Fatalf("working chain: tokens %+v", r.Tokens)
	}
	last := steps[len(steps)-1].Diagnose(context.Background())
	if len(last.Readers) != 1 || !last.Readers[0].PINPad.Present() {
		t.Fatalf("PIN pad step: readers %+v", last.Readers)
	}
}
