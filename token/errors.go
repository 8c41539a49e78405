package token

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"
)

// Kind classifies token errors for callers that must react differently
// (ask for the PIN again, tell the user to re-insert the card, …). The
// values are the `error.kind` strings of the JSON contract (docs/contract.md).
// A Kind is itself an error so that errors.Is(err, KindPINIncorrect) works.
type Kind string

// The kinds of token errors.
const (
	KindPINIncorrect  Kind = "pin-incorrect"
	KindPINLocked     Kind = "pin-locked"
	KindPINRequired   Kind = "pin-required"
	KindPINFinalTry   Kind = "pin-final-try"
	KindTokenRemoved  Kind = "token-removed"
	KindTokenNotFound Kind = "token-not-found"
	KindModule        Kind = "module"
	// KindModuleTimeout is a module that did not answer a call in time
	// (a reader or card that stopped answering, a module waiting on itself).
	KindModuleTimeout Kind = "module-timeout"
	KindCertificate   Kind = "certificate"
	KindCanceled      Kind = "canceled"
)

func (k Kind) Error() string { return string(k) }

// Error is a token-layer failure: a plain-language sentence for people, the
// PKCS#11 return code (CKR_…) for helpdesks, and the operation it came from.
// It never contains a PIN: messages are fixed sentences, and the wrapped
// errors are pkcs11.Error codes.
type Error struct {
	Kind Kind
	Op   string // what we were doing: "login", "sign", "list certificates"
	Code uint   // the CKR_ value, or 0 when the error did not come from the module
	Msg  string // one or two sentences for people
	Err  error  // the underlying error, if any
	// Flags is the token's PIN state read right after a failed login, so that
	// the PIN dialog can say "final try" without another round trip.
	Flags *Flags
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Code != 0 {
		s += fmt.Sprintf(" (%s: %s)", e.Op, CodeName(e.Code))
	} else if e.Err != nil {
		s += fmt.Sprintf(" (%s: %v)", e.Op, e.Err)
	}
	return s
}

// Unwrap exposes the module's pkcs11.Error so that
// errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)) also works.
func (e *Error) Unwrap() error { return e.Err }

// Is matches a Kind: errors.Is(err, token.KindPINLocked).
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// KindOf returns the Kind of a token error, or "" for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// CodeName returns the CKR_ name of a PKCS#11 return value.
func CodeName(code uint) string {
	s := pkcs11.Error(code).Error() // "pkcs11: 0xA0: CKR_PIN_INCORRECT"
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return fmt.Sprintf("CKR_0x%X", code)
}

// friendly maps PKCS#11 return codes to what they mean for the person in
// front of the card. Codes not listed fall back to a generic module error.
var friendly = map[uint]struct {
	kind Kind
	msg  string
}{
	pkcs11.CKR_PIN_INCORRECT:              {KindPINIncorrect, "The PIN is wrong."},
	pkcs11.CKR_PIN_INVALID:                {KindPINIncorrect, "The PIN contains characters the card does not accept."},
	pkcs11.CKR_PIN_LEN_RANGE:              {KindPINIncorrect, "The PIN is too short or too long for this card."},
	pkcs11.CKR_PIN_LOCKED:                 {KindPINLocked, "The PIN is locked after too many wrong attempts. Contact your helpdesk to unblock the card."},
	pkcs11.CKR_PIN_EXPIRED:                {KindPINLocked, "The PIN has expired. Change it with your card's management tool first."},
	pkcs11.CKR_USER_NOT_LOGGED_IN:         {KindPINRequired, "The card needs the PIN before it can do this."},
	pkcs11.CKR_USER_PIN_NOT_INITIALIZED:   {KindPINLocked, "The card has no user PIN set. Contact your helpdesk."},
	pkcs11.CKR_FUNCTION_CANCELED:          {KindCanceled, "The PIN entry on the reader was canceled."},
	pkcs11.CKR_DEVICE_REMOVED:             {KindTokenRemoved, "The card was removed."},
	pkcs11.CKR_TOKEN_NOT_PRESENT:          {KindTokenRemoved, "The card was removed."},
	pkcs11.CKR_SESSION_HANDLE_INVALID:     {KindTokenRemoved, "The connection to the card was lost; it may have been removed."},
	pkcs11.CKR_SESSION_CLOSED:             {KindTokenRemoved, "The connection to the card was lost; it may have been removed."},
	pkcs11.CKR_TOKEN_NOT_RECOGNIZED:       {KindTokenNotFound, "The reader does not recognize the card."},
	pkcs11.CKR_SLOT_ID_INVALID:            {KindTokenNotFound, "The card's reader is no longer there."},
	pkcs11.CKR_DEVICE_ERROR:               {KindModule, "The card or reader reported a hardware error. Re-insert the card and try again."},
	pkcs11.CKR_DEVICE_MEMORY:              {KindModule, "The card ran out of memory."},
	pkcs11.CKR_MECHANISM_INVALID:          {KindModule, "The card cannot make this kind of signature."},
	pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED: {KindCertificate, "The key on the card is not allowed to make signatures."},
	pkcs11.CKR_KEY_TYPE_INCONSISTENT:      {KindCertificate, "The key on the card does not fit the requested signature type."},
}

// fromPKCS11 converts an error returned by the module into an *Error.
func fromPKCS11(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var code pkcs11.Error
	if !errors.As(err, &code) {
		return &Error{Kind: KindModule, Op: op, Msg: "The card's software module failed.", Err: err}
	}
	f, ok := friendly[uint(code)]
	if !ok {
		f.kind, f.msg = KindModule, "The card's software module reported an error."
	}
	return &Error{Kind: f.kind, Op: op, Code: uint(code), Msg: f.msg, Err: err}
}

// isGone reports errors after which a session handle is useless and the
// slot list must be read again (docs/design.md, Token layer: removal recovery).
func isGone(err error) bool {
	var code pkcs11.Error
	if !errors.As(err, &code) {
		return false
	}
	switch uint(code) {
	case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT,
		pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED,
		pkcs11.CKR_SLOT_ID_INVALID:
		return true
	}
	return false
}
