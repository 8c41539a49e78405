package certcheck

import (
	"crypto/x509"
	"encoding/asn1"
	"testing"

	"github.com/cardcheck/cardcheck/app/pki"
)

func TestKeyUsage(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name   string
		spec   pki.LeafSpec
		status Status
		detail string
	}{
		{"client-auth", pki.LeafSpec{}, Pass, "may be used for client authentication"},
		{"rsa", pki.LeafSpec{KeyType: pki.RSA2048}, Pass, "client authentication"},
		{"no-eku", pki.LeafSpec{NoEKU: true}, Pass, "does not limit"},
		{"any-eku", pki.LeafSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, Pass, "client authentication"},
		{"client-and-email", pki.LeafSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth}}, Pass, "client authentication"},
		{"server-only", pki.LeafSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, Fail, "only for server authentication, not for client authentication"},
		{"email-and-code", pki.LeafSpec{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageCodeSigning}}, Fail, "email protection, code signing"},
		{"no-digital-signature", pki.LeafSpec{KeyType: pki.RSA2048, KeyUsage: x509.KeyUsageKeyEncipherment}, Fail, "digital signatures"},
		{"cert-sign-only", pki.LeafSpec{KeyUsage: x509.KeyUsageCertSign}, Fail, "digital signatures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, KeyUsage(issue(t, p.inter, tt.spec).Cert), NameKeyUsage, tt.status, tt.detail)
		})
	}
	logon := &x509.Certificate{UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}, {1, 2, 3}}}
	expect(t, KeyUsage(logon), NameKeyUsage, Fail, "Windows smart card logon, usage 1.2.3")
	expect(t, KeyUsage(nil), NameKeyUsage, Skipped)
}
