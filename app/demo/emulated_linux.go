//go:build linux

package demo

import (
	"context"
	"os"
	"strings"

	"github.com/cardcheck/cardcheck/build/cardstack"
)

// EmulatedCard is the project's emulated PIV card (build/pivemu) in a
// virtual reader: pcscd with vsmartcard's vpcd driver in a private mount
// and network namespace (build/cardstack), read through OpenSC. With it
// the demo shows a real reader layer: Help → Diagnostics… lists the
// reader with the card's ATR, tied to its OpenSC token, and the token
// list shows the card. It needs pcscd, vsmartcard-vpcd and
// opensc-pkcs11 installed and root (for the namespaces); without them
// the demo's lesson uses a simulated reader layer.
type EmulatedCard struct {
	Reader string // the PC/SC name of its reader
	Module string // OpenSC's PKCS#11 module
	PIN    string // the card's PIN (public, like the demo token's)
	stack  *cardstack.Stack
}

// StartEmulatedCard starts the stack and points this process at it
// (PCSCLITE_CSOCK_NAME, OPENSC_CONF). It must run before anything in the
// process loads libpcsclite or OpenSC: both read the variables once.
func StartEmulatedCard(ctx context.Context) (*EmulatedCard, error) {
	st, err := cardstack.Start(ctx, cardstack.Options{})
	if err != nil {
		return nil, err
	}
	for _, kv := range st.Env {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			st.Close()
			return nil, err
		}
	}
	return &EmulatedCard{Reader: cardstack.ReaderName + " 00 00", Module: st.Module, PIN: cardstack.PIN, stack: st}, nil
}

// Close stops pcscd and the card.
func (e *EmulatedCard) Close() {
	if e != nil && e.stack != nil {
		e.stack.Close()
	}
}
