package cli_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFOsAreRefused: a named pipe given as --ca, --keylog or --module
// used to block for ever; it is refused at once with a message.
func TestFIFOsAreRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "--url", "https://127.0.0.1:1/", "--ca", fifo},
		{"check", "--url", "https://127.0.0.1:1/", "--keylog", fifo},
		{"check", "--url", "https://127.0.0.1:1/", "--module", fifo},
		{"check", "--url", "https://127.0.0.1:1/", "--cert", "pkcs11:token=x?module-path=" + fifo},
		{"tokens", "--module", fifo},
		{"diagnose", "--module", fifo},
		{"serve", "--listen", "127.0.0.1:0", "--cert", fifo, "--key", fifo, "--client-ca", fifo},
	} {
		start := time.Now()
		code, _, errb := run(t, "", args...)
		if code != 2 || !strings.Contains(errb, "is a named pipe (FIFO), not a regular file") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v took %v", args, d)
		}
	}
}
