package token

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Source says where a module path came from, so that the UI can explain why
// a module is listed (and the user can tell their own additions apart).
type Source string

// Where module paths come from.
const (
	SourceExplicit  Source = "command line"
	SourceUser      Source = "added by you"
	SourceP11Kit    Source = "p11-kit registry"
	SourceWellKnown Source = "well-known path"
)

// Candidate is a module path found by discovery; it has not been loaded.
type Candidate struct {
	Path   string
	Source Source
}

// DiscoverOptions says where to look.
type DiscoverOptions struct {
	// Explicit modules (--module): when any are given, only they are used,
	// like pkcs11-tool --module, so that a script sees exactly what it asked for.
	Explicit []string
	// User modules added in the GUI (persisted by the caller).
	User []string
	// Roots overrides the p11-kit registry folders and well-known paths (tests).
	RegistryDirs []string
	WellKnown    []string
}

// Discover lists module candidates, without loading any: explicit paths, or
// else the user's additions, the p11-kit registry and well-known vendor
// paths for this OS. Paths that resolve to the same file are listed once.
func Discover(opt DiscoverOptions) []Candidate {
	var out []Candidate
	seen := map[string]bool{}
	add := func(p string, src Source, mustExist bool) {
		key := realPath(p)
		if seen[key] {
			return
		}
		if mustExist {
			if _, err := os.Stat(p); err != nil {
				return
			}
		}
		seen[key] = true
		out = append(out, Candidate{Path: p, Source: src})
	}
	if len(opt.Explicit) > 0 {
		for _, p := range opt.Explicit {
			add(p, SourceExplicit, false)
		}
		return out
	}
	for _, p := range opt.User {
		add(p, SourceUser, false) // shown with its load error if it vanished
	}
	dirs := opt.RegistryDirs
	if dirs == nil {
		dirs = registryDirs()
	}
	for _, p := range registryModules(dirs) {
		add(p, SourceP11Kit, true)
	}
	wk := opt.WellKnown
	if wk == nil {
		wk = wellKnownPaths()
	}
	for _, p := range wk {
		add(p, SourceWellKnown, true)
	}
	return out
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// registryDirs are p11-kit's module configuration folders (pkcs11.conf(5)):
// system, admin, then the user's.
func registryDirs() []string {
	dirs := []string{"/usr/share/p11-kit/modules", "/etc/pkcs11/modules"}
	if cfg, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(cfg, "pkcs11", "modules"))
	}
	return dirs
}

// registryModules reads *.module files. Modules marked as trust policy
// (p11-kit-trust: the system CA store as a token with ~140 CA certificates)
// are skipped: they hold no client keys and would bury the user's card;
// they can still be added explicitly.
func registryModules(dirs []string) []string {
	var out []string
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.module"))
		sort.Strings(files)
		for _, f := range files {
			if p := parseModuleFile(f); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseModuleFile returns the module path of a p11-kit .module file, or ""
// when the module is disabled for us or is a trust store.
func parseModuleFile(file string) string {
	fh, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer fh.Close()
	var module string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.HasPrefix(strings.TrimSpace(key), "#") {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case key == "module":
			module = val
		case key == "trust-policy" && val == "yes":
			return ""
		case key == "disable-in" && listHas(val, "cardcheck"):
			return ""
		case key == "enable-in" && !listHas(val, "cardcheck"):
			return ""
		}
	}
	if module == "" || filepath.IsAbs(module) {
		return module
	}
	// Relative names live in p11-kit's module directory.
	for _, d := range libDirs() {
		p := filepath.Join(d, "pkcs11", module)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func listHas(list, name string) bool {
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f == name {
			return true
		}
	}
	return false
}

// libDirs are the library folders of this system, multiarch first.
func libDirs() []string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i386", "arm": "arm"}[runtime.GOARCH]
	return []string{
		"/usr/lib/" + arch + "-linux-gnu", "/usr/lib64", "/usr/lib",
		"/usr/local/lib", "/usr/local/lib64",
	}
}

// wellKnownPaths lists where common vendors install their modules.
func wellKnownPaths() []string {
	switch runtime.GOOS {
	case "windows":
		sys := os.Getenv("SystemRoot") + `\System32\`
		pf := os.Getenv("ProgramFiles")
		return []string{
			sys + "opensc-pkcs11.dll",
			pf + `\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll`,
			pf + `\Yubico\Yubico PIV Tool\bin\libykcs11.dll`,
			sys + "eTPKCS11.dll",      // SafeNet eToken
			sys + "IDPrimePKCS11.dll", // Thales IDPrime
			sys + "beidpkcs11.dll",    // Belgian eID
			`C:\SoftHSM2\lib\softhsm2-x64.dll`,
		}
	case "darwin":
		return []string{
			"/Library/OpenSC/lib/opensc-pkcs11.so",
			"/opt/homebrew/lib/opensc-pkcs11.so",
			"/usr/local/lib/opensc-pkcs11.so",
			"/opt/homebrew/lib/libykcs11.dylib",
			"/usr/local/lib/libykcs11.dylib",
			"/usr/local/lib/libeTPkcs11.dylib",
			"/usr/local/lib/libIDPrimePKCS11.dylib",
			"/opt/homebrew/lib/softhsm/libsofthsm2.so",
			"/usr/local/lib/softhsm/libsofthsm2.so",
		}
	}
	var out []string
	names := []string{
		"opensc-pkcs11.so", "pkcs11/opensc-pkcs11.so",
		"libykcs11.so", "libykcs11.so.2",
		"libeTPkcs11.so", "libIDPrimePKCS11.so", // SafeNet / Thales
		"libbeidpkcs11.so.0", "libcackey.so", "pkcs11/libcoolkeypk11.so",
		"softhsm/libsofthsm2.so", "pkcs11/libsofthsm2.so",
	}
	for _, d := range libDirs() {
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
	}
	return out
}
