package cli

// Rules for the PIN on the command line (docs/contract.md, PIN safety): it comes from the
// terminal (echo off) or from standard input (--pin-stdin), never from an
// argument; it is never written anywhere, and no error quotes it. The
// token is chosen and its PIN state shown before anyone types: a locked
// card, or one on its final try without --final-try, is not asked for a
// PIN at all.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/cardcheck/cardcheck/app/report"
	"github.com/cardcheck/cardcheck/app/secrets"
	"github.com/cardcheck/cardcheck/token"
)

// maxPINLen bounds every PIN read: PKCS#11 PINs are short (a token's
// ulMaxPinLen is typically 8 to 64 bytes).
const maxPINLen = 256

// errPINCanceled is Ctrl+C (or Ctrl+D, SIGINT, SIGTERM, SIGHUP) at the
// PIN prompt: nothing was sent to the card.
var errPINCanceled = &token.Error{Kind: token.KindCanceled, Op: "PIN entry",
	Msg: "The PIN entry was canceled; nothing was sent to the card."}

// errNoPIN is an empty answer at the prompt.
var errNoPIN = &token.Error{Kind: token.KindPINRequired, Op: "PIN entry",
	Msg: "No PIN was entered; nothing was sent to the card."}

// pinSource says where a command gets the PIN from.
type pinSource struct {
	stdin    bool // --pin-stdin
	finalTry bool // --final-try
	io       IO
}

// terminal returns the file behind r when it is a terminal.
func terminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return nil, false
	}
	return f, term.IsTerminal(int(f.Fd()))
}

// forToken returns the PIN for t and whether one was given (false: log in
// with the reader's PIN pad, or not at all). On a terminal it asks, with
// echo off, when --pin-stdin was given or when the card needs a PIN that
// no PIN pad can take; otherwise --pin-stdin reads one line.
func (p pinSource) forToken(t *token.Token) (string, bool, error) {
	tty, isTTY := terminal(p.io.Stdin)
	needsTyping := t.Flags.LoginRequired && !t.Flags.ProtectedAuthPath
	switch {
	case isTTY && (p.stdin || needsTyping):
		if !t.Flags.LoginRequired {
			return "", false, nil
		}
		switch state := t.Flags.PINState(); {
		case state == token.PINLocked, state == token.PINFinalTry && !p.finalTry:
			return "", false, nil // the login refuses with the reason; nobody types in vain
		}
		prompt := fmt.Sprintf("PIN for %q (PIN state: %s): ", t.Label, report.PINStateText(t.Flags))
		pin, err := promptPIN(tty, p.io.Stderr, prompt)
		return pin, err == nil, err
	}
	return p.piped()
}

// piped reads the PIN piped to --pin-stdin (standard input is not a
// terminal); none without the flag.
func (p pinSource) piped() (string, bool, error) {
	if !p.stdin {
		return "", false, nil
	}
	pin, err := readPIN(p.io.Stdin)
	return pin, err == nil, err
}

// readPIN reads one line from standard input as the PIN (--pin-stdin when
// standard input is not a terminal). It reads at most maxPINLen+2 bytes,
// into a buffer of its own that it clears before returning.
func readPIN(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--pin-stdin: standard input is not available")
	}
	var buf [maxPINLen + 2]byte
	defer secrets.Clear(buf[:])
	n := 0
	for n < len(buf) && bytes.IndexByte(buf[:n], '\n') < 0 {
		m, err := r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", usagef("--pin-stdin: cannot read the PIN from standard input")
		}
	}
	line := buf[:n]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i+1]
	}
	line = trimEOLBytes(line)
	switch {
	case len(line) == 0:
		return "", usagef("--pin-stdin: the PIN on standard input is empty (pipe the PIN, e.g. from a password manager; for a PIN-pad reader leave out --pin-stdin)")
	case len(line) > maxPINLen:
		return "", usagef("--pin-stdin: the first line of standard input is longer than %d bytes; it is not a PIN", maxPINLen)
	}
	return string(line), nil
}

func trimEOLBytes(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// promptPIN writes prompt to out and reads a PIN from the terminal tty
// with echo off. The terminal is switched to raw mode before the prompt
// appears (so nothing typed ahead is echoed) and restored on every path:
// Enter, Ctrl+C, Ctrl+D, an error, and SIGINT, SIGTERM or SIGHUP from
// outside (raw mode turns Ctrl+C into a byte instead of a signal).
func promptPIN(tty *os.File, out io.Writer, prompt string) (string, error) {
	fd := int(tty.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("cannot switch off the terminal's echo to ask for the PIN: %w", err)
	}
	restore := sync.OnceFunc(func() { _ = term.Restore(fd, old) })
	defer restore()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	fmt.Fprint(out, prompt)
	type answer struct {
		pin string
		err error
	}
	done := make(chan answer, 1)
	go func() {
		pin, err := readSecretLine(tty)
		done <- answer{pin, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-sigs:
		// The reading goroutine stays blocked until the process exits;
		// what it may still read is never used.
		a.err = errPINCanceled
	}
	restore()
	fmt.Fprintln(out)
	switch {
	case a.err != nil:
		return "", a.err
	case a.pin == "":
		return "", errNoPIN
	}
	return a.pin, nil
}

// readSecretLine reads one line typed on a raw terminal, at most
// maxPINLen bytes, echoing nothing. It ends at Enter; Backspace deletes a
// character and Ctrl+U the whole line; Ctrl+C, or Ctrl+D on an empty line,
// cancels; other control keys and escape sequences (arrows) are ignored.
func readSecretLine(r io.Reader) (string, error) {
	pin := make([]byte, 0, maxPINLen) // never grown: no stray copies
	defer secrets.Clear(pin[:cap(pin)])
	var b [1]byte
	esc := 0 // 1: after ESC, 2: inside an ESC [ … sequence
	for {
		n, err := r.Read(b[:])
		if n == 0 {
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) && len(pin) > 0 {
				return string(pin), nil
			}
			if errors.Is(err, io.EOF) {
				return "", errPINCanceled
			}
			return "", errors.New("cannot read the PIN from the terminal")
		}
		c := b[0]
		switch {
		case esc == 1 && (c == '[' || c == 'O'):
			esc = 2
			continue
		case esc == 2 && c >= 0x40 && c <= 0x7e:
			esc = 0
			continue
		case esc == 2 || esc == 1 && c == 0x1b:
			continue
		case esc == 1:
			esc = 0 // ESC then a plain key: drop both
			continue
		}
		switch c {
		case '\r', '\n':
			return string(pin), nil
		case 0x03: // Ctrl+C
			return "", errPINCanceled
		case 0x04: // Ctrl+D
			if len(pin) == 0 {
				return "", errPINCanceled
			}
		case 0x7f, 0x08: // Backspace
			if len(pin) > 0 {
				_, size := utf8.DecodeLastRune(pin)
				pin = pin[:len(pin)-size]
			}
		case 0x15: // Ctrl+U
			pin = pin[:0]
		case 0x1b:
			esc = 1
		default:
			if c < 0x20 {
				continue
			}
			if len(pin) == maxPINLen {
				return "", fmt.Errorf("the PIN is longer than %d bytes", maxPINLen)
			}
			pin = append(pin, c)
		}
	}
}
