//go:build !linux

package demo

import (
	"context"
	"errors"
)

// EmulatedCard is the emulated PIV card in a virtual reader; Linux only
// (pcscd with vsmartcard's vpcd in private namespaces).
type EmulatedCard struct {
	Reader, Module, PIN string
}

// StartEmulatedCard is not available on this system.
func StartEmulatedCard(context.Context) (*EmulatedCard, error) {
	return nil, errors.New("the emulated card needs Linux (pcscd with vsmartcard's vpcd)")
}

// Close does nothing.
func (e *EmulatedCard) Close() {}
