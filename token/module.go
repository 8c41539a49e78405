package token

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/miekg/pkcs11"
)

// Options configure a Manager. The zero value loads real libraries and uses
// the wall clock.
type Options struct {
	Loader Loader           // default LoadLibrary
	Now    func() time.Time // default time.Now; certificate validity is judged against it
	// Vet, when set, is asked about a module before it is loaded into this
	// process; an error keeps the module out (it is listed with that
	// error). cardcheck's binary sets it to token/isolate, which loads the
	// module in a short-lived child process first, so that a module that
	// crashes, hangs or answers nonsense never reaches this one.
	Vet func(path string) error
	// CallTimeout bounds every call into a loaded module (default
	// DefaultCallTimeout; C_Login on a PIN pad waits at least PINPadTimeout).
	// A call that overruns fails with KindModuleTimeout and the module
	// refuses further calls until it has returned.
	CallTimeout time.Duration
}

// Manager owns the PKCS#11 modules loaded by this process. Cryptoki allows
// one C_Initialize per library per process, so a module is loaded once and
// shared by every caller; use one Manager per process and Close it at exit.
type Manager struct {
	opt     Options
	mu      sync.Mutex
	modules map[string]*Module // by resolved path
}

// NewManager returns a Manager; nothing is loaded until asked.
func NewManager(opt Options) *Manager {
	if opt.Loader == nil {
		opt.Loader = LoadLibrary
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Manager{opt: opt, modules: map[string]*Module{}}
}

// ModuleInfo is what C_GetInfo says about a library.
type ModuleInfo struct {
	Description     string
	Manufacturer    string
	LibraryVersion  string
	CryptokiVersion string
}

// Module is one loaded and initialized PKCS#11 library.
type Module struct {
	Path string
	Info ModuleInfo

	mu  sync.Mutex // serializes all calls into the library (sessions are not thread-safe)
	be  Backend
	now func() time.Time
	pin pinGuard
}

// Load loads and initializes the module at path, or returns the one already
// loaded. A module is vetted first (Options.Vet), outside the Manager's
// lock so that modules are vetted in parallel. Failures are not cached: the
// user may fix the problem and retry.
func (m *Manager) Load(path string) (*Module, error) {
	key := realPath(path)
	if m.opt.Vet != nil && m.loaded(key) == nil {
		if err := m.opt.Vet(path); err != nil {
			return nil, withOp(err, "load")
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if mod, ok := m.modules[key]; ok {
		return mod, nil
	}
	be, err := m.opt.Loader(path)
	if err != nil {
		return nil, withOp(err, "load")
	}
	mod := &Module{Path: path, be: guard(be, m.opt.CallTimeout), now: m.opt.Now}
	if err := mod.initialize(); err != nil {
		return nil, err
	}
	m.modules[key] = mod
	return mod, nil
}

func (m *Manager) loaded(key string) *Module {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.modules[key]
}

func withOp(err error, op string) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			e.Op = op
		}
		return e
	}
	return &Error{Kind: KindModule, Op: op, Text: mModuleLoadFailed.New(), Err: err}
}

// initialize runs C_Initialize and C_GetInfo. A library already initialized
// in this process (by another component) is accepted as it is.
func (mod *Module) initialize() error {
	err := mod.be.Initialize()
	if KindOf(err) == KindModuleTimeout {
		return err
	}
	if err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		e := fromPKCS11("initialize", err).(*Error)
		e.Kind, e.Text = KindModule, mModuleInitializeFailed.New()
		return e
	}
	info, err := mod.be.GetInfo()
	if err != nil {
		return fromPKCS11("get module info", err)
	}
	mod.Info = ModuleInfo{
		Description:     info.LibraryDescription,
		Manufacturer:    info.ManufacturerID,
		LibraryVersion:  version(info.LibraryVersion),
		CryptokiVersion: version(info.CryptokiVersion),
	}
	return nil
}

// Idle returns a channel that is closed once the module has returned from
// every call that overran its deadline (at once when none did): until then
// the module refuses calls with KindModuleTimeout.
func (mod *Module) Idle() <-chan struct{} {
	if g, ok := mod.be.(*guarded); ok {
		return g.idle()
	}
	done := make(chan struct{})
	close(done)
	return done
}

