package cli_test

import (
	"strings"
	"testing"
)

// TestErrorsAreTerminalSafe: a file name (or anything else quoted in an
// error) cannot drive the terminal the error is printed on.
func TestErrorsAreTerminalSafe(t *testing.T) {
	code, out, errb := run(t, "", "check", "--url", "https://127.0.0.1:1/", "--ca", "/nonexistent/\x1b]0;owned\x07\x1b[2J")
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, errb)
	}
	if strings.ContainsAny(out+errb, "\x1b\x07") {
		t.Fatalf("a control character reached the terminal: %q", errb)
	}
	if !strings.Contains(errb, `\x1b]0;owned\x07`) {
		t.Fatalf("the name is not shown escaped: %q", errb)
	}
}
