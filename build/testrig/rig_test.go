package testrig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/token/softhsm"
)

func TestMain(m *testing.M) { Main(m) }

// mustShared fails with a clear message when SoftHSM2 is missing: make
// test installs it, so a missing module is a broken setup, not a reason to skip.
func mustShared(t *testing.T) *Rig {
	t.Helper()
	if _, err := softhsm.FindModule(); errors.Is(err, softhsm.ErrModuleNotFound) {
		t.Fatal(err)
	}
	return Shared(t)
}

func TestShared(t *testing.T) {
	r := mustShared(t)
	if Shared(t) != r {
		t.Error("Shared built a second rig")
	}
	if got := os.Getenv(softhsm.ConfEnvVar); got != r.Conf {
		t.Errorf("SOFTHSM2_CONF = %q, want %q", got, r.Conf)
	}
	if r.PIN != PIN || r.SOPIN != SOPIN || len(r.Env) != 1 || r.Env[0] != "SOFTHSM2_CONF="+r.Conf {
		t.Error("PINs or Env not filled in")
	}
	t.Logf("build time %v (BenchmarkNew measures it)", r.BuildTime)
}

func TestFiles(t *testing.T) {
	r := mustShared(t)
	certFiles := map[string][]*x509.Certificate{
		r.CAFile:                  {r.Root.Cert},
		r.IntermediateFile:        {r.Intermediate.Cert},
		r.ChainFile:               {r.Root.Cert, r.Intermediate.Cert},
		r.UntrustedCAFile:         {r.Untrusted.Cert},
		r.ServerCertFile:          {r.Server.Cert, r.Intermediate.Cert},
		r.UntrustedServerCertFile: {r.UntrustedServer.Cert},
	}
	for path, want := range certFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pki.ParseCertsPEM(data)
		if err != nil || !slices.EqualFunc(got, want, (*x509.Certificate).Equal) {
			t.Errorf("%s: wrong certificates (%v)", path, err)
		}
	}
	for path, want := range map[string]*pki.Leaf{r.ServerKeyFile: r.Server, r.UntrustedServerKeyFile: r.UntrustedServer} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		key, err := pki.ParseKeyPEM(data)
		if err != nil || !want.Cert.PublicKey.(*ecdsa.PublicKey).Equal(key.Public()) {
			t.Errorf("%s: key does not match its certificate (%v)", path, err)
		}
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := r.Server.Cert.VerifyHostname(host); err != nil {
			t.Errorf("server certificate: %v", err)
		}
	}
	checkCRL(t, r)
}

func checkCRL(t *testing.T, r *Rig) {
	data, err := os.ReadFile(r.CRLAllFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("BEGIN X509 CRL")); n != 2 {
		t.Errorf("%s has %d CRLs, want 2", r.CRLAllFile, n)
	}
	data, err = os.ReadFile(r.CRLFile)
	if err != nil {
		t.Fatal(err)
	}
	crl := parseCRL(t, data)
	if err := crl.CheckSignatureFrom(r.Intermediate.Cert); err != nil {
		t.Error(err)
	}
	revoked := r.Entries[Revoked].Cert.SerialNumber
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(revoked) != 0 {
		t.Errorf("CRL does not list exactly the revoked entry")
	}
}

