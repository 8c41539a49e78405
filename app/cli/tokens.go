package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/files"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/app/report"
	"github.com/cardcheck/cardcheck/token"
)

// tokensOutput is `tokens --json`: the contract's modules and tokens, plus
// the outcome of the optional login.
type tokensOutput struct {
	listing.Tokens
	Login       *loginResult     `json:"login,omitempty"`
	Environment environment.Host `json:"environment"`
	// Readers and Diagnosis say what lies below the token list (PC/SC
	// readers and cards) and why a card is not listed (diagnose codes).
	Readers   []diagnose.Reader  `json:"readers"`
	Diagnosis []diagnose.Finding `json:"diagnosis"`
}

type loginResult struct {
	Token string     `json:"token"`
	OK    bool       `json:"ok"`
	Error *errorJSON `json:"error"`
}

type errorJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func tokensCmd(args []string, io IO) exitCode {
	fs := newFlags("tokens")
	var modules listFlag
	fs.Var(&modules, "module", "PKCS#11 module `PATH` (repeatable; default: discover)")
	asJSON := fs.Bool("json", false, "print JSON")
	pinStdin := fs.Bool("pin-stdin", false, "log in with the PIN from standard input (on a terminal: ask for it), so private keys are checked")
	finalTry := fs.Bool("final-try", false, "allow a login when the token has one PIN try left")
	tokenSel := fs.String("token", "", "only the token with this `LABEL|SERIAL`")
	if err := parse(fs, args); err != nil {
		return exitCode{ExitUsage, err}
	}
	if err := checkModules(modules); err != nil {
		return exitCode{ExitUsage, err}
	}
	mgr := newManager(0)
	defer mgr.Close()
	inv := mgr.ScanTokens(discover(modules), selector(*tokenSel))
	res := exitCode{}
	if err := explicitModuleErrors(inv); err != nil {
		res = exitCode{ExitUsage, err}
		if !*asJSON {
			res.err = nil // the listing shows the module's error; say it once
		}
	}
	var (
		login  *loginResult
		failed *token.Token // the token whose login failed
	)
	if *pinStdin {
		var err error
		login, failed, err = loginAndReread(inv, pinSource{stdin: true, finalTry: *finalTry, io: io})
		if err != nil && res.code == 0 {
			res = exitCode{ExitFail, err}
			var ue usageError
			if errors.As(err, &ue) || login == nil && token.KindOf(err) == "" {
				res.code = ExitUsage
			}
		}
	}
	now := time.Now()
	below := diagnose.Run(context.Background(), diagnose.Options{Inventory: inv, NoVersions: true, Now: now, Timeout: 10 * time.Second})
	if *asJSON {
		writeJSON(io, tokensOutput{Tokens: listing.FromInventory(inv), Login: login, Environment: environment.Current(now),
			Readers: below.Readers, Diagnosis: below.Diagnosis})
	} else {
		report.WriteHostText(io.Stdout, environment.Current(now))
		fmt.Fprintln(io.Stdout)
		report.WriteTokensText(io.Stdout, inv, now, failed)
		writeNotListed(io, below, len(inv.Tokens) == 0)
	}
	return res
}

// writeNotListed explains a missing card when the token list is empty or
// a reader holds a card that no module shows.
func writeNotListed(io IO, r *diagnose.Report, empty bool) {
	var fs []diagnose.Finding
	for _, f := range r.Diagnosis {
		if f.Code != diagnose.ModuleFailed { // the listing shows the module's error already
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 || (!empty && !r.CardNotShown()) {
		return
	}
	fmt.Fprintln(io.Stdout)
	fmt.Fprintln(io.Stdout, "Why a card may not be listed:")
	diagnose.WriteFindings(io.Stdout, fs, "  ")
	fmt.Fprintln(io.Stdout, "(cardcheck diagnose prints the whole chain for a ticket.)")
}

func writeJSON(io IO, v any) {
	enc := json.NewEncoder(io.jsonOut())
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// selector keeps the tokens whose label or serial is sel (all for ""),
// judged before their objects are read.
func selector(sel string) func(*token.Token) bool {
	if sel == "" {
		return nil
	}
	return func(t *token.Token) bool { return t.Label == sel || t.Serial == sel }
}

// explicitModuleErrors turns a --module that cannot be loaded into a setup
// error (exit 2); the listing still shows the other modules.
func explicitModuleErrors(inv *token.Inventory) error {
	var msgs []string
	for _, m := range inv.Modules {
		if m.Err != nil && m.Source == token.SourceExplicit && (token.KindOf(m.Err) == token.KindModule || token.KindOf(m.Err) == token.KindModuleTimeout) {
			msgs = append(msgs, fmt.Sprintf("module %s: %v", m.Path, m.Err))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return usageError{strings.Join(msgs, "\ncardcheck: ")}
}

// loginAndReread logs in to the one token that needs a PIN and reads it
// again so has_private_key becomes definite. One PIN is never sent to
// several tokens: a second card would count it as a wrong try.
func loginAndReread(inv *token.Inventory, pins pinSource) (*loginResult, *token.Token, error) {
	var cands []int
	for i, t := range inv.Tokens {
		if t.Flags.LoginRequired {
			cands = append(cands, i)
		}
	}
	switch len(cands) {
	case 0:
		return nil, nil, usagef("--pin-stdin: no token needs a PIN")
	case 1:
	default:
		var names []string
		for _, i := range cands {
			names = append(names, fmt.Sprintf("%q (serial %s)", inv.Tokens[i].Label, inv.Tokens[i].Serial))
		}
		return nil, nil, usagef("--pin-stdin: %d tokens need a PIN; choose one with --token so the PIN is not sent to the wrong card: %s",
			len(cands), strings.Join(names, ", "))
	}
	t := inv.Tokens[cands[0]]
	pin, _, err := pins.forToken(t)
	if err != nil && token.KindOf(err) == "" {
		return nil, nil, err // nothing usable on standard input
	}
	res := &loginResult{Token: t.Label}
	var s *token.Session
	if err == nil {
		s, err = loginTo(t, token.LoginOptions{PIN: pin, ConfirmFinalTry: pins.finalTry})
	}
	if err != nil {
		res.Error = &errorJSON{Kind: string(token.KindOf(err)), Message: err.Error()}
		refreshFlags(t) // a wrong PIN changed them: the listing shows tries left as they are now
		return res, t, fmt.Errorf("login to %q: %w", t.Label, err)
	}
	defer s.Close()
	fresh, err := s.Token()
	if fresh != nil {
		inv.Tokens[cands[0]] = fresh
	}
	res.OK = err == nil
	if err != nil {
		res.Error = &errorJSON{Kind: string(token.KindOf(err)), Message: err.Error()}
	}
	return res, nil, err
}

// refreshFlags reads t's PIN state again (it stays as it was when the
// token cannot be asked).
func refreshFlags(t *token.Token) {
	s, err := t.Module.Open(t.Ref())
	if err != nil {
		return
	}
	defer s.Close()
	if f, err := s.Flags(); err == nil {
		t.Flags = f
	}
}

// loginTo opens a session on t and logs in once.
func loginTo(t *token.Token, opt token.LoginOptions) (*token.Session, error) {
	s, err := t.Module.Open(t.Ref())
	if err != nil {
		return nil, err
	}
	if err := s.Login(opt); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkModules refuses a --module that exists but is not a regular file:
// loading a named pipe blocks for ever.
func checkModules(paths []string) error {
	for _, p := range paths {
		if err := files.RegularIfExists(p); err != nil {
			return usagef("--module: %v", err)
		}
	}
	return nil
}
