package secrets

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDisableCoreDumps runs in a child process (the limit cannot be
// raised again): afterwards the core limit is 0 and the process is not
// dumpable.
func TestDisableCoreDumps(t *testing.T) {
	if os.Getenv("SECRETS_CHILD") == "1" {
		if err := DisableCoreDumps(); err != nil {
			t.Fatal(err)
		}
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil || rl.Cur != 0 || rl.Max != 0 {
			t.Fatalf("RLIMIT_CORE %+v, %v", rl, err)
		}
		if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
			t.Fatalf("dumpable %d, %v", d, err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDisableCoreDumps$", "-test.v")
	cmd.Env = append(os.Environ(), "SECRETS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestClear(t *testing.T) {
	b := []byte("123456")
	Clear(b)
	for _, c := range b {
		if c != 0 {
			t.Fatalf("%q", b)
		}
	}
}
