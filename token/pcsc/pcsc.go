// Package pcsc looks below PKCS#11: the smart-card service (PC/SC; pcscd
// on Linux), its readers, whether a card is in each, the card's ATR,
// whether another program holds it exclusively, and whether the reader
// has a PIN pad. It only looks: it never sends an APDU to a card and
// never locks one.
//
// The calls go through Client, a small interface over the few PC/SC
// functions used. System connects to the system's PC/SC library
// (libpcsclite on Linux, loaded at run time so that cardcheck starts and
// can say "not installed" where it is missing); tests pass a fake. Every
// call has a deadline: a hung pcscd makes a call fail with
// context.DeadlineExceeded, never hangs the caller.
//
// libpcsclite honours PCSCLITE_CSOCK_NAME (the path of pcscd's socket),
// read once per process, which is how the tests reach a private pcscd
// (build/cardstack).
//
//	st := pcsc.Scan(ctx, pcsc.Options{})
//	switch st.Service { case pcsc.ServiceNotRunning: … }
//	for _, r := range st.Readers { r.Name, r.CardPresent, pcsc.FormatATR(r.ATR) }
package pcsc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Code is a PC/SC return value (SCARD_E_…, SCARD_W_…). It is an error.
type Code uint32

// The return values that mean something to a diagnosis.
const (
	ErrCancelled          Code = 0x80100002 // SCARD_E_CANCELLED
	ErrInvalidHandle      Code = 0x80100003 // SCARD_E_INVALID_HANDLE
	ErrUnknownReader      Code = 0x80100009 // SCARD_E_UNKNOWN_READER
	ErrTimeout            Code = 0x8010000A // SCARD_E_TIMEOUT
	ErrSharingViolation   Code = 0x8010000B // SCARD_E_SHARING_VIOLATION
	ErrNoSmartcard        Code = 0x8010000C // SCARD_E_NO_SMARTCARD
	ErrReaderUnavailable  Code = 0x80100017 // SCARD_E_READER_UNAVAILABLE
	ErrNoService          Code = 0x8010001D // SCARD_E_NO_SERVICE
	ErrServiceStopped     Code = 0x8010001E // SCARD_E_SERVICE_STOPPED
	ErrUnsupportedFeature Code = 0x80100022 // SCARD_E_UNSUPPORTED_FEATURE
	ErrNoReaders          Code = 0x8010002E // SCARD_E_NO_READERS_AVAILABLE
	ErrUnresponsiveCard   Code = 0x80100066 // SCARD_W_UNRESPONSIVE_CARD
	ErrUnpoweredCard      Code = 0x80100067 // SCARD_W_UNPOWERED_CARD
	ErrRemovedCard        Code = 0x80100069 // SCARD_W_REMOVED_CARD
)

var codeNames = map[Code]string{
	ErrCancelled: "SCARD_E_CANCELLED", ErrInvalidHandle: "SCARD_E_INVALID_HANDLE",
	ErrUnknownReader: "SCARD_E_UNKNOWN_READER", ErrTimeout: "SCARD_E_TIMEOUT",
	ErrSharingViolation: "SCARD_E_SHARING_VIOLATION", ErrNoSmartcard: "SCARD_E_NO_SMARTCARD",
	ErrReaderUnavailable: "SCARD_E_READER_UNAVAILABLE", ErrNoService: "SCARD_E_NO_SERVICE",
	ErrServiceStopped: "SCARD_E_SERVICE_STOPPED", ErrUnsupportedFeature: "SCARD_E_UNSUPPORTED_FEATURE",
	ErrNoReaders: "SCARD_E_NO_READERS_AVAILABLE", ErrUnresponsiveCard: "SCARD_W_UNRESPONSIVE_CARD",
	ErrUnpoweredCard: "SCARD_W_UNPOWERED_CARD", ErrRemovedCard: "SCARD_W_REMOVED_CARD",
}

func (c Code) Error() string {
	if n, ok := codeNames[c]; ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(c))
	}
	return fmt.Sprintf("PC/SC error 0x%08X", uint32(c))
}

// Error is a failed PC/SC call.
type Error struct {
	Op  string // "establish context", "list readers", …
	Err error  // a Code, context.DeadlineExceeded, ErrNoLibrary, …
}

