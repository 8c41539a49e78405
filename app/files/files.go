// Package files opens the files a user names — a CA file, a key log, a
// CRL, a PKCS#11 module — only when they are what they claim to be. A
// named pipe (FIFO) given as --ca blocks the program for ever on open or
// read, a device can be endless or have side effects, and dlopen of a
// FIFO as --module hangs: they are refused with a message before
// anything is opened. Both front ends use it: the CLI for its flags, the
// GUI for files chosen in dialogs.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError is a path that exists but is not a regular file.
type NotRegularError struct {
	Path string
	What string // "a named pipe (FIFO)", "a device", "a socket", "a directory", …
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.What)
}

// TooLargeError is a file over the limit its use allows.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d MB, too large for what it is used for", e.Path, e.Limit>>20)
}

// describe names a file mode that is not a regular file.
func describe(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// Regular returns nil when path (following symbolic links) is a regular
// file, a *NotRegularError when it is something else, and the stat error
// when it cannot be seen.
func Regular(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, What: describe(fi.Mode())}
	}
	return nil
}

// RegularIfExists is Regular for a path that may also be a name to look
// up elsewhere (a module given as "opensc-pkcs11.so" is searched for by
// the dynamic loader): only something that exists and is not a regular
// file is refused.
func RegularIfExists(path string) error {
	err := Regular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Dir returns nil when path is a directory.
func Dir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}

// Open opens a regular file for reading. It checks before opening, opens
// with O_NONBLOCK (so that a FIFO put in its place in between cannot block
// the open) and checks the opened file again.
func Open(path string) (*os.File, error) {
	if err := Regular(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if err := checkOpened(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads a regular file of at most limit bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, nil
}

// OpenAppend opens a file for appending, creating it (mode perm) when
// missing; an existing path must be a regular file.
func OpenAppend(path string, perm fs.FileMode) (*os.File, error) {
	if err := Regular(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, err
	}
	if err := checkOpened(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkOpened checks the opened file itself (fstat): the path may have
// been replaced since it was looked at.
func checkOpened(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: path, What: describe(fi.Mode())}
	}
	return nil
}
