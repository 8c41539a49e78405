package token_test

import (
	"crypto"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// within fails the test when f takes longer than limit; f runs on the
// test's goroutine.
func within(t *testing.T, limit time.Duration, what string, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	f()
	took := time.Since(start)
	if took > limit {
		t.Errorf("%s took %v, want at most %v", what, took, limit)
	}
	return took
}

// A module that never returns from C_GetSlotList (a real C module, loaded
// in this process without vetting) costs one call timeout: the scan ends
// with module-timeout, the module's later calls fail at once instead of
// queueing on its lock, the other module is listed, and Close returns.
func TestHangingModuleIsBoundedByTheCallTimeout(t *testing.T) {
	rig := testrig.Shared(t)
	hang := tokentest.BuildBroken(t, tokentest.HangInSlotList)
	m := token.NewManager(token.Options{CallTimeout: 300 * time.Millisecond})
	var inv *token.Inventory
	within(t, 2*time.Second, "the scan", func() {
		inv = m.Scan([]token.Candidate{{Path: hang}, {Path: rig.Module}})
	})
	if err := inv.Modules[0].Err; !errors.Is(err, token.KindModuleTimeout) || !strings.Contains(err.Error(), "did not answer within 300ms (C_GetSlotList)") {
		t.Errorf("hanging module: %v", err)
	}
	if inv.Modules[1].Err != nil || len(inv.Tokens) == 0 {
		t.Errorf("SoftHSM next to it: %v, %d tokens", inv.Modules[1].Err, len(inv.Tokens))
	}
	mod, err := m.Load(hang)
	if err != nil {
		t.Fatal(err)
	}
	within(t, 100*time.Millisecond, "a call into the stuck module", func() {
		if _, err := mod.Tokens(); !errors.Is(err, token.KindModuleTimeout) || !strings.Contains(err.Error(), "still busy") {
			t.Errorf("stuck module: %v", err)
		}
	})
	within(t, time.Second, "Close", func() { m.Close() })
}

// Login and signing on a card that stopped answering end with
// module-timeout; the PIN is in no error.
func TestHangingLoginAndSignatureAreBounded(t *testing.T) {
	for _, in := range []string{"login", "sign"} {
		t.Run(in, func(t *testing.T) {
			rig := testrig.Shared(t)
			f := &tokentest.Faults{}
			m := token.NewManager(token.Options{Loader: f.Loader(), CallTimeout: 300 * time.Millisecond})
			t.Cleanup(func() { m.Close() })
			inv := m.Scan([]token.Candidate{{Path: rig.Module}})
			tok := findToken(t, inv, testrig.MainToken)
			s, err := tok.Module.Open(tok.Ref())
			if err != nil {
				t.Fatal(err)
			}
			hang := make(chan struct{})
			t.Cleanup(func() {
				close(hang)
				select { // the session is closed only once the module answers again
				case <-tok.Module.Idle():
				case <-time.After(5 * time.Second):
					t.Error("the module did not come back after the hang ended")
				}
				s.Close()
			})
			if in == "login" {
				f.Hang = hang
			}
			var lerr error
			within(t, 2*time.Second, "login", func() { lerr = s.Login(token.LoginOptions{PIN: testrig.PIN}) })
			if in == "login" {
				if !errors.Is(lerr, token.KindModuleTimeout) || strings.Contains(lerr.Error(), testrig.PIN) {
					t.Fatalf("login: %v", lerr)
				}
				return
			}
			if lerr != nil {
				t.Fatal(lerr)
			}
			sg, err := s.Signer(certByLabel(t, tok, rig.Entries[testrig.EC256].Label))
			if err != nil {
				t.Fatal(err)
			}
			f.Hang = hang
			within(t, 2*time.Second, "sign", func() {
				_, err = sg.Sign(rand.Reader, digest(crypto.SHA256, "x"), crypto.SHA256)
			})
			if !errors.Is(err, token.KindModuleTimeout) || !strings.Contains(err.Error(), "C_Sign") {
				t.Fatalf("sign: %v", err)
			}
		})
	}
}
