package certcheck

import (
	"context"
	"crypto/x509"
	"github.com/cardcheck/cardcheck/app/msg"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/pki"
)

// crlServer serves CRLs of p.inter: /good.crl lists nothing, /revoked.crl
// lists revoked, /bad.crl is revoked.crl with a broken signature,
// /stale.crl expired yesterday, /pem.crl is PEM, /other.crl is signed by
// another CA.
func crlServer(t *testing.T, p *testPKI, revoked *x509.Certificate) string {
	t.Helper()
	now := time.Now()
	mk := func(ca *pki.CA, list []*x509.Certificate, this, next time.Time) []byte {
		der, err := ca.CRL(list, this, next)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	good := mk(p.inter, nil, time.Time{}, time.Time{})
	bad := mk(p.inter, []*x509.Certificate{revoked}, time.Time{}, time.Time{})
	bad[len(bad)-1] ^= 0xff // the signature is the last field
	mux := http.NewServeMux()
	for path, body := range map[string][]byte{
		"/good.crl":    good,
		"/revoked.crl": mk(p.inter, []*x509.Certificate{revoked}, time.Time{}, time.Time{}),
		"/bad.crl":     bad,
		"/stale.crl":   mk(p.inter, nil, now.AddDate(0, 0, -8), now.AddDate(0, 0, -1)),
		"/pem.crl":     pki.CRLPEM(good),
		"/other.crl":   mk(p.other, nil, time.Time{}, time.Time{}),
		"/garbage.crl": []byte("not a CRL"),
	} {
		mux.HandleFunc(path, bytesHandler(body))
	}
	srv, _ := serve(t, mux.ServeHTTP)
	return srv.URL
}

func TestRevocationCRL(t *testing.T) {
	p := newPKI(t)
	revoked := issue(t, p.inter, pki.LeafSpec{CommonName: "Revoked"})
	base := crlServer(t, p, revoked.Cert)
	tests := []struct {
		name      string
		urls      []string
		leaf      *x509.Certificate
		status    Status
		fragments []string
	}{
		{"good", []string{base + "/good.crl"}, nil, Pass, []string{"does not list the certificate", base + "/good.crl"}},
		{"pem", []string{base + "/pem.crl"}, nil, Pass, []string{"does not list"}},
		{"revoked", []string{base + "/revoked.crl"}, revoked.Cert, Fail, []string{"was revoked on", "no reason given", "the CRL at " + base}},
		{"bad-signature", []string{base + "/bad.crl"}, revoked.Cert, Unknown, []string{"not signed by “Test Intermediate”", "cannot be trusted"}},
		{"other-issuer", []string{base + "/other.crl"}, nil, Unknown, []string{"not signed by"}},
		{"stale", []string{base + "/stale.crl"}, nil, Warn, []string{"out of date since"}},
		{"garbage", []string{base + "/garbage.crl"}, nil, Unknown, []string{"cannot be read"}},
		{"not-found", []string{base + "/missing.crl"}, nil, Unknown, []string{"could not reach the CRL", "HTTP 404"}},
		{"unreachable", []string{closedURL(t)}, nil, Unknown, []string{"could not reach the CRL", "connection refused"}},
		{"second-url-answers", []string{closedURL(t), base + "/revoked.crl"}, revoked.Cert, Fail, []string{"was revoked"}},
		{"stale-then-good", []string{base + "/stale.crl", base + "/good.crl"}, nil, Pass, []string{"/good.crl"}},
		{"ldap-only", []string{"ldap://ldap.example/cn=crl"}, nil, Unknown, []string{"only HTTP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := tt.leaf
			if leaf == nil {
				leaf = issue(t, p.inter, pki.LeafSpec{}).Cert
			}
			leaf = withURLs(t, p, leaf, nil, tt.urls)
			c := Revocation(context.Background(), leaf, p.inter.Cert, nil, time.Now())
			expect(t, c, NameRevocation, tt.status, tt.fragments...)
		})
	}
}

// withURLs reissues leaf (same serial number and key) with revocation URLs:
// the CRL server is made before the URLs are known.
func withURLs(t *testing.T, p *testPKI, leaf *x509.Certificate, ocspURLs, crlURLs []string) *x509.Certificate {
	t.Helper()
	tmpl := *leaf
	tmpl.OCSPServer, tmpl.CRLDistributionPoints = ocspURLs, crlURLs
	tmpl.ExtraExtensions, tmpl.Extensions = nil, nil
	der, err := x509.CreateCertificate(nil, &tmpl, p.inter.Cert, leaf.PublicKey, p.inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRevocationOCSP(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	delegate := issue(t, p.inter, pki.LeafSpec{CommonName: "OCSP Responder",
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	impostor := issue(t, p.inter, pki.LeafSpec{CommonName: "Not A Responder"})
	foreign := issue(t, p.other, pki.LeafSpec{CommonName: "Foreign Responder",
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
	tests := []struct {
		name      string
		responder ocspResponder
		revoked   bool
		status    Status
		fragments []string
	}{
		{"good", ocspResponder{status: ocsp.Good}, false, Pass, []string{"OCSP responder at", "not revoked"}},
		{"revoked", ocspResponder{status: ocsp.Good}, true, Fail, []string{"was revoked on", "key compromise", "OCSP responder"}},
		{"unknown", ocspResponder{status: ocsp.Unknown}, false, Unknown, []string{"does not know this certificate"}},
		{"get-fallback", ocspResponder{status: ocsp.Good, noPOST: true}, false, Pass, []string{"not revoked"}},
		{"delegated", ocspResponder{status: ocsp.Good, signer: delegate}, true, Fail, []string{"was revoked"}},
		{"not-authorized", ocspResponder{status: ocsp.Good, signer: impostor}, false, Unknown, []string{"cannot be trusted", "not authorized"}},
		{"foreign-signer", ocspResponder{status: ocsp.Good, signer: foreign}, false, Unknown, []string{"cannot be trusted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.responder
			o.t, o.ca = t, p.inter
			leaf := issue(t, p.inter, pki.LeafSpec{})
			if tt.revoked {
				o.revoked = map[string]bool{leaf.Cert.SerialNumber.String(): true}
			}
			srv, _ := serve(t, o.ServeHTTP)
			cert := withURLs(t, p, leaf.Cert, []string{srv.URL + "/ocsp"}, nil)
			expect(t, Revocation(context.Background(), cert, p.inter.Cert, nil, now), NameRevocation, tt.status, tt.fragments...)
		})
	}
}

func TestRevocationOCSPRefusals(t *testing.T) {
	p := newPKI(t)
	leaf := issue(t, p.inter, pki.LeafSpec{}).Cert
	tryLater, _ := serve(t, bytesHandler(ocsp.InternalErrorErrorResponse))
	garbage, _ := serve(t, bytesHandler([]byte("<html>proxy login</html>")))
	check := func(u string) Check {
		return Revocation(context.Background(), withURLs(t, p, leaf, []string{u}, nil), p.inter.Cert, nil, time.Now())
	}
	expect(t, check(tryLater.URL), NameRevocation, Unknown, "gave no status", "internal error")
	expect(t, check(garbage.URL), NameRevocation, Unknown, "cannot be trusted")
	expect(t, check(closedURL(t)), NameRevocation, Unknown, "could not reach the OCSP responder", "connection refused")
	// A stale answer: judged a day after the responder's NextUpdate.
	good, _ := serve(t, (&ocspResponder{t: t, ca: p.inter, status: ocsp.Good}).ServeHTTP)
	c := Revocation(context.Background(), withURLs(t, p, leaf, []string{good.URL}, nil), p.inter.Cert, nil, time.Now().Add(25*time.Hour))
	expect(t, c, NameRevocation, Unknown, "out of date")
	if why, _ := c.DetailMsg.Args["Reason"].(msg.Msg); why.ID != "certcheck.ocsp.why_outdated" {
		t.Errorf("reason %+v, want the catalog's words (translated in the window)", c.DetailMsg.Args["Reason"])
	}
}

func TestRevocationFallbackAndLimits(t *testing.T) {
	p := newPKI(t)
	leaf := issue(t, p.inter, pki.LeafSpec{})
	base := crlServer(t, p, leaf.Cert)
	now := time.Now()

	// OCSP unreachable: the CRL answers.
	cert := withURLs(t, p, leaf.Cert, []string{closedURL(t)}, []string{base + "/revoked.crl"})
	expect(t, Revocation(context.Background(), cert, p.inter.Cert, nil, now), NameRevocation, Fail, "the CRL at")

	// Both unreachable: the OCSP failure is reported.
	cert = withURLs(t, p, leaf.Cert, []string{closedURL(t)}, []string{closedURL(t)})
	expect(t, Revocation(context.Background(), cert, p.inter.Cert, nil, now), NameRevocation, Unknown, "could not reach the OCSP responder")

	// OCSP good: the CRL is not fetched.
	good, _ := serve(t, (&ocspResponder{t: t, ca: p.inter, status: ocsp.Good}).ServeHTTP)
	crl, crlHits := serve(t, http.NotFound)
	cert = withURLs(t, p, leaf.Cert, []string{good.URL}, []string{crl.URL})
	expect(t, Revocation(context.Background(), cert, p.inter.Cert, nil, now), NameRevocation, Pass, "OCSP")
	if crlHits.Load() != 0 {
		t.Error("CRL fetched after a clear OCSP answer")
	}

	expect(t, Revocation(context.Background(), issue(t, p.inter, pki.LeafSpec{}).Cert, p.inter.Cert, nil, now),
		NameRevocation, Unknown, "names no OCSP responder or CRL")
	expect(t, Revocation(context.Background(), cert, nil, nil, now), NameRevocation, Unknown, "CA certificate that issued yours is missing")
	expect(t, Revocation(context.Background(), nil, nil, nil, now), NameRevocation, Skipped)
}

// TestRevocationTimeout: servers that never answer cost no more than the
// context allows, OCSP and CRL together.
func TestRevocationTimeout(t *testing.T) {
	p := newPKI(t)
	slow, hits := slowServer(t)
	leaf := withURLs(t, p, issue(t, p.inter, pki.LeafSpec{}).Cert, []string{slow.URL + "/ocsp"}, []string{slow.URL + "/a.crl"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	c := Revocation(ctx, leaf, p.inter.Cert, nil, time.Now())
	expect(t, c, NameRevocation, Unknown, "could not reach the OCSP responder", "no answer in time")
	if ctx.Err() == nil {
		t.Error("returned before the deadline although the server never answered")
	}
	if late := time.Since(deadline); late > 2*time.Second {
		t.Errorf("returned %v after the deadline", late)
	}
	if hits.Load() < 1 {
		t.Error("the slow server was never asked")
	}
}
