package softhsm

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

const (
	testPIN   = "4321-unit"
	testSOPIN = "8765-unit-so"
	testLabel = "softhsm-unit"
)

// scrub removes the PINs from text that ends up in test output.
func scrub(s string) string {
	return strings.NewReplacer(testPIN, "<pin>", testSOPIN, "<so-pin>").Replace(s)
}

func newTestEnv(t *testing.T) *Env {
	t.Helper()
	env, err := NewEnv(t.TempDir())
	if errors.Is(err, ErrModuleNotFound) {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func selfSigned(t *testing.T, cn string, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestFindModule(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "x86_64-linux-gnu", "softhsm", ModuleFile)
	os.MkdirAll(filepath.Dir(lib), 0o755)
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", ModuleFile)
	if got, err := findModule([]string{missing, lib}, ""); err != nil || got != lib {
		t.Errorf("findModule(list) = %q, %v; want %q", got, err, lib)
	}
	glob := filepath.Join(dir, "*-linux-gnu", "softhsm", ModuleFile)
	if got, err := findModule([]string{missing}, glob); err != nil || got != lib {
		t.Errorf("findModule(glob) = %q, %v; want %q", got, err, lib)
	}
	// A directory with the module's name is not a module.
	_, err := findModule([]string{missing, filepath.Dir(lib)}, filepath.Join(dir, "none"))
	if !errors.Is(err, ErrModuleNotFound) {
		t.Fatalf("err = %v, want ErrModuleNotFound", err)
	}
	for _, hint := range []string{"install softhsm", missing} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
	if m, err := FindModule(); err == nil && !strings.HasSuffix(m, ModuleFile) {
		t.Errorf("FindModule() = %q", m)
	}
}

func TestNewEnv(t *testing.T) {
	env := newTestEnv(t)
	conf, err := os.ReadFile(env.Conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"directories.tokendir = " + filepath.Join(env.Dir, "tokens") + "\n",
		"objectstore.backend = file\n", "log.level = ERROR\n", "slots.removable = false\n",
	} {
		if !strings.Contains(string(conf), line) {
			t.Errorf("configuration lacks %q:\n%s", line, conf)
		}
	}
	if fi, err := os.Stat(filepath.Join(env.Dir, "tokens")); err != nil || !fi.IsDir() {
		t.Errorf("token directory missing: %v", err)
	}
	if got := env.Environ(); len(got) != 1 || got[0] != "SOFTHSM2_CONF="+env.Conf {
		t.Errorf("Environ() = %q", got)
	}
	if !filepath.IsAbs(env.Dir) {
		t.Errorf("Dir %q is not absolute", env.Dir)
	}
}

func TestValidate(t *testing.T) {
	ok := TokenSpec{Label: "ok", PIN: "1234", SOPIN: "5678"}
	tests := map[string][]TokenSpec{
		"empty label": {{PIN: "1234", SOPIN: "5678"}},
		"long label":  {{Label: strings.Repeat("x", 33), PIN: "1234", SOPIN: "5678"}},
		"short PIN":   {{Label: "a", PIN: "12", SOPIN: "5678"}},
		"no SO PIN":   {{Label: "a", PIN: "1234"}},
		"duplicate":   {ok, ok},
	}
	for name, specs := range tests {
		err := validate(specs)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "1234") || strings.Contains(err.Error(), "5678") {
			t.Errorf("%s: error %q contains a PIN", name, err)
		}
	}
	if err := validate([]TokenSpec{ok, {Label: strings.Repeat("y", 32), PIN: "1234", SOPIN: "5678"}}); err != nil {
		t.Errorf("valid specs rejected: %v", err)
	}
}

func TestTemplatesRejectUnsupportedKeys(t *testing.T) {
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	for name, o := range map[string]Object{
		"nil key":     KeyObject{Label: "k"},
		"P-224":       KeyObject{Label: "k", Key: p224},
		"public P224": PublicKeyObject{Label: "k", Key: &p224.PublicKey},
		"public nil":  PublicKeyObject{Label: "k"},
	} {
		if _, err := o.Templates(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestProvision provisions a token, then checks it from outside (pkcs11-tool)
// and from inside (loading the module again in this process and signing).
func TestProvision(t *testing.T) {
	env := newTestEnv(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	aaKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	spec := TokenSpec{Label: testLabel, PIN: testPIN, SOPIN: testSOPIN, Objects: []Object{
		CertObject{ID: []byte{1}, Label: "rsa", Value: selfSigned(t, "RSA", rsaKey)},
		KeyObject{ID: []byte{1}, Label: "rsa", Key: rsaKey, WithPublic: true},
		CertObject{ID: []byte{2}, Label: "ec", Value: selfSigned(t, "EC", ecKey)},
		KeyObject{ID: []byte{2}, Label: "ec", Key: ecKey, WithPublic: true},
		KeyObject{ID: []byte{3}, Label: "always", Key: aaKey, AlwaysAuthenticate: true},
		CertObject{ID: []byte{4}, Label: "ca", Value: selfSigned(t, "CA", ecKey), Authority: true},
		CertObject{ID: []byte{5}, Label: "garbage", Value: []byte("not a certificate")},
	}}
	start := time.Now()
	if err := env.Provision([]TokenSpec{spec}); err != nil {
		t.Fatal(scrub(err.Error()))
	}
	t.Logf("provisioned in %v", time.Since(start))
	if _, had := os.LookupEnv(ConfEnvVar); had && os.Getenv(ConfEnvVar) == env.Conf {
		t.Error("Provision left SOFTHSM2_CONF set")
	}

	t.Run("pkcs11-tool", func(t *testing.T) { checkWithTool(t, env) })
	t.Run("sign", func(t *testing.T) {
		checkSigning(t, env, map[byte]crypto.PublicKey{1: &rsaKey.PublicKey, 2: &ecKey.PublicKey})
	})
	t.Run("attributes", func(t *testing.T) { checkAttributes(t, env) })
	t.Run("again", func(t *testing.T) {
		// A second Provision in the same process re-initializes the module
		// and sees the first token.
		err := env.Provision([]TokenSpec{spec})
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("duplicate label: err = %v", err)
		}
		second := TokenSpec{Label: "second", PIN: testPIN, SOPIN: testSOPIN}
		if err := env.Provision([]TokenSpec{second}); err != nil {
			t.Fatal(scrub(err.Error()))
		}
		out := pkcs11Tool(t, env, "--list-token-slots")
		if !strings.Contains(out, testLabel) || !strings.Contains(out, "second") {
			t.Errorf("tokens missing:\n%s", out)
		}
	})
}

func pkcs11Tool(t *testing.T, env *Env, args ...string) string {
	t.Helper()
	tool, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		t.Fatal("pkcs11-tool (OpenSC) not installed")
	}
	cmd := exec.Command(tool, append([]string{"--module", env.Module}, args...)...)
	cmd.Env = append(os.Environ(), env.Environ()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The arguments may hold the PIN: show only the output, scrubbed.
		t.Fatalf("pkcs11-tool %s: %v\n%s", args[0], err, scrub(string(out)))
	}
	return string(out)
}

func checkWithTool(t *testing.T, env *Env) {
	public := pkcs11Tool(t, env, "--token-label", testLabel, "--list-objects")
	for _, want := range []string{
		`Certificate Object; type = X.509 cert`, `label:      rsa`, `label:      ec`,
		`label:      garbage`, `label:      ca`, `Public Key Object; RSA 2048 bits`, `Public Key Object; EC`,
	} {
		if !strings.Contains(public, want) {
			t.Errorf("objects before login lack %q", want)
		}
	}
	if strings.Contains(public, "Private Key Object") {
		t.Error("private keys visible before login")
	}
	private := pkcs11Tool(t, env, "--token-label", testLabel, "--login", "--pin", testPIN,
		"--list-objects", "--type", "privkey")
	if n := strings.Count(private, "Private Key Object"); n != 3 {
		t.Errorf("%d private keys after login, want 3:\n%s", n, private)
	}
	if !strings.Contains(private, "Access:     always authenticate") {
		t.Errorf("always-authenticate flag not shown:\n%s", private)
	}
	if t.Failed() {
		t.Logf("objects:\n%s", public)
	}
}

// checkSigning loads the module again in this process, logs in and signs
// with each key, verifying the signature with the software public key.
func checkSigning(t *testing.T, env *Env, keys map[byte]crypto.PublicKey) {
	ctx, sess := openSession(t, env)
	if err := ctx.Login(sess, pkcs11.CKU_USER, testPIN); err != nil {
		t.Fatalf("login: %v", err)
	}
	digest := sha256.Sum256([]byte("cardcheck"))
	for id, pub := range keys {
		h := findObject(t, ctx, sess, pkcs11.CKO_PRIVATE_KEY, id)
		switch pub := pub.(type) {
		case *rsa.PublicKey:
			prefix := []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20} // SHA-256 DigestInfo
			sig := sign(t, ctx, sess, h, pkcs11.CKM_RSA_PKCS, append(prefix, digest[:]...))
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
				t.Errorf("RSA signature: %v", err)
			}
		case *ecdsa.PublicKey:
			sig := sign(t, ctx, sess, h, pkcs11.CKM_ECDSA, digest[:])
			r, s := new(big.Int).SetBytes(sig[:len(sig)/2]), new(big.Int).SetBytes(sig[len(sig)/2:])
			if !ecdsa.Verify(pub, digest[:], r, s) {
				t.Error("ECDSA signature does not verify")
			}
		}
	}
}

func openSession(t *testing.T, env *Env) (*pkcs11.Ctx, pkcs11.SessionHandle) {
	t.Helper()
	t.Setenv(ConfEnvVar, env.Conf)
	ctx := pkcs11.New(env.Module)
	if ctx == nil {
		t.Fatal("cannot load module")
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		t.Fatalf("initialize after Provision: %v", err)
	}
	t.Cleanup(func() { ctx.Finalize(); ctx.Destroy() })
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if info, err := ctx.GetTokenInfo(s); err == nil && info.Label == testLabel {
			sess, err := ctx.OpenSession(s, pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				t.Fatal(err)
			}
			return ctx, sess
		}
	}
	t.Fatalf("token %q not found", testLabel)
	return nil, 0
}

