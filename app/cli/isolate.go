package cli

import (
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/isolate"
)

// newManager is the token layer of one command. Each module is loaded
// first in a child process (token/isolate: `cardcheck __probe-module
// PATH`), so that one that crashes, hangs or answers nonsense is listed as
// broken and never loaded here; every call into a loaded module is bounded
// by timeout (0: the token layer's default), so that `check --timeout`
// also bounds a module that stops answering.
func newManager(timeout time.Duration) *token.Manager {
	return token.NewManager(TokenOptions(timeout))
}

// TokenOptions are the token options of the CLI and the GUI (main wires
// them into the desktop backend): isolation with a deadline of at most
// timeout, and calls bounded by timeout.
func TokenOptions(timeout time.Duration) token.Options {
	vet := isolate.DefaultTimeout
	if timeout > 0 && timeout < vet {
		vet = timeout
	}
	return token.Options{Vet: isolate.New(isolate.Options{Timeout: vet}).Vet, CallTimeout: timeout}
}

// probeModuleCmd is the internal command isolate runs in the child.
func probeModuleCmd(args []string, io IO) int { return isolate.Child(args, io.Stdout, io.Stderr) }

// discover lists the module candidates: the --module paths alone when any
// are given (the GUI's preferences are then not even read), else the
// user's additions, the p11-kit registry and the well-known paths.
func discover(explicit []string) []token.Candidate {
	opt := token.DiscoverOptions{Explicit: explicit}
	if len(explicit) == 0 {
		opt.User = config.UserModules()
	}
	return token.Discover(opt)
}
