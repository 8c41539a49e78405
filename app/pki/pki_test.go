package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hierarchy is built once: key generation dominates the test time.
var (
	hierOnce           sync.Once
	root, inter, other *CA
	hierErr            error
)

func testHierarchy(t *testing.T) (*CA, *CA, *CA) {
	t.Helper()
	hierOnce.Do(func() {
		if root, hierErr = NewRoot("Test Root", RSA2048); hierErr != nil {
			return
		}
		if inter, hierErr = root.NewIntermediate("Test Intermediate", ECDSAP256); hierErr != nil {
			return
		}
		other, hierErr = NewRoot("Other Root", ECDSAP384)
	})
	if hierErr != nil {
		t.Fatal(hierErr)
	}
	return root, inter, other
}

func TestGenerateKey(t *testing.T) {
	tests := []struct {
		kt   KeyType
		bits int
	}{
		{"", 256}, {RSA2048, 2048}, {RSA3072, 3072},
		{ECDSAP256, 256}, {ECDSAP384, 384}, {ECDSAP521, 521},
	}
	for _, tt := range tests {
		t.Run(string(tt.kt), func(t *testing.T) {
			k, err := GenerateKey(tt.kt)
			if err != nil {
				t.Fatal(err)
			}
			var bits int
			switch pub := k.Public().(type) {
			case *rsa.PublicKey:
				bits = pub.N.BitLen()
			case *ecdsa.PublicKey:
				bits = pub.Curve.Params().BitSize
			}
			if bits != tt.bits {
				t.Errorf("key size %d, want %d", bits, tt.bits)
			}
		})
	}
	if _, err := GenerateKey("DSA-1024"); err == nil {
		t.Error("unsupported key type accepted")
	}
}

func TestCAs(t *testing.T) {
	root, inter, _ := testHierarchy(t)
	if !root.Cert.IsCA || !inter.Cert.IsCA {
		t.Fatal("CA certificates must have IsCA")
	}
	if root.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 || inter.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA key usage %v / %v lacks certSign or cRLSign", root.Cert.KeyUsage, inter.Cert.KeyUsage)
	}
	if err := inter.Cert.CheckSignatureFrom(root.Cert); err != nil {
		t.Errorf("intermediate not signed by root: %v", err)
	}
	if !bytes.Equal(inter.Cert.AuthorityKeyId, root.Cert.SubjectKeyId) || len(root.Cert.SubjectKeyId) == 0 {
		t.Error("intermediate AKID does not match root SKID")
	}
	if inter.Root() != root || root.Root() != root {
		t.Error("Root() does not walk to the root")
	}
	if len(root.Chain()) != 0 {
		t.Errorf("root chain has %d certificates, want 0", len(root.Chain()))
	}
	if ch := inter.Chain(); len(ch) != 1 || ch[0] != inter.Cert {
		t.Errorf("intermediate chain = %v, want [intermediate]", ch)
	}
	sub, err := inter.NewIntermediate("Sub CA", ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if ch := sub.Chain(); len(ch) != 2 || ch[0] != sub.Cert || ch[1] != inter.Cert {
		t.Error("sub CA chain is not [sub, intermediate]")
	}
}

func TestCAOptions(t *testing.T) {
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	nb := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	na := nb.Add(48 * time.Hour)
	ca, err := NewRoot("ignored", "", WithKey(key), WithValidity(nb, na),
		WithSubject(pkix.Name{Organization: []string{"Org"}}),
		WithCRLDistributionPoints("http://crl.example/ca.crl"),
		WithOCSPServer("http://ocsp.example"),
		WithIssuingCertificateURL("http://aia.example/ca.cer"))
	if err != nil {
		t.Fatal(err)
	}
	c := ca.Cert
	if ca.Key != key || !c.NotBefore.Equal(nb) || !c.NotAfter.Equal(na) {
		t.Error("key or validity option ignored")
	}
	if c.Subject.CommonName != "ignored" || c.Subject.Organization[0] != "Org" {
		t.Errorf("subject = %v", c.Subject)
	}
	if len(c.CRLDistributionPoints) != 1 || len(c.OCSPServer) != 1 || len(c.IssuingCertificateURL) != 1 {
		t.Error("URL options ignored")
	}
	if _, err := NewRoot("bad", "", WithValidity(na, nb)); err == nil {
		t.Error("inverted validity accepted")
	}
	if _, err := NewRoot("", ECDSAP256); err == nil {
		t.Error("CA without a name accepted")
	}
}

