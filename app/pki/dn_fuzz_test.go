package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/cardcheck/cardcheck/app/termsafe"
)

// FuzzDNString feeds distinguished names as a server sends them (the
// acceptable CAs of its CertificateRequest) to DNString: no panic, a
// bounded rendering, and nothing a terminal would obey once escaped.
func FuzzDNString(f *testing.F) {
	for _, n := range []pkix.Name{
		{CommonName: "Cardcheck Test Root CA", Organization: []string{"cardcheck test rig"}},
		{CommonName: "Evil \x1b]0;owned\x07\nVERDICT: ACCEPTED"},
		{CommonName: "张三", Country: []string{"CN"}},
	} {
		der, err := asn1.Marshal(n.ToRDNSequence())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte("not DER"))
	f.Fuzz(func(t *testing.T, der []byte) {
		s := DNString(der)
		if len(s) > 8*len(der)+64 {
			t.Fatalf("%d bytes of DN became %d bytes of text", len(der), len(s))
		}
		for _, r := range termsafe.String(s) {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character %U survives", r)
			}
		}
	})
}
