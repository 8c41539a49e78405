// Package cli implements cardcheck's command-line interface (docs/contract.md):
// tokens, check, diagnose, serve and demo. Commands print readable text by default
// and the JSON contract with --json. Exit status: 0 accepted / success,
// 1 any other verdict, 2 usage or setup error.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/secrets"
	"github.com/cardcheck/cardcheck/app/termsafe"
	"github.com/cardcheck/cardcheck/token/isolate"
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
	// raw is Stdout before termsafe: JSON goes there unchanged
	// (encoding/json escapes control characters itself).
	raw io.Writer
}

// safe routes every text write through termsafe (a certificate subject,
// a token label or a server's words may hold escape sequences), keeping
// the unfiltered standard output for JSON.
func (o IO) safe() IO {
	if o.raw != nil {
		return o
	}
	o.raw = o.Stdout
	if o.Stdout != nil {
		o.Stdout = termsafe.Writer(o.Stdout)
	}
	if o.Stderr != nil {
		o.Stderr = termsafe.Writer(o.Stderr)
	}
	return o
}

// jsonOut is where JSON is written.
func (o IO) jsonOut() io.Writer {
	if o.raw != nil {
		return o.raw
	}
	return o.Stdout
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
                  [--final-try] [--json] [--diagnose]
  cardcheck diagnose [--module PATH]... [--json] [--full]
  cardcheck serve --listen ADDR --cert FILE --key FILE --client-ca FILE [--crl FILE] [--tls auto|1.2|1.3]
  cardcheck demo [--no-gui] [--json] [--reset] [--lesson not-detected] [--emulated-card]
  cardcheck --version
  cardcheck COMMAND --help        the flags of a command (or: cardcheck help COMMAND)

On a terminal cardcheck asks for the PIN when the card needs one, without
showing it; a script pipes it with --pin-stdin. A reader with a PIN pad
asks on its keypad. The PIN is never accepted as an argument.
Exit status: 0 accepted, 1 any other verdict, 2 usage or setup error.
`

// commands describes each command for its --help.
var commands = map[string]struct{ synopsis, about, footer string }{
	"tokens": {
		synopsis: "cardcheck tokens [--module PATH]... [--token LABEL|SERIAL] [--json] [--pin-stdin] [--final-try]",
		about:    "List the PKCS#11 modules, tokens and certificates cardcheck finds, without logging in.",
		footer:   "With --pin-stdin cardcheck logs in to the one token that needs a PIN (choose it with\n--token) so that private keys are definite; on a terminal it asks for the PIN.\n",
	},
	"check": {
		synopsis: "cardcheck check --url URL [--cert PKCS11-URI] [--module PATH]... [--pin-stdin]\n                  [--tls auto|1.2|1.3] [--ca FILE] [--continue-untrusted]\n                  [--timeout DURATION] [--keylog FILE] [--final-try] [--json] [--diagnose]",
		about:    "Test a card's certificate against a server with a real mutual-TLS handshake.",
		footer: "On a terminal cardcheck asks for the PIN when the card needs one, without showing it;\n" +
			"a script pipes it with --pin-stdin. It is never accepted as an argument.\n" +
			"Exit status: 0 accepted, 1 any other verdict, 2 usage or setup error.\n",
	},
	"diagnose": {
		synopsis: "cardcheck diagnose [--module PATH]... [--json] [--full]",
		about:    "One report of the whole smart-card chain for a ticket or a forum: system, versions, smart-card service, readers and cards, modules, tokens, certificates, and why a card is not listed.",
		footer: "The report is redacted by default: names, e-mail addresses and serial numbers from certificates\n" +
			"and token serials become placeholders such as <name-1>, so it can be posted publicly.\n" +
			"--full shows them. Nothing is sent anywhere and no PIN is asked.\n",
	},
	"serve": {
		synopsis: "cardcheck serve --listen ADDR --cert FILE --key FILE --client-ca FILE [--crl FILE] [--tls auto|1.2|1.3]",
		about:    "Run a local mutual-TLS test server that reports the client certificate it saw.",
	},
	"demo": {
		synopsis: "cardcheck demo [--no-gui] [--json] [--reset] [--lesson not-detected] [--emulated-card]",
		about:    "The offline demo: a demo token, local test servers and the desktop application.",
	},
}

// commandNames are what a mistyped command is compared with.
var commandNames = []string{"tokens", "check", "diagnose", "serve", "demo", "help", "version"}

// Commands holds the subcommands; the GUI launchers are injected by main so
// that this package stays free of Fyne.
type Commands struct {
	GUI     func() int             // plain `cardcheck`
	DemoGUI func(d *demo.Demo) int // `cardcheck demo` without --no-gui
}

// Run executes args (without the program name) and returns the exit code.
func (c Commands) Run(args []string, io IO) int {
	io = io.safe()
	if len(args) == 0 {
		if c.GUI == nil {
			fmt.Fprint(io.Stderr, usage)
			return ExitUsage
		}
		return c.GUI()
	}
	switch args[0] {
	case "tokens":
		noCoreDumps(io)
		return finish(io, tokensCmd(args[1:], io))
	case "check":
		noCoreDumps(io)
		return finish(io, checkCmd(args[1:], io))
	case "diagnose":
		return finish(io, diagnoseCmd(args[1:], io))
	case "serve":
		return finish(io, serveCmd(args[1:], io))
	case "demo":
		return finish(io, c.demoCmd(args[1:], io))
	case isolate.Command:
		return probeModuleCmd(args[1:], io)
	case "--version", "-version", "version":
		fmt.Fprintln(io.Stdout, "cardcheck", config.VersionString())
		return ExitOK
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[1] != "" && args[1][0] != '-' {
			return c.Run([]string{args[1], "--help"}, io) // cardcheck help check
		}
		fmt.Fprint(io.Stdout, usage)
		return ExitOK
	}
	return finish(io, exitCode{ExitUsage, unknownCommand(args[0])})
}

// unknownCommand explains a mistyped command, naming the nearest one.
func unknownCommand(name string) error {
	if strings.HasPrefix(name, "-") {
		return usagef("unknown flag %q before the command (try: cardcheck --help)", redactArg(name))
	}
	if best := nearest(name, commandNames); best != "" {
		return usagef("unknown command %q; did you mean %q? (see cardcheck --help)", redactArg(name), best)
	}
	return usagef("unknown command %q (try: tokens, check, diagnose, serve, demo; see cardcheck --help)", redactArg(name))
}

// noCoreDumps disables core dumps before a command that may read a PIN:
// a crash after login must not leave the PIN on disk.
func noCoreDumps(io IO) {
	if err := secrets.DisableCoreDumps(); err != nil {
		fmt.Fprintf(io.Stderr, "cardcheck: warning: core dumps could not be disabled (%v)\n", err)
	}
}

// exitCode carries a command's result: the code and an optional error to
// print on stderr.
type exitCode struct {
	code int
	err  error
}

// helpRequest is --help: the command's help goes to standard output and
// the exit status is 0.
type helpRequest struct{ text string }

func (helpRequest) Error() string { return "help requested" }

// finish prints a command's error, once, and returns its exit code.
func finish(io IO, r exitCode) int {
	var help helpRequest
	if errors.As(r.err, &help) {
		fmt.Fprint(io.Stdout, help.text)
		return ExitOK
	}
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

// newFlags returns a FlagSet that reports errors instead of exiting and
// prints nothing itself: parse turns its errors into one message with
// --flag spelling, and --help into helpRequest.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("cardcheck "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags and rejects stray positional arguments, which are
// almost always a mistake such as a PIN typed on the command line.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpRequest{helpText(fs)}
		}
		return flagError(fs, err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with --; a PIN is never given as an argument)", redactArg(fs.Arg(0)))
	}
	return nil
}

// commandName is "check" for the FlagSet of `cardcheck check`.
func commandName(fs *flag.FlagSet) string { return strings.TrimPrefix(fs.Name(), "cardcheck ") }

// flagError rewrites the flag package's error: flags spelled --flag, an
// unknown flag with the nearest known one, a hint to --help.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	hint := fmt.Sprintf("see cardcheck %s --help", commandName(fs))
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		if name == "pin" || strings.HasPrefix(name, "pin=") {
			return usagef("unknown flag \"--pin\": the PIN is never given as an argument; type it when cardcheck asks on a terminal, or pipe it with --pin-stdin")
		}
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if best := nearest(name, names); best != "" {
			return usagef("unknown flag %q; did you mean \"--%s\"? (%s)", "--"+redactArg(name), best, hint)
		}
		return usagef("unknown flag %q (%s)", "--"+redactArg(name), hint)
	}
	// The flag package names flags with one dash ("-timeout"); say "--".
	msg = singleDash().ReplaceAllString(msg, "${1}--${2}")
	msg = invalidValue().ReplaceAllStringFunc(msg, func(m string) string { // a value that may be a PIN
		v := invalidValue().FindStringSubmatch(m)[1]
		return strings.Replace(m, `"`+v+`"`, `"`+redactArg(v)+`"`, 1)
	})
	msg = digitsOnly().ReplaceAllStringFunc(msg, redactArg)
	return usagef("%s (%s)", msg, hint)
}

// digitsOnly finds a value made of digits only, which may be a PIN. The
// patterns of this file are compiled on first use: package init runs in
// every command, --version too.
var digitsOnly = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b[0-9]{1,12}\b`) })

