//go:build linux

// Package cardstacktest shares one card stack (build/cardstack) between
// the tests of a test binary: libpcsclite reads PCSCLITE_CSOCK_NAME once
// per process, so a binary that loads OpenSC in-process uses one stack.
// It is apart from cardstack so that a program using cardstack (the
// demo's emulated card) does not link the testing package.
package cardstacktest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cardcheck/cardcheck/build/cardstack"
)

var shared struct {
	once  sync.Once
	mu    sync.Mutex
	stack *cardstack.Stack
	err   error
}

// Shared returns the process-wide stack, starting it on first use and
// setting its Env in the process environment, so that OpenSC loaded later
// in this process (and libpcsclite under it) reaches the stack's pcscd.
// Call it before anything in the process loads OpenSC. The card's state
// (PIN tries, inserted or not) is shared too: a test that changes it puts
// it back (Restore). Main stops the stack.
func Shared(t testing.TB) *cardstack.Stack {
	t.Helper()
	shared.once.Do(func() {
		st, err := cardstack.Start(context.Background(), cardstack.Options{})
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
//	func TestMain(m *testing.M) { cardstacktest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}
