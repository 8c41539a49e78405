package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/files"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/report"
	"github.com/cardcheck/cardcheck/token"
)

// checkFlags are the options of `cardcheck check`.
type checkFlags struct {
	url, cert, tls, ca, keylog string
	modules                    listFlag
	pinStdin, finalTry, asJSON bool
	diagnose                   bool
	continueUntrusted          bool
	timeout, lateAlertWait     time.Duration
	version                    probe.TLSVersion // --tls, checked
}

func parseCheck(args []string) (*checkFlags, error) {
	f := &checkFlags{}
	fs := newFlags("check")
	fs.StringVar(&f.url, "url", "", "server `URL`: https://host[:port]/path or tls://host:port")
	fs.StringVar(&f.cert, "cert", "", "certificate as a PKCS#11 `URI` (default: the only usable one)")
	fs.Var(&f.modules, "module", "PKCS#11 module `PATH` (repeatable; default: discover)")
	fs.BoolVar(&f.pinStdin, "pin-stdin", false, "read the PIN from standard input (on a terminal: ask for it)")
	fs.StringVar(&f.tls, "tls", "auto", "TLS `VERSION`: auto, 1.2 or 1.3")
	fs.StringVar(&f.ca, "ca", "", "PEM `FILE` with CAs to trust for the server, besides the system's")
	fs.BoolVar(&f.continueUntrusted, "continue-untrusted", false, "go on when the server's certificate is not trusted")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit for the whole test, a `DURATION` such as 30s or 2m")
	fs.DurationVar(&f.lateAlertWait, "late-alert-wait", probe.DefaultLateAlertWait,
		"how long to wait after a TLS 1.3 handshake for the server's late verdict on the certificate, a `DURATION` (servers checking OCSP answer late)")
	fs.StringVar(&f.keylog, "keylog", "", "write the TLS key log (NSS format, for Wireshark) to `FILE`")
	fs.BoolVar(&f.finalTry, "final-try", false, "allow a login when the card has one PIN try left")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON")
	fs.BoolVar(&f.diagnose, "diagnose", false, "add the diagnostics report (cardcheck diagnose --full) of the card chain")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if f.url == "" {
		return nil, usagef("--url is required, e.g. --url https://server.example.org/")
	}
	if _, err := probe.ParseTarget(f.url); err != nil {
		return nil, usagef("--url: %v", err)
	}
	var ok bool
	if f.version, ok = probe.ParseTLSVersion(f.tls); !ok {
		return nil, usagef("--tls must be auto, 1.2 or 1.3, not %q", f.tls)
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive, e.g. 30s")
	}
	if f.lateAlertWait <= 0 {
		return nil, usagef("--late-alert-wait must be positive, e.g. 10s")
	}
	if err := checkModules(f.modules); err != nil {
		return nil, err
	}
	cert, err := certURI(f.cert)
	if err != nil {
		return nil, err
	}
	f.cert = cert
	return f, nil
}

