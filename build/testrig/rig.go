// Package testrig builds the shared integration-test rig: a test PKI
// (trusted root and intermediate, an untrusted root, a CRL, server
// certificates) written as PEM files, and two SoftHSM2 tokens holding
// client certificates and keys for every case the product must handle.
//
// Build it once per test binary with Shared, before anything in the process
// loads SoftHSM (see package softhsm: one C_Initialize per process), and
// remove it at the end with Main or CleanupShared:
//
//	func TestMain(m *testing.M) { testrig.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		rig := testrig.Shared(t)
//		e := rig.Entries[testrig.RSA] // Alice's RSA certificate and key
//		...
//	}
//
// Shared sets SOFTHSM2_CONF for the whole process, so SoftHSM loaded later
// in the process sees the rig's tokens; subprocesses get it from Rig.Env.
// The rig lives on tmpfs (/dev/shm) when it can, see MkdirTemp.
//
// Revocation endpoints. New also starts an HTTP server on 127.0.0.1 (a
// random port, Rig.RevocationURL) that runs until Cleanup. It serves the
// intermediate's CRL listing the Revoked entry (IntermediateCRLPath), the
// root's empty CRL (RootCRLPath), the intermediate's certificate for AIA
// caIssuers (IntermediateCertPath) and an OCSP responder for the
// intermediate's certificates (OCSPPath: revoked for Revoked, good for the
// others, signed by the intermediate). Every client certificate issued by
// the intermediate (the entries and Bulk) names these URLs as CRL
// distribution point, OCSP responder and caIssuers, and the intermediate
// names RootCRLPath; the server certificates and the untrusted root's
// certificates name none. So revocation checks run against real
// endpoints, and never leave the machine. SetRevocationOffline makes them
// unreachable, to test the "unknown" answer.
package testrig

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/softhsm"
)

// PINs of both tokens.
const (
	PIN   = "1234-test"
	SOPIN = "5678-test-so"
)

// Token labels.
const (
	MainToken = "cardcheck-test" // one certificate per case, see the entry names
	BigToken  = "cardcheck-200"  // BigCount certificates, see Rig.Bulk
	BigCount  = 200
)

// Entry names on MainToken (keys of Rig.Entries). Unless said otherwise an
// entry is a client certificate from the trusted intermediate with its
// private and public key, all three sharing a one-byte CKA_ID.
const (
	RSA          = "rsa"          // RSA-2048, CN "Alice RSA"
	EC256        = "ec256"        // ECDSA P-256
	EC384        = "ec384"        // ECDSA P-384
	Expired      = "expired"      // NotAfter 30 days ago
	NotYet       = "notyet"       // NotBefore 30 days ahead
	NoClientAuth = "noclientauth" // EKU serverAuth only
	Unicode      = "unicode"      // CN "张三", RSA-2048, label "unicode-张三"
	Revoked      = "revoked"      // listed in CRLFile and revoked at the revocation endpoints
	Untrusted    = "untrusted"    // issued by the untrusted root
	CertOnly     = "certonly"     // certificate only, no key on the token
	KeyOnly      = "keyonly"      // private and public key, no certificate
	AlwaysAuth   = "alwaysauth"   // P-256 key with CKA_ALWAYS_AUTHENTICATE
	Garbage      = "garbage"      // CKO_CERTIFICATE whose value is not DER
	Intermediate = "intermediate" // the trusted intermediate CA's certificate, no key
)

// EntryNames lists the MainToken entries in the order they are stored.
func EntryNames() []string {
	return []string{RSA, EC256, EC384, Expired, NotYet, NoClientAuth, Unicode,
		Revoked, Untrusted, CertOnly, KeyOnly, AlwaysAuth, Garbage, Intermediate}
}

