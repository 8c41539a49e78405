//go:build linux

package demo

import (
	"context"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/diagnose"
)

// TestEmulatedCardShowsTheReaderLayer: with the emulated card running
// (`cardcheck demo --emulated-card`), the report of this process lists
// its reader with the card's ATR and type, tied to its OpenSC token.
// Like the other card-stack tests it needs root and build/deps.sh test.
func TestEmulatedCardShowsTheReaderLayer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, err := StartEmulatedCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := diagnose.Run(ctx, diagnose.Options{Modules: []string{e.Module}, UserModules: []string{}, NoVersions: true})
	for _, rd := range r.Readers {
		if rd.Name != e.Reader {
			continue
		}
		if !rd.CardPresent || rd.ATR == "" || rd.CardType != "PIV" || len(rd.Tokens) != 1 || !rd.Tokens[0].Listed {
			t.Fatalf("reader %+v", rd)
		}
		if len(r.Tokens) != 1 || r.Tokens[0].Reader != e.Reader || len(r.Diagnosis) != 0 {
			t.Fatalf("tokens %+v, findings %+v", r.Tokens, r.Diagnosis)
		}
		return
	}
	t.Fatalf("no reader %q in %+v (service %s)", e.Reader, r.Readers, r.Service.State)
}
