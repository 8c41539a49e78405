package certcheck

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pki"
)

// chainCheck turns what buildChain found into the chain check.
func chainCheck(r chainResult) Check {
	if r.err == nil {
		return chainPass(r)
	}
	var ua x509.UnknownAuthorityError
	if !errors.As(r.err, &ua) {
		return result(NameChain, Fail, verifyReason(r.err, r.path))
	}
	if c := ua.Cert; pki.WeaklySigned(c) {
		// crypto/x509 reports a SHA-1 signature by a CA it has as an
		// unknown authority: the CA may be there, the algorithm is refused.
		return result(NameChain, Fail, insecureAlgorithm.New("Algorithm", c.SignatureAlgorithm.String()))
	}
	top := r.path[len(r.path)-1]
	if c := notCA(r.path); c != nil {
		return result(NameChain, Fail, chainNotCA.New("Name", quote(c.Subject)))
	}
	switch {
	case r.fetchErr != nil:
		return result(NameChain, Unknown, chainDownload.New("Issuer", quote(top.Issuer), "Subject", quote(top.Subject),
			"URL", r.fetchURL, "Reason", why(r.fetchErr)))
	case isSelfSigned(top) && r.systemRoots:
		return result(NameChain, Unknown, chainRootUntrusted.New("Root", quote(top.Subject)))
	case isSelfSigned(top):
		return result(NameChain, Fail, chainRootNotInFile.New("Root", quote(top.Subject)))
	case r.systemRoots:
		return result(NameChain, Unknown, chainCAUntrusted.New("Issuer", quote(top.Issuer), "Subject", quote(top.Subject)))
	}
	return result(NameChain, Fail, chainCAMissing.New("Issuer", quote(top.Issuer), "Subject", quote(top.Subject)))
}

func chainPass(r chainResult) Check {
	root := r.path[len(r.path)-1]
	trust := trustFile.New()
	if r.systemRoots {
		trust = trustSystem.New()
	}
	var note msg.Msg
	if r.leafOutside {
		note = judgedToday.New()
	}
	if len(r.path) > 2 {
		return result(NameChain, Pass, chainThrough.New("Intermediates", names(r.path[1:len(r.path)-1]),
			"Root", quote(root.Subject), "Trust", trust, "Note", note))
	}
	return result(NameChain, Pass, chainTo.New("Root", quote(root.Subject), "Trust", trust, "Note", note))
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
func verifyReason(err error, path []*x509.Certificate) msg.Msg {
	var invalid x509.CertificateInvalidError
	var insecure x509.InsecureAlgorithmError
	var critical x509.UnhandledCriticalExtension
	switch {
	case errors.As(err, &invalid):
		return invalidReason(invalid, path)
	case errors.As(err, &insecure):
		return insecureAlgorithm.New("Algorithm", x509.SignatureAlgorithm(insecure).String())
	case errors.As(err, &critical):
		return criticalExtension.New()
	}
	return doesNotVerify.New("Reason", err.Error())
}

func invalidReason(e x509.CertificateInvalidError, path []*x509.Certificate) msg.Msg {
	who := whoCA.New()
	switch {
	case e.Cert != nil && len(path) > 0 && e.Cert.Equal(path[0]):
		who = whoYours.New()
	case e.Cert != nil:
		who = whoNamed.New("Name", quote(e.Cert.Subject))
	}
	switch e.Reason {
	case x509.Expired:
		if e.Cert != nil {
			return outsidePeriod.New("Who", who, "From", date(e.Cert.NotBefore), "Until", date(e.Cert.NotAfter))
		}
		return expiredOrNotYet.New("Who", who)
	case x509.NotAuthorizedToSign:
		return whoNotCA.New("Who", who)
	case x509.CANotAuthorizedForThisName, x509.NameConstraintsWithoutSANs, x509.UnconstrainedName, x509.NameMismatch:
		return nameConstraints.New()
	case x509.TooManyIntermediates, x509.TooManyConstraints:
		return tooComplex.New()
	case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
		return caNotForClientAuth.New()
	}
	return doesNotVerify.New("Reason", e.Error())
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
func quoteDER(der []byte) msg.Msg {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return unreadable.New()
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return msg.Text(quote(n))
}

// names lists the subjects of certs ("“A”, “B”").
func names(certs []*x509.Certificate) string {
	parts := make([]string, len(certs))
	for i, c := range certs {
		parts[i] = quote(c.Subject)
	}
	return strings.Join(parts, ", ")
}