func findObject(t *testing.T, ctx *pkcs11.Ctx, sess pkcs11.SessionHandle, class uint, id byte) pkcs11.ObjectHandle {
	t.Helper()
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{id}),
	}
	if err := ctx.FindObjectsInit(sess, tmpl); err != nil {
		t.Fatal(err)
	}
	defer ctx.FindObjectsFinal(sess)
	hs, _, err := ctx.FindObjects(sess, 2)
	if err != nil || len(hs) != 1 {
		t.Fatalf("find class %d id %d: %d objects, %v", class, id, len(hs), err)
	}
	return hs[0]
}

func sign(t *testing.T, ctx *pkcs11.Ctx, sess pkcs11.SessionHandle, h pkcs11.ObjectHandle, mech uint, data []byte) []byte {
	t.Helper()
	if err := ctx.SignInit(sess, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, h); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.Sign(sess, data)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// checkAttributes reads back what the token layer relies on: certificate
// subject and category, EC point encoding, private-key flags.
func checkAttributes(t *testing.T, env *Env) {
	ctx, sess := openSession(t, env)
	get := func(h pkcs11.ObjectHandle, typ uint) []byte {
		attrs, err := ctx.GetAttributeValue(sess, h, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
		if err != nil {
			t.Fatalf("attribute %#x: %v", typ, err)
		}
		return attrs[0].Value
	}
	cert := findObject(t, ctx, sess, pkcs11.CKO_CERTIFICATE, 2)
	parsed, err := x509.ParseCertificate(get(cert, pkcs11.CKA_VALUE))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(get(cert, pkcs11.CKA_SUBJECT), parsed.RawSubject) {
		t.Error("CKA_SUBJECT differs from the certificate's subject")
	}
	ca := findObject(t, ctx, sess, pkcs11.CKO_CERTIFICATE, 4)
	if got := get(ca, pkcs11.CKA_CERTIFICATE_CATEGORY); !bytes.Equal(got,
		pkcs11.NewAttribute(0, CertificateCategoryAuthority).Value) {
		t.Errorf("CA category = %x", got)
	}
	pub := findObject(t, ctx, sess, pkcs11.CKO_PUBLIC_KEY, 2)
	var point []byte
	if rest, err := asn1.Unmarshal(get(pub, pkcs11.CKA_EC_POINT), &point); err != nil || len(rest) != 0 {
		t.Errorf("CKA_EC_POINT is not a DER OCTET STRING: %v", err)
	}
	if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point); err != nil {
		t.Errorf("EC point: %v", err)
	}
	if err := ctx.Login(sess, pkcs11.CKU_USER, testPIN); err != nil {
		t.Fatal(err)
	}
	true1 := []byte{1}
	for _, id := range []byte{1, 2, 3} {
		key := findObject(t, ctx, sess, pkcs11.CKO_PRIVATE_KEY, id)
		for _, a := range []uint{pkcs11.CKA_SIGN, pkcs11.CKA_PRIVATE, pkcs11.CKA_SENSITIVE} {
			if !bytes.Equal(get(key, a), true1) {
				t.Errorf("key %d: attribute %#x not true", id, a)
			}
		}
		if always := bytes.Equal(get(key, pkcs11.CKA_ALWAYS_AUTHENTICATE), true1); always != (id == 3) {
			t.Errorf("key %d: CKA_ALWAYS_AUTHENTICATE = %v", id, always)
		}
	}
}

// TestProvisionWhileInitialized checks the one-C_Initialize rule: with the
// module initialized elsewhere in the process, Provision refuses and leaves
// the other user's state alone.
func TestProvisionWhileInitialized(t *testing.T) {
	env := newTestEnv(t)
	t.Setenv(ConfEnvVar, env.Conf)
	ctx := pkcs11.New(env.Module)
	if ctx == nil {
		t.Fatal("cannot load module")
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer ctx.Finalize()
	err := env.Provision([]TokenSpec{{Label: "x", PIN: testPIN, SOPIN: testSOPIN}})
	if !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("err = %v, want ErrAlreadyInitialized", err)
	}
	if _, err := ctx.GetSlotList(true); err != nil {
		t.Errorf("the other user's module broke: %v", err)
	}
}

func TestProvisionBadModule(t *testing.T) {
	env := newTestEnv(t)
	env.Module = filepath.Join(t.TempDir(), "nope.so")
	err := env.Provision([]TokenSpec{{Label: "x", PIN: testPIN, SOPIN: testSOPIN}})
	if err == nil || !strings.Contains(err.Error(), "cannot load module") {
		t.Errorf("err = %v", err)
	}
}
