package cardstack

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPkcs11ToolSeesTheCard starts a stack of its own and lists the card
// with OpenSC's pkcs11-tool in a separate process: the reader, the token
// and both certificates must show, and listing needs no PIN.
func TestPkcs11ToolSeesTheCard(t *testing.T) {
	if m := Missing(Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
		if st.Running() {
			t.Error("pcscd still running after Close")
		}
		if _, err := os.Stat(st.Dir); !os.IsNotExist(err) {
			t.Errorf("%s left behind", st.Dir)
		}
	}()
	st.Card.ClearStats()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "pkcs11-tool", "--module", st.Module, "--list-objects", "--type", "cert")
	cmd.Env = append(os.Environ(), st.Env...)
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("pkcs11-tool: %v\n%s\n%s", err, out, st.Log())
	}
	for _, want := range []string{AuthCN, SignCN} {
		if !strings.Contains(string(out), want) {
			t.Errorf("pkcs11-tool output lacks %q:\n%s", want, out)
		}
	}
	s := st.Card.Stats()
	t.Logf("pkcs11-tool --list-objects: %v, %d APDUs %v", took.Round(time.Millisecond), s.APDUs, s.ByName)
	if testing.Verbose() {
		for _, e := range st.Card.Log() {
			t.Logf("+%6.1f ms %v (%v)", float64(e.At.Sub(start).Microseconds())/1000, e, e.Took)
		}
	}
	if s.PINAttempts() != 0 {
		t.Errorf("listing sent %d PINs", s.PINAttempts())
	}
}
