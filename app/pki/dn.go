package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// DNString is the one rendering of a DER distinguished name that arrives
// on its own (the acceptable CAs of a CertificateRequest): as crypto/x509
// renders a certificate's subject and issuer (pkix.Name.String, RFC 2253
// style), so that the CA a server names reads exactly like the issuer of
// the certificate it matches. A name that does not parse is described by
// its size, not dumped.
func DNString(der []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		if len(der) == 1 {
			return "(unreadable name, 1 byte)"
		}
		return fmt.Sprintf("(unreadable name, %d bytes)", len(der))
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return n.String()
}
