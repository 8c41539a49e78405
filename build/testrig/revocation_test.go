package testrig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/pki"
	"golang.org/x/crypto/ocsp"
)

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", u, resp.Status, err)
	}
	return body
}

// askOCSP asks the rig's responder about cert, by POST or by GET.
func askOCSP(t *testing.T, r *Rig, cert, issuer *x509.Certificate, method string) *ocsp.Response {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	if method == http.MethodPost {
		resp, err = http.Post(r.RevocationURL+OCSPPath, "application/ocsp-request", bytes.NewReader(req))
	} else {
		resp, err = http.Get(r.RevocationURL + OCSPPath + "/" + url.QueryEscape(base64.StdEncoding.EncodeToString(req)))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	parsed, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		t.Fatalf("OCSP %s for %s: %v", method, cert.Subject.CommonName, err)
	}
	return parsed
}

func TestRevocationEndpoints(t *testing.T) {
	r := mustShared(t)
	if !strings.HasPrefix(r.RevocationURL, "http://127.0.0.1:") {
		t.Fatalf("RevocationURL = %q", r.RevocationURL)
	}
	crl, err := x509.ParseRevocationList(get(t, r.RevocationURL+IntermediateCRLPath))
	if err != nil || crl.CheckSignatureFrom(r.Intermediate.Cert) != nil || len(crl.RevokedCertificateEntries) != 1 ||
		crl.RevokedCertificateEntries[0].SerialNumber.Cmp(r.Entries[Revoked].Cert.SerialNumber) != 0 {
		t.Errorf("intermediate CRL does not list exactly the revoked entry (%v)", err)
	}
	if root, err := x509.ParseRevocationList(get(t, r.RevocationURL+RootCRLPath)); err != nil ||
		root.CheckSignatureFrom(r.Root.Cert) != nil || len(root.RevokedCertificateEntries) != 0 {
		t.Errorf("root CRL is not the root's empty CRL (%v)", err)
	}
	if !bytes.Equal(get(t, r.RevocationURL+IntermediateCertPath), r.Intermediate.Cert.Raw) {
		t.Error("AIA does not serve the intermediate's DER")
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		if got := askOCSP(t, r, r.Entries[Revoked].Cert, r.Intermediate.Cert, method); got.Status != ocsp.Revoked ||
			!got.RevokedAt.Equal(crl.RevokedCertificateEntries[0].RevocationTime) {
			t.Errorf("%s: revoked entry is %v at %v", method, got.Status, got.RevokedAt)
		}
		if got := askOCSP(t, r, r.Entries[RSA].Cert, r.Intermediate.Cert, method); got.Status != ocsp.Good {
			t.Errorf("%s: rsa entry is %v, want good", method, got.Status)
		}
	}
	// A certificate of another CA: the responder is not authoritative.
	req, _ := ocsp.CreateRequest(r.Entries[Untrusted].Cert, r.Untrusted.Cert, nil)
	resp, err := http.Post(r.RevocationURL+OCSPPath, "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, ocsp.UnauthorizedErrorResponse) {
		t.Errorf("foreign certificate answered with %x", body)
	}
}

// TestRevocationCheck runs the product's revocation check against the rig:
// fail for the revoked entry, pass for the others, unknown while offline.
func TestRevocationCheck(t *testing.T) {
	r := mustShared(t)
	check := func(name string) certcheck.Check {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return certcheck.Revocation(ctx, r.Entries[name].Cert, r.Intermediate.Cert, nil, time.Now())
	}
	if c := check(Revoked); c.Status != certcheck.Fail || !strings.Contains(c.Detail, "OCSP") {
		t.Errorf("revoked: %s (%s)", c.Status, c.Detail)
	}
	if c := check(EC256); c.Status != certcheck.Pass {
		t.Errorf("ec256: %s (%s)", c.Status, c.Detail)
	}
	r.SetRevocationOffline(true)
	t.Cleanup(func() { r.SetRevocationOffline(false) })
	if c := check(Revoked); c.Status != certcheck.Unknown || !strings.Contains(c.Detail, "could not reach") {
		t.Errorf("revoked while offline: %s (%s)", c.Status, c.Detail)
	}
	if _, err := http.Get(r.RevocationURL + IntermediateCRLPath); err == nil {
		t.Error("CRL served while offline")
	}
	r.SetRevocationOffline(false)
	if c := check(Revoked); c.Status != certcheck.Fail {
		t.Errorf("revoked after going online again: %s (%s)", c.Status, c.Detail)
	}
	chain, err := certcheck.BuildChain(context.Background(), r.Entries[RSA].Cert, nil, r.Root.RootPool(), nil)
	if err != nil || len(chain) != 2 || !chain[1].Equal(r.Intermediate.Cert) {
		t.Errorf("AIA chain: %d certificates, %v", len(chain), err)
	}
}

// TestOpenSSLOCSP asks the responder with openssl ocsp, which checks the
// answer the way OpenSSL-based clients and servers do.
func TestOpenSSLOCSP(t *testing.T) {
	r := mustShared(t)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl not installed")
	}
	dir := t.TempDir()
	for name, want := range map[string]string{Revoked: ": revoked", RSA: ": good"} {
		file := filepath.Join(dir, name+".pem")
		if err := pki.WriteCerts(file, r.Entries[name].Cert); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "ocsp", "-issuer", r.IntermediateFile, "-cert", file,
			"-url", r.RevocationURL+OCSPPath, "-CAfile", r.CAFile, "-timeout", "10").CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "Response verify OK") {
			t.Errorf("openssl ocsp %s: %v\n%s", name, err, out)
		}
	}
}
