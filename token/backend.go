package token

import (
	"debug/elf"
	"errors"
	"os"
	"runtime"

	"github.com/miekg/pkcs11"
)

// Backend is the seam between cardcheck and a PKCS#11 library: the handful
// of Cryptoki calls the token layer uses, with the signatures of
// *pkcs11.Ctx so that the real module satisfies it directly. Tests wrap a
// real SoftHSM backend to inject faults (a wrong PIN, a locked token, a card
// pulled out mid-signature, garbage certificate bytes) without mocking the
// rest of the module.
type Backend interface {
	Initialize(opts ...pkcs11.InitializeOption) error
	Finalize() error
	GetInfo() (pkcs11.Info, error)
	GetSlotList(tokenPresent bool) ([]uint, error)
	GetSlotInfo(slotID uint) (pkcs11.SlotInfo, error)
	GetTokenInfo(slotID uint) (pkcs11.TokenInfo, error)
	GetMechanismList(slotID uint) ([]*pkcs11.Mechanism, error)
	OpenSession(slotID uint, flags uint) (pkcs11.SessionHandle, error)
	CloseSession(sh pkcs11.SessionHandle) error
	GetSessionInfo(sh pkcs11.SessionHandle) (pkcs11.SessionInfo, error)
	Login(sh pkcs11.SessionHandle, userType uint, pin string) error
	Logout(sh pkcs11.SessionHandle) error
	FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error
	FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error)
	FindObjectsFinal(sh pkcs11.SessionHandle) error
	GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error)
	SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Sign(sh pkcs11.SessionHandle, message []byte) ([]byte, error)
}

// Loader opens the PKCS#11 library at path. The default loads it with
// dlopen; tests substitute loaders that wrap or replace the result.
type Loader func(path string) (Backend, error)

// LoadLibrary is the real Loader. It checks the file first so that the
// user gets a precise reason instead of dlopen's silent failure (miekg/pkcs11
// does not report dlerror).
func LoadLibrary(path string) (Backend, error) {
	if err := CheckLibraryFile(path); err != nil {
		return nil, err
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, &Error{Kind: KindModule, Op: "load",
			Text: mModuleNotLoadable.New()}
	}
	return ctx, nil
}

// CheckLibraryFile explains the common ways a module path is wrong before we
// hand it to dlopen: missing file, a directory, not a shared library, or a
// shared library that is not a PKCS#11 module.
func CheckLibraryFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &Error{Kind: KindModule, Op: "load", Text: mModuleNoFile.New()}
	case err != nil:
		return &Error{Kind: KindModule, Op: "load", Text: mModuleUnreadable.New(), Err: err}
	case st.IsDir():
		return &Error{Kind: KindModule, Op: "load", Text: mModuleFolder.New()}
	case !st.Mode().IsRegular():
		// A FIFO or a device would block the reads below for ever.
		return &Error{Kind: KindModule, Op: "load", Text: mModuleNotRegular.New()}
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return nil // Mach-O and PE are left to the loader.
	}
	f, err := elf.Open(path)
	if err != nil {
		return &Error{Kind: KindModule, Op: "load", Text: mModuleNotLibrary.New()}
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		return &Error{Kind: KindModule, Op: "load", Text: mModuleProgram.New()}
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil // stripped oddly; let dlopen decide
	}
	for _, s := range syms {
		if s.Name == "C_GetFunctionList" && s.Section != elf.SHN_UNDEF {
			return nil
		}
	}
	return &Error{Kind: KindModule, Op: "load",
		Text: mModuleNotPkcs11.New()}
}
