// Package desktop connects the GUI to the rest of cardcheck: it implements
// the interfaces ui/ declares (ui/deps.go) with the token layer and the
// shared run (app/check), so that ui/ itself never calls PKCS#11 or
// crypto/tls. Its Options and Card are the window's terms for a test: a
// CA file path rather than a certificate pool.
package desktop

import (
	"context"
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

	mu   sync.Mutex
	user []string
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

// Scan lists modules, tokens and certificates without logging in.
func (b *Backend) Scan() *token.Inventory {
	b.mu.Lock()
	opt := token.DiscoverOptions{Explicit: b.explicit, User: b.user}
	b.mu.Unlock()
	return b.mgr.Scan(token.Discover(opt))
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
