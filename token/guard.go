package token

import (
	"sync/atomic"
	"time"

	"github.com/miekg/pkcs11"
)

// Calls into a module can block for ever: a reader that stopped answering,
// a card pulled out in the middle of a command, a vendor module waiting on a
// lock of its own. Go cannot interrupt a C call, so every call runs in a
// goroutine of its own and the caller waits for it with a deadline. On time
// out the caller gets KindModuleTimeout, the call is left running, and the
// module is marked stuck: later calls fail at once instead of queueing
// behind the one that never returns (and behind the module's own locks).
// When the stuck call does return, the module is usable again.

// DefaultCallTimeout bounds one call into a module when Options.CallTimeout
// is zero: far longer than any healthy module needs (SoftHSM answers in
// microseconds, a card over PC/SC in tens of milliseconds, an RSA-4096
// signature on an old card in about two seconds).
const DefaultCallTimeout = 30 * time.Second

// PINPadTimeout bounds C_Login on a reader with a PIN pad: the call returns
// only when the person has typed the PIN on the reader's keypad.
const PINPadTimeout = 2 * time.Minute

// guarded is a Backend whose every call has a deadline.
type guarded struct {
	be      Backend
	timeout time.Duration
	stuck   atomic.Pointer[stuckCall] // non-nil while a timed-out call still runs
}

// stuckCall is the call that did not return in time.
type stuckCall struct {
	fn    string // the Cryptoki function, e.g. C_GetSlotList
	since time.Time
	done  chan struct{} // closed when the call returns
}

func guard(be Backend, timeout time.Duration) *guarded {
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	return &guarded{be: be, timeout: timeout}
}

// idle is closed when no call into the module is overdue.
func (g *guarded) idle() <-chan struct{} {
	if s := g.stuck.Load(); s != nil {
		return s.done
	}
	done := make(chan struct{})
	close(done)
	return done
}

// call runs f with the guard's deadline.
func call[T any](g *guarded, fn string, f func() (T, error)) (T, error) {
	return callWithin(g, fn, g.timeout, f)
}

func callWithin[T any](g *guarded, fn string, timeout time.Duration, f func() (T, error)) (T, error) {
	var zero T
	if s := g.stuck.Load(); s != nil {
		return zero, &Error{Kind: KindModuleTimeout, Op: fn,
			Text: mModuleBusy.New("Call", s.fn, "Since", roundDuration(time.Since(s.since)))}
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	start := time.Now()
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
	}
	s := &stuckCall{fn: fn, since: start, done: make(chan struct{})}
	g.stuck.Store(s)
	go func() {
		<-ch // the module came back: it may be called again
		g.stuck.CompareAndSwap(s, nil)
		close(s.done)
	}()
	return zero, &Error{Kind: KindModuleTimeout, Op: fn,
		Text: mModuleTimeout.New("Limit", roundDuration(timeout), "Call", fn)}
}

// roundDuration prints 3s, 1.5s or 250ms rather than 2.999812s.
func roundDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

type none struct{}

func do(g *guarded, fn string, f func() error) error {
	_, err := call(g, fn, func() (none, error) { return none{}, f() })
	return err
}

func (g *guarded) Initialize(opts ...pkcs11.InitializeOption) error {
	return do(g, "C_Initialize", func() error { return g.be.Initialize(opts...) })
}

// Finalize is skipped while a call is stuck: C_Finalize would wait for it
// on the module's lock.
func (g *guarded) Finalize() error {
	if g.stuck.Load() != nil {
		return nil
	}
	return do(g, "C_Finalize", g.be.Finalize)
}

func (g *guarded) GetInfo() (pkcs11.Info, error) {
	return call(g, "C_GetInfo", g.be.GetInfo)
}

func (g *guarded) GetSlotList(present bool) ([]uint, error) {
	return call(g, "C_GetSlotList", func() ([]uint, error) { return g.be.GetSlotList(present) })
}

func (g *guarded) GetSlotInfo(slot uint) (pkcs11.SlotInfo, error) {
	return call(g, "C_GetSlotInfo", func() (pkcs11.SlotInfo, error) { return g.be.GetSlotInfo(slot) })
}

func (g *guarded) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	return call(g, "C_GetTokenInfo", func() (pkcs11.TokenInfo, error) { return g.be.GetTokenInfo(slot) })
}

func (g *guarded) GetMechanismList(slot uint) ([]*pkcs11.Mechanism, error) {
	return call(g, "C_GetMechanismList", func() ([]*pkcs11.Mechanism, error) { return g.be.GetMechanismList(slot) })
}

func (g *guarded) OpenSession(slot uint, flags uint) (pkcs11.SessionHandle, error) {
	return call(g, "C_OpenSession", func() (pkcs11.SessionHandle, error) { return g.be.OpenSession(slot, flags) })
}

func (g *guarded) CloseSession(sh pkcs11.SessionHandle) error {
	return do(g, "C_CloseSession", func() error { return g.be.CloseSession(sh) })
}

func (g *guarded) GetSessionInfo(sh pkcs11.SessionHandle) (pkcs11.SessionInfo, error) {
	return call(g, "C_GetSessionInfo", func() (pkcs11.SessionInfo, error) { return g.be.GetSessionInfo(sh) })
}

// Login waits longer when the reader's keypad takes the PIN (no PIN given):
// the call returns when the person has typed it.
func (g *guarded) Login(sh pkcs11.SessionHandle, userType uint, pin string) error {
	timeout := g.timeout
	if pin == "" && timeout < PINPadTimeout {
		timeout = PINPadTimeout
	}
	_, err := callWithin(g, "C_Login", timeout, func() (none, error) { return none{}, g.be.Login(sh, userType, pin) })
	return err
}

func (g *guarded) Logout(sh pkcs11.SessionHandle) error {
	return do(g, "C_Logout", func() error { return g.be.Logout(sh) })
}

func (g *guarded) FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error {
	return do(g, "C_FindObjectsInit", func() error { return g.be.FindObjectsInit(sh, temp) })
}

type found struct {
	hs   []pkcs11.ObjectHandle
	more bool
}

func (g *guarded) FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error) {
	r, err := call(g, "C_FindObjects", func() (found, error) {
		hs, more, err := g.be.FindObjects(sh, max)
		return found{hs, more}, err
	})
	return r.hs, r.more, err
}

func (g *guarded) FindObjectsFinal(sh pkcs11.SessionHandle) error {
	return do(g, "C_FindObjectsFinal", func() error { return g.be.FindObjectsFinal(sh) })
}

func (g *guarded) GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error) {
	return call(g, "C_GetAttributeValue", func() ([]*pkcs11.Attribute, error) { return g.be.GetAttributeValue(sh, o, a) })
}

func (g *guarded) SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error {
	return do(g, "C_SignInit", func() error { return g.be.SignInit(sh, m, o) })
}

func (g *guarded) Sign(sh pkcs11.SessionHandle, message []byte) ([]byte, error) {
	return call(g, "C_Sign", func() ([]byte, error) { return g.be.Sign(sh, message) })
}
