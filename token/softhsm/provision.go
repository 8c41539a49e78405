package softhsm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/miekg/pkcs11"
)

// TokenSpec describes a token to create: its label, PINs and objects.
type TokenSpec struct {
	Label   string // at most 32 bytes; must not exist yet in the Env
	SOPIN   string // security officer PIN, 4..255 bytes
	PIN     string // user PIN, 4..255 bytes
	Objects []Object
}

// ErrAlreadyInitialized is returned by Provision when the SoftHSM module is
// already initialized in this process (see the package documentation).
var ErrAlreadyInitialized = errors.New("softhsm: the SoftHSM module is already initialized in this " +
	"process; provision tokens before loading the module anywhere else")

// SoftHSM's PIN length limits; checked up front for clearer errors than
// CKR_PIN_LEN_RANGE.
const (
	minPINLen   = 4
	maxPINLen   = 255
	maxLabelLen = 32 // CK_TOKEN_INFO.label is 32 bytes, blank padded
)

// provisionMu serialises Provision calls: each one sets SOFTHSM2_CONF and
// owns the module's single C_Initialize while it runs.
var provisionMu sync.Mutex

// Provision creates the tokens in e and stores their objects, in order.
// It loads e.Module with SOFTHSM2_CONF=e.Conf (restoring the variable
// afterwards), and finalizes and unloads the module before it returns, so
// the caller can load it again later in the same process. It must not run
// while this process has the module initialized elsewhere.
//
// Objects are created in one logged-in session per token, so hundreds of
// objects take well under a second. Errors never contain the PINs.
func (e *Env) Provision(tokens []TokenSpec) (err error) {
	if err := validate(tokens); err != nil {
		return err
	}
	provisionMu.Lock()
	defer provisionMu.Unlock()
	defer setEnv(ConfEnvVar, e.Conf)()

	ctx := pkcs11.New(e.Module)
	if ctx == nil {
		return fmt.Errorf("softhsm: cannot load module %s", e.Module)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		if errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			return ErrAlreadyInitialized
		}
		return fmt.Errorf("softhsm: C_Initialize: %w", err)
	}
	defer func() {
		if ferr := ctx.Finalize(); ferr != nil && err == nil {
			err = fmt.Errorf("softhsm: C_Finalize: %w", ferr)
		}
	}()
	for _, spec := range tokens {
		if err := provisionToken(ctx, spec); err != nil {
			return fmt.Errorf("softhsm: token %q: %w", spec.Label, err)
		}
	}
	return nil
}

func validate(tokens []TokenSpec) error {
	seen := map[string]bool{}
	for _, t := range tokens {
		switch {
		case t.Label == "" || len(t.Label) > maxLabelLen:
			return fmt.Errorf("softhsm: token label %q must be 1..%d bytes", t.Label, maxLabelLen)
		case seen[t.Label]:
			return fmt.Errorf("softhsm: token label %q given twice", t.Label)
		case !pinLenOK(t.PIN) || !pinLenOK(t.SOPIN):
			return fmt.Errorf("softhsm: token %q: PINs must be %d..%d bytes", t.Label, minPINLen, maxPINLen)
		}
		seen[t.Label] = true
	}
	return nil
}

func pinLenOK(pin string) bool { return len(pin) >= minPINLen && len(pin) <= maxPINLen }

// setEnv sets an environment variable and returns a function restoring
// its previous state.
func setEnv(key, value string) (restore func()) {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}

func provisionToken(ctx *pkcs11.Ctx, spec TokenSpec) error {
	slot, err := freeSlot(ctx, spec.Label)
	if err != nil {
		return err
	}
	if err := ctx.InitToken(slot, spec.SOPIN, spec.Label); err != nil {
		return fmt.Errorf("C_InitToken: %w", err)
	}
	// SoftHSM gives the token a new slot ID once it is initialized.
	if slot, err = slotByLabel(ctx, spec.Label); err != nil {
		return err
	}
	sess, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("C_OpenSession: %w", err)
	}
	defer ctx.CloseSession(sess)
	if err := initUserPIN(ctx, sess, spec); err != nil {
		return err
	}
	if err := ctx.Login(sess, pkcs11.CKU_USER, spec.PIN); err != nil {
		return fmt.Errorf("C_Login(user): %w", err)
	}
	defer ctx.Logout(sess)
	return createObjects(ctx, sess, spec.Objects)
}

// freeSlot returns the slot of an uninitialized token, after checking that
// no token with the label exists (a second one would be ambiguous).
func freeSlot(ctx *pkcs11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	free, found := uint(0), false
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo(slot %d): %w", s, err)
		}
		initialized := info.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0
		if initialized && info.Label == label {
			return 0, errors.New("a token with this label already exists")
		}
		if !initialized && !found {
			free, found = s, true
		}
	}
	if !found {
		return 0, errors.New("no uninitialized token slot")
	}
	return free, nil
}

func slotByLabel(ctx *pkcs11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err == nil && info.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 && info.Label == label {
			return s, nil
		}
	}
	return 0, errors.New("token not found after C_InitToken")
}

func initUserPIN(ctx *pkcs11.Ctx, sess pkcs11.SessionHandle, spec TokenSpec) error {
	if err := ctx.Login(sess, pkcs11.CKU_SO, spec.SOPIN); err != nil {
		return fmt.Errorf("C_Login(SO): %w", err)
	}
	if err := ctx.InitPIN(sess, spec.PIN); err != nil {
		ctx.Logout(sess)
		return fmt.Errorf("C_InitPIN: %w", err)
	}
	if err := ctx.Logout(sess); err != nil {
		return fmt.Errorf("C_Logout(SO): %w", err)
	}
	return nil
}

func createObjects(ctx *pkcs11.Ctx, sess pkcs11.SessionHandle, objects []Object) error {
	for i, o := range objects {
		templates, err := o.Templates()
		if err != nil {
			return fmt.Errorf("object %d: %w", i, err)
		}
		for _, t := range templates {
			if _, err := ctx.CreateObject(sess, t); err != nil {
				return fmt.Errorf("object %d (%s): C_CreateObject: %w", i, describe(t), err)
			}
		}
	}
	return nil
}

// describe names a template in error messages by its class and label.
func describe(t []*pkcs11.Attribute) string {
	class, label := "object", ""
	for _, a := range t {
		switch a.Type {
		case pkcs11.CKA_LABEL:
			label = string(a.Value)
		case pkcs11.CKA_CLASS:
			class = className(a.Value)
		}
	}
	return fmt.Sprintf("%s %q", class, label)
}

// className names the classes this package creates. CK_ULONG values are
// in native byte order, so compare with freshly encoded attributes.
func className(value []byte) string {
	for class, name := range map[uint]string{
		pkcs11.CKO_CERTIFICATE: "certificate",
		pkcs11.CKO_PUBLIC_KEY:  "public key",
		pkcs11.CKO_PRIVATE_KEY: "private key",
	} {
		if bytes.Equal(value, pkcs11.NewAttribute(pkcs11.CKA_CLASS, class).Value) {
			return name
		}
	}
	return "object"
}