func (e *Error) Error() string { return "pcsc: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoLibrary: the PC/SC library is not installed (Debian: libpcsclite1).
var ErrNoLibrary = errors.New("the PC/SC library is not installed")

// ErrUnsupported: this build has no PC/SC binding for this OS.
var ErrUnsupported = errors.New("reading readers through PC/SC is not supported on this operating system yet")

// ErrStuck: an earlier call on this client did not return in time; the
// client refuses further calls rather than pile up on a hung service.
var ErrStuck = errors.New("an earlier PC/SC call has not returned")

// Reader state bits (SCARD_STATE_…), as States reports them.
const (
	StateUnknown     uint32 = 0x0004
	StateUnavailable uint32 = 0x0008
	StateEmpty       uint32 = 0x0010
	StatePresent     uint32 = 0x0020
	StateExclusive   uint32 = 0x0080
	StateInUse       uint32 = 0x0100
	StateMute        uint32 = 0x0200
	StateUnpowered   uint32 = 0x0400
)

// RawState is one reader as SCardGetStatusChange reports it.
type RawState struct {
	Reader string
	State  uint32 // SCARD_STATE_… bits; pcsc-lite counts card events in the upper 16 bits
	ATR    []byte
}

// Client is the handful of PC/SC calls this package makes. Each call
// returns by ctx's deadline.
type Client interface {
	// ListReaders returns the reader names; none is ErrNoReaders (or an
	// empty list).
	ListReaders(ctx context.Context) ([]string, error)
	// States returns each reader's current state and ATR, without
	// waiting for a change.
	States(ctx context.Context, readers []string) ([]RawState, error)
	// Features returns the reader's answer to CM_IOCTL_GET_FEATURE_REQUEST
	// (PC/SC part 10 TLV list), connecting in direct mode.
	Features(ctx context.Context, reader string) ([]byte, error)
	// WaitChange returns when a reader's state differs from known (as
	// States reported it), a reader comes or goes, or timeout passes
	// (then with nil: the caller looks again).
	WaitChange(ctx context.Context, known []RawState, timeout time.Duration) error
	Close() error
}

// Connector opens a Client (establishes a PC/SC context).
type Connector func(ctx context.Context) (Client, error)

// Service is how the smart-card service answered.
type Service string

// Service states.
const (
	ServiceRunning       Service = "running"
	ServiceNotRunning    Service = "not-running"    // no pcscd (SCARD_E_NO_SERVICE)
	ServiceNotResponding Service = "not-responding" // a call ran into its deadline
	ServiceNoLibrary     Service = "no-library"     // libpcsclite not installed
	ServiceUnsupported   Service = "unsupported"    // no binding for this OS in this build
	ServiceError         Service = "error"          // another failure, in Status.Err
)

// PINPad says whether a reader has a keypad for the PIN.
type PINPad struct {
	Verify bool   `json:"verify"` // can verify a PIN typed on the reader
	Modify bool   `json:"modify"` // can change a PIN on the reader
	Source string `json:"source"` // "features" (the reader said so), "name" (guessed from its name), "" (none)
}

// Present reports whether the reader has a PIN pad.
func (p PINPad) Present() bool { return p.Verify || p.Modify }

// Reader is one reader and the card in it.
type Reader struct {
	Name        string
	CardPresent bool
	ATR         []byte // nil without a card
	Exclusive   bool   // another program holds the card exclusively
	InUse       bool   // a program has the card open (shared)
	Mute        bool   // the card does not answer (inserted the wrong way, broken, or not a chip card)
	Unpowered   bool
	Unavailable bool // the reader cannot be used (driver problem)
	PINPad      PINPad
	Err         error  // the state could not be read
	State       uint32 // the raw state (for WaitChange)
}

// Status is one look at PC/SC.
type Status struct {
	Service Service
	Err     error // why the service is not ServiceRunning, or a partial failure
	Readers []Reader
}

// Options configure Scan.
type Options struct {
	Connect     Connector     // nil: System
	CallTimeout time.Duration // deadline of each call; default 3 s
	// NoFeatures skips the PIN pad query (it connects to each reader in
	// direct mode); the name of the reader is used instead.
	NoFeatures bool
}

// MaxReaders bounds how many readers are looked at.
const MaxReaders = 64

// Scan connects to the smart-card service and reads every reader's
// state. It never fails: what went wrong is in Status.
func Scan(ctx context.Context, opt Options) Status {
	if opt.Connect == nil {
		opt.Connect = System
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 3 * time.Second
	}
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, opt.CallTimeout) }

	cctx, cancel := call()
	cl, err := opt.Connect(cctx)
	cancel()
	if err != nil {
		return Status{Service: serviceOf(err), Err: err}
	}
	defer cl.Close()

	cctx, cancel = call()
	names, err := cl.ListReaders(cctx)
	cancel()
	if errors.Is(err, ErrNoReaders) {
		return Status{Service: ServiceRunning, Readers: []Reader{}}
	}
	if err != nil {
		return Status{Service: serviceOf(err), Err: err}
	}
	sort.Strings(names)
	if len(names) > MaxReaders {
		names = names[:MaxReaders]
	}
	st := Status{Service: ServiceRunning, Readers: make([]Reader, 0, len(names))}
	if len(names) == 0 {
		return st
	}
	cctx, cancel = call()
	raw, err := cl.States(cctx, names)
	cancel()
	if err != nil {
		st.Err = err
		if s := serviceOf(err); s == ServiceNotResponding || s == ServiceNotRunning {
			st.Service = s
		}
	}
	byName := map[string]RawState{}
	for _, r := range raw {
		byName[r.Reader] = r
	}
	for _, n := range names {
		r := Reader{Name: n}
		if rs, ok := byName[n]; ok {
			r.fill(rs)
		} else {
			r.Err = err
		}
		r.PINPad = PINPadFromName(n)
		if !opt.NoFeatures && err == nil && !r.Exclusive {
			cctx, cancel = call()
			tlv, ferr := cl.Features(cctx, n)
			cancel()
			if ferr == nil {
				if p, ok := ParseFeatures(tlv); ok {
					r.PINPad = p
				}
			} else if errors.Is(ferr, context.DeadlineExceeded) || errors.Is(ferr, ErrStuck) {
				st.Service, st.Err = ServiceNotResponding, ferr
				opt.NoFeatures = true // do not wait on every reader
			}
		}
		st.Readers = append(st.Readers, r)
	}
	return st
}

