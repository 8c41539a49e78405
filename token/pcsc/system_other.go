//go:build !linux || !cgo

package pcsc

import "context"

// System reports ErrUnsupported: this build has no PC/SC binding for this
// operating system (macOS: PCSC.framework, Windows: winscard.dll — both
// built in, not bound yet).
func System(ctx context.Context) (Client, error) {
	return nil, &Error{Op: "connect", Err: ErrUnsupported}
}
