package token

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/pkcs11"
)

// Flags are the token flags people care about (CK_TOKEN_INFO.flags).
type Flags struct {
	LoginRequired      bool `json:"login_required"`
	ProtectedAuthPath  bool `json:"protected_authentication_path"` // PIN pad on the reader
	UserPINInitialized bool `json:"user_pin_initialized"`
	UserPINCountLow    bool `json:"user_pin_count_low"`
	UserPINFinalTry    bool `json:"user_pin_final_try"`
	UserPINLocked      bool `json:"user_pin_locked"`
	UserPINToBeChanged bool `json:"user_pin_to_be_changed"`
	TokenInitialized   bool `json:"token_initialized"`
	WriteProtected     bool `json:"write_protected"`
	RemovableDevice    bool `json:"removable_device"`
}

func flagsFrom(tokenFlags, slotFlags uint) Flags {
	has := func(f uint) bool { return tokenFlags&f != 0 }
	return Flags{
		LoginRequired:      has(pkcs11.CKF_LOGIN_REQUIRED),
		ProtectedAuthPath:  has(pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH),
		UserPINInitialized: has(pkcs11.CKF_USER_PIN_INITIALIZED),
		UserPINCountLow:    has(pkcs11.CKF_USER_PIN_COUNT_LOW),
		UserPINFinalTry:    has(pkcs11.CKF_USER_PIN_FINAL_TRY),
		UserPINLocked:      has(pkcs11.CKF_USER_PIN_LOCKED),
		UserPINToBeChanged: has(pkcs11.CKF_USER_PIN_TO_BE_CHANGED),
		TokenInitialized:   has(pkcs11.CKF_TOKEN_INITIALIZED),
		WriteProtected:     has(pkcs11.CKF_WRITE_PROTECTED),
		RemovableDevice:    slotFlags&pkcs11.CKF_REMOVABLE_DEVICE != 0,
	}
}

// PINState sums up the flags into the one state the PIN dialog shows.
type PINState int

// PIN states, worst last.
const (
	PINOK PINState = iota
	PINCountLow
	PINFinalTry
	PINLocked
)

// PINState returns the most severe PIN condition the token reports.
func (f Flags) PINState() PINState {
	switch {
	case f.UserPINLocked:
		return PINLocked
	case f.UserPINFinalTry:
		return PINFinalTry
	case f.UserPINCountLow:
		return PINCountLow
	}
	return PINOK
}

// Mechanism is one mechanism the token supports.
type Mechanism struct {
	Type uint
	Name string
}

// MechanismName returns the CKM_ name of a mechanism type, or its number.
func MechanismName(t uint) string {
	if n, ok := mechanismNames[t]; ok {
		return n
	}
	return fmt.Sprintf("CKM_0x%08X", t)
}

// Token is a snapshot of one token: what C_GetTokenInfo says plus the
// certificates and keys found on it. Find a token again by Ref, never by
// slot ID: slot IDs change when readers come and go.
type Token struct {
	Module          *Module
	SlotID          uint
	SlotDescription string
	Label           string
	Manufacturer    string
	Model           string
	Serial          string
	HardwareVersion string
	FirmwareVersion string
	Flags           Flags
	Mechanisms      []Mechanism
	Certificates    []*Certificate
	Keys            []*KeyInfo // private keys visible in this snapshot
	// PrivateObjectsVisible is true when the snapshot was taken while logged
	// in (or the token needs no login), so has_private_key is definite.
	PrivateObjectsVisible bool
	// Err is a problem reading part of the token (e.g. its objects); the
	// fields above that were read are still valid.
	Err error
}

// Ref identifies a token across re-scans.
type Ref struct {
	ModulePath string
	Serial     string
	Label      string
}

// Ref returns the token's identity.
func (t *Token) Ref() Ref { return Ref{ModulePath: t.Module.Path, Serial: t.Serial, Label: t.Label} }

// HasMechanism reports whether the token lists the mechanism.
func (t *Token) HasMechanism(typ uint) bool {
	for _, m := range t.Mechanisms {
		if m.Type == typ {
			return true
		}
	}
	return false
}

// readToken reads one slot; nil for slots without an initialized token or
// that keep (if set) rejects. The caller holds mod.mu.
func (mod *Module) readToken(slot uint, keep func(*Token) bool) (*Token, error) {
	ti, err := mod.be.GetTokenInfo(slot)
	if err != nil {
		return nil, fromPKCS11("read token info", err)
	}
	if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
		return nil, nil
	}
	si, err := mod.be.GetSlotInfo(slot)
	if err != nil {
		return nil, fromPKCS11("read slot info", err)
	}
	tok := &Token{
		Module: mod, SlotID: slot,
		SlotDescription: clean(si.SlotDescription),
		Label:           clean(ti.Label),
		Manufacturer:    clean(ti.ManufacturerID),
		Model:           clean(ti.Model),
		Serial:          clean(ti.SerialNumber),
		HardwareVersion: version(ti.HardwareVersion),
		FirmwareVersion: version(ti.FirmwareVersion),
		Flags:           flagsFrom(ti.Flags, si.Flags),
	}
	if keep != nil && !keep(tok) {
		return nil, nil
	}
	tok.Mechanisms, err = mod.mechanisms(slot)
	if err != nil {
		tok.Err = err
		return tok, nil
	}
	tok.Err = mod.readObjects(tok)
	return tok, nil
}

// clean trims the blank padding of PKCS#11's fixed-size strings.
func clean(s string) string { return strings.TrimRight(strings.TrimSpace(s), "\x00") }

func (mod *Module) mechanisms(slot uint) ([]Mechanism, error) {
	list, err := mod.be.GetMechanismList(slot)
	if err != nil {
		return nil, fromPKCS11("list mechanisms", err)
	}
	out := make([]Mechanism, 0, len(list))
	for _, m := range list {
		out = append(out, Mechanism{Type: m.Mechanism, Name: MechanismName(m.Mechanism)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out, nil
}

// findToken locates the token with ref among the present slots. It re-reads
// the slot list each time, which is also what makes modules such as OpenSC
// notice a removed or re-inserted card. The caller holds mod.mu.
func (mod *Module) findToken(ref Ref) (uint, pkcs11.TokenInfo, error) {
	slots, err := mod.be.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, fromPKCS11("list slots", err)
	}
	for _, slot := range slots {
		ti, err := mod.be.GetTokenInfo(slot)
		if err != nil {
			continue // a reader in trouble; keep looking
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		if clean(ti.SerialNumber) == ref.Serial && (ref.Label == "" || clean(ti.Label) == ref.Label) {
			return slot, ti, nil
		}
	}
	return 0, pkcs11.TokenInfo{}, &Error{Kind: KindTokenNotFound, Op: "find token",
		Text: mTokenNotPresent.New("Label", strconv.Quote(ref.Label), "Serial", ref.Serial)}
}

// Token reads the token identified by ref again (slot list, info,
// mechanisms, objects), e.g. to refresh one token after a change.
func (mod *Module) Token(ref Ref) (*Token, error) {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	slot, _, err := mod.findToken(ref)
	if err != nil {
		return nil, err
	}
	tok, err := mod.readToken(slot, nil)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, &Error{Kind: KindTokenNotFound, Op: "read token", Text: mNotFoundNotInitialized.New()}
	}
	return tok, nil
}
