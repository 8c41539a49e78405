package certcheck

import (
	"crypto/x509"
	"slices"
	"strings"
)

// KeyUsage checks that the certificate may be used for TLS client
// authentication: the key usage extension, when present, must allow
// digitalSignature (the client signs CertificateVerify), and the extended
// key usage, when present, must contain clientAuth or anyExtendedKeyUsage
// (RFC 5280 §4.2.1.3 and §4.2.1.12).
func KeyUsage(leaf *x509.Certificate) Check {
	if leaf == nil {
		return result(NameKeyUsage, Skipped, noCertificate.New())
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return result(NameKeyUsage, Fail, kuNoSignature.New())
	}
	if !allowsClientAuth(leaf) {
		return result(NameKeyUsage, Fail, kuOnlyFor.New("Usages", ekuNames(leaf)))
	}
	if len(leaf.ExtKeyUsage) == 0 && len(leaf.UnknownExtKeyUsage) == 0 {
		return result(NameKeyUsage, Pass, kuUnlimited.New())
	}
	return result(NameKeyUsage, Pass, kuClientAuthOK.New())
}

// allowsClientAuth applies RFC 5280 §4.2.1.12: no extended key usage
// extension means any usage.
func allowsClientAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) ||
		slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// ekuWords are the usages people meet on certificates, in words.
var ekuWords = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "server authentication",
	x509.ExtKeyUsageCodeSigning:     "code signing",
	x509.ExtKeyUsageEmailProtection: "email protection",
	x509.ExtKeyUsageIPSECEndSystem:  "IPsec",
	x509.ExtKeyUsageIPSECTunnel:     "IPsec",
	x509.ExtKeyUsageIPSECUser:       "IPsec",
	x509.ExtKeyUsageTimeStamping:    "time stamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSP signing",
}

// oidWords name extended key usages that crypto/x509 does not know but
// smart card certificates often carry.
var oidWords = map[string]string{
	"1.3.6.1.4.1.311.20.2.2":  "Windows smart card logon",
	"1.3.6.1.5.2.3.4":         "Kerberos PKINIT client",
	"1.3.6.1.4.1.311.10.3.12": "document signing",
}

func ekuNames(c *x509.Certificate) string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		w, ok := ekuWords[u]
		if !ok {
			w = "other purposes"
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		w, ok := oidWords[oid.String()]
		if !ok {
			w = "usage " + oid.String()
		}
		out = append(out, w)
	}
	return strings.Join(out, ", ")
}
