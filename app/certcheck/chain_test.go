package certcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// pkcs7 wraps certificates in a degenerate "certs-only" signedData, the
// second format RFC 5280 §4.2.2.1 allows for caIssuers.
func pkcs7(t *testing.T, certs ...*x509.Certificate) []byte {
	t.Helper()
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	empty, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true})
	data, _ := asn1.Marshal(struct{ Type asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}})
	sd, err := asn1.Marshal(struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue `asn1:"tag:0"`
		SignerInfos      asn1.RawValue
	}{1, asn1.RawValue{FullBytes: empty}, asn1.RawValue{FullBytes: data},
		asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw},
		asn1.RawValue{FullBytes: empty}})
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(contentInfo{ContentType: oidSignedData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestChain(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	plain := issue(t, p.inter, pki.LeafSpec{})
	expired := issue(t, p.inter, pki.LeafSpec{NotAfter: now.AddDate(0, 0, -10)})
	serverOnly := issue(t, p.inter, pki.LeafSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	untrusted := issue(t, p.other, pki.LeafSpec{})
	oldInter, err := p.root.NewIntermediate("Old Intermediate", pki.ECDSAP256,
		pki.WithValidity(now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1)))
	if err != nil {
		t.Fatal(err)
	}
	underOld := issue(t, oldInter, pki.LeafSpec{NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)})
	// A CA issued after the leaf expired: valid today, not at any time
	// inside the leaf's validity period (issue 9: judged at the wrong time).
	newInter, err := p.root.NewIntermediate("New Intermediate", pki.ECDSAP256,
		pki.WithValidity(now.AddDate(0, 0, -1), now.AddDate(1, 0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	expiredUnderNew := issue(t, newInter, pki.LeafSpec{NotBefore: now.AddDate(0, 0, -60), NotAfter: now.AddDate(0, 0, -10)})
	notCA := issue(t, p.inter, pki.LeafSpec{CommonName: "Not A CA"})
	underLeaf := issue(t, &pki.CA{Cert: notCA.Cert, Key: notCA.Key}, pki.LeafSpec{})
	interPool := x509.NewCertPool()
	interPool.AddCert(p.inter.Cert)

	tests := []struct {
		name      string
		leaf      *x509.Certificate
		inters    []*x509.Certificate
		roots     *x509.CertPool
		status    Status
		fragments []string
		pathLen   int
	}{
		{"trusted", plain.Cert, []*x509.Certificate{p.inter.Cert}, p.roots(), Pass,
			[]string{"through “Test Intermediate” to the root CA “Test Root”, trusted by the CA file"}, 3},
		{"anchor-is-intermediate", plain.Cert, nil, interPool, Pass, []string{"chains to the CA “Test Intermediate”"}, 2},
		{"root-only-file", plain.Cert, nil, p.roots(), Fail,
			[]string{"“Test Intermediate” that issued “Test Client” is missing", "could not be downloaded"}, 1},
		{"wrong-root", untrusted.Cert, []*x509.Certificate{p.other.Cert}, p.roots(), Fail,
			[]string{"root CA “Other Root”, which is not in the CA file"}, 2},
		{"unknown-issuer", untrusted.Cert, []*x509.Certificate{p.inter.Cert}, p.roots(), Fail,
			[]string{"“Other Root” that issued “Test Client” is missing"}, 1},
		{"system-store", plain.Cert, []*x509.Certificate{p.inter.Cert, p.root.Cert}, nil, Unknown,
			[]string{"“Test Root”", "this computer does not trust", "--ca FILE"}, 3},
		{"system-store-missing-intermediate", plain.Cert, nil, nil, Unknown,
			[]string{"“Test Intermediate” that issued “Test Client”", "--ca FILE"}, 1},
		{"expired-leaf", expired.Cert, []*x509.Certificate{p.inter.Cert}, p.roots(), Pass,
			[]string{"“Test Root”", "judged today", "left to the validity check"}, 3},
		{"expired-leaf-from-a-newer-ca", expiredUnderNew.Cert, []*x509.Certificate{newInter.Cert}, p.roots(), Pass,
			[]string{"“New Intermediate”", "judged today"}, 3},
		{"server-only-leaf", serverOnly.Cert, []*x509.Certificate{p.inter.Cert}, p.roots(), Pass, []string{"“Test Root”"}, 3},
		{"expired-intermediate", underOld.Cert, []*x509.Certificate{oldInter.Cert}, p.roots(), Fail,
			[]string{"CA certificate “Old Intermediate” is outside its validity period"}, 2},
		{"issuer-not-a-ca", underLeaf.Cert, []*x509.Certificate{notCA.Cert, p.inter.Cert}, p.roots(), Fail,
			[]string{"“Not A CA” in the chain is not a CA certificate"}, 3},
		{"no-leaf", nil, nil, nil, Skipped, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, path := Chain(context.Background(), tt.leaf, tt.inters, tt.roots, nil, now)
			expect(t, c, NameChain, tt.status, tt.fragments...)
			if len(path) != tt.pathLen {
				t.Errorf("path has %d certificates, want %d", len(path), tt.pathLen)
			}
		})
	}
}

func TestChainAIA(t *testing.T) {
	p := newPKI(t)
	formats := map[string][]byte{
		"der":   p.inter.Cert.Raw,
		"pem":   pki.CertPEM(p.root.Cert, p.inter.Cert),
		"pkcs7": pkcs7(t, p.root.Cert, p.inter.Cert),
	}
	for name, body := range formats {
		t.Run(name, func(t *testing.T) {
			srv, hits := serve(t, bytesHandler(body))
			leaf := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{srv.URL + "/inter.crt"}})
			c, path := Chain(context.Background(), leaf.Cert, nil, p.roots(), srv.Client(), time.Now())
			expect(t, c, NameChain, Pass, "“Test Intermediate”")
			if len(path) != 3 || hits.Load() != 1 {
				t.Errorf("path %d certificates after %d downloads, want 3 after 1", len(path), hits.Load())
			}
		})
	}
}

func TestChainAIAFailures(t *testing.T) {
	p := newPKI(t)
	notFound, hits := serve(t, http.NotFound)
	var urls []string
	for range 6 {
		urls = append(urls, notFound.URL+"/"+string(rune('a'+len(urls))))
	}
	many := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: urls})
	c, _ := Chain(context.Background(), many.Cert, nil, p.roots(), nil, time.Now())
	expect(t, c, NameChain, Unknown, "could not download the CA certificate “Test Intermediate”", "HTTP 404")
	if hits.Load() != maxAIAFetches {
		t.Errorf("%d AIA downloads, want the limit %d", hits.Load(), maxAIAFetches)
	}

	closed := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{closedURL(t)}})
	c, _ = Chain(context.Background(), closed.Cert, nil, p.roots(), nil, time.Now())
	expect(t, c, NameChain, Unknown, "connection refused")

	wrong, _ := serve(t, bytesHandler(p.other.Cert.Raw))
	mislead := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{wrong.URL, "ldap://ldap.example/cn=x"}})
	c, _ = Chain(context.Background(), mislead.Cert, nil, p.roots(), nil, time.Now())
	expect(t, c, NameChain, Fail, "“Test Intermediate” that issued “Test Client” is missing")

	// The first URL fails, the second serves the intermediate; the root
	// is then what is missing, not the download.
	good, _ := serve(t, bytesHandler(p.inter.Cert.Raw))
	second := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{closedURL(t), good.URL}})
	c, _ = Chain(context.Background(), second.Cert, nil, p.other.RootPool(), nil, time.Now())
	expect(t, c, NameChain, Fail, "“Test Root” that issued “Test Intermediate” is missing")

	slow, _ := slowServer(t)
	late := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{slow.URL}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c, _ = Chain(ctx, late.Cert, nil, p.roots(), nil, time.Now())
	expect(t, c, NameChain, Unknown, "no answer in time")
	if ctx.Err() == nil {
		t.Error("Chain returned before the deadline although the server never answered")
	}
}

