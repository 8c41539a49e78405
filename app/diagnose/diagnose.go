// Package diagnose builds the support report of the whole smart-card
// chain (docs/contract.md `cardcheck diagnose`, issue 12): operating system,
// cardcheck and library versions, the smart-card service, readers with
// their cards (ATR, name from the ATR list, exclusive use, PIN pad),
// PKCS#11 modules with their load result, tokens with their PIN state,
// certificates with their problems — and the answer to "why is my card
// not listed?" as findings (codes with arguments; the English texts are
// in texts.go, one place).
//
// A report is redacted on request (WriteText/WriteJSON with redact=true,
// the default of the CLI and the GUI's Copy): names, organisations,
// e-mail addresses and serial numbers from the certificates and the
// tokens' serials become stable placeholders (<name-1>, <serial-2>) so a
// user can paste it into a public forum.
//
//	r := diagnose.Run(ctx, diagnose.Options{})
//	r.WriteText(os.Stdout, true)
//	for _, f := range r.Diagnosis { f.Code … }
package diagnose

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// Options configure Run. The zero value discovers modules as `tokens`
// does and asks the system's PC/SC service.
type Options struct {
	Modules     []string // --module: only these (token.DiscoverOptions.Explicit)
	UserModules []string // nil: config.UserModules()
	// Inventory is a scan already made (e.g. by `tokens`); nil: Run scans
	// with a Manager of its own and closes it, which calls C_Finalize on
	// each module — a process that keeps modules loaded (the GUI) must
	// pass its own scan instead.
	Inventory *token.Inventory
	PCSC      pcsc.Options // Connect: nil for the system's service; tests pass a fake
	ATRLists  []string     // nil: pcsc.ATRListPaths()
	// Versions finds library versions; nil: SystemVersions. NoVersions
	// skips them (the `tokens` listing does not need them).
	Versions   func(ctx context.Context) []Component
	NoVersions bool
	Now        time.Time     // zero: time.Now()
	Timeout    time.Duration // the whole run; default 30 s
}

// Report is the `diagnose --json` document. Field names are a contract:
// add, never rename.
type Report struct {
	Environment environment.Host `json:"environment"`
	Versions    []Component      `json:"versions"`
	Service     Service          `json:"service"`
	ATRList     ATRList          `json:"atr_list"`
	Readers     []Reader         `json:"readers"`
	Modules     []listing.Module `json:"modules"`
	Tokens      []Token          `json:"tokens"`
	Diagnosis   []Finding        `json:"diagnosis"`
	Redacted    bool             `json:"redacted"`

	secrets []secret // what redaction replaces; not serialised
	ph      *placeholders
}

// Component is a library or program with its version.
type Component struct {
	Name    string `json:"name"`    // "pcsc-lite", "OpenSC", "p11-kit"
	Version string `json:"version"` // as the source says it
	Source  string `json:"source"`  // "dpkg", "rpm", "PKCS#11 C_GetInfo"
	Package string `json:"package,omitempty"`
}

// Service is the smart-card service (pcscd, or the OS's built-in one).
type Service struct {
	State pcsc.Service `json:"state"` // running, not-running, not-responding, no-library, unsupported, error
	Error *string      `json:"error"`
}

// ATRList says which ATR lists named the cards.
type ATRList struct {
	Files   []string `json:"files"`
	Entries int      `json:"entries"`
	Error   *string  `json:"error,omitempty"`
}

// Reader is a PC/SC reader and the card in it.
type Reader struct {
	Name        string        `json:"name"`
	CardPresent bool          `json:"card_present"`
	ATR         string        `json:"atr"`        // "3B 8D 80 …", "" without a card
	CardNames   []string      `json:"card_names"` // from the ATR list
	CardType    string        `json:"card_type"`  // what the ATR announces itself ("PIV"), else ""
	Exclusive   bool          `json:"exclusive"`  // another program holds the card exclusively
	InUse       bool          `json:"in_use"`
	Mute        bool          `json:"mute"`
	Unavailable bool          `json:"unavailable"`
	PINPad      pcsc.PINPad   `json:"pin_pad"`
	Tokens      []ReaderToken `json:"tokens"` // PKCS#11 slots that show this reader
	Error       *string       `json:"error"`
}

// ReaderToken is a PKCS#11 slot tied to a reader (pcsc.SlotShowsReader).
type ReaderToken struct {
	Module      string  `json:"module"`
	Slot        uint    `json:"slot"`
	Label       string  `json:"label"`
	Serial      string  `json:"serial"`
	Initialized bool    `json:"initialized"`
	Listed      bool    `json:"listed"` // in the token list (initialized and readable)
	Error       *string `json:"error"`
}

// Token is a listed token with its PIN state and the reader it is in.
type Token struct {
	listing.Token
	PINState string `json:"pin_state"` // ok, count-low, final-try, locked
	Reader   string `json:"reader"`    // "" when no reader shows it (a software token)
}

