package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	regular := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(regular, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, what string
	}{
		{fifo, "a named pipe (FIFO)"},
		{"/dev/zero", "a character device"},
		{dir, "a directory"},
	}
	for _, c := range cases {
		// Each would block or never end if opened and read: the calls
		// return at once.
		for name, fn := range map[string]func(string) error{
			"Regular":    Regular,
			"Open":       func(p string) error { _, err := Open(p); return err },
			"ReadFile":   func(p string) error { _, err := ReadFile(p, 1<<20); return err },
			"OpenAppend": func(p string) error { _, err := OpenAppend(p, 0o600); return err },
		} {
			err := fn(c.path)
			var nr *NotRegularError
			if !errors.As(err, &nr) || nr.What != c.what || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s(%s) = %v, want %s", name, c.path, err, c.what)
			}
		}
	}
	if data, err := ReadFile(regular, 1<<20); err != nil || string(data) != "data" {
		t.Fatalf("ReadFile(regular) = %q, %v", data, err)
	}
	var tl *TooLargeError
	if _, err := ReadFile(regular, 2); !errors.As(err, &tl) {
		t.Fatalf("ReadFile over the limit: %v", err)
	}
	if err := RegularIfExists(filepath.Join(dir, "libnothere.so")); err != nil {
		t.Fatalf("RegularIfExists(missing) = %v", err)
	}
	if err := RegularIfExists(fifo); err == nil {
		t.Fatal("RegularIfExists(fifo) = nil")
	}
	f, err := OpenAppend(filepath.Join(dir, "new.keylog"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
