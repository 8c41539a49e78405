package demo

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/token/softhsm"
)

// stateVersion changes when the demo's content changes, so an old demo
// directory is rebuilt rather than half-used.
const stateVersion = 2

// state is what build leaves in the directory (state.json).
type state struct {
	Version int    `json:"version"`
	CRLPort int    `json:"crl_port"` // the port named in the certificates' CRL distribution point
	Module  string `json:"module"`
}

// entry is one client certificate on the demo token.
type entry struct {
	name, label, cn string
	id              byte
	kt              pki.KeyType
}

// The demo token's certificates. Keep labels stable: scenarios and the
// README name them.
var entries = []entry{
	{"rsa", "demo-rsa", "Alice Demo (RSA)", 0x01, pki.RSA2048},
	{"ecdsa", "demo-ecdsa", "Bob Demo (ECDSA)", 0x02, pki.ECDSAP256},
	{"expired", "demo-expired", "Carol Demo (expired)", 0x03, pki.ECDSAP256},
	{"unknown-ca", "demo-unknown-ca", "Dan Demo (unknown CA)", 0x04, pki.ECDSAP256},
	{"revoked", "demo-revoked", "Erin Demo (revoked)", 0x05, pki.ECDSAP256},
	{"no-client-auth", "demo-no-client-auth", "Frank Demo (server-only EKU)", 0x06, pki.ECDSAP256},
}

// build creates the demo PKI and token in dir (which must be empty).
func build(dir string) (*state, error) {
	module, err := softhsm.FindModule()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	st := &state{Version: stateVersion, CRLPort: port, Module: module}
	p, err := makePKI(st)
	if err != nil {
		return nil, err
	}
	if err := p.write(dir); err != nil {
		return nil, err
	}
	env, err := softhsm.NewEnv(dir)
	if err != nil {
		return nil, err
	}
	if err := env.Provision([]softhsm.TokenSpec{p.tokenSpec()}); err != nil {
		return nil, fmt.Errorf("creating the demo token: %w", err)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	return st, os.WriteFile(filepath.Join(dir, "state.json"), b, 0o600)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// demoPKI is every certificate and key of the demo.
type demoPKI struct {
	root, inter, unknown, other, serverCA *pki.CA
	server, untrustedServer               *pki.Leaf
	leaves                                map[string]*pki.Leaf
	crl                                   []byte
}

func makePKI(st *state) (*demoPKI, error) {
	p := &demoPKI{leaves: map[string]*pki.Leaf{}}
	var err error
	mk := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	mk(func() (e error) { p.root, e = pki.NewRoot("cardcheck Demo Root CA", pki.ECDSAP256); return })
	mk(func() (e error) {
		p.inter, e = p.root.NewIntermediate("cardcheck Demo Issuing CA", pki.ECDSAP256)
		return
	})
	mk(func() (e error) { p.unknown, e = pki.NewRoot("Unknown Demo CA", pki.ECDSAP256); return })
	mk(func() (e error) { p.other, e = pki.NewRoot("Other Company CA", pki.ECDSAP256); return })
	mk(func() (e error) { p.serverCA, e = pki.NewRoot("Untrusted Server CA", pki.ECDSAP256); return })
	mk(func() error { return p.issueServers() })
	mk(func() error { return p.issueClients(st) })
	if err != nil {
		return nil, fmt.Errorf("creating the demo certificates: %w", err)
	}
	p.crl, err = p.inter.CRL([]*x509.Certificate{p.leaves["revoked"].Cert}, time.Time{}, time.Now().AddDate(1, 0, 0))
	return p, err
}

func (p *demoPKI) issueServers() error {
	spec := pki.LeafSpec{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyType: pki.ECDSAP256,
		NotAfter: time.Now().AddDate(5, 0, 0)}
	var err error
	if p.server, err = p.inter.Issue(spec); err != nil {
		return err
	}
	p.untrustedServer, err = p.serverCA.Issue(spec)
	return err
}

func (p *demoPKI) issueClients(st *state) error {
	crlURL := fmt.Sprintf("http://127.0.0.1:%d/demo.crl", st.CRLPort)
	for _, e := range entries {
		spec := pki.LeafSpec{Subject: pkix.Name{CommonName: e.cn, Organization: []string{"cardcheck demo"}},
			KeyType: e.kt, NotAfter: time.Now().AddDate(5, 0, 0), CRLDistributionPoints: []string{crlURL}}
		issuer := p.inter
		switch e.name {
		case "expired":
			spec.NotBefore, spec.NotAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(0, 0, -30)
		case "unknown-ca":
			issuer, spec.CRLDistributionPoints = p.unknown, nil
		case "no-client-auth":
			spec.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		leaf, err := issuer.Issue(spec)
		if err != nil {
			return err
		}
		p.leaves[e.name] = leaf
	}
	return nil
}

// Files in the demo directory.
const (
	fileCA              = "demo-ca.pem"         // root: verifies the demo servers
	fileClientCA        = "demo-client-ca.pem"  // root: what the demo servers trust for clients
	fileOtherCA         = "other-ca.pem"        // what the "does not trust the demo CA" server trusts
	fileCRL             = "demo-issuing-ca.crl" // PEM CRL of the issuing CA
	fileServer          = "server.pem"          // leaf + issuing CA
	fileServerKey       = "server-key.pem"
	fileUntrustedServer = "untrusted-server.pem"
	fileUntrustedKey    = "untrusted-server-key.pem"
)

func (p *demoPKI) write(dir string) error {
	steps := []func() error{
		func() error { return pki.WriteCerts(filepath.Join(dir, fileCA), p.root.Cert) },
		func() error { return pki.WriteCerts(filepath.Join(dir, fileClientCA), p.root.Cert) },
		func() error { return pki.WriteCerts(filepath.Join(dir, fileOtherCA), p.other.Cert) },
		func() error { return pki.WriteCRL(filepath.Join(dir, fileCRL), p.crl) },
		func() error { return pki.WriteCerts(filepath.Join(dir, fileServer), p.server.Certificates()...) },
		func() error { return pki.WriteKey(filepath.Join(dir, fileServerKey), p.server.Key) },
		func() error {
			return pki.WriteCerts(filepath.Join(dir, fileUntrustedServer), p.untrustedServer.Certificates()...)
		},
		func() error { return pki.WriteKey(filepath.Join(dir, fileUntrustedKey), p.untrustedServer.Key) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// tokenSpec puts every client certificate with its key on the demo token,
// plus the issuing CA (cards carry their intermediates).
func (p *demoPKI) tokenSpec() softhsm.TokenSpec {
	spec := softhsm.TokenSpec{Label: TokenLabel, SOPIN: soPIN, PIN: PIN}
	for _, e := range entries {
		leaf := p.leaves[e.name]
		id := []byte{e.id}
		spec.Objects = append(spec.Objects,
			softhsm.CertObject{ID: id, Label: e.label, Value: leaf.Cert.Raw},
			softhsm.KeyObject{ID: id, Label: e.label, Key: leaf.Key, WithPublic: true})
	}
	spec.Objects = append(spec.Objects, softhsm.CertObject{ID: []byte{0xca}, Label: "demo-issuing-ca", Value: p.inter.Cert.Raw, Authority: true})
	return spec
}