func parseCRL(t *testing.T, pemData []byte) *x509.RevocationList {
	t.Helper()
	block, _ := pem.Decode(pemData)
	if block == nil || block.Type != "X509 CRL" {
		t.Fatal("no CRL in PEM data")
	}
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestEntries(t *testing.T) {
	r := mustShared(t)
	if len(r.Entries) != len(EntryNames()) {
		t.Errorf("%d entries, want %d", len(r.Entries), len(EntryNames()))
	}
	ids := map[string]string{}
	for _, n := range EntryNames() {
		e := r.Entries[n]
		if e == nil || e.Name != n || e.Token != MainToken || len(e.ID) != 1 {
			t.Fatalf("entry %s malformed: %+v", n, e)
		}
		if other, dup := ids[string(e.ID)]; dup {
			t.Errorf("%s and %s share ID %x", n, other, e.ID)
		}
		ids[string(e.ID)] = n
		if e.Cert != nil && e.Key != nil && !e.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(e.Cert.PublicKey) {
			t.Errorf("%s: key does not match certificate", n)
		}
		if e.Cert != nil && !bytes.Equal(e.DER, e.Cert.Raw) {
			t.Errorf("%s: DER is not the certificate", n)
		}
		checkURLs(t, r, e)
	}
	checkEntryCases(t, r)
	checkVerification(t, r)
}

// checkURLs: client certificates of the intermediate point at the rig's
// endpoints, the intermediate at the root's CRL, the rest nowhere.
func checkURLs(t *testing.T, r *Rig, e *Entry) {
	t.Helper()
	if e.Cert == nil {
		return
	}
	c := e.Cert
	var crl, ocspURL, aia []string
	switch {
	case e.Name == Intermediate:
		crl = []string{r.RevocationURL + RootCRLPath}
	case e.Name != Untrusted:
		crl = []string{r.RevocationURL + IntermediateCRLPath}
		ocspURL = []string{r.RevocationURL + OCSPPath}
		aia = []string{r.RevocationURL + IntermediateCertPath}
	}
	if !slices.Equal(c.CRLDistributionPoints, crl) || !slices.Equal(c.OCSPServer, ocspURL) ||
		!slices.Equal(c.IssuingCertificateURL, aia) {
		t.Errorf("%s: URLs CRL %v OCSP %v AIA %v, want %v %v %v", e.Name,
			c.CRLDistributionPoints, c.OCSPServer, c.IssuingCertificateURL, crl, ocspURL, aia)
	}
}

func checkEntryCases(t *testing.T, r *Rig) {
	e := r.Entries
	if c := e[RSA].Cert; c.Subject.CommonName != "Alice RSA" || c.PublicKey.(*rsa.PublicKey).N.BitLen() != 2048 {
		t.Error("rsa: not Alice's RSA-2048 certificate")
	}
	for name, curve := range map[string]elliptic.Curve{EC256: elliptic.P256(), EC384: elliptic.P384(), AlwaysAuth: elliptic.P256()} {
		if pub, ok := e[name].Cert.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != curve {
			t.Errorf("%s: wrong key type", name)
		}
	}
	if now := time.Now(); !e[Expired].Cert.NotAfter.Before(now) || !e[NotYet].Cert.NotBefore.After(now) {
		t.Error("expired / notyet validity wrong")
	}
	if eku := e[NoClientAuth].Cert.ExtKeyUsage; len(eku) != 1 || eku[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("noclientauth EKU = %v", eku)
	}
	if e[Unicode].Cert.Subject.CommonName != "张三" {
		t.Errorf("unicode CN = %q", e[Unicode].Cert.Subject.CommonName)
	}
	if e[CertOnly].Key != nil || e[CertOnly].Cert == nil {
		t.Error("certonly must have a certificate and no key")
	}
	if e[KeyOnly].Cert != nil || e[KeyOnly].DER != nil || e[KeyOnly].Key == nil {
		t.Error("keyonly must have a key and no certificate")
	}
	if _, err := x509.ParseCertificate(e[Garbage].DER); err == nil || e[Garbage].Label != "garbage" || e[Garbage].Key != nil {
		t.Error("garbage must be an unparseable certificate value labelled garbage")
	}
	if ic := e[Intermediate]; !ic.Cert.Equal(r.Intermediate.Cert) || ic.Key != nil {
		t.Error("intermediate entry is not the intermediate CA without key")
	}
}

func checkVerification(t *testing.T, r *Rig) {
	verify := func(name string, roots *x509.CertPool) error {
		e := r.Entries[name]
		inter := x509.NewCertPool()
		for _, c := range e.Chain {
			inter.AddCert(c)
		}
		_, err := e.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err
	}
	trusted := r.Root.RootPool()
	for _, n := range []string{RSA, EC256, EC384, Unicode, Revoked, CertOnly, AlwaysAuth} {
		if err := verify(n, trusted); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range []string{Expired, NotYet, NoClientAuth, Untrusted} {
		if err := verify(n, trusted); err == nil {
			t.Errorf("%s verified against the trusted root", n)
		}
	}
	if err := verify(Untrusted, r.Untrusted.RootPool()); err != nil {
		t.Errorf("untrusted does not verify against its own root: %v", err)
	}
}

func TestBulk(t *testing.T) {
	r := mustShared(t)
	if len(r.Bulk) != BigCount {
		t.Fatalf("%d bulk entries", len(r.Bulk))
	}
	ids := map[string]bool{}
	for i, e := range r.Bulk {
		if ids[string(e.ID)] {
			t.Errorf("bulk ID %x repeated", e.ID)
		}
		ids[string(e.ID)] = true
		if (e.Key != nil) != (i == 0) || e.Token != BigToken {
			t.Errorf("%s: key=%v token=%q", e.Name, e.Key != nil, e.Token)
		}
	}
	if r.Bulk[0].Cert.Subject.CommonName != "Bulk 001" || r.Bulk[199].Cert.Subject.CommonName != "Bulk 200" {
		t.Error("bulk common names wrong")
	}
	if r.Bulk[1].Cert.PublicKey.(*ecdsa.PublicKey).Equal(r.Bulk[0].Key.Public()) {
		t.Error("Bulk 002 shares the key that is on the token")
	}
	checkURLs(t, r, r.Bulk[BigCount-1])
	for _, l := range []*pki.Leaf{r.Server, r.UntrustedServer} {
		if n := len(l.Cert.CRLDistributionPoints) + len(l.Cert.OCSPServer) + len(l.Cert.IssuingCertificateURL); n > 0 {
			t.Errorf("server certificate %s carries %d URLs", l.Cert.Subject.CommonName, n)
		}
	}
}

// tool runs pkcs11-tool against the rig; the PIN never reaches the output.
func tool(t *testing.T, r *Rig, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		t.Fatal("pkcs11-tool (OpenSC) not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := r.Command(ctx, path, append([]string{"--module", r.Module}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool: %v\n%s", err, strings.ReplaceAll(string(out), r.PIN, "<pin>"))
	}
	return string(out)
}

func TestTokensWithTool(t *testing.T) {
	r := mustShared(t)
	big := tool(t, r, "--token-label", BigToken, "--list-objects", "--type", "cert")
	if n := strings.Count(big, "Certificate Object"); n != BigCount {
		t.Errorf("%s lists %d certificates, want %d", BigToken, n, BigCount)
	}
	main := tool(t, r, "--token-label", MainToken, "--list-objects")
	labels := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s*label:\s+(.*)$`).FindAllStringSubmatch(main, -1) {
		labels[strings.TrimSpace(m[1])]++
	}
	for _, n := range EntryNames() {
		e := r.Entries[n]
		want := 0
		if e.DER != nil {
			want++ // certificate
		}
		if e.Key != nil {
			want++ // public key; the private key is hidden before login
		}
		if labels[e.Label] != want {
			t.Errorf("label %q: %d public objects, want %d", e.Label, labels[e.Label], want)
		}
	}
	private := tool(t, r, "--token-label", MainToken, "--login", "--pin", r.PIN,
		"--list-objects", "--type", "privkey")
	if n := strings.Count(private, "Private Key Object"); n != 11 {
		t.Errorf("%d private keys after login, want 11", n)
	}
	if !strings.Contains(private, "label:      "+KeyOnly) {
		t.Error("key-only private key missing after login")
	}
}

// TestOpenSSLVerify checks the PEM files the way the OpenSSL-based test
// servers will use them.
func TestOpenSSLVerify(t *testing.T) {
	r := mustShared(t)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl not installed")
	}
	dir := t.TempDir()
	run := func(name, purpose string, c *x509.Certificate) (string, error) {
		file := dir + "/" + name + ".pem"
		if err := pki.WriteCerts(file, c); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "verify", "-CAfile", r.CAFile, "-untrusted", r.IntermediateFile,
			"-crl_check_all", "-CRLfile", r.CRLAllFile, "-purpose", purpose, file).CombinedOutput()
		return string(out), err
	}
	for _, n := range []string{RSA, EC384, Unicode} {
		if out, err := run(n, "sslclient", r.Entries[n].Cert); err != nil {
			t.Errorf("%s: %v\n%s", n, err, out)
		}
	}
	if out, err := run("server", "sslserver", r.Server.Cert); err != nil {
		t.Errorf("server: %v\n%s", err, out)
	}
	if out, err := run(Revoked, "sslclient", r.Entries[Revoked].Cert); err == nil || !strings.Contains(out, "revoked") {
		t.Errorf("revoked entry passed openssl verify:\n%s", out)
	}
}

// BenchmarkNew measures a full rig build (PKI, files, both tokens), in the
// directory Shared would use and in $TMPDIR.
func BenchmarkNew(b *testing.B) {
	if _, err := softhsm.FindModule(); err != nil {
		b.Skip(err)
	}
	bases := map[string]func() (string, error){
		"shared": MkdirTemp,
		"tmpdir": func() (string, error) { return os.MkdirTemp("", "cardcheck-rig-bench-") },
	}
	for name, mkdir := range bases {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				dir, err := mkdir()
				if err != nil {
					b.Fatal(err)
				}
				r, err := New(dir)
				if err != nil {
					os.RemoveAll(dir)
					b.Fatal(err)
				}
				r.Cleanup()
				b.ReportMetric(float64(r.BuildTime.Milliseconds()), "build-ms")
			}
		})
	}
}