func (r *Reader) fill(rs RawState) {
	r.State = rs.State
	s := rs.State
	r.CardPresent = s&StatePresent != 0
	r.Exclusive = s&StateExclusive != 0
	r.InUse = s&StateInUse != 0
	r.Mute = s&StateMute != 0
	r.Unpowered = s&StateUnpowered != 0
	r.Unavailable = s&(StateUnavailable|StateUnknown) != 0
	if r.CardPresent && len(rs.ATR) > 0 {
		r.ATR = append([]byte(nil), rs.ATR...)
	}
}

// serviceOf classifies an error from establishing a context or listing.
func serviceOf(err error) Service {
	switch {
	case errors.Is(err, ErrNoService), errors.Is(err, ErrServiceStopped):
		return ServiceNotRunning
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrStuck):
		return ServiceNotResponding
	case errors.Is(err, ErrNoLibrary):
		return ServiceNoLibrary
	case errors.Is(err, ErrUnsupported):
		return ServiceUnsupported
	}
	return ServiceError
}

// WaitChange returns when something differs from st — a card inserted or
// removed, a reader plugged in or out, a program taking or releasing a
// card — or when timeout passes, or ctx ends; then call Scan again. It is
// how a "waiting for your card" screen learns of the card without
// polling. It returns at once when st was not a running service.
func WaitChange(ctx context.Context, opt Options, st Status, timeout time.Duration) error {
	if st.Service != ServiceRunning {
		return &Error{Op: "wait for a reader change", Err: errors.New("the smart-card service is not running")}
	}
	if opt.Connect == nil {
		opt.Connect = System
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 3 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, opt.CallTimeout)
	cl, err := opt.Connect(cctx)
	cancel()
	if err != nil {
		return err
	}
	defer cl.Close()
	known := make([]RawState, 0, len(st.Readers))
	for _, r := range st.Readers {
		known = append(known, RawState{Reader: r.Name, State: r.State})
	}
	return cl.WaitChange(ctx, known, timeout)
}
