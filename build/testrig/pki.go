package testrig

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// Common names of the rig's CAs.
const (
	RootCN         = "Cardcheck Test Root CA"
	IntermediateCN = "Cardcheck Test Intermediate CA"
	UntrustedCN    = "Cardcheck Untrusted Root CA"
	organization   = "cardcheck test rig"
)

// plan describes one MainToken entry before it is issued.
type plan struct {
	name, cn, label string
	id              byte
	kt              pki.KeyType
	untrusted       bool // issued by the untrusted root
	noCert, noKey   bool // what the token does not get
	tweak           func(*pki.LeafSpec)
}

// plans is MainToken in storage order. Garbage and Intermediate are not
// issued and are added separately.
func plans(now time.Time) []plan {
	return []plan{
		{name: RSA, cn: "Alice RSA", id: 0x01, kt: pki.RSA2048},
		{name: EC256, cn: "Bob EC P-256", id: 0x02, kt: pki.ECDSAP256},
		{name: EC384, cn: "Carol EC P-384", id: 0x03, kt: pki.ECDSAP384},
		{name: Expired, cn: "Dave Expired", id: 0x04, tweak: func(s *pki.LeafSpec) {
			s.NotBefore, s.NotAfter = now.AddDate(-1, 0, 0), now.AddDate(0, 0, -30)
		}},
		{name: NotYet, cn: "Erin Not Yet Valid", id: 0x05, tweak: func(s *pki.LeafSpec) {
			s.NotBefore, s.NotAfter = now.AddDate(0, 0, 30), now.AddDate(1, 0, 30)
		}},
		{name: NoClientAuth, cn: "Frank Server Auth Only", id: 0x06, tweak: func(s *pki.LeafSpec) {
			s.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}},
		{name: Unicode, cn: "张三", label: "unicode-张三", id: 0x07, kt: pki.RSA2048},
		{name: Revoked, cn: "Grace Revoked", id: 0x08},
		{name: Untrusted, cn: "Mallory Untrusted", id: 0x09, untrusted: true},
		{name: CertOnly, cn: "Heidi Cert Only", id: 0x0a, noKey: true},
		{name: KeyOnly, id: 0x0b, noCert: true},
		{name: AlwaysAuth, cn: "Ivan Always Authenticate", id: 0x0c},
	}
}

// IDs of the entries that are not issued.
const (
	garbageID      = 0x0d
	intermediateID = 0xca
	garbageSize    = 64
)

func (r *Rig) buildPKI() error {
	now := time.Now()
	ps := plans(now)
	// RSA key generation is the slow part of the build: do all of it at
	// once, in parallel. Everything else is ECDSA and takes microseconds.
	rsaKeys, err := generateRSA(1 + countRSA(ps))
	if err != nil {
		return err
	}
	if err := r.buildCAs(rsaKeys[0]); err != nil {
		return err
	}
	if err := r.buildServers(); err != nil {
		return err
	}
	if err := r.buildEntries(ps, rsaKeys[1:]); err != nil {
		return err
	}
	return r.buildBulk()
}

func countRSA(ps []plan) int {
	n := 0
	for _, p := range ps {
		if p.kt == pki.RSA2048 {
			n++
		}
	}
	return n
}

