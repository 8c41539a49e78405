// Package tokentest injects faults into a real PKCS#11 module through the
// token.Backend seam: a wrong or locked PIN, a card pulled out in the middle
// of a signature, garbage certificate bytes, a module whose C_Initialize
// fails, a token missing a mechanism. Every call not named here goes to the
// real module (SoftHSM in the tests), so the rest of the path stays real.
package tokentest

import (
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/token"
)

// Faults configures what goes wrong; set fields before use, read counters
// through the methods. The zero value injects nothing.
type Faults struct {
	InitializeErr  error  // C_Initialize fails with this
	LoginErr       error  // C_Login(CKU_USER) fails with this (the real C_Login is not called)
	ExtraFlags     uint   // OR'd into CK_TOKEN_INFO.flags (e.g. CKF_USER_PIN_FINAL_TRY)
	HideMechanisms []uint // removed from C_GetMechanismList
	GarbageLabel   string // certificates with this CKA_LABEL return garbage CKA_VALUE
	RemoveOnSign   bool   // C_Sign fails with CKR_DEVICE_REMOVED (or RemoveErr) and the token vanishes from the slot list
	// RemoveErr is what C_Sign answers with RemoveOnSign; nil is
	// CKR_DEVICE_REMOVED. OpenSC answers CKR_DEVICE_ERROR for a card pulled
	// out in the middle of a command.
	RemoveErr error
	// Hang makes C_Login(CKU_USER) and C_Sign block until it is closed, as a
	// reader that stopped answering (nil: no hang); they then fail with
	// CKR_FUNCTION_CANCELED without reaching the module.
	Hang chan struct{}
	// LoginGate holds C_Login(CKU_USER) until it is closed, then lets it
	// reach the module (nil: no wait): a slow card, or a user typing on
	// the reader's PIN pad. LoginWaiting is closed when a login waits.
	LoginGate, LoginWaiting chan struct{}

	mu          sync.Mutex
	waitingOnce sync.Once
	logins      int
	contexts    int
	signs       int
	removed     bool
}

// Loader wraps token.LoadLibrary with these faults.
func (f *Faults) Loader() token.Loader {
	return func(path string) (token.Backend, error) {
		be, err := token.LoadLibrary(path)
		if err != nil {
			return nil, err
		}
		return &Backend{Backend: be, f: f}, nil
	}
}

// Logins is how many times C_Login(CKU_USER) reached the module (or the fault).
func (f *Faults) Logins() int { f.mu.Lock(); defer f.mu.Unlock(); return f.logins }

// ContextLogins counts C_Login(CKU_CONTEXT_SPECIFIC).
func (f *Faults) ContextLogins() int { f.mu.Lock(); defer f.mu.Unlock(); return f.contexts }

// Signs counts C_Sign calls.
func (f *Faults) Signs() int { f.mu.Lock(); defer f.mu.Unlock(); return f.signs }

// Remove makes the token vanish from the slot list, as if pulled out.
func (f *Faults) Remove() { f.mu.Lock(); defer f.mu.Unlock(); f.removed = true }

// Reinsert makes a removed token appear again.
func (f *Faults) Reinsert() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed, f.RemoveOnSign = false, false
}

// Backend is a token.Backend with faults.
type Backend struct {
	token.Backend
	f *Faults
}

// Initialize fails when asked to.
func (b *Backend) Initialize(opts ...pkcs11.InitializeOption) error {
	if b.f.InitializeErr != nil {
		return b.f.InitializeErr
	}
	return b.Backend.Initialize(opts...)
}

// GetSlotList hides the slots after a simulated removal.
func (b *Backend) GetSlotList(present bool) ([]uint, error) {
	b.f.mu.Lock()
	gone := b.f.removed
	b.f.mu.Unlock()
	if gone {
		return nil, nil
	}
	return b.Backend.GetSlotList(present)
}

// GetTokenInfo adds the extra flags.
func (b *Backend) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	ti, err := b.Backend.GetTokenInfo(slot)
	if err == nil && ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
		ti.Flags |= b.f.ExtraFlags
	}
	return ti, err
}

// GetMechanismList drops hidden mechanisms.
func (b *Backend) GetMechanismList(slot uint) ([]*pkcs11.Mechanism, error) {
	ms, err := b.Backend.GetMechanismList(slot)
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, m := range ms {
		if !contains(b.f.HideMechanisms, m.Mechanism) {
			out = append(out, m)
		}
	}
	return out, nil
}

func contains(list []uint, v uint) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Login counts calls and fails when asked to.
func (b *Backend) Login(sh pkcs11.SessionHandle, userType uint, pin string) error {
	b.f.mu.Lock()
	if userType == pkcs11.CKU_CONTEXT_SPECIFIC {
		b.f.contexts++
	} else {
		b.f.logins++
	}
	err, hang, gate, waiting := b.f.LoginErr, b.f.Hang, b.f.LoginGate, b.f.LoginWaiting
	b.f.mu.Unlock()
	if gate != nil && userType == pkcs11.CKU_USER {
		if waiting != nil {
			b.f.waitingOnce.Do(func() { close(waiting) })
		}
		<-gate
	}
	if hang != nil && userType == pkcs11.CKU_USER {
		<-hang
		return pkcs11.Error(pkcs11.CKR_FUNCTION_CANCELED)
	}
	if err != nil && userType == pkcs11.CKU_USER {
		return err
	}
	return b.Backend.Login(sh, userType, pin)
}

// Sign counts calls and simulates removal.
func (b *Backend) Sign(sh pkcs11.SessionHandle, msg []byte) ([]byte, error) {
	b.f.mu.Lock()
	b.f.signs++
	remove, hang := b.f.RemoveOnSign, b.f.Hang
	if remove {
		b.f.removed = true
	}
	b.f.mu.Unlock()
	if hang != nil {
		<-hang
		return nil, pkcs11.Error(pkcs11.CKR_FUNCTION_CANCELED)
	}
	if remove {
		if b.f.RemoveErr != nil {
			return nil, b.f.RemoveErr
		}
		return nil, pkcs11.Error(pkcs11.CKR_DEVICE_REMOVED)
	}
	return b.Backend.Sign(sh, msg)
}

// GetAttributeValue corrupts CKA_VALUE of the certificate named GarbageLabel.
func (b *Backend) GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error) {
	got, err := b.Backend.GetAttributeValue(sh, o, a)
	if err != nil || b.f.GarbageLabel == "" {
		return got, err
	}
	label, _ := b.Backend.GetAttributeValue(sh, o, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
	if len(label) == 1 && string(label[0].Value) == b.f.GarbageLabel {
		for _, at := range got {
			if at.Type == pkcs11.CKA_VALUE {
				at.Value = []byte("\x30\x82\xff\xffthis is not DER")
			}
		}
	}
	return got, err
}
