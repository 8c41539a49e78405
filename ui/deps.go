package ui

import (
	"context"

	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// Backend is what the window needs from the token layer and the probe.
// *desktop.Backend satisfies it; tests use a fake. The test's settings
// and the logged-in card are desktop's types (desktop.Options,
// desktop.Card): Go interfaces match result types exactly, and desktop
// cannot import ui (it would link Fyne into app/). Every method may block
// on a card or a module, so the window calls them off the UI goroutine.
type Backend interface {
	// Scan lists modules, tokens and certificates without logging in.
	Scan() *token.Inventory
	// Watch reports tokens appearing and disappearing until ctx ends.
	Watch(ctx context.Context) <-chan token.Event
	// Flags reads a token's PIN state afresh.
	Flags(t *token.Token) (token.Flags, error)
	// Preflight runs the handshake without the card (no PIN): whether
	// the server is there, trusted, and asks for a certificate.
	Preflight(ctx context.Context, cert *token.Certificate, o desktop.Options) *probe.Preflight
	// Login logs in to the certificate's token with at most one C_Login.
	Login(cert *token.Certificate, opt token.LoginOptions) (desktop.Card, error)
	// Diagnose looks at the layers below PKCS#11 (smart-card service,
	// readers, cards) and ties them to the scan inv: why a card may not
	// be listed, and a report for a ticket. Without versions it skips
	// asking the system for library versions (the quick look after a
	// scan).
	Diagnose(ctx context.Context, inv *token.Inventory, versions bool) *diagnose.Report
	// SetUserModules sets the modules the user added.
	SetUserModules(paths []string)
}

// prefetcher is a Backend that may have read the cards already, while
// the window was being built (*desktop.Backend after Prefetch): the
// window then shows them in its first frame instead of the next one.
type prefetcher interface {
	// Prefetched returns that scan without waiting, if it is done.
	Prefetched() (*token.Inventory, bool)
}

// PINMemory is the opt-in "Remember PIN on this computer" (docs/contract.md, PIN safety).
// *pinmemory.Store satisfies it. Its calls can block (a locked keyring
// waits for an unlock prompt), so they run off the UI goroutine too.
type PINMemory interface {
	// Available says why PINs cannot be remembered, or nil.
	Available() error
	// Get returns the remembered PIN for key (pinmemory.ErrNotFound if none).
	Get(key string) (string, error)
	// Set remembers pin for key.
	Set(key, pin string) error
	// Delete forgets the PIN for key.
	Delete(key string) error
}

// Deps are what the desktop application is built from.
type Deps struct {
	Backend Backend
	// PINs remembers PINs in the OS keyring; nil hides the option.
	PINs PINMemory
	// TryDemo, when set, adds "Try the demo" to the empty state (no card
	// found) and to the Help menu. It is called on the UI goroutine and
	// starts the demo elsewhere (main starts `cardcheck demo` as a new
	// process); when it returns nil the window closes, else it shows the
	// error and stays.
	TryDemo func() error
	// EventLog is a file the window appends one JSON line to at each
	// milestone (token list shown, PIN dialog open, test finished); empty
	// means none. It exists for the smoke test, see EventLogEnv.
	EventLog string
}