func TestIssue(t *testing.T) {
	root, inter, other := testHierarchy(t)
	now := time.Now()
	tests := []struct {
		name    string
		ca      *CA
		spec    LeafSpec
		usage   x509.ExtKeyUsage
		wantErr func(error) bool // nil = must verify
	}{
		{name: "rsa", ca: inter, spec: LeafSpec{CommonName: "Alice RSA", KeyType: RSA2048}},
		{name: "ec256", ca: inter, spec: LeafSpec{CommonName: "Bob", KeyType: ECDSAP256}},
		{name: "ec384", ca: inter, spec: LeafSpec{CommonName: "Carol", KeyType: ECDSAP384}},
		{name: "ec521", ca: inter, spec: LeafSpec{CommonName: "Dave", KeyType: ECDSAP521}},
		{name: "from-root", ca: root, spec: LeafSpec{CommonName: "Direct"}},
		{name: "server", ca: inter, usage: x509.ExtKeyUsageServerAuth, spec: LeafSpec{
			CommonName: "localhost", DNSNames: []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}},
		{name: "no-eku", ca: inter, spec: LeafSpec{CommonName: "Any", NoEKU: true}},
		{name: "expired", ca: inter, spec: LeafSpec{CommonName: "Old", NotAfter: now.Add(-24 * time.Hour)},
			wantErr: isInvalid(x509.Expired)},
		{name: "not-yet", ca: inter, spec: LeafSpec{CommonName: "Young", NotBefore: now.Add(24 * time.Hour)},
			wantErr: isInvalid(x509.Expired)},
		{name: "server-only", ca: inter, spec: LeafSpec{CommonName: "Srv",
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
			wantErr: isInvalid(x509.IncompatibleUsage)},
		{name: "untrusted", ca: other, spec: LeafSpec{CommonName: "Mallory"},
			wantErr: func(err error) bool { return errors.As(err, new(x509.UnknownAuthorityError)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf, err := tt.ca.Issue(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			checkLeaf(t, leaf, tt.spec)
			usage := tt.usage
			if usage == 0 {
				usage = x509.ExtKeyUsageClientAuth
			}
			err = verify(leaf, root, usage)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("verify: %v", err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Errorf("verify error = %v, not the expected kind", err)
			}
		})
	}
}

func isInvalid(reason x509.InvalidReason) func(error) bool {
	return func(err error) bool {
		var ie x509.CertificateInvalidError
		return errors.As(err, &ie) && ie.Reason == reason
	}
}

func verify(leaf *Leaf, root *CA, usage x509.ExtKeyUsage) error {
	inters := x509.NewCertPool()
	for _, c := range leaf.Chain {
		inters.AddCert(c)
	}
	_, err := leaf.Cert.Verify(x509.VerifyOptions{
		Roots: root.RootPool(), Intermediates: inters,
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func checkLeaf(t *testing.T, leaf *Leaf, spec LeafSpec) {
	t.Helper()
	c := leaf.Cert
	if c.IsCA {
		t.Error("leaf is a CA")
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %v is not a positive 128-bit number", c.SerialNumber)
	}
	if !c.NotAfter.After(c.NotBefore) {
		t.Error("NotAfter not after NotBefore")
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		t.Error("no digitalSignature")
	}
	_, rsaKey := leaf.Key.Public().(*rsa.PublicKey)
	if rsaKey != (c.KeyUsage&x509.KeyUsageKeyEncipherment != 0) {
		t.Errorf("keyEncipherment = %v for RSA = %v", !rsaKey, rsaKey)
	}
	switch {
	case spec.NoEKU && len(c.ExtKeyUsage) != 0:
		t.Errorf("NoEKU leaf has EKU %v", c.ExtKeyUsage)
	case !spec.NoEKU && len(spec.ExtKeyUsage) == 0 &&
		(len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth):
		t.Errorf("default EKU = %v, want [clientAuth]", c.ExtKeyUsage)
	}
	if len(c.CRLDistributionPoints)+len(c.OCSPServer)+len(c.IssuingCertificateURL) != 0 {
		t.Error("leaf carries URLs nobody asked for")
	}
}

func TestIssueDefaultsAndErrors(t *testing.T) {
	_, inter, _ := testHierarchy(t)
	leaf, err := inter.Issue(LeafSpec{CommonName: "Defaults"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if d := now.Sub(leaf.Cert.NotBefore); d < 50*time.Minute || d > 70*time.Minute {
		t.Errorf("NotBefore %v is not about an hour ago", leaf.Cert.NotBefore)
	}
	if d := leaf.Cert.NotAfter.Sub(now); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("NotAfter %v is not about a year ahead", leaf.Cert.NotAfter)
	}
	if _, ok := leaf.Key.Public().(*ecdsa.PublicKey); !ok {
		t.Errorf("default key is %T, want ECDSA", leaf.Key.Public())
	}
	key, _ := GenerateKey(ECDSAP256)
	own, err := inter.Issue(LeafSpec{CommonName: "Own key", Key: key, KeyType: RSA2048,
		CRLDistributionPoints: []string{"http://crl.example/i.crl"}, OCSPServer: []string{"http://ocsp.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if own.Key != key || own.Cert.PublicKey.(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Error("given key not used")
	}
	if len(own.Cert.CRLDistributionPoints) != 1 || len(own.Cert.OCSPServer) != 1 {
		t.Error("URLs not carried")
	}
	if _, err := inter.Issue(LeafSpec{}); err == nil {
		t.Error("leaf without subject accepted")
	}
	if _, err := inter.Issue(LeafSpec{CommonName: "x", NotBefore: now, NotAfter: now.Add(-time.Hour)}); err == nil {
		t.Error("inverted validity accepted")
	}
	if _, err := (&CA{}).Issue(LeafSpec{CommonName: "x"}); err == nil {
		t.Error("incomplete CA issued")
	}
}

func TestSerialsDiffer(t *testing.T) {
	_, inter, _ := testHierarchy(t)
	key, _ := GenerateKey(ECDSAP256)
	seen := map[string]bool{}
	for range 50 {
		leaf, err := inter.Issue(LeafSpec{CommonName: "same", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		s := leaf.Cert.SerialNumber.String()
		if seen[s] {
			t.Fatalf("serial %s repeated", s)
		}
		seen[s] = true
	}
}

func TestUnicodeSubject(t *testing.T) {
	_, inter, _ := testHierarchy(t)
	leaf, err := inter.Issue(LeafSpec{CommonName: "张三", Subject: pkix.Name{
		Organization: []string{"Ünïcödé GmbH"}, Country: []string{"CN"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCertsPEM(CertPEM(leaf.Cert))
	if err != nil {
		t.Fatal(err)
	}
	got := certs[0].Subject
	if got.CommonName != "张三" || got.Organization[0] != "Ünïcödé GmbH" {
		t.Errorf("subject round trip = %q", got.String())
	}
	if !strings.Contains(got.String(), "CN=张三") {
		t.Errorf("subject string %q lacks CN=张三", got.String())
	}
}

func TestCRL(t *testing.T) {
	root, inter, _ := testHierarchy(t)
	var revoked []*x509.Certificate
	for _, cn := range []string{"r1", "r2"} {
		l, err := inter.Issue(LeafSpec{CommonName: cn})
		if err != nil {
			t.Fatal(err)
		}
		revoked = append(revoked, l.Cert)
	}
	der, err := inter.CRL(revoked, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(inter.Cert); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != len(revoked) {
		t.Fatalf("CRL lists %d entries, want %d", len(crl.RevokedCertificateEntries), len(revoked))
	}
	for i, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(revoked[i].SerialNumber) != 0 {
			t.Errorf("entry %d serial %v, want %v", i, e.SerialNumber, revoked[i].SerialNumber)
		}
	}
	if !crl.NextUpdate.After(time.Now()) || crl.ThisUpdate.After(time.Now()) {
		t.Errorf("CRL window %v..%v does not cover now", crl.ThisUpdate, crl.NextUpdate)
	}
	empty, err := root.CRL(nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := x509.ParseRevocationList(empty); err != nil || len(c.RevokedCertificateEntries) != 0 {
		t.Errorf("empty CRL: %v, %d entries", err, len(c.RevokedCertificateEntries))
	}
	if _, err := root.CRL(revoked, time.Time{}, time.Time{}); err == nil {
		t.Error("root CRL revoking the intermediate's certificates accepted")
	}
	if blocks := strings.Count(string(CRLPEM(der, empty)), "BEGIN X509 CRL"); blocks != 2 {
		t.Errorf("CRLPEM wrote %d blocks, want 2", blocks)
	}
}

func TestKeyPEM(t *testing.T) {
	for _, kt := range []KeyType{RSA2048, ECDSAP384} {
		key, err := GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		data, err := KeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----")) {
			t.Errorf("%s: not PKCS#8 PEM", kt)
		}
		back, err := ParseKeyPEM(data)
		if err != nil {
			t.Fatal(err)
		}
		type equaler interface {
			Equal(x crypto.PrivateKey) bool
		}
		if !back.(equaler).Equal(key) {
			t.Errorf("%s: key changed in the round trip", kt)
		}
	}
	if _, err := ParseKeyPEM([]byte("nothing")); err == nil {
		t.Error("ParseKeyPEM accepted garbage")
	}
	if _, err := ParseCertsPEM(nil); err == nil {
		t.Error("ParseCertsPEM accepted no data")
	}
}

// TestTLSHandshake checks that the certificates work for a real mutual TLS
// handshake in both TLS versions, not only in x509.Verify.
func TestTLSHandshake(t *testing.T) {
	root, inter, _ := testHierarchy(t)
	server, err := inter.Issue(LeafSpec{CommonName: "localhost", DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := inter.Issue(LeafSpec{CommonName: "Client", KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		sc, cc := net.Pipe()
		srv := tls.Server(sc, &tls.Config{
			Certificates: []tls.Certificate{server.TLSCertificate()},
			ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: root.RootPool(),
			MinVersion: v, MaxVersion: v,
			// Tickets would be written to a pipe nobody reads.
			SessionTicketsDisabled: true,
		})
		cli := tls.Client(cc, &tls.Config{
			Certificates: []tls.Certificate{client.TLSCertificate()},
			RootCAs:      root.RootPool(), ServerName: "localhost", MinVersion: v, MaxVersion: v,
		})
		errc := make(chan error, 1)
		go func() { errc <- srv.Handshake() }()
		if err := cli.Handshake(); err != nil {
			t.Errorf("TLS %x client: %v", v, err)
		}
		if err := <-errc; err != nil {
			t.Errorf("TLS %x server: %v", v, err)
		}
		// Close the pipes, not the TLS conns: close_notify on an unread
		// net.Pipe would wait for its 5 s write deadline.
		cc.Close()
		sc.Close()
	}
}

// TestOpenSSLAccepts checks the files with OpenSSL, which the test servers
// (openssl s_server, nginx) use: chain, CRL check and the revoked verdict.
func TestOpenSSLAccepts(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl not installed")
	}
	root, inter, _ := testHierarchy(t)
	good, err := inter.Issue(LeafSpec{CommonName: "张三", KeyType: ECDSAP384})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := inter.Issue(LeafSpec{CommonName: "Revoked"})
	if err != nil {
		t.Fatal(err)
	}
	interCRL, err := inter.CRL([]*x509.Certificate{bad.Cert}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rootCRL, err := root.CRL(nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]func(string) error{
		"root.pem":  func(p string) error { return WriteCerts(p, root.Cert) },
		"inter.pem": func(p string) error { return WriteCerts(p, inter.Cert) },
		"good.pem":  func(p string) error { return WriteCerts(p, good.Cert) },
		"bad.pem":   func(p string) error { return WriteCerts(p, bad.Cert) },
		"crl.pem":   func(p string) error { return WriteCRL(p, interCRL, rootCRL) },
		"key.pem":   func(p string) error { return WriteKey(p, good.Key) },
	}
	for name, write := range files {
		if err := write(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600 (%v)", fi.Mode().Perm(), err)
	}
	run := func(leaf string) (string, error) {
		cmd := exec.Command(openssl, "verify", "-crl_check_all", "-CRLfile", "crl.pem",
			"-CAfile", "root.pem", "-untrusted", "inter.pem", "-purpose", "sslclient", leaf)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("good.pem"); err != nil {
		t.Errorf("openssl verify good: %v\n%s", err, out)
	}
	if out, err := run("bad.pem"); err == nil || !strings.Contains(out, "revoked") {
		t.Errorf("openssl verify revoked: err=%v\n%s", err, out)
	}
	if out, err := exec.Command(openssl, "pkey", "-in", filepath.Join(dir, "key.pem"), "-noout").CombinedOutput(); err != nil {
		t.Errorf("openssl pkey: %v\n%s", err, out)
	}
}

// ParseCerts reads DER and PEM alike, skips other PEM blocks, and refuses
// a file with a broken certificate rather than reading a shorter chain.
func TestParseCerts(t *testing.T) {
	root, inter, _ := testHierarchy(t)
	pemChain := append(append([]byte("junk\n"), CertPEM(inter.Cert)...), CRLPEM([]byte{1})...)
	pemChain = append(pemChain, CertPEM(root.Cert)...)
	for name, data := range map[string][]byte{"DER": inter.Cert.Raw, "PEM": pemChain} {
		certs, err := ParseCerts(data)
		if err != nil || certs[0].Subject.String() != inter.Cert.Subject.String() {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseCerts([]byte("nothing")); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("garbage: %v", err)
	}
	broken := append(CertPEM(inter.Cert), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 1, 2}})...)
	if _, err := ParseCerts(broken); err == nil || errors.Is(err, ErrNoCertificate) {
		t.Errorf("broken block: %v", err)
	}
}
