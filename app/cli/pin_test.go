package cli

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadSecretLine(t *testing.T) {
	long := strings.Repeat("5", maxPINLen+1)
	for _, tc := range []struct {
		typed, want string
		canceled    bool
	}{
		{"1234\r", "1234", false},
		{"1234\n", "1234", false},
		{"12\x7f34\r", "134", false},        // Backspace
		{"12\b34\r", "134", false},          // Ctrl+H
		{"ü\x7f1\r", "1", false},            // Backspace deletes a whole character
		{"ab\x15cd\r", "cd", false},         // Ctrl+U
		{"\x1b[A12\x1bOB3\r", "123", false}, // arrow keys are ignored
		{"1\t2\x00\r", "12", false},         // other control keys too
		{"12", "12", false},                 // end of input ends the line
		{"12\x04\r", "12", false},           // Ctrl+D inside a line does nothing
		{"\x03", "", true},                  // Ctrl+C
		{"zq9\x03", "", true},
		{"\x04", "", true}, // Ctrl+D on an empty line
		{"", "", true},
		{"\r", "", false}, // empty: the caller says no PIN was entered
	} {
		got, err := readSecretLine(strings.NewReader(tc.typed))
		if tc.canceled != errors.Is(err, errPINCanceled) || !tc.canceled && err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q (canceled %v)", tc.typed, got, err, tc.want, tc.canceled)
		}
	}
	r := &countingReader{r: strings.NewReader(long + long + "\r")}
	if _, err := readSecretLine(r); err == nil || strings.Contains(err.Error(), "55") {
		t.Errorf("a line longer than %d bytes: %v", maxPINLen, err)
	}
	if r.n > maxPINLen+1 {
		t.Errorf("read %d bytes: the read is not bounded", r.n)
	}
}

func TestReadPINFromAPipe(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"1234\n", "1234", ""},
		{"1234\r\nrest\n", "1234", ""},
		{"1234", "1234", ""},
		{"\n", "", "empty"},
		{"", "", "empty"},
		{strings.Repeat("5", maxPINLen) + "\n", strings.Repeat("5", maxPINLen), ""},
		{strings.Repeat("5", maxPINLen+1) + "\n", "", "longer than 256 bytes"},
	} {
		got, err := readPIN(strings.NewReader(tc.in))
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.20q: got %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "1234") || err != nil && strings.Contains(err.Error(), "555") {
			t.Errorf("the error quotes the input: %v", err)
		}
	}
	r := &countingReader{r: strings.NewReader(strings.Repeat("5", 1<<20))}
	if _, err := readPIN(r); err == nil || r.n > maxPINLen+2 {
		t.Errorf("1 MiB without a newline: read %d bytes, %v", r.n, err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
