package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// Default CRL timing: thisUpdate slightly in the past (clock skew between
// the test and the server) and a week of validity, because OpenSSL rejects
// a CRL whose nextUpdate has passed.
const (
	crlBackdate = time.Minute
	crlLifetime = 7 * 24 * time.Hour
)

// CRL returns a DER-encoded CRL signed by ca that lists the given
// certificates as revoked at thisUpdate. Zero thisUpdate means a minute ago;
// zero nextUpdate means a week after thisUpdate. Every revoked certificate
// must have been issued by ca: a CRL only speaks for its issuer's serials,
// so anything else is a caller bug.
func (ca *CA) CRL(revoked []*x509.Certificate, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	if thisUpdate.IsZero() {
		thisUpdate = time.Now().Add(-crlBackdate)
	}
	if nextUpdate.IsZero() {
		nextUpdate = thisUpdate.Add(crlLifetime)
	}
	if !nextUpdate.After(thisUpdate) {
		return nil, fmt.Errorf("pki: CRL nextUpdate %v is not after thisUpdate %v", nextUpdate, thisUpdate)
	}
	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, c := range revoked {
		if !bytes.Equal(c.RawIssuer, ca.Cert.RawSubject) {
			return nil, fmt.Errorf("pki: CRL of %q cannot revoke %q: different issuer",
				ca.Cert.Subject.CommonName, c.Subject.CommonName)
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   c.SerialNumber,
			RevocationTime: thisUpdate,
		})
	}
	tmpl := &x509.RevocationList{
		// The CRL number must grow with each issue; time does that
		// without keeping state in the CA.
		Number:                    crlNumber(thisUpdate),
		ThisUpdate:                thisUpdate,
		NextUpdate:                nextUpdate,
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: CRL of %q: %w", ca.Cert.Subject.CommonName, err)
	}
	return der, nil
}

// crlNumber derives the CRL number from thisUpdate; RFC 5280 wants a
// positive integer, so dates before 1970 get 1.
func crlNumber(thisUpdate time.Time) *big.Int {
	return big.NewInt(max(thisUpdate.UnixNano(), 1))
}
