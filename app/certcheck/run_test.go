package certcheck

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/pki"
)

var order = []string{NameKeyPossession, NameValidity, NameChain, NameRevocation, NameKeyUsage, NameAcceptableCA}

func checkNames(checks []Check) []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.Name
	}
	return out
}

func TestRunAllPass(t *testing.T) {
	p := newPKI(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/inter.crt", bytesHandler(p.inter.Cert.Raw))
	mux.Handle("/ocsp", &ocspResponder{t: t, ca: p.inter, status: ocsp.Good})
	srv, _ := serve(t, mux.ServeHTTP)
	leaf := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{srv.URL + "/inter.crt"},
		OCSPServer: []string{srv.URL + "/ocsp"}})
	challenges := 0
	checks := Run(context.Background(), Input{
		Leaf:          leaf.Cert,
		AcceptableCAs: [][]byte{p.root.Cert.RawSubject},
		Requested:     true,
		Roots:         p.roots(),
		Challenge: func() (SignatureRecord, error) {
			challenges++
			return SignChallenge(leaf.Key)
		},
	})
	if !slices.Equal(checkNames(checks), order) {
		t.Fatalf("checks in order %v, want %v", checkNames(checks), order)
	}
	for _, c := range checks {
		if c.Status != Pass {
			t.Errorf("%s: %s (%s)", c.Name, c.Status, c.Detail)
		}
	}
	if challenges != 1 {
		t.Errorf("challenge called %d times, want 1", challenges)
	}
}

func TestRunProblems(t *testing.T) {
	p := newPKI(t)
	leaf := issue(t, p.other, pki.LeafSpec{NotAfter: time.Now().AddDate(0, 0, -3),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	stranger := issue(t, p.other, pki.LeafSpec{})
	checks := Run(context.Background(), Input{
		Leaf:          leaf.Cert,
		Intermediates: []*x509.Certificate{p.other.Cert},
		AcceptableCAs: [][]byte{p.root.Cert.RawSubject},
		Requested:     true,
		Roots:         p.roots(),
		Signatures:    []SignatureRecord{sign(t, stranger.Key, crypto.SHA256)},
		Challenge: func() (SignatureRecord, error) {
			t.Error("challenge called although the handshake made a signature")
			return SignatureRecord{}, nil
		},
	})
	want := []Status{Fail, Fail, Fail, Unknown, Fail, Fail}
	for i, c := range checks {
		if c.Status != want[i] {
			t.Errorf("%s: %s (%s), want %s", c.Name, c.Status, c.Detail, want[i])
		}
	}
}

func TestRunNoLeaf(t *testing.T) {
	checks := Run(context.Background(), Input{Requested: true})
	if !slices.Equal(checkNames(checks), order) {
		t.Fatalf("checks %v", checkNames(checks))
	}
	for _, c := range checks {
		expect(t, c, c.Name, Skipped, "no certificate")
	}
}

// TestRunTimeout: AIA, OCSP and CRL servers that never answer cost one
// Input.Timeout together, not one each.
func TestRunTimeout(t *testing.T) {
	p := newPKI(t)
	slow, hits := slowServer(t)
	leaf := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{slow.URL + "/inter.crt"},
		OCSPServer: []string{slow.URL + "/ocsp"}, CRLDistributionPoints: []string{slow.URL + "/inter.crl"}})
	const timeout = 300 * time.Millisecond
	start := time.Now()
	checks := Run(context.Background(), Input{Leaf: leaf.Cert, Roots: p.roots(), Timeout: timeout})
	if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
		t.Errorf("Run took %v with a %v timeout", elapsed, timeout)
	}
	expect(t, checks[2], NameChain, Unknown, "no answer within 300 ms")
	expect(t, checks[3], NameRevocation, Unknown, "CA certificate that issued yours is missing")
	if hits.Load() != 1 {
		t.Errorf("%d requests to the slow server, want 1 (the AIA download)", hits.Load())
	}

	// With the intermediate at hand the OCSP responder uses up the time.
	start = time.Now()
	checks = Run(context.Background(), Input{Leaf: leaf.Cert, Intermediates: []*x509.Certificate{p.inter.Cert},
		Roots: p.roots(), Timeout: timeout})
	if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
		t.Errorf("Run took %v with a %v timeout", elapsed, timeout)
	}
	expect(t, checks[2], NameChain, Pass)
	expect(t, checks[3], NameRevocation, Unknown, "the CA's OCSP responder at "+slow.URL+"/ocsp did not answer within 300 ms")
}

func TestCheckJSON(t *testing.T) {
	data, err := json.Marshal(Check{Name: NameChain, Status: Warn, Detail: "d"})
	if err != nil || string(data) != `{"name":"chain","status":"warn","detail":"d"}` {
		t.Errorf("JSON %s, %v", data, err)
	}
}
