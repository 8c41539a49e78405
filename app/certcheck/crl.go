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
		return result(NameRevocation, Unknown, crlSlow.New("URL", u, "Wait", durationText(d)))
	}
	if err != nil {
		return result(NameRevocation, Unknown, crlUnreached.New("URL", u, "Reason", why(err)))
	}
	crl, err := scanCRL(crlDER(data), issuer, leaf.SerialNumber)
	switch {
	case errors.Is(err, errWrongIssuer):
		return result(NameRevocation, Unknown, crlWrongCA.New("URL", u, "Issuer", quote(issuer.Subject)))
	case err != nil:
		return result(NameRevocation, Unknown, crlUnreadable.New("URL", u, "Reason", err.Error()))
	case crl.revoked:
		return result(NameRevocation, Fail, crlRevoked.New("Date", date(crl.revokedAt), "Reason", reason(crl.reasonCode), "URL", u))
	case !crl.nextUpdate.IsZero() && now.After(crl.nextUpdate):
		return result(NameRevocation, Warn, crlOutOfDate.New("URL", u, "Date", date(crl.nextUpdate)))
	}
	return result(NameRevocation, Pass, crlGood.New("URL", u))
}

// crlDER accepts DER, as RFC 5280 §4.2.1.13 prescribes for HTTP, and the
// PEM that some servers publish instead.
func crlDER(data []byte) []byte {
	if block, _ := pem.Decode(data); block != nil && block.Type == "X509 CRL" {
		return block.Bytes
	}
	return data
}