// Entry is what the rig stored on a token for one case.
type Entry struct {
	Name  string // key in Rig.Entries
	Token string // token label
	Label string // CKA_LABEL of every object of the entry
	ID    []byte // CKA_ID of every object of the entry
	// DER is the certificate object's CKA_VALUE (not DER for Garbage);
	// nil when the token holds no certificate (KeyOnly).
	DER []byte
	// Cert is DER parsed; nil for KeyOnly and Garbage.
	Cert *x509.Certificate
	// Key is a software copy of the private key on the token; nil when the
	// token holds none (CertOnly, Garbage, Intermediate).
	Key crypto.Signer
	// Chain holds the intermediates between Cert and its root (root
	// excluded); empty for certificates issued by a root.
	Chain []*x509.Certificate
}

// Rig is a built test rig. All paths are absolute and live under Dir.
type Rig struct {
	Dir    string // everything below is in here
	Module string // libsofthsm2.so
	Conf   string // softhsm2.conf, the value of SOFTHSM2_CONF
	PIN    string // user PIN of both tokens (= PIN)
	SOPIN  string // SO PIN of both tokens (= SOPIN)
	// Env holds the variables subprocesses need to see the tokens; append
	// it to os.Environ() (Command does).
	Env []string

	Root         *pki.CA // trusted root, RSA-2048
	Intermediate *pki.CA // trusted intermediate, ECDSA P-256, issues the clients
	Untrusted    *pki.CA // a root nobody trusts, ECDSA P-256

	Server          *pki.Leaf // localhost, 127.0.0.1, ::1 from Intermediate
	UntrustedServer *pki.Leaf // same names from Untrusted

	CAFile                  string // Root
	IntermediateFile        string // Intermediate
	ChainFile               string // Root + Intermediate
	UntrustedCAFile         string // Untrusted
	CRLFile                 string // Intermediate's CRL listing the Revoked entry
	CRLAllFile              string // Intermediate's CRL + Root's (empty) CRL, for -crl_check_all
	ServerCertFile          string // Server + Intermediate
	ServerKeyFile           string // Server's key, PKCS#8
	UntrustedServerCertFile string // UntrustedServer
	UntrustedServerKeyFile  string // UntrustedServer's key, PKCS#8

	// RevocationURL is the base URL of the revocation endpoints
	// ("http://127.0.0.1:PORT", no trailing slash); see the package doc
	// and the *Path constants.
	RevocationURL string
	revocation    *revocationServer

	// Entries maps the entry names to what MainToken holds.
	Entries map[string]*Entry
	// Bulk lists BigToken's certificates "Bulk 001".."Bulk 200" (labels
	// "bulk-001".., two-byte IDs 0x0001..). Only Bulk[0] has a key on the
	// token; the others share one key that is not on the token.
	Bulk []*Entry

	BuildTime time.Duration // how long New took
}

// New builds a rig in dir, which is created if needed and must not hold
// an earlier rig, and starts its revocation endpoints (stop them with
// Cleanup). It does not change the process environment (Provision
// sets SOFTHSM2_CONF only while it runs) and must not run while this
// process has SoftHSM initialized.
func New(dir string) (*Rig, error) {
	start := time.Now()
	env, err := softhsm.NewEnv(dir)
	if err != nil {
		return nil, fmt.Errorf("testrig: %w", err)
	}
	r := &Rig{
		Dir: env.Dir, Module: env.Module, Conf: env.Conf,
		PIN: PIN, SOPIN: SOPIN, Env: env.Environ(),
	}
	if err := r.build(env); err != nil {
		if r.revocation != nil {
			r.revocation.close()
		}
		return nil, fmt.Errorf("testrig: %w", err)
	}
	r.BuildTime = time.Since(start)
	return r, nil
}

