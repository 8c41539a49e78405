// Package cli implements cardcheck's command-line interface (SPEC §5):
// tokens, check, serve and demo. Commands print readable text by default
// and the JSON contract with --json. Exit status: 0 accepted / success,
// 1 any other verdict, 2 usage or setup error.
package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/demo"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// IO is where a command reads and writes; tests pass buffers.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// usageError is a bad flag or argument: exit 2 with the message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usage = `cardcheck - does my smart card work with this server?

Usage:
  cardcheck                       open the desktop application
  cardcheck tokens [--module PATH]... [--token LABEL|SERIAL] [--json] [--pin-stdin] [--final-try]
  cardcheck check --url URL [--cert PKCS11-URI] [--module PATH]... [--pin-stdin]
                  [--tls auto|1.2|1.3] [--ca FILE] [--continue-untrusted]
                  [--timeout DURATION] [--late-alert-wait DURATION] [--keylog FILE]
                  [--final-try] [--json]
  cardcheck serve --listen ADDR --cert FILE --key FILE --client-ca FILE [--crl FILE] [--tls auto|1.2|1.3]
  cardcheck demo [--no-gui] [--json] [--reset]
  cardcheck --version

The PIN is read from standard input (--pin-stdin) or typed on the reader's
PIN pad; it is never accepted as an argument.
Exit status: 0 accepted, 1 any other verdict, 2 usage or setup error.
`

// Commands holds the subcommands; the GUI launchers are injected by main so
// that this package stays free of Fyne.
type Commands struct {
	GUI     func() int             // plain `cardcheck`
	DemoGUI func(d *demo.Demo) int // `cardcheck demo` without --no-gui
}

// Run executes args (without the program name) and returns the exit code.
func (c Commands) Run(args []string, io IO) int {
	if len(args) == 0 {
		if c.GUI == nil {
			fmt.Fprint(io.Stderr, usage)
			return ExitUsage
		}
		return c.GUI()
	}
	var err error
	switch args[0] {
	case "tokens":
		return finish(io, tokensCmd(args[1:], io))
	case "check":
		return finish(io, checkCmd(args[1:], io))
	case "serve":
		return finish(io, serveCmd(args[1:], io))
	case "demo":
		return finish(io, c.demoCmd(args[1:], io))
	case "--version", "-version", "version":
		fmt.Fprintln(io.Stdout, "cardcheck", config.VersionString())
		return ExitOK
	case "-h", "--help", "help":
		fmt.Fprint(io.Stdout, usage)
		return ExitOK
	default:
		err = usagef("unknown command %q (try: tokens, check, serve, demo)", args[0])
	}
	return finish(io, exitCode{ExitUsage, err})
}

// exitCode carries a command's result: the code and an optional error to
// print on stderr.
type exitCode struct {
	code int
	err  error
}

func finish(io IO, r exitCode) int {
	if r.err != nil {
		var ue usageError
		if errors.As(r.err, &ue) {
			fmt.Fprintf(io.Stderr, "cardcheck: %s\n", ue.msg)
			if r.code == 0 {
				r.code = ExitUsage
			}
		} else {
			fmt.Fprintf(io.Stderr, "cardcheck: %v\n", r.err)
		}
	}
	return r.code
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cardcheck "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// parse parses flags and rejects stray positional arguments, which are
// almost always a mistake such as a PIN typed on the command line.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{"see the usage above"}
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with --; a PIN is read with --pin-stdin, never given as an argument)", redactArg(fs.Arg(0)))
	}
	return nil
}

// redactArg hides what may be a PIN typed by mistake.
func redactArg(s string) string {
	if len(s) <= 12 && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		return strings.Repeat("*", len(s))
	}
	return s
}

// listFlag is a repeatable string flag (--module A --module B).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// readPIN reads one line from stdin as the PIN. The PIN is never echoed,
// logged or included in any error.
func readPIN(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--pin-stdin: standard input is not available")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", usagef("--pin-stdin: cannot read the PIN from standard input")
	}
	pin := strings.TrimRight(line, "\r\n")
	if pin == "" {
		return "", usagef("--pin-stdin: the PIN on standard input is empty (pipe the PIN, e.g. from a password manager; for a PIN-pad reader leave out --pin-stdin)")
	}
	return pin, nil
}
