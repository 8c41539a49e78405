//go:build linux

package cardstack

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
)

var shared struct {
	once  sync.Once
	mu    sync.Mutex
	stack *Stack
	err   error
}

// Shared returns the process-wide stack, starting it on first use and
// setting its Env in the process environment, so that OpenSC loaded later
// in this process (and libpcsclite under it) reaches the stack's pcscd.
// Call it before anything in the process loads OpenSC. The card's state
// (PIN tries, inserted or not) is shared too: a test that changes it puts
// it back (Restore). Main stops the stack.
func Shared(t testing.TB) *Stack {
	t.Helper()
	shared.once.Do(func() {
		st, err := Start(context.Background(), Options{})
		if err == nil {
			for _, kv := range st.Env {
				k, v, _ := strings.Cut(kv, "=")
				os.Setenv(k, v)
			}
		}
		shared.mu.Lock()
		shared.stack, shared.err = st, err
		shared.mu.Unlock()
	})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("card stack: %v", shared.err)
	}
	if shared.stack == nil {
		t.Fatal("card stack: already stopped")
	}
	return shared.stack
}

// Restore puts the card back into its first state: inserted, all PIN
// tries left, counters cleared.
func (s *Stack) Restore(ctx context.Context) error {
	s.Card.SetTries(s.Card.MaxTries())
	if !s.Reader.Inserted() {
		if err := s.Reader.Insert(ctx); err != nil {
			return err
		}
	}
	s.Card.ClearStats()
	return nil
}

// StopShared stops the shared stack if it was started.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stack != nil {
		shared.stack.Close()
		shared.stack = nil
	}
}

// Main is a TestMain that runs the tests and then stops the shared stack:
//
//	func TestMain(m *testing.M) { cardstack.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}
