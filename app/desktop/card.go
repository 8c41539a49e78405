package desktop

import (
	"context"
	"github.com/cardcheck/cardcheck/app/msg"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/errkind"
	"github.com/cardcheck/cardcheck/token"
)

// Card is a logged-in certificate as the window uses it.
type Card interface {
	// Test runs one test; it always returns a result.
	Test(ctx context.Context, opt Options) *probe.Result
	// Close logs out and forgets the PIN.
	Close()
}

// Options are the user's test settings in the terms of the GUI: a CA file
// path rather than a certificate pool.
type Options struct {
	URL               string
	TLSVersion        probe.TLSVersion
	CAFile            string
	ContinueUntrusted bool
	Timeout           time.Duration
	// Deadline, when set, ends the whole test (pre-flight and test share
	// it; see probe.Options.Deadline). Zero: Timeout for each part.
	Deadline      time.Time
	LateAlertWait time.Duration        // 0: probe.DefaultLateAlertWait
	OnStep        func(tlstrace.Step)  // called from the test's goroutine
	OnProgress    func(probe.Progress) // connections and waits, from the test's goroutines
	// Preflight is the pre-flight's finding for these options (from
	// Backend.Preflight); the test reports it and uses what it learned.
	Preflight *probe.Preflight
}

// probeOptions turns the GUI's terms into the probe's.
func (o Options) probeOptions() (probe.Options, error) {
	roots, err := probe.LoadRoots(o.CAFile)
	if err != nil {
		return probe.Options{}, &CAFileError{Err: err}
	}
	return probe.Options{URL: o.URL, TLSVersion: o.TLSVersion, Roots: roots, ContinueUntrusted: o.ContinueUntrusted,
		Timeout: o.Timeout, Deadline: o.Deadline, LateAlertWait: o.LateAlertWait, OnStep: o.OnStep, OnProgress: o.OnProgress, Preflight: o.Preflight}, nil
}

// CAFileError is a CA file that cannot be read or holds no certificate:
// the user's setting is wrong, the card is not involved.
type CAFileError struct{ Err error }

var caFileUnusable = msg.Define("desktop.ca_file_unusable", "The CA file cannot be used: {{.Reason}}")

func (e *CAFileError) Error() string { return msg.English(e.Message()) }

// Message is the error as a message, for the window's language.
func (e *CAFileError) Message() msg.Msg { return caFileUnusable.New("Reason", e.Err.Error()) }

// Unwrap exposes the read or parse error.
func (e *CAFileError) Unwrap() error { return e.Err }

// ErrorKind is certificate: the CA certificates are what is wrong.
func (e *CAFileError) ErrorKind() errkind.Kind { return errkind.Certificate }

// card is a check.Prepared that takes the window's options.
type card struct{ *check.Prepared }

// Test loads the CA file and runs the probe.
func (c card) Test(ctx context.Context, o Options) *probe.Result {
	opt, err := o.probeOptions()
	if err != nil {
		return check.Failed(o.URL, c.Cert, err)
	}
	return c.Run(ctx, opt)
}

// preflight is check.Preflight with the window's options.
func preflight(ctx context.Context, cert *token.Certificate, o Options) *probe.Preflight {
	opt, err := o.probeOptions()
	if err != nil {
		return &probe.Preflight{Finding: probe.FindingFailed, Summary: err.Error(), Result: check.Failed(o.URL, cert, err)}
	}
	return check.Preflight(ctx, cert, opt)
}
