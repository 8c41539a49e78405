package certcheck

import (
	"crypto/x509"
	"slices"

	"github.com/cardcheck/cardcheck/app/msg"
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
var ekuWords = map[x509.ExtKeyUsage]*msg.Def{
	x509.ExtKeyUsageServerAuth:      msg.Define("certcheck.eku.server_auth", "server authentication"),
	x509.ExtKeyUsageCodeSigning:     msg.Define("certcheck.eku.code_signing", "code signing"),
	x509.ExtKeyUsageEmailProtection: msg.Define("certcheck.eku.email_protection", "email protection"),
	x509.ExtKeyUsageIPSECEndSystem:  ekuIPsec,
	x509.ExtKeyUsageIPSECTunnel:     ekuIPsec,
	x509.ExtKeyUsageIPSECUser:       ekuIPsec,
	x509.ExtKeyUsageTimeStamping:    msg.Define("certcheck.eku.time_stamping", "time stamping"),
	x509.ExtKeyUsageOCSPSigning:     msg.Define("certcheck.eku.ocsp_signing", "OCSP signing"),
}

// oidWords name extended key usages that crypto/x509 does not know but
// smart card certificates often carry.
var oidWords = map[string]*msg.Def{
	"1.3.6.1.4.1.311.20.2.2":  msg.Define("certcheck.eku.smart_card_logon", "Windows smart card logon"),
	"1.3.6.1.5.2.3.4":         msg.Define("certcheck.eku.pkinit_client", "Kerberos PKINIT client"),
	"1.3.6.1.4.1.311.10.3.12": msg.Define("certcheck.eku.document_signing", "document signing"),
}

var (
	ekuIPsec = msg.Define("certcheck.eku.ipsec", "IPsec")
	ekuOther = msg.Define("certcheck.eku.other", "other purposes")
	ekuOID   = msg.Define("certcheck.eku.oid", "usage {{.OID}}")
)

// ekuNames lists the certificate's extended key usages in words, each
// once (a list of messages is rendered joined by ", ").
func ekuNames(c *x509.Certificate) []msg.Msg {
	var out []msg.Msg
	var seen []*msg.Def
	for _, u := range c.ExtKeyUsage {
		d, ok := ekuWords[u]
		if !ok {
			d = ekuOther
		}
		if !slices.Contains(seen, d) {
			seen = append(seen, d)
			out = append(out, d.New())
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		if d, ok := oidWords[oid.String()]; ok {
			out = append(out, d.New())
		} else {
			out = append(out, ekuOID.New("OID", oid.String()))
		}
	}
	return out
}
