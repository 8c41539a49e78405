// Package desktop connects the GUI to the rest of cardcheck: it implements
// the interfaces ui/ declares (ui/deps.go) with the token layer and the
// shared run (app/check), so that ui/ itself never calls PKCS#11 or
// crypto/tls. Its Options and Card are the window's terms for a test: a
// CA file path rather than a certificate pool.
package desktop

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// Backend is the GUI's view of tokens and tests.
type Backend struct {
	mgr      *token.Manager
	explicit []string

	mu    sync.Mutex
	user  []string
	early *earlyScan // started by Prefetch, taken by the next Scan
}

// earlyScan is a scan started before anyone asked for it.
type earlyScan struct {
	opt  token.DiscoverOptions
	done chan *token.Inventory
}

// New returns a backend. explicit modules (from the command line) replace
// discovery, as in the CLI.
func New(explicit []string) *Backend { return NewWithOptions(explicit, token.Options{}) }

// NewWithOptions is New with the token layer's options: main passes the
// module isolation and call deadlines the CLI uses.
func NewWithOptions(explicit []string, opt token.Options) *Backend {
	return &Backend{mgr: token.NewManager(opt), explicit: explicit}
}

// SetUserModules sets the modules the user added in the GUI.
func (b *Backend) SetUserModules(paths []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.user = append([]string(nil), paths...)
}

// Prefetch starts the first scan now, in the background. main calls it
// before the window is built: loading the modules (and vetting each one in
// a child process the first time, see token/isolate) takes about as long
// as opening the window, and the window asks for its first scan only once
// it is built. The next Scan takes this one's result when the modules to
// read are still the same, and otherwise reads them again (the modules
// this one loaded stay loaded, so that costs less).
func (b *Backend) Prefetch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := &earlyScan{opt: b.options(), done: make(chan *token.Inventory, 1)}
	b.early = e
	go func() { e.done <- b.mgr.Scan(token.Discover(e.opt)) }()
}

// Prefetched returns the early scan without waiting, when it has finished
// and still fits the modules to read; the next Scan then reads afresh.
// The window calls it while it is built, to show the cards in its first
// frame.
func (b *Backend) Prefetched() (*token.Inventory, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.early
	if e == nil || !e.fits(b.options()) {
		return nil, false
	}
	select {
	case inv := <-e.done:
		b.early = nil
		return inv, true
	default:
		return nil, false
	}
}

// fits says whether the early scan read the modules opt asks for.
func (e *earlyScan) fits(opt token.DiscoverOptions) bool {
	return slices.Equal(e.opt.Explicit, opt.Explicit) && slices.Equal(e.opt.User, opt.User)
}

// Scan lists modules, tokens and certificates without logging in.
func (b *Backend) Scan() *token.Inventory {
	b.mu.Lock()
	opt, e := b.options(), b.early
	b.early = nil
	b.mu.Unlock()
	if e != nil {
		// Wait for it even when it no longer fits: two scans of the same
		// modules at once would only compete for them.
		if inv := <-e.done; e.fits(opt) {
			return inv
		}
	}
	return b.mgr.Scan(token.Discover(opt))
}

// options are the modules to read; b.mu must be held.
func (b *Backend) options() token.DiscoverOptions {
	return token.DiscoverOptions{Explicit: b.explicit, User: slices.Clone(b.user)}
}

// Watch reports tokens appearing and disappearing, polling once a second.
func (b *Backend) Watch(ctx context.Context) <-chan token.Event {
	return token.Watch(ctx, b.mgr.Modules, time.Second)
}

// Flags reads a token's current PIN state.
func (b *Backend) Flags(t *token.Token) (token.Flags, error) {
	s, err := t.Module.Open(t.Ref())
	if err != nil {
		return token.Flags{}, err
	}
	defer s.Close()
	return s.Flags()
}

// Preflight runs the handshake without the card (no login, no PIN).
func (b *Backend) Preflight(ctx context.Context, cert *token.Certificate, o Options) *probe.Preflight {
	return preflight(ctx, cert, o)
}

// Login logs in to the certificate's token (at most one C_Login).
func (b *Backend) Login(cert *token.Certificate, opt token.LoginOptions) (Card, error) {
	p, err := check.Login(cert, opt)
	if err != nil {
		return nil, err
	}
	return card{p}, nil
}

// Diagnose reports the layers below PKCS#11 for a scan of this process's
// modules (never a scan of its own: that would finalize them).
func (b *Backend) Diagnose(ctx context.Context, inv *token.Inventory, versions bool) *diagnose.Report {
	return diagnose.Run(ctx, diagnose.Options{Inventory: inv, Timeout: diagnoseTimeout, NoVersions: !versions})
}

// diagnoseTimeout bounds Diagnose (library versions, a hung pcscd).
const diagnoseTimeout = 10 * time.Second

// Close finalizes the modules.
func (b *Backend) Close() { b.mgr.Close() }
