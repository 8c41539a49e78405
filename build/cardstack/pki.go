package cardstack

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"path/filepath"

	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/build/pivemu"
)

// Common names on the emulated card.
const (
	CACN   = "Cardcheck PIV Test CA"
	AuthCN = "Piv Alice RSA"     // slot 9A, RSA-2048
	SignCN = "Piv Alice EC P256" // slot 9C, ECDSA P-256
)

// PKI is what the emulated card and a test server need: a CA, the card's
// two certificates with their keys, and a localhost server certificate,
// also written as PEM files.
type PKI struct {
	CA     *pki.CA
	Auth   *pki.Leaf // slot 9A
	Sign   *pki.Leaf // slot 9C
	Server *pki.Leaf // localhost, 127.0.0.1, ::1

	CAFile         string
	ServerCertFile string
	ServerKeyFile  string
}

// Slots returns the card's key slots.
func (p *PKI) Slots() []pivemu.Slot {
	return []pivemu.Slot{
		{Ref: pivemu.SlotAuthentication, Cert: p.Auth.Cert, Key: p.Auth.Key},
		{Ref: pivemu.SlotSignature, Cert: p.Sign.Cert, Key: p.Sign.Key},
	}
}

func newPKI(dir string) (*PKI, error) {
	org := []string{"cardcheck card stack"}
	ca, err := pki.NewRoot(CACN, pki.ECDSAP256, pki.WithSubject(pkix.Name{CommonName: CACN, Organization: org}))
	if err != nil {
		return nil, err
	}
	p := &PKI{CA: ca}
	if p.Auth, err = ca.Issue(pki.LeafSpec{Subject: pkix.Name{CommonName: AuthCN, Organization: org}, KeyType: pki.RSA2048}); err != nil {
		return nil, err
	}
	if p.Sign, err = ca.Issue(pki.LeafSpec{Subject: pkix.Name{CommonName: SignCN, Organization: org}, KeyType: pki.ECDSAP256}); err != nil {
		return nil, err
	}
	if p.Server, err = ca.Issue(pki.LeafSpec{
		Subject:     pkix.Name{CommonName: "localhost", Organization: org},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return nil, err
	}
	p.CAFile = filepath.Join(dir, "ca.pem")
	p.ServerCertFile = filepath.Join(dir, "server.pem")
	p.ServerKeyFile = filepath.Join(dir, "server-key.pem")
	if err := pki.WriteCerts(p.CAFile, ca.Cert); err != nil {
		return nil, err
	}
	if err := pki.WriteCerts(p.ServerCertFile, p.Server.Cert); err != nil {
		return nil, err
	}
	return p, pki.WriteKey(p.ServerKeyFile, p.Server.Key)
}