// Run looks at the whole chain. It never fails; what went wrong is in
// the report.
func Run(ctx context.Context, opt Options) *Report {
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &Report{Environment: environment.Current(now), Versions: []Component{}, Readers: []Reader{},
		Modules: []listing.Module{}, Tokens: []Token{}, Diagnosis: []Finding{}}

	inv := opt.Inventory
	if inv == nil {
		user := opt.UserModules
		if user == nil {
			user = config.UserModules()
		}
		mgr := token.NewManager(token.Options{})
		defer mgr.Close()
		inv = mgr.Scan(token.Discover(token.DiscoverOptions{Explicit: opt.Modules, User: user}))
	}
	st := pcsc.Scan(ctx, opt.PCSC)
	r.Service = Service{State: st.Service, Error: errString(st.Err)}
	list := r.loadATRList(opt.ATRLists)
	r.addReaders(st, list)
	r.addInventory(inv, now)
	if !opt.NoVersions {
		versions := opt.Versions
		if versions == nil {
			versions = SystemVersions
		}
		r.Versions = append(r.Versions, versions(ctx)...)
		r.Versions = append(r.Versions, moduleVersions(inv, r.Versions)...)
	}
	r.Diagnosis = analyze(st, r, inv)
	return r
}

func (r *Report) loadATRList(paths []string) *pcsc.ATRList {
	if paths == nil {
		paths = pcsc.ATRListPaths()
	}
	l, read, err := pcsc.LoadATRList(paths)
	r.ATRList = ATRList{Files: append([]string{}, read...), Entries: l.Len(), Error: errString(err)}
	return l
}

func (r *Report) addReaders(st pcsc.Status, list *pcsc.ATRList) {
	for _, pr := range st.Readers {
		rd := Reader{Name: pr.Name, CardPresent: pr.CardPresent, CardNames: []string{}, Exclusive: pr.Exclusive,
			InUse: pr.InUse, Mute: pr.Mute, Unavailable: pr.Unavailable, PINPad: pr.PINPad,
			Tokens: []ReaderToken{}, Error: errString(pr.Err)}
		if len(pr.ATR) > 0 {
			rd.ATR = pcsc.FormatATR(pr.ATR)
			rd.CardNames = append(rd.CardNames, list.Lookup(pr.ATR)...)
			rd.CardType = pcsc.CardTypeFromATR(pr.ATR)
		}
		r.Readers = append(r.Readers, rd)
	}
}

// addInventory lists modules and tokens and ties slots to readers.
func (r *Report) addInventory(inv *token.Inventory, now time.Time) {
	doc := listing.FromInventory(inv)
	r.Modules = doc.Modules
	serials := map[string]string{} // module path + slot → serial of a listed token
	for i, t := range inv.Tokens {
		serials[slotKey(t.Module.Path, t.SlotID)] = t.Serial
		tok := Token{Token: doc.Tokens[i], PINState: pinState(t.Flags)}
		for _, ms := range inv.Modules {
			if ms.Path != t.Module.Path {
				continue
			}
			for _, s := range ms.Slots {
				if s.ID == t.SlotID {
					tok.Reader = r.readerOf(s)
				}
			}
		}
		if tok.Reader == "" {
			tok.Reader = r.readerOf(token.Slot{Description: t.SlotDescription})
		}
		r.Tokens = append(r.Tokens, tok)
		r.collectToken(t)
	}
	for _, ms := range inv.Modules {
		for _, s := range ms.Slots {
			name := r.readerOf(s)
			if name == "" {
				continue
			}
			for i := range r.Readers {
				if r.Readers[i].Name == name {
					r.Readers[i].Tokens = append(r.Readers[i].Tokens, ReaderToken{Module: ms.Path, Slot: s.ID,
						Label: s.TokenLabel, Serial: serials[slotKey(ms.Path, s.ID)], Initialized: s.TokenInitialized,
						Listed: s.Listed, Error: errString(s.Err)})
				}
			}
		}
	}
}

func slotKey(path string, id uint) string { return fmt.Sprintf("%s\x00%d", path, id) }

// readerOf names the reader a slot shows, "" when none does.
func (r *Report) readerOf(s token.Slot) string {
	for _, rd := range r.Readers {
		if pcsc.SlotShowsReader(s.Description, s.Manufacturer, rd.Name) {
			return rd.Name
		}
	}
	return ""
}

func pinState(f token.Flags) string {
	switch f.PINState() {
	case token.PINLocked:
		return "locked"
	case token.PINFinalTry:
		return "final-try"
	case token.PINCountLow:
		return "count-low"
	}
	return "ok"
}

// moduleVersions adds OpenSC and p11-kit from their modules' C_GetInfo
// when the package manager did not name them.
func moduleVersions(inv *token.Inventory, have []Component) []Component {
	known := map[string]bool{}
	for _, c := range have {
		known[c.Name] = true
	}
	var out []Component
	for _, m := range inv.Modules {
		if m.Err != nil {
			continue
		}
		for _, c := range []struct{ name, file string }{{"OpenSC", "opensc-pkcs11"}, {"p11-kit", "p11-kit-proxy"}} {
			if !known[c.name] && strings.Contains(m.Path, c.file) {
				out = append(out, Component{Name: c.name, Version: m.Info.LibraryVersion, Source: "PKCS#11 C_GetInfo"})
				known[c.name] = true
			}
		}
	}
	return out
}

func errString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}
