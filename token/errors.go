package token

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Kind classifies token errors for callers that must react differently
// (ask for the PIN again, tell the user to re-insert the card, …). The
// values are the `error.kind` strings of the JSON contract (SPEC §5).
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
	Msg  string // one or two sentences for people, made outside this package (Text is this package's own)
	// Text is the sentence as a message (catalog ID and arguments); the
	// token layer always sets it, Msg is for callers' own errors.
	Text msg.Msg
	Err  error // the underlying error, if any
	// Flags is the token's PIN state read right after a failed login, so that
	// the PIN dialog can say "final try" without another round trip.
	Flags *Flags
}

func (e *Error) Error() string { return msg.English(e.Message()) }

// Words is the sentence for people without the technical detail: Text,
// or Msg as it is.
func (e *Error) Words() msg.Msg {
	if !e.Text.IsZero() {
		return e.Text
	}
	return msg.Text(e.Msg)
}

// Message is the whole error as a message: the sentence, then the
// operation and the CKR_ code (or the underlying error) in brackets.
func (e *Error) Message() msg.Msg {
	switch {
	case e.Code != 0:
		return mWithCode.New("Text", e.Words(), "Op", e.Op, "Code", CodeName(e.Code))
	case e.Err != nil:
		return mWithCode.New("Text", e.Words(), "Op", e.Op, "Code", e.Err.Error())
	}
	return e.Words()
}

// MessageOf is err as a message: a token error's own (Message), or the
// text of any other error as it is.
func MessageOf(err error) msg.Msg {
	var e *Error
	if errors.As(err, &e) {
		return e.Message()
	}
	return msg.Text(err.Error())
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
	text *msg.Def
}{
	pkcs11.CKR_PIN_INCORRECT:              {KindPINIncorrect, mPkcs11PinIncorrect},
	pkcs11.CKR_PIN_INVALID:                {KindPINIncorrect, mPkcs11PinInvalid},
	pkcs11.CKR_PIN_LEN_RANGE:              {KindPINIncorrect, mPkcs11PinLenRange},
	pkcs11.CKR_PIN_LOCKED:                 {KindPINLocked, mPkcs11PinLocked},
	pkcs11.CKR_PIN_EXPIRED:                {KindPINLocked, mPkcs11PinExpired},
	pkcs11.CKR_USER_NOT_LOGGED_IN:         {KindPINRequired, mPkcs11UserNotLoggedIn},
	pkcs11.CKR_USER_PIN_NOT_INITIALIZED:   {KindPINLocked, mPkcs11UserPinNotInitialized},
	pkcs11.CKR_FUNCTION_CANCELED:          {KindCanceled, mPkcs11FunctionCanceled},
	pkcs11.CKR_DEVICE_REMOVED:             {KindTokenRemoved, mRemovedCard},
	pkcs11.CKR_TOKEN_NOT_PRESENT:          {KindTokenRemoved, mRemovedCard},
	pkcs11.CKR_SESSION_HANDLE_INVALID:     {KindTokenRemoved, mRemovedConnectionLost},
	pkcs11.CKR_SESSION_CLOSED:             {KindTokenRemoved, mRemovedConnectionLost},
	pkcs11.CKR_TOKEN_NOT_RECOGNIZED:       {KindTokenNotFound, mPkcs11TokenNotRecognized},
	pkcs11.CKR_SLOT_ID_INVALID:            {KindTokenNotFound, mPkcs11SlotIdInvalid},
	pkcs11.CKR_DEVICE_ERROR:               {KindModule, mPkcs11DeviceError},
	pkcs11.CKR_DEVICE_MEMORY:              {KindModule, mPkcs11DeviceMemory},
	pkcs11.CKR_MECHANISM_INVALID:          {KindModule, mPkcs11MechanismInvalid},
	pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED: {KindCertificate, mPkcs11KeyFunctionNotPermitted},
	pkcs11.CKR_KEY_TYPE_INCONSISTENT:      {KindCertificate, mPkcs11KeyTypeInconsistent},
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
		return &Error{Kind: KindModule, Op: op, Text: mModuleFailed.New(), Err: err}
	}
	f, ok := friendly[uint(code)]
	if !ok {
		f.kind, f.text = KindModule, mModuleError
	}
	return &Error{Kind: f.kind, Op: op, Code: uint(code), Text: f.text.New(), Err: err}
}

// isGone reports errors after which a session handle is useless and the
// slot list must be read again (SPEC §2: removal recovery).
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
