package token_test

import (
	"context"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

func nextEvent(t *testing.T, ch <-chan token.Event) token.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no hot-plug event within 5 s")
	}
	return token.Event{}
}

func TestWatcherReportsRemovalAndInsertion(t *testing.T) {
	f := &tokentest.Faults{}
	m, tok := scan(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := token.Watch(ctx, m.Modules, 10*time.Millisecond)
	// The first poll is the baseline; give it a moment by waiting for a
	// removal that we cause after the watcher is running.
	f.Remove()
	removed := map[string]bool{}
	for len(removed) < 2 { // the rig module has the main and the big token
		ev := nextEvent(t, ch)
		if ev.Kind != token.Removed {
			t.Fatalf("got %+v, want removals", ev)
		}
		removed[ev.Token.Label] = true
	}
	if !removed[tok.Label] || !removed[testrig.BigToken] {
		t.Fatalf("removed %v", removed)
	}
	f.Reinsert()
	ev := nextEvent(t, ch)
	if ev.Kind != token.Inserted {
		t.Fatalf("got %+v, want an insertion", ev)
	}
	cancel()
	for range ch { // the channel closes when the context ends
	}
}