func version(v pkcs11.Version) string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Close finalizes every loaded module. The Manager can be used again
// afterwards; modules are then loaded anew.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for key, mod := range m.modules {
		mod.mu.Lock()
		if err := mod.be.Finalize(); err != nil {
			errs = append(errs, fromPKCS11("finalize", err))
		}
		mod.mu.Unlock()
		delete(m.modules, key)
	}
	return errors.Join(errs...)
}

// ModuleStatus is one discovered module with its information or the
// reason it could not be used; a failing module never hides the others.
type ModuleStatus struct {
	Path   string
	Source Source
	Info   ModuleInfo
	Err    error
	// Slots are the module's slots with a token present, including the
	// ones the token list skips (not initialized, unreadable): what ties a
	// token to a PC/SC reader, and what shows a module hiding a card.
	Slots []Slot
}

// Slot is a slot with a token present, as the module describes it.
type Slot struct {
	ID               uint
	Description      string // OpenSC and most modules on PC/SC: the reader's name
	Manufacturer     string
	TokenLabel       string
	TokenInitialized bool
	Listed           bool  // its token is in the inventory
	Err              error // its token could not be read
}

// Inventory is everything a scan found.
type Inventory struct {
	Modules []ModuleStatus
	Tokens  []*Token
}

// Scan loads every candidate and lists its tokens, certificates and keys.
// Modules are scanned in parallel so that a slow reader does not hold up the
// others; the result keeps the order of the candidates.
func (m *Manager) Scan(cands []Candidate) *Inventory { return m.ScanTokens(cands, nil) }

// ScanTokens is Scan limited to the tokens keep accepts (judged on the
// token's information, before its objects are read): a test of one
// certificate need not read a 200-certificate token next to it.
func (m *Manager) ScanTokens(cands []Candidate, keep func(*Token) bool) *Inventory {
	type result struct {
		status ModuleStatus
		tokens []*Token
	}
	res := make([]result, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].status = ModuleStatus{Path: c.Path, Source: c.Source}
			mod, err := m.Load(c.Path)
			if err != nil {
				res[i].status.Err = err
				return
			}
			res[i].status.Info = mod.Info
			res[i].tokens, res[i].status.Slots, res[i].status.Err = mod.tokens(keep)
		}()
	}
	wg.Wait()
	inv := &Inventory{}
	for _, r := range res {
		inv.Modules = append(inv.Modules, r.status)
		inv.Tokens = append(inv.Tokens, r.tokens...)
	}
	return inv
}

// Tokens lists the initialized tokens present in the module's slots with
// their certificates and keys. Uninitialized tokens (SoftHSM always shows a
// free one) are skipped: nothing on them can be used.
func (mod *Module) Tokens() ([]*Token, error) {
	toks, _, err := mod.tokens(nil)
	return toks, err
}

func (mod *Module) tokens(keep func(*Token) bool) ([]*Token, []Slot, error) {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	slots, err := mod.be.GetSlotList(true)
	if err != nil {
		return nil, nil, fromPKCS11("list slots", err)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
	var toks []*Token
	var errs []error
	infos := make([]Slot, 0, len(slots))
	for _, slot := range slots {
		info := mod.slotInfo(slot)
		tok, err := mod.readToken(slot, keep)
		switch {
		case err != nil:
			info.Err = err
			errs = append(errs, err)
		case tok != nil:
			info.TokenLabel, info.TokenInitialized, info.Listed = tok.Label, true, true
			toks = append(toks, tok)
		default: // not initialized, or not kept
			if ti, err := mod.be.GetTokenInfo(slot); err == nil {
				info.TokenLabel = clean(ti.Label)
				info.TokenInitialized = ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0
			}
		}
		infos = append(infos, info)
	}
	if len(toks) == 0 && len(errs) > 0 {
		return nil, infos, errs[0]
	}
	return toks, infos, nil
}

// slotInfo describes a slot; the caller holds mod.mu.
func (mod *Module) slotInfo(slot uint) Slot {
	info := Slot{ID: slot}
	if si, err := mod.be.GetSlotInfo(slot); err == nil {
		info.Description, info.Manufacturer = clean(si.SlotDescription), clean(si.ManufacturerID)
	}
	return info
}
