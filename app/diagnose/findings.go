package diagnose

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// Code names one answer to "why is my card not listed?", layer by layer.
// Codes are stable (scripts, the GUI and its translations depend on them);
// the English texts (texts.go) may change.
type Code string

// Findings, from the bottom of the chain up.
const (
	PCSCLibraryMissing   Code = "pcsc-library-missing"   // libpcsclite not installed
	PCSCUnsupported      Code = "pcsc-unsupported"       // this build cannot look at readers on this OS
	ServiceNotInstalled  Code = "service-not-installed"  // no pcscd on this system; Command installs it
	ServiceNotRunning    Code = "service-not-running"    // Command starts it
	ServiceNotResponding Code = "service-not-responding" // pcscd hangs
	ServiceError         Code = "service-error"          // Detail
	NoReader             Code = "no-reader"              // plug it in, or its driver is missing
	ReaderUnavailable    Code = "reader-unavailable"     // Reader: the driver cannot use it
	NoCard               Code = "no-card"                // readers, none holds a card
	CardMute             Code = "card-mute"              // Reader: the card does not answer
	CardInUse            Code = "card-in-use"            // Reader: another program holds it exclusively
	NoModuleForCard      Code = "no-module-for-card"     // Reader, Card; Suggest
	ModuleHidesCard      Code = "module-hides-card"      // Reader, Module, Token; Detail: not initialised or an error
	ModuleFailed         Code = "module-failed"          // Module, Detail
	NoModules            Code = "no-modules"             // no PKCS#11 module found at all
)

// Finding is one diagnosis: a code with its arguments, and the English
// text of the catalog (texts.go) for scripts and the CLI. A GUI words it
// by Code.
type Finding struct {
	Code    Code         `json:"code"`
	Reader  string       `json:"reader,omitempty"`
	Card    string       `json:"card,omitempty"` // card name (ATR list) or type
	ATR     string       `json:"atr,omitempty"`
	Module  string       `json:"module,omitempty"`
	Token   string       `json:"token,omitempty"`
	Command string       `json:"command,omitempty"` // a command that fixes it on this system
	Suggest []ModuleHint `json:"suggest,omitempty"`
	Detail  string       `json:"detail,omitempty"` // an error, as the layer gave it
	Message string       `json:"message"`
	Advice  []string     `json:"advice"`
	// MessageMsg and AdviceMsgs are Message and Advice as messages, for a
	// GUI that shows them in its language.
	MessageMsg msg.Msg   `json:"message_msg"`
	AdviceMsgs []msg.Msg `json:"advice_msgs"`
}

// ModuleHint is a PKCS#11 module that usually serves a card type.
type ModuleHint struct {
	Name    string `json:"name"`              // "OpenSC"
	Path    string `json:"path,omitempty"`    // installed here
	Package string `json:"package,omitempty"` // Debian/Ubuntu package
	Loaded  bool   `json:"loaded"`            // among the modules looked at
}

// analyze turns what each layer said into findings.
func analyze(st pcsc.Status, r *Report, inv *token.Inventory) []Finding {
	out := []Finding{}
	add := func(f Finding) { out = append(out, f.withText()) }
	switch st.Service {
	case pcsc.ServiceNoLibrary:
		add(Finding{Code: PCSCLibraryMissing, Command: installCommand("pcscd"), Detail: detail(st.Err)})
	case pcsc.ServiceUnsupported:
		add(Finding{Code: PCSCUnsupported})
	case pcsc.ServiceNotRunning:
		if serviceInstalled() {
			add(Finding{Code: ServiceNotRunning, Command: startCommand(), Detail: detail(st.Err)})
		} else {
			add(Finding{Code: ServiceNotInstalled, Command: installCommand("pcscd"), Detail: detail(st.Err)})
		}
	case pcsc.ServiceNotResponding:
		add(Finding{Code: ServiceNotResponding, Command: restartCommand(), Detail: detail(st.Err)})
	case pcsc.ServiceError:
		add(Finding{Code: ServiceError, Detail: detail(st.Err)})
	case pcsc.ServiceRunning:
		if len(r.Readers) == 0 {
			add(Finding{Code: NoReader})
		}
	}
	anyCard := false
	for _, rd := range r.Readers {
		switch {
		case rd.Unavailable:
			add(Finding{Code: ReaderUnavailable, Reader: rd.Name})
			continue
		case !rd.CardPresent:
			continue
		}
		anyCard = true
		card := cardName(rd)
		if rd.Mute {
			add(Finding{Code: CardMute, Reader: rd.Name, ATR: rd.ATR})
			continue
		}
		if rd.Exclusive {
			add(Finding{Code: CardInUse, Reader: rd.Name, Card: card})
		}
		listed := false
		for _, t := range rd.Tokens {
			listed = listed || t.Listed
		}
		if listed {
			continue
		}
		if len(rd.Tokens) > 0 {
			for _, t := range rd.Tokens {
				f := Finding{Code: ModuleHidesCard, Reader: rd.Name, Card: card, Module: t.Module, Token: t.Label}
				switch {
				case t.Error != nil:
					f.Detail = *t.Error
				case !t.Initialized:
					f.Detail = "token not initialized"
				}
				add(f)
			}
			continue
		}
		if !rd.Exclusive {
			add(Finding{Code: NoModuleForCard, Reader: rd.Name, Card: card, ATR: rd.ATR, Suggest: suggestModules(rd, inv)})
		}
	}
	if st.Service == pcsc.ServiceRunning && len(r.Readers) > 0 && !anyCard && len(inv.Tokens) == 0 {
		add(Finding{Code: NoCard})
	}
	for _, m := range inv.Modules {
		if m.Err != nil && token.KindOf(m.Err) == token.KindModule {
			add(Finding{Code: ModuleFailed, Module: m.Path, Detail: m.Err.Error()})
		}
	}
	if len(inv.Modules) == 0 {
		add(Finding{Code: NoModules, Suggest: suggestModules(Reader{}, inv)})
	}
	return out
}

