package certcheck

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"testing"

	"github.com/cardcheck/cardcheck/app/pki"
)

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is encoded as a SET OF: encoding/asn1 does that for slice
// types whose name ends in SET.
type rawRDNSET []rawATV

// utf8Name re-encodes a name with UTF8String values, as some servers'
// CA lists do even where the certificate used PrintableString.
func utf8Name(t *testing.T, n pkix.Name) []byte {
	t.Helper()
	var rdns []rawRDNSET
	for _, set := range n.ToRDNSequence() {
		var out rawRDNSET
		for _, atv := range set {
			out = append(out, rawATV{atv.Type, asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(atv.Value.(string))}})
		}
		rdns = append(rdns, out)
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestAcceptableCA(t *testing.T) {
	p := newPKI(t)
	leaf := issue(t, p.inter, pki.LeafSpec{})
	chain := []*x509.Certificate{leaf.Cert, p.inter.Cert, p.root.Cert}
	partial := []*x509.Certificate{leaf.Cert}
	inter, root, other := p.inter.Cert.RawSubject, p.root.Cert.RawSubject, p.other.Cert.RawSubject
	reencoded := utf8Name(t, p.inter.Cert.Subject)
	if bytes.Equal(reencoded, inter) {
		t.Fatal("re-encoded name is byte-identical; the test proves nothing")
	}
	var many [][]byte
	for i := range 8 {
		ca, err := pki.NewRoot(fmt.Sprintf("CA %d", i), pki.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		many = append(many, ca.Cert.RawSubject)
	}
	tests := []struct {
		name       string
		requested  bool
		acceptable [][]byte
		chain      []*x509.Certificate
		status     Status
		fragments  []string
	}{
		{"not-requested", false, nil, chain, Skipped, []string{"did not ask"}},
		{"no-names", true, nil, chain, Unknown, []string{"did not name acceptable CAs; any CA may do"}},
		{"issuer", true, [][]byte{other, inter}, chain, Pass, []string{"“Test Intermediate”"}},
		{"issuer-partial-chain", true, [][]byte{inter}, partial, Pass, []string{"“Test Intermediate”"}},
		{"root", true, [][]byte{root}, chain, Pass, []string{"“Test Root”"}},
		{"reencoded", true, [][]byte{reencoded}, chain, Pass, []string{"“Test Intermediate”"}},
		{"other", true, [][]byte{other}, chain, Fail, []string{"accepts certificates from “Other Root”; yours is issued by “Test Intermediate”"}},
		{"root-unknown-to-us", true, [][]byte{root}, partial, Fail, []string{"“Test Root”"}},
		{"many", true, many, chain, Fail, []string{"“CA 0”, “CA 1”", "and 3 more"}},
		{"garbage-name", true, [][]byte{{0x30, 0x03, 0x01}}, chain, Fail, []string{"unreadable"}},
		{"no-certificate", true, [][]byte{root}, nil, Skipped, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, AcceptableCA(tt.requested, tt.acceptable, tt.chain), NameAcceptableCA, tt.status, tt.fragments...)
		})
	}
}
