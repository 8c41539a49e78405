// Package softhsm makes SoftHSM2 tokens for tests and the offline demo:
// it finds the SoftHSM2 PKCS#11 module, writes a private configuration in a
// directory of its own, and provisions tokens with certificates and keys
// through PKCS#11 (github.com/miekg/pkcs11), with no softhsm2-util or
// pkcs11-tool involved.
//
// # One C_Initialize per process
//
// SoftHSM reads SOFTHSM2_CONF once, in C_Initialize, and a process can hold
// only one initialized instance of a module. Provision therefore loads and
// initializes the module itself, and finalizes and unloads it before it
// returns. Do not call Provision while the same process has SoftHSM loaded
// and initialized elsewhere (for example through the token layer): it fails
// with ErrAlreadyInitialized instead of disturbing the other user. Provision
// first, then load the module for use.
package softhsm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ModuleFile is the file name of the SoftHSM2 PKCS#11 module.
const ModuleFile = "libsofthsm2.so"

// ErrModuleNotFound is returned (wrapped) by FindModule when SoftHSM2 is
// not installed in any known place.
var ErrModuleNotFound = errors.New("SoftHSM2 PKCS#11 module (libsofthsm2.so) not found")

// knownPaths lists where distributions install the module, most common
// first.
var knownPaths = []string{
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",  // Debian, Ubuntu (amd64)
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", // Debian, Ubuntu (arm64)
	"/usr/lib/softhsm/libsofthsm2.so",                   // Arch, Alpine, older Debian
	"/usr/lib64/pkcs11/libsofthsm2.so",                  // Fedora, RHEL
	"/usr/lib64/softhsm/libsofthsm2.so",                 // openSUSE
	"/usr/local/lib/softhsm/libsofthsm2.so",             // source builds, Homebrew (Intel)
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",          // Homebrew (Apple silicon)
	"/usr/lib/pkcs11/libsofthsm2.so",
}

// multiarchGlob catches Debian multiarch directories not listed above.
const multiarchGlob = "/usr/lib/*-linux-gnu/softhsm/libsofthsm2.so"

// FindModule returns the path of the SoftHSM2 PKCS#11 module, or an error
// wrapping ErrModuleNotFound that says how to install it.
func FindModule() (string, error) {
	return findModule(knownPaths, multiarchGlob)
}

func findModule(paths []string, glob string) (string, error) {
	for _, p := range paths {
		if isFile(p) {
			return p, nil
		}
	}
	matches, _ := filepath.Glob(glob) // only ErrBadPattern, impossible here
	for _, p := range matches {
		if isFile(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w (looked in %s); %s", ErrModuleNotFound,
		strings.Join(paths, ", "), installHint())
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func installHint() string {
	if runtime.GOOS == "darwin" {
		return "install it with: brew install softhsm"
	}
	return "install it with: apt install softhsm2 (Debian, Ubuntu), " +
		"dnf install softhsm (Fedora, RHEL) or brew install softhsm (macOS)"
}
