package pki

import "crypto/x509"

// WeaklySigned reports a certificate issued by another with a signature
// algorithm crypto/x509 no longer verifies: MD2, MD5, SHA-1 or DSA. A chain
// signed so fails as if its issuer were unknown. A self-signed one is not
// weakly signed: a root's own signature is never checked.
func WeaklySigned(c *x509.Certificate) bool {
	if c == nil || string(c.RawSubject) == string(c.RawIssuer) {
		return false
	}
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.DSAWithSHA256, x509.ECDSAWithSHA1:
		return true
	}
	return false
}
