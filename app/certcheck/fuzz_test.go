package certcheck

import (
	"encoding/asn1"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/pki"
)

// FuzzParseCerts feeds what an AIA caIssuers URL may serve (DER, PKCS #7,
// PEM, or anything) to parseCerts: no panic, and never more than
// maxBundleCerts certificates taken.
func FuzzParseCerts(f *testing.F) {
	root, err := pki.NewRoot("Fuzz AIA", pki.ECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	der := root.Cert.Raw
	f.Add(der)
	f.Add(pki.CertPEM(root.Cert, root.Cert))
	p7, _ := asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{Class: 2, Tag: 0, IsCompound: true,
		Bytes: mustMarshal(signedData{Version: 1, DigestAlgorithms: asn1.RawValue{Tag: 17, IsCompound: true},
			ContentInfo:  asn1.RawValue{Tag: 16, IsCompound: true, Bytes: mustMarshal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1})},
			Certificates: asn1.RawValue{Class: 2, Tag: 0, IsCompound: true, Bytes: append(append([]byte{}, der...), der...)},
			SignerInfos:  asn1.RawValue{Tag: 17, IsCompound: true}})}})
	f.Add(p7)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := parseCerts(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		if len(certs) > maxBundleCerts {
			t.Fatalf("%d certificates taken", len(certs))
		}
	})
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzOCSPResponse feeds OCSP answers to what checkOCSP does with one:
// parse for the leaf and issuer, check signer and dates, word the
// verdict. No panic; a "good" or "revoked" answer is one the issuer
// (or its delegate) signed.
func FuzzOCSPResponse(f *testing.F) {
	p, err := pki.NewRoot("Fuzz OCSP", pki.ECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	leaf, err := p.Issue(pki.LeafSpec{CommonName: "Fuzz Client"})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	for _, status := range []int{ocsp.Good, ocsp.Revoked, ocsp.Unknown} {
		resp, err := ocsp.CreateResponse(p.Cert, p.Cert, ocsp.Response{Status: status, SerialNumber: leaf.Cert.SerialNumber,
			ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), RevokedAt: now.Add(-time.Hour)}, p.Key)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(resp)
	}
	f.Add(ocsp.UnauthorizedErrorResponse)
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := ocsp.ParseResponseForCert(body, leaf.Cert, p.Cert)
		if err != nil {
			return
		}
		if !checkOCSPResponse(resp, p.Cert, now).IsZero() {
			return
		}
		c := ocspVerdict(resp, "http://ocsp.example/")
		if (c.Status == Pass || c.Status == Fail) && resp.CheckSignatureFrom(p.Cert) != nil && resp.Certificate == nil {
			t.Fatalf("a verdict from an answer the CA did not sign: %+v", c)
		}
	})
}
