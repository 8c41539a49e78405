package certcheck

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"time"
)

// checkCRL downloads one CRL, verifies it against issuer and looks for
// leaf's serial number in it (scanCRL: without building every entry).
func checkCRL(ctx context.Context, client *http.Client, u string, leaf, issuer *x509.Certificate, now time.Time) Check {
	data, err := fetch(ctx, client, u, maxCRLSize)
	if d, ok := isSlow(err); ok {
		return result(NameRevocation, Unknown, "the CA's CRL server at %s did not answer within %s", u, durationText(d))
	}
	if err != nil {
		return result(NameRevocation, Unknown, "could not reach the CRL at %s (%s)", u, why(err))
	}
	crl, err := scanCRL(crlDER(data), issuer, leaf.SerialNumber)
	switch {
	case errors.Is(err, errWrongIssuer):
		return result(NameRevocation, Unknown, "the CRL at %s is not signed by %s, the CA that issued your certificate, so it cannot be trusted",
			u, quote(issuer.Subject))
	case err != nil:
		return result(NameRevocation, Unknown, "the CRL at %s cannot be read (%v)", u, err)
	case crl.revoked:
		return result(NameRevocation, Fail, "the certificate was revoked on %s (%s), says the CRL at %s",
			date(crl.revokedAt), reason(crl.reasonCode), u)
	case !crl.nextUpdate.IsZero() && now.After(crl.nextUpdate):
		return result(NameRevocation, Warn, "the CRL at %s does not list the certificate, but it is out of date since %s, so servers that check it may refuse any certificate",
			u, date(crl.nextUpdate))
	}
	return result(NameRevocation, Pass, "the CRL at %s does not list the certificate as revoked", u)
}

// crlDER accepts DER, as RFC 5280 §4.2.1.13 prescribes for HTTP, and the
// PEM that some servers publish instead.
func crlDER(data []byte) []byte {
	if block, _ := pem.Decode(data); block != nil && block.Type == "X509 CRL" {
		return block.Bytes
	}
	return data
}
