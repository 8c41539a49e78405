package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math"
	"sync"

	"github.com/miekg/pkcs11"
)

// Session is an open session with one token, found by serial and label.
// Close it when done: closing the last session also logs the token out.
type Session struct {
	mod  *Module
	ref  Ref
	slot uint
	sh   pkcs11.SessionHandle
	// pin is kept only for keys with CKA_ALWAYS_AUTHENTICATE, which need a
	// context-specific login before every signature; it is cleared on Close.
	pin      []byte
	pinPad   bool
	loggedIn bool
	dead     bool // the token went away; the handle must not be used again
}

// Open opens a read-only session with the token identified by ref. The slot
// list is read again first, so a card that was pulled and re-inserted (new
// slot ID) is found, and modules notice removals (SPEC §2).
func (mod *Module) Open(ref Ref) (*Session, error) {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	slot, _, err := mod.findToken(ref)
	if err != nil {
		return nil, err
	}
	sh, err := mod.be.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fromPKCS11("open session", err)
	}
	return &Session{mod: mod, ref: ref, slot: slot, sh: sh}, nil
}

// Ref is the token this session belongs to.
func (s *Session) Ref() Ref { return s.ref }

// Close ends the session and forgets the PIN.
func (s *Session) Close() error {
	clear(s.pin)
	s.pin = nil
	if s.dead {
		return nil
	}
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	s.dead = true
	if err := s.mod.be.CloseSession(s.sh); err != nil && !isGone(err) {
		return fromPKCS11("close session", err)
	}
	return nil
}

// LoginOptions are the user's answers in the PIN dialog.
type LoginOptions struct {
	PIN string
	// UsePINPad logs in with no PIN so that the reader's keypad asks for it
	// (protected authentication path). Ignored when PIN is set.
	UsePINPad bool
	// ConfirmFinalTry is the user's explicit "yes" to sending a PIN to a
	// token that will lock after one more wrong PIN.
	ConfirmFinalTry bool
	// Certificate, when set, is the certificate the login is for: no PIN is
	// sent when it is known to be unusable (Certificate.CheckUsable), with
	// RequireClientAuth passed on.
	Certificate       *Certificate
	RequireClientAuth bool
}

// MaxPINLen bounds a PIN whatever the token says: no card takes a longer
// one, and a longer input is a paste accident that must not reach C_Login.
const MaxPINLen = 4096

// Flags reads the token's current flags (PIN state) without logging in.
func (s *Session) Flags() (Flags, error) {
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	return s.flagsLocked()
}

func (s *Session) flagsLocked() (Flags, error) {
	f, _, err := s.stateLocked()
	return f, err
}

// stateLocked reads the token's flags and its PIN length limits.
func (s *Session) stateLocked() (Flags, pinLimits, error) {
	ti, err := s.mod.be.GetTokenInfo(s.slot)
	if err != nil {
		return Flags{}, pinLimits{}, s.fail("read token info", err)
	}
	si, _ := s.mod.be.GetSlotInfo(s.slot)
	return flagsFrom(ti.Flags, si.Flags), pinLimits{min: ti.MinPinLen, max: ti.MaxPinLen}, nil
}

// pinLimits are the token's ulMinPinLen and ulMaxPinLen (bytes).
type pinLimits struct{ min, max uint }

// check refuses a PIN the token cannot accept, before C_Login: a PIN of
// the wrong length costs a try on many cards (CKR_PIN_INCORRECT rather
// than CKR_PIN_LEN_RANGE). Limits of 0 or CK_UNAVAILABLE_INFORMATION say
// nothing; MaxPINLen applies always. The error does not contain the PIN.
func (l pinLimits) check(pin string, f Flags) error {
	known := func(v uint) bool { return v != 0 && v != ^uint(0) && v != math.MaxUint32 }
	max := uint(MaxPINLen)
	if known(l.max) && l.max < max {
		max = l.max
	}
	switch n := uint(len(pin)); {
	case n > max:
		return &Error{Kind: KindPINIncorrect, Op: "login", Flags: &f,
			Text: mPINTooLong.New("Max", int(max))}
	case known(l.min) && n < l.min && (!known(l.max) || l.min <= l.max):
		return &Error{Kind: KindPINIncorrect, Op: "login", Flags: &f,
			Text: mPINTooShort.New("Min", int(l.min))}
	}
	return nil
}