func detail(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func cardName(rd Reader) string {
	if len(rd.CardNames) > 0 {
		return rd.CardNames[0]
	}
	return rd.CardType
}

// serviceInstalled reports whether pcscd is on this system (Linux and
// the BSDs; elsewhere the service is part of the OS).
func serviceInstalled() bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return true
	}
	for _, p := range []string{"/usr/sbin/pcscd", "/usr/local/sbin/pcscd", "/usr/bin/pcscd"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	_, err := exec.LookPath("pcscd")
	return err == nil
}

// systemd is true when systemd manages services here.
func systemd() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

// startCommand starts the smart-card service on this system; "" where it
// is built in (macOS starts it on demand; Windows: the Smart Card
// service, see the texts).
func startCommand() string {
	switch {
	case runtime.GOOS == "windows":
		return "sc start SCardSvr"
	case runtime.GOOS == "darwin":
		return ""
	case systemd():
		return "sudo systemctl start pcscd.socket"
	}
	return "sudo service pcscd start"
}

func restartCommand() string {
	switch {
	case runtime.GOOS == "windows":
		return "sc stop SCardSvr && sc start SCardSvr"
	case runtime.GOOS == "darwin":
		return ""
	case systemd():
		return "sudo systemctl restart pcscd.service"
	}
	return "sudo service pcscd restart"
}

// installCommand installs a Debian package where apt is, else "".
func installCommand(pkg string) string {
	if runtime.GOOS != "linux" {
		return ""
	}
	if _, err := exec.LookPath("apt-get"); err == nil {
		return "sudo apt install " + pkg
	}
	if _, err := exec.LookPath("dnf"); err == nil {
		if pkg == "pcscd" {
			pkg = "pcsc-lite"
		}
		return "sudo dnf install " + pkg
	}
	return ""
}

// knownModule is a module that usually serves some card types.
type knownModule struct {
	name    string
	pkg     string   // Debian package
	files   []string // file names or globs, per OS
	matches []string // lower-case parts of card names / types it serves
}

var knownModules = []knownModule{
	{name: "OpenSC", pkg: "opensc-pkcs11",
		files: []string{"/usr/lib/*/opensc-pkcs11.so", "/usr/lib64/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so",
			"/Library/OpenSC/lib/opensc-pkcs11.so", `C:\Windows\System32\opensc-pkcs11.dll`},
		matches: []string{"piv", "cac", "eid", "id card", "identity", "yubikey", "openpgp", "nitrokey", "esteid",
			"belpic", "beid", "dnie", "coolkey", "cardos", "starcos", "idprime", "gids", "sc-hsm", "smartcard-hsm"}},
	{name: "Yubico ykcs11", pkg: "ykcs11",
		files:   []string{"/usr/lib/*/libykcs11.so*", "/usr/local/lib/libykcs11.dylib"},
		matches: []string{"yubikey"}},
	{name: "SafeNet Authentication Client", files: []string{"/usr/lib/libeTPkcs11.so", "/usr/lib/libIDPrimePKCS11.so"},
		matches: []string{"safenet", "etoken", "idprime", "gemalto"}},
}

// suggestModules names the modules that usually serve the card in rd (all
// known ones when nothing matches), with where each is installed and
// whether it was looked at. OpenSC first: it serves most cards.
func suggestModules(rd Reader, inv *token.Inventory) []ModuleHint {
	text := strings.ToLower(strings.Join(append(append([]string{}, rd.CardNames...), rd.CardType), " "))
	loaded := map[string]bool{}
	for _, m := range inv.Modules {
		loaded[realPath(m.Path)] = true
	}
	var out []ModuleHint
	for _, k := range knownModules {
		match := false
		for _, s := range k.matches {
			match = match || strings.Contains(text, s)
		}
		if !match && k.name != "OpenSC" {
			continue
		}
		h := ModuleHint{Name: k.name, Package: k.pkg}
		for _, g := range k.files {
			if m, _ := filepath.Glob(g); len(m) > 0 {
				h.Path = m[0]
				break
			}
		}
		h.Loaded = h.Path != "" && loaded[realPath(h.Path)]
		out = append(out, h)
	}
	return out
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// CardNotShown reports whether a reader holds a card that no listed token
// shows: the case where a listing that is not empty still misses a card.
func (r *Report) CardNotShown() bool {
	for _, f := range r.Diagnosis {
		switch f.Code {
		case NoModuleForCard, ModuleHidesCard, CardInUse, CardMute:
			return true
		}
	}
	return false
}