func checkCmd(args []string, io IO) exitCode {
	start := time.Now() // --timeout counts from here: finding the card is part of the test
	f, err := parseCheck(args)
	if err != nil {
		return exitCode{ExitUsage, err}
	}
	opt, closeKeylog, err := f.probeOptions()
	if err != nil {
		return exitCode{ExitUsage, err}
	}
	defer closeKeylog()
	mgr := newManager(f.timeout)
	release := sync.OnceFunc(func() { mgr.Close() })
	defer release() // returns once the release started below is done
	// A PIN piped to --pin-stdin is read first (no prompt, and a usage
	// error before any connection); the terminal asks only after the
	// pre-flight (docs/contract.md, The test).
	pins := pinSource{stdin: f.pinStdin, finalTry: f.finalTry, io: io}
	_, onTTY := terminal(io.Stdin)
	var (
		pin     string
		havePIN bool
		pinErr  error
	)
	if !onTTY {
		if pin, havePIN, pinErr = pins.piped(); pinErr != nil {
			return exitCode{ExitUsage, pinErr} // no PIN on standard input
		}
	}
	// --timeout bounds the whole test: finding the card, pre-flight, AIA,
	// handshake, HTTP and the local checks share one deadline. Time spent
	// typing the PIN at the prompt is not the server's and is added back.
	opt.Deadline = start.Add(f.timeout)
	// The pre-flight connects while the module loads and the token is
	// read; a certificate that cannot be chosen ends it before anything
	// of the card is sent.
	var (
		cert   *token.Certificate
		inv    *token.Inventory
		selErr error
	)
	pf := preflight(opt, func() (*token.Certificate, bool) {
		cert, inv, selErr = f.selectCertificate(mgr)
		return cert, selErr == nil
	})
	if selErr != nil {
		return exitCode{ExitUsage, selErr}
	}
	defer pf.Close() // the certificate checks it started, when no test takes them over
	var res *probe.Result
	if !pf.NeedsCard {
		res = pf.Result // no PIN spent, none asked for
	} else if err := cert.CheckUsable(false); err != nil {
		res = check.Failed(f.url, cert, err) // known unusable: no PIN asked for, none sent
		res.Preflight = pf
	} else {
		if onTTY {
			asked := time.Now()
			pin, havePIN, pinErr = pins.forToken(cert.Token)
			opt.Deadline = opt.Deadline.Add(time.Since(asked))
		}
		opt.Preflight = pf
		switch {
		case pinErr != nil && token.KindOf(pinErr) == "":
			return exitCode{ExitUsage, pinErr} // no terminal echo control
		case pinErr != nil:
			res = check.Failed(f.url, cert, pinErr) // canceled at the prompt, or nothing typed
			res.Preflight = pf
		default:
			if !havePIN && cert.Token.Flags.LoginRequired && cert.Token.Flags.ProtectedAuthPath {
				fmt.Fprintf(io.Stderr, "Enter the PIN for %q on the reader's PIN pad.\n", cert.Token.Label)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			res = runCheck(ctx, cert, token.LoginOptions{PIN: pin, ConfirmFinalTry: f.finalTry}, opt, havePIN)
		}
	}
	var diag *diagnose.Report
	if f.diagnose {
		diag = diagnose.Run(context.Background(), diagnose.Options{Inventory: inv})
	}
	go release() // the modules are finalized while the report is written: nothing below uses them
	if f.asJSON {
		writeJSON(io, checkOutput{Result: res, Diagnosis: diag})
	} else {
		report.WriteCheckText(io.Stdout, res)
		if diag != nil {
			fmt.Fprintln(io.Stdout)
			_ = diag.WriteText(io.Stdout, false)
		}
	}
	if res.Verdict == probe.Accepted {
		return exitCode{}
	}
	return exitCode{code: ExitFail}
}

// checkOutput is `check --json`: the probe's result, plus the
// diagnostics report with --diagnose (additive).
type checkOutput struct {
	*probe.Result
	Diagnosis *diagnose.Report `json:"diagnosis,omitempty"`
}

// probeOptions turns flags into probe options; the returned func closes
// the key log file.
func (f *checkFlags) probeOptions() (probe.Options, func(), error) {
	opt := probe.Options{URL: f.url, TLSVersion: f.version, ContinueUntrusted: f.continueUntrusted, Timeout: f.timeout,
		LateAlertWait: f.lateAlertWait}
	roots, err := probe.LoadRoots(f.ca)
	if err != nil {
		return opt, nil, usagef("--ca %s: %v", f.ca, err)
	}
	opt.Roots = roots
	closeFn := func() {}
	if f.keylog != "" {
		kf, err := files.OpenAppend(f.keylog, 0o600)
		if err != nil {
			return opt, nil, usagef("--keylog: %v", err)
		}
		opt.KeyLog, closeFn = kf, func() { kf.Close() }
	}
	return opt, closeFn, nil
}

// selectCertificate scans modules (plus a module-path named in --cert)
// and picks the certificate.
func (f *checkFlags) selectCertificate(mgr *token.Manager) (*token.Certificate, *token.Inventory, error) {
	explicit := append([]string(nil), f.modules...)
	var keep func(*token.Token) bool
	if f.cert != "" {
		u, err := token.ParseURI(f.cert)
		if err != nil {
			return nil, nil, usagef("--cert: %v", err)
		}
		if u.ModulePath != "" {
			if err := files.RegularIfExists(u.ModulePath); err != nil {
				return nil, nil, usagef("--cert: module-path: %v", err)
			}
			explicit = append(explicit, u.ModulePath)
		}
		keep = u.MatchToken // read the objects of the named token only
	}
	inv := mgr.ScanTokens(discover(explicit), keep)
	if err := explicitModuleErrors(inv); err != nil {
		return nil, nil, err
	}
	cert, err := selectCert(inv, f.cert)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	return cert, inv, nil
}

// preflight runs the handshake without the card while choose finds the
// certificate; Ctrl+C cancels it.
func preflight(opt probe.Options, choose func() (*token.Certificate, bool)) *probe.Preflight {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return check.PreflightAhead(ctx, opt, choose)
}

// runCheck logs in (PIN from stdin or the terminal, or the reader's PIN
// pad) and runs the probe, after a pre-flight that found the server asks
// for a certificate (opt.Preflight, reported in the result). Token-side
// failures become an error result, not a usage error.
func runCheck(ctx context.Context, cert *token.Certificate, login token.LoginOptions, opt probe.Options, havePIN bool) *probe.Result {
	if !havePIN && cert.Token.Flags.LoginRequired && !cert.Token.Flags.ProtectedAuthPath {
		res := check.Failed(opt.URL, cert, &token.Error{Kind: token.KindPINRequired, Op: "login",
			Msg: "The card needs its PIN: run cardcheck on a terminal to be asked for it, or pipe it with --pin-stdin (it is never accepted as an argument)."})
		res.Preflight = opt.Preflight
		return res
	}
	login.UsePINPad = !havePIN
	return check.LoginAndRun(ctx, cert, login, opt)
}

// certURI checks --cert before anything quotes it: a URI holding a PIN
// (pin-value, pin-source, in any case) is refused without being echoed,
// and the scheme is matched without regard to case (RFC 3986 §3.1), so
// "PKCS11:" is read as "pkcs11:".
func certURI(s string) (string, error) {
	lower := strings.ToLower(s)
	if strings.Contains(lower, "pin-value") || strings.Contains(lower, "pin-source") {
		return "", usagef("--cert: the PKCS#11 URI holds a PIN (pin-value or pin-source), so it is not shown; cardcheck never takes the PIN in a URI: remove it, and give the PIN on the terminal or with --pin-stdin")
	}
	if strings.HasPrefix(lower, "pkcs11:") {
		s = "pkcs11:" + s[len("pkcs11:"):]
	}
	return s, nil
}
