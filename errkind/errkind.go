// Package errkind is the one list of error kinds: the `error.kind` values
// of the JSON contract, shared by the token layer (PIN, card, module), the
// probe (network, timeout, protocol) and the front ends that react to
// them. It imports nothing of cardcheck, so every layer may import it.
package errkind

import "errors"

// Kind classifies an error for callers that must react differently (ask
// for the PIN again, tell the user to re-insert the card, …). A Kind is
// itself an error so that errors.Is(err, errkind.PINIncorrect) works.
type Kind string

// The kinds. The strings are a contract: scripts read them.
const (
	PINIncorrect  Kind = "pin-incorrect"
	PINLocked     Kind = "pin-locked"
	PINRequired   Kind = "pin-required"
	PINFinalTry   Kind = "pin-final-try"
	TokenRemoved  Kind = "token-removed"
	TokenNotFound Kind = "token-not-found"
	Module        Kind = "module"
	// ModuleTimeout is a module that did not answer a call in time (a
	// reader or card that stopped answering, a module waiting on itself).
	ModuleTimeout Kind = "module-timeout"
	Certificate   Kind = "certificate"
	Canceled      Kind = "canceled"
	Network       Kind = "network"
	Timeout       Kind = "timeout"
	Protocol      Kind = "protocol"
)

func (k Kind) Error() string { return string(k) }

// EndsSession reports the kinds after which a logged-in session is gone or
// unusable: the card left, or the login failed. A front end that keeps
// the session between tests logs out on them.
func (k Kind) EndsSession() bool {
	switch k {
	case TokenRemoved, TokenNotFound, PINIncorrect, PINLocked:
		return true
	}
	return false
}

// Carrier is an error that knows its kind (token.Error, probe errors).
type Carrier interface {
	error
	ErrorKind() Kind
}

// Of returns the kind of the first error in err's chain that has one, or
// "" when none has.
func Of(err error) Kind {
	var c Carrier
	if errors.As(err, &c) {
		return c.ErrorKind()
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return ""
}
