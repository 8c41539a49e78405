package certcheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"time"
)

// checkCRL downloads one CRL, verifies it against issuer and looks for
// leaf's serial number in it.
func checkCRL(ctx context.Context, client *http.Client, u string, leaf, issuer *x509.Certificate, now time.Time) Check {
	data, err := fetch(ctx, client, u, maxCRLSize)
	if err != nil {
		return result(NameRevocation, Unknown, "could not reach the CRL at %s (%s)", u, why(err))
	}
	crl, err := parseCRL(data)
	if err != nil {
		return result(NameRevocation, Unknown, "the CRL at %s cannot be read (%v)", u, err)
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
		return result(NameRevocation, Unknown, "the CRL at %s is not signed by %s, the CA that issued your certificate, so it cannot be trusted",
			u, quote(issuer.Subject))
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			return result(NameRevocation, Fail, "the certificate was revoked on %s (%s), says the CRL at %s",
				date(e.RevocationTime), reason(e.ReasonCode), u)
		}
	}
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return result(NameRevocation, Warn, "the CRL at %s does not list the certificate, but it is out of date since %s, so servers that check it may refuse any certificate",
			u, date(crl.NextUpdate))
	}
	return result(NameRevocation, Pass, "the CRL at %s does not list the certificate as revoked", u)
}

// parseCRL accepts DER, as RFC 5280 §4.2.1.13 prescribes for HTTP, and the
// PEM that some servers publish instead.
func parseCRL(data []byte) (*x509.RevocationList, error) {
	if block, _ := pem.Decode(data); block != nil && block.Type == "X509 CRL" {
		data = block.Bytes
	}
	return x509.ParseRevocationList(data)
}