// build makes everything after the environment. The revocation server
// listens first, because the leaves carry its URL; it serves once the CRLs
// exist.
func (r *Rig) build(env *softhsm.Env) error {
	var err error
	if r.revocation, err = listenRevocation(); err != nil {
		return err
	}
	r.RevocationURL = r.revocation.url
	if err := r.buildPKI(); err != nil {
		return err
	}
	interCRL, rootCRL, err := r.crls()
	if err != nil {
		return err
	}
	if err := r.writeFiles(interCRL, rootCRL); err != nil {
		return err
	}
	if err := r.revocation.serve(r.Intermediate, interCRL, rootCRL); err != nil {
		return err
	}
	return env.Provision(r.tokenSpecs())
}

// Cleanup stops the revocation endpoints and removes the rig's directory.
func (r *Rig) Cleanup() error {
	if r.revocation != nil {
		r.revocation.close()
	}
	return os.RemoveAll(r.Dir)
}

// Command returns a command that sees the rig's tokens.
func (r *Rig) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), r.Env...)
	return cmd
}

var shared struct {
	once sync.Once
	mu   sync.Mutex // guards rig against CleanupShared
	rig  *Rig
	err  error
}

// Shared returns the process-wide rig, building it on first use in a new
// directory made by MkdirTemp and setting SOFTHSM2_CONF for the process.
// The directory stays until CleanupShared (or Main) removes it; a test
// binary that is killed or panics leaves it behind (about 1 MB). A build failure
// fails every test that asks for the rig.
func Shared(t testing.TB) *Rig {
	t.Helper()
	shared.once.Do(func() {
		r, err := buildShared()
		shared.mu.Lock()
		shared.rig, shared.err = r, err
		shared.mu.Unlock()
		if err == nil {
			t.Logf("test rig built in %v in %s", r.BuildTime.Round(time.Millisecond), r.Dir)
		}
	})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("test rig: %v", shared.err)
	}
	if shared.rig == nil {
		t.Fatal("test rig: already cleaned up")
	}
	return shared.rig
}

func buildShared() (*Rig, error) {
	dir, err := MkdirTemp()
	if err != nil {
		return nil, err
	}
	r, err := New(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	os.Setenv(softhsm.ConfEnvVar, r.Conf)
	return r, nil
}

// DirEnvVar names an environment variable that overrides where MkdirTemp
// makes rig directories.
const DirEnvVar = "CARDCHECK_RIG_TMPDIR"

// tmpfsDir is preferred for rigs: SoftHSM's file backend rewrites an
// object's file once per attribute (about 25 times per object), and on
// ext4 the 250 objects of the rig cost 1-6 s of truncates and flushes,
// against about 0.15 s on tmpfs.
const tmpfsDir = "/dev/shm"

// MkdirTemp makes a fresh directory for a rig: under $CARDCHECK_RIG_TMPDIR
// when set, else under /dev/shm when it is usable (Linux), else under the
// default temporary directory ($TMPDIR).
func MkdirTemp() (string, error) {
	const pattern = "cardcheck-rig-"
	if base := os.Getenv(DirEnvVar); base != "" {
		return os.MkdirTemp(base, pattern)
	}
	if runtime.GOOS == "linux" {
		if dir, err := os.MkdirTemp(tmpfsDir, pattern); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp("", pattern)
}

// CleanupShared removes the shared rig's directory if it was built. Call
// it after m.Run in TestMain, or use Main.
func CleanupShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.rig != nil {
		shared.rig.Cleanup()
		shared.rig = nil
	}
}

// Main is a TestMain that runs the tests and then removes the shared rig:
//
//	func TestMain(m *testing.M) { testrig.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	CleanupShared()
	os.Exit(code)
}

// Cert returns the certificate of MainToken's entry name (EC256, RSA, …)
// in a scan, failing the test when the scan does not list it.
func Cert(t testing.TB, inv *token.Inventory, name string) *token.Certificate {
	t.Helper()
	for _, tok := range inv.Tokens {
		for _, c := range tok.Certificates {
			if tok.Label == MainToken && c.Label == name {
				return c
			}
		}
	}
	t.Fatalf("no certificate %q on %s", name, MainToken)
	return nil
}