// singleDash finds a flag name as the flag package writes it in errors:
// "flag needs an argument: -url", "invalid value "x" for flag -timeout".
var singleDash = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(: |flag |for )-([A-Za-z][A-Za-z0-9-]*)`)
})

// helpText is a command's --help: what it does, its synopsis, and each
// flag spelled --flag as the README writes it.
func helpText(fs *flag.FlagSet) string {
	cmd := commands[commandName(fs)]
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nUsage:\n  %s\n\nFlags:\n", cmd.about, cmd.synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		if len(head) < 24 {
			fmt.Fprintf(&b, "%-24s%s", head, text)
		} else {
			fmt.Fprintf(&b, "%s\n%24s%s", head, "", text)
		}
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	if cmd.footer != "" {
		b.WriteString("\n" + cmd.footer)
	}
	return b.String()
}

// redactArg hides what may be a PIN typed by mistake: anything but a
// word of letters and dashes (a mistyped command, flag or value such as
// "soon"), a path or a URL (with a '/'). The mask does not tell the
// length either.
func redactArg(s string) string {
	word := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
	}) < 0
	if word || strings.Contains(s, "/") {
		return s
	}
	return "****"
}

// invalidValue finds the value the flag package quotes in its errors.
var invalidValue = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`invalid (?:boolean )?value "((?:[^"\\]|\\.)*)"`)
})

// listFlag is a repeatable string flag (--module A --module B).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
