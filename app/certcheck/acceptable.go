package certcheck

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"

	"github.com/cardcheck/cardcheck/app/msg"
)

// maxNamesShown keeps the failure sentence readable: servers may name
// dozens of CAs.
const maxNamesShown = 5

// AcceptableCA compares the CAs the server named in its CertificateRequest
// with the certificate's chain (leaf first, as returned by Chain): a match
// on the issuer of any certificate in the chain, or the subject of any CA
// in it, is what TLS stacks use to pick a certificate (RFC 8446 §4.2.4,
// RFC 5246 §7.4.4). requested reports that the server sent a
// CertificateRequest at all.
func AcceptableCA(requested bool, acceptable [][]byte, chain []*x509.Certificate) Check {
	switch {
	case !requested:
		return result(NameAcceptableCA, Skipped, acaNotAsked.New())
	case len(acceptable) == 0:
		return result(NameAcceptableCA, Unknown, acaNoneNamed.New())
	case len(chain) == 0:
		return result(NameAcceptableCA, Skipped, noCertificate.New())
	}
	for i, c := range chain {
		if matchName(acceptable, c.RawIssuer) {
			return result(NameAcceptableCA, Pass, acaInChain.New("Name", quote(c.Issuer)))
		}
		if i > 0 && matchName(acceptable, c.RawSubject) {
			return result(NameAcceptableCA, Pass, acaInChain.New("Name", quote(c.Subject)))
		}
	}
	return result(NameAcceptableCA, Fail, acaNotInChain.New("Names", listNames(acceptable), "Issuer", quote(chain[0].Issuer)))
}

// matchName compares DER names byte for byte, as Go's TLS stack does, and
// then by their parsed attributes, so that a name re-encoded with another
// string type (PrintableString vs UTF8String) still matches.
func matchName(acceptable [][]byte, name []byte) bool {
	for _, a := range acceptable {
		if bytes.Equal(a, name) {
			return true
		}
	}
	want, ok := nameString(name)
	if !ok {
		return false
	}
	for _, a := range acceptable {
		if got, ok := nameString(a); ok && got == want {
			return true
		}
	}
	return false
}

func nameString(der []byte) (string, bool) {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return "", false
	}
	return rdn.String(), true
}

func listNames(ders [][]byte) []msg.Msg {
	var parts []msg.Msg
	for i, der := range ders {
		if i == maxNamesShown {
			parts = append(parts, acaMore.New("Count", len(ders)-maxNamesShown))
			break
		}
		parts = append(parts, quoteDER(der))
	}
	return parts
}