func TestBuildChain(t *testing.T) {
	p := newPKI(t)
	srv, _ := serve(t, bytesHandler(p.inter.Cert.Raw))
	leaf := issue(t, p.inter, pki.LeafSpec{IssuingCertificateURL: []string{srv.URL}})
	chain, err := BuildChain(context.Background(), leaf.Cert, nil, p.roots(), srv.Client())
	if err != nil || len(chain) != 2 || !chain[0].Equal(leaf.Cert) || !chain[1].Equal(p.inter.Cert) {
		t.Errorf("BuildChain = %d certificates, %v; want leaf + intermediate", len(chain), err)
	}
	chain, err = BuildChain(context.Background(), leaf.Cert, []*x509.Certificate{p.inter.Cert, p.root.Cert}, nil, nil)
	if err == nil || len(chain) != 2 {
		t.Errorf("against the system store: %d certificates, err %v; want leaf + intermediate and an error", len(chain), err)
	}
	if _, err := BuildChain(context.Background(), nil, nil, nil, nil); err == nil {
		t.Error("BuildChain without a leaf succeeded")
	}
}

func TestParseCerts(t *testing.T) {
	p := newPKI(t)
	certs, err := parsePKCS7Certs(pkcs7(t, p.root.Cert, p.inter.Cert))
	if err != nil || len(certs) != 2 || !certs[1].Equal(p.inter.Cert) {
		t.Errorf("PKCS #7: %d certificates, %v", len(certs), err)
	}
	if _, err := parseCerts([]byte("not a certificate")); err == nil {
		t.Error("garbage parsed")
	}
	if _, err := parsePKCS7Certs([]byte{0x30, 0x00}); err == nil {
		t.Error("empty PKCS #7 parsed")
	}
}

// A client certificate signed with SHA-1 by a CA that is there fails as
// crypto/x509 says "unknown authority"; the check names the algorithm, not
// a missing CA (giving the CA would not help).
func TestChainSignedWithSHA1(t *testing.T) {
	p := newPKI(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Old Client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), SignatureAlgorithm: x509.ECDSAWithSHA1,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.inter.Cert, &key.PublicKey, p.inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	c, _ := Chain(context.Background(), leaf, []*x509.Certificate{p.inter.Cert}, p.roots(), nil, time.Now())
	if c.Status != Fail || c.DetailMsg.ID != "certcheck.chain.insecure_algorithm" || !strings.Contains(c.Detail, "ECDSA-SHA1") {
		t.Errorf("chain %s: %s (%s)", c.Status, c.Detail, c.DetailMsg.ID)
	}
}