func generateRSA(n int) ([]crypto.Signer, error) {
	keys := make([]crypto.Signer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = pki.GenerateKey(pki.RSA2048) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func name(cn string) pki.Option {
	return pki.WithSubject(pkix.Name{CommonName: cn, Organization: []string{organization}})
}

func (r *Rig) buildCAs(rootKey crypto.Signer) error {
	var err error
	if r.Root, err = pki.NewRoot(RootCN, pki.RSA2048, pki.WithKey(rootKey), name(RootCN)); err != nil {
		return err
	}
	if r.Intermediate, err = r.Root.NewIntermediate(IntermediateCN, pki.ECDSAP256, name(IntermediateCN),
		pki.WithCRLDistributionPoints(r.RevocationURL+RootCRLPath)); err != nil {
		return err
	}
	r.Untrusted, err = pki.NewRoot(UntrustedCN, pki.ECDSAP256, name(UntrustedCN))
	return err
}

func (r *Rig) buildServers() error {
	spec := pki.LeafSpec{
		Subject:     pkix.Name{CommonName: "localhost", Organization: []string{organization}},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	var err error
	if r.Server, err = r.Intermediate.Issue(spec); err != nil {
		return err
	}
	r.UntrustedServer, err = r.Untrusted.Issue(spec)
	return err
}

func (r *Rig) buildEntries(ps []plan, rsaKeys []crypto.Signer) error {
	r.Entries = make(map[string]*Entry, len(ps)+2)
	for _, p := range ps {
		var key crypto.Signer
		if p.kt == pki.RSA2048 {
			key, rsaKeys = rsaKeys[0], rsaKeys[1:]
		}
		e, err := r.issue(p, key)
		if err != nil {
			return fmt.Errorf("entry %s: %w", p.name, err)
		}
		r.Entries[p.name] = e
	}
	garbage := make([]byte, garbageSize)
	if _, err := rand.Read(garbage); err != nil {
		return err
	}
	garbage[0] = 0xff // not a DER SEQUENCE tag: can never parse as a certificate
	r.Entries[Garbage] = &Entry{Name: Garbage, Token: MainToken, Label: Garbage,
		ID: []byte{garbageID}, DER: garbage}
	ic := r.Intermediate.Cert
	r.Entries[Intermediate] = &Entry{Name: Intermediate, Token: MainToken, Label: Intermediate,
		ID: []byte{intermediateID}, DER: ic.Raw, Cert: ic} // issued by the root: no chain
	return nil
}

// issue makes one entry: a key, and unless noCert a certificate for it.
func (r *Rig) issue(p plan, key crypto.Signer) (*Entry, error) {
	e := &Entry{Name: p.name, Token: MainToken, Label: p.label, ID: []byte{p.id}}
	if e.Label == "" {
		e.Label = p.name
	}
	if key == nil {
		var err error
		if key, err = pki.GenerateKey(p.kt); err != nil {
			return nil, err
		}
	}
	if !p.noCert {
		ca := r.Intermediate
		if p.untrusted {
			ca = r.Untrusted
		}
		spec := pki.LeafSpec{
			Subject: pkix.Name{CommonName: p.cn, Organization: []string{organization}},
			Key:     key,
		}
		if !p.untrusted {
			r.revocationURLs(&spec)
		}
		if p.tweak != nil {
			p.tweak(&spec)
		}
		leaf, err := ca.Issue(spec)
		if err != nil {
			return nil, err
		}
		e.DER, e.Cert, e.Chain = leaf.Cert.Raw, leaf.Cert, leaf.Chain
	}
	if !p.noKey {
		e.Key = key
	}
	return e, nil
}

// buildBulk issues BigToken's certificates. They share one key, except the
// first, whose key is on the token: with a shared key on the token, pairing
// by public key would make all 200 usable.
func (r *Rig) buildBulk() error {
	shared, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		return err
	}
	own, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		return err
	}
	r.Bulk = make([]*Entry, BigCount)
	for i := range r.Bulk {
		n := i + 1
		key := shared
		if i == 0 {
			key = own
		}
		spec := pki.LeafSpec{CommonName: fmt.Sprintf("Bulk %03d", n), Key: key}
		r.revocationURLs(&spec)
		leaf, err := r.Intermediate.Issue(spec)
		if err != nil {
			return err
		}
		r.Bulk[i] = &Entry{Name: fmt.Sprintf("bulk-%03d", n), Token: BigToken,
			Label: fmt.Sprintf("bulk-%03d", n), ID: []byte{byte(n >> 8), byte(n)},
			DER: leaf.Cert.Raw, Cert: leaf.Cert, Chain: leaf.Chain}
	}
	r.Bulk[0].Key = own
	return nil
}

// revocationURLs points a client leaf of the intermediate at the rig's
// revocation endpoints.
func (r *Rig) revocationURLs(spec *pki.LeafSpec) {
	spec.CRLDistributionPoints = []string{r.RevocationURL + IntermediateCRLPath}
	spec.OCSPServer = []string{r.RevocationURL + OCSPPath}
	spec.IssuingCertificateURL = []string{r.RevocationURL + IntermediateCertPath}
}
