package certcheck

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// chainCheck turns what buildChain found into the chain check.
func chainCheck(r chainResult) Check {
	if r.err == nil {
		return chainPass(r)
	}
	if !errors.As(r.err, new(x509.UnknownAuthorityError)) {
		return result(NameChain, Fail, "%s", verifyReason(r.err, r.path))
	}
	top := r.path[len(r.path)-1]
	if c := notCA(r.path); c != nil {
		return result(NameChain, Fail, "the certificate %s in the chain is not a CA certificate, so it cannot vouch for another certificate",
			quote(c.Subject))
	}
	switch {
	case r.fetchErr != nil:
		return result(NameChain, Unknown, "could not download the CA certificate %s that issued %s from %s (%s)",
			quote(top.Issuer), quote(top.Subject), r.fetchURL, why(r.fetchErr))
	case isSelfSigned(top) && r.systemRoots:
		return result(NameChain, Unknown, "your certificate chains to the root CA %s, which this computer does not trust; give its certificate as the CA file (--ca FILE) to check the chain",
			quote(top.Subject))
	case isSelfSigned(top):
		return result(NameChain, Fail, "your certificate chains to the root CA %s, which is not in the CA file",
			quote(top.Subject))
	case r.systemRoots:
		return result(NameChain, Unknown, "the CA certificate %s that issued %s is not on the card and not trusted by this computer; give the CA certificates as the CA file (--ca FILE) to check the chain",
			quote(top.Issuer), quote(top.Subject))
	}
	return result(NameChain, Fail, "the CA certificate %s that issued %s is missing: it is not on the card or in the CA file, and could not be downloaded",
		quote(top.Issuer), quote(top.Subject))
}

func chainPass(r chainResult) Check {
	root := r.path[len(r.path)-1]
	trust := "the CA file"
	if r.systemRoots {
		trust = "this computer"
	}
	note := ""
	if r.leafOutside {
		note = " (judged today; your certificate's own validity period is left to the validity check)"
	}
	if len(r.path) > 2 {
		return result(NameChain, Pass, "your certificate chains through %s to the root CA %s, trusted by %s%s",
			names(r.path[1:len(r.path)-1]), quote(root.Subject), trust, note)
	}
	return result(NameChain, Pass, "your certificate chains to the CA %s, trusted by %s%s",
		quote(root.Subject), trust, note)
}

// notCA returns the first issuer in path that is not a CA: x509 reports
// it only as an unknown authority.
func notCA(path []*x509.Certificate) *x509.Certificate {
	for _, c := range path[min(1, len(path)):] {
		if !c.BasicConstraintsValid || !c.IsCA {
			return c
		}
	}
	return nil
}

// verifyReason says in plain words why x509 verification failed.
func verifyReason(err error, path []*x509.Certificate) string {
	var invalid x509.CertificateInvalidError
	var insecure x509.InsecureAlgorithmError
	var critical x509.UnhandledCriticalExtension
	switch {
	case errors.As(err, &invalid):
		return invalidReason(invalid, path)
	case errors.As(err, &insecure):
		return fmt.Sprintf("a certificate in the chain is signed with %v, an algorithm that is no longer accepted", x509.SignatureAlgorithm(insecure))
	case errors.As(err, &critical):
		return "a certificate in the chain has a critical extension that cannot be processed"
	}
	return "the chain does not verify: " + err.Error()
}

func invalidReason(e x509.CertificateInvalidError, path []*x509.Certificate) string {
	who := "a CA certificate in the chain"
	switch {
	case e.Cert != nil && len(path) > 0 && e.Cert.Equal(path[0]):
		who = "your certificate"
	case e.Cert != nil:
		who = "the CA certificate " + quote(e.Cert.Subject)
	}
	switch e.Reason {
	case x509.Expired:
		if e.Cert != nil {
			return fmt.Sprintf("%s is outside its validity period (%s to %s)", who, date(e.Cert.NotBefore), date(e.Cert.NotAfter))
		}
		return who + " has expired or is not yet valid"
	case x509.NotAuthorizedToSign:
		return who + " is not a CA certificate, so it cannot vouch for another certificate"
	case x509.CANotAuthorizedForThisName, x509.NameConstraintsWithoutSANs, x509.UnconstrainedName, x509.NameMismatch:
		return "the name constraints of a CA in the chain do not allow the names in your certificate"
	case x509.TooManyIntermediates, x509.TooManyConstraints:
		return "the chain is longer or more complex than a CA in it allows"
	case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
		return "a CA in the chain is not allowed to issue certificates for client authentication (extended key usage)"
	}
	return "the chain does not verify: " + e.Error()
}

// quote names a certificate subject or issuer for a sentence: its common
// name, or the whole name when there is none.
func quote(n pkix.Name) string {
	if n.CommonName != "" {
		return "“" + n.CommonName + "”"
	}
	return "“" + n.String() + "”"
}

// quoteDER names a raw DER distinguished name.
func quoteDER(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return "(an unreadable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return quote(n)
}

// names lists the subjects of certs ("“A”, “B”").
func names(certs []*x509.Certificate) string {
	parts := make([]string, len(certs))
	for i, c := range certs {
		parts[i] = quote(c.Subject)
	}
	return strings.Join(parts, ", ")
}