// Login logs the user in with at most one C_Login (SPEC §3):
//   - a locked token is never sent a PIN, and a token on its final try only
//     with opt.ConfirmFinalTry — both checked on fresh token flags first;
//   - an empty PIN is refused unless the reader has a PIN pad;
//   - a PIN this token already rejected in this process is not sent again.
//
// Errors never contain the PIN.
func (s *Session) Login(opt LoginOptions) error {
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	if s.dead {
		return &Error{Kind: KindTokenRemoved, Op: "login", Text: mRemovedConnectionLost.New()}
	}
	if c := opt.Certificate; c != nil {
		if err := c.CheckUsable(opt.RequireClientAuth); err != nil {
			return err
		}
	}
	flags, limits, err := s.stateLocked()
	if err != nil {
		return err
	}
	if err := checkBeforeLogin(flags, opt); err != nil {
		return err
	}
	pinPad := opt.PIN == "" // checkBeforeLogin allowed it: the reader has a PIN pad
	if !pinPad {
		if err := limits.check(opt.PIN, flags); err != nil {
			return err
		}
	}
	if !pinPad && s.mod.pin.rejected(s.ref, opt.PIN) {
		return &Error{Kind: KindPINIncorrect, Op: "login", Flags: &flags,
			Text: mPinAlreadyRejected.New()}
	}
	err = s.mod.be.Login(s.sh, pkcs11.CKU_USER, opt.PIN)
	if errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		err = nil
	}
	if err != nil {
		return s.loginFailed(err, opt.PIN, pinPad)
	}
	s.loggedIn, s.pinPad = true, pinPad
	s.pin = []byte(opt.PIN)
	s.mod.pin.forget(s.ref)
	return nil
}

// checkBeforeLogin applies the PIN-safety rules that need no C_Login.
func checkBeforeLogin(f Flags, opt LoginOptions) error {
	switch {
	case f.UserPINLocked:
		return &Error{Kind: KindPINLocked, Op: "login", Flags: &f,
			Text: mPinLockedNotTried.New()}
	case f.UserPINFinalTry && !opt.ConfirmFinalTry:
		return &Error{Kind: KindPINFinalTry, Op: "login", Flags: &f,
			Text: mPinFinalTryConfirm.New()}
	case opt.PIN == "" && !(f.ProtectedAuthPath && opt.UsePINPad):
		return &Error{Kind: KindPINRequired, Op: "login", Flags: &f, Text: mPinRequired.New()}
	}
	return nil
}

// loginFailed records a rejected PIN and attaches the token's new PIN
// state (count low, final try, locked) so the dialog can warn at once.
func (s *Session) loginFailed(err error, pin string, pinPad bool) error {
	e := s.fail("login", err).(*Error)
	if e.Kind == KindPINIncorrect && !pinPad {
		s.mod.pin.remember(s.ref, pin)
	}
	if f, ferr := s.flagsLocked(); ferr == nil {
		e.Flags = &f
		if e.Kind == KindPINIncorrect {
			switch f.PINState() {
			case PINLocked:
				e.Kind, e.Text = KindPINLocked, mPinWrongNowLocked.New()
			case PINFinalTry:
				e.Text = mPinWrongFinalTry.New()
			case PINCountLow:
				e.Text = mPinWrongCountLow.New()
			}
		}
	}
	return e
}

// fail converts a module error and, when the token is gone, marks the
// session dead so no stale handle is used again (SPEC §2 recovery: the next
// Open re-reads the slot list).
func (s *Session) fail(op string, err error) error {
	if isGone(err) {
		s.dead = true
		s.loggedIn = false
	}
	return fromPKCS11(op, err)
}

// LoggedIn reports whether Login succeeded on this session.
func (s *Session) LoggedIn() bool { return s.loggedIn }

// Token reads the token again through this session's login state, so that
// private keys are visible and has_private_key is definite.
func (s *Session) Token() (*Token, error) {
	s.mod.mu.Lock()
	defer s.mod.mu.Unlock()
	if s.dead {
		return nil, &Error{Kind: KindTokenRemoved, Op: "read token", Text: mRemovedCard.New()}
	}
	tok, err := s.mod.readToken(s.slot, nil)
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.Serial != s.ref.Serial {
		return nil, &Error{Kind: KindTokenRemoved, Op: "read token", Text: mRemovedOrReplaced.New()}
	}
	return tok, tok.Err
}

// pinGuard remembers, per token, keyed MACs of PINs the token rejected in
// this process, so that no code path (a UI retry loop, a remembered PIN)
// sends a known-wrong PIN again. The key is random per process: the MACs
// are useless outside it and nothing is written anywhere.
type pinGuard struct {
	mu     sync.Mutex
	key    []byte
	failed map[Ref][][32]byte
}

func (g *pinGuard) mac(pin string) [32]byte {
	if g.key == nil {
		g.key = make([]byte, 32)
		_, _ = rand.Read(g.key)
	}
	h := hmac.New(sha256.New, g.key)
	h.Write([]byte(pin))
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func (g *pinGuard) remember(r Ref, pin string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed == nil {
		g.failed = map[Ref][][32]byte{}
	}
	g.failed[r] = append(g.failed[r], g.mac(pin))
}

func (g *pinGuard) rejected(r Ref, pin string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.mac(pin)
	for _, f := range g.failed[r] {
		if hmac.Equal(f[:], m[:]) {
			return true
		}
	}
	return false
}

func (g *pinGuard) forget(r Ref) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.failed, r)
}
