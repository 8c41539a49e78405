package pki

import "crypto/x509"

// InsecureSignature reports the signature algorithms crypto/x509 no
// longer verifies: MD2, MD5, SHA-1 and DSA. A chain signed with one fails
// as if its issuer were unknown.
func InsecureSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.DSAWithSHA256, x509.ECDSAWithSHA1:
		return true
	}
	return false
}
