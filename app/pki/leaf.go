package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

// LeafSpec describes an end-entity certificate. Zero values mean sensible
// defaults for a client certificate.
type LeafSpec struct {
	// Subject is the full subject name. CommonName, when set, overrides
	// Subject.CommonName. One of the two must name the leaf.
	Subject    pkix.Name
	CommonName string

	// Key is the leaf's key; nil means generate one of KeyType (empty
	// KeyType = DefaultKeyType).
	Key     crypto.Signer
	KeyType KeyType

	// NotBefore defaults to one hour ago (or one year before NotAfter when
	// NotAfter is earlier than that); NotAfter defaults to NotBefore plus a
	// year and an hour.
	NotBefore, NotAfter time.Time

	// ExtKeyUsage defaults to clientAuth; set NoEKU to leave the extension
	// out entirely (which RFC 5280 reads as "any usage").
	ExtKeyUsage []x509.ExtKeyUsage
	NoEKU       bool

	// KeyUsage defaults to digitalSignature, plus keyEncipherment for RSA.
	KeyUsage x509.KeyUsage

	DNSNames       []string
	IPAddresses    []net.IP
	EmailAddresses []string

	// Revocation and AIA URLs. Leave them empty in tests that must not
	// touch the network.
	CRLDistributionPoints []string
	OCSPServer            []string
	IssuingCertificateURL []string

	// SignatureAlgorithm overrides the issuer's default algorithm
	// (e.g. x509.SHA256WithRSAPSS).
	SignatureAlgorithm x509.SignatureAlgorithm
}

// Leaf is an issued end-entity certificate with its key and the
// intermediates between it and the root (root excluded).
type Leaf struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
}

const leafLifetime = 365*24*time.Hour + time.Hour

// Issue signs a leaf certificate described by spec.
func (ca *CA) Issue(spec LeafSpec) (*Leaf, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, errors.New("pki: Issue on an incomplete CA")
	}
	key := spec.Key
	if key == nil {
		var err error
		if key, err = GenerateKey(spec.KeyType); err != nil {
			return nil, err
		}
	}
	tmpl, err := leafTemplate(&spec, key)
	if err != nil {
		return nil, err
	}
	cert, err := sign(tmpl, ca, key)
	if err != nil {
		return nil, fmt.Errorf("pki: leaf %q: %w", tmpl.Subject.CommonName, err)
	}
	return &Leaf{Cert: cert, Key: key, Chain: ca.Chain()}, nil
}

func leafTemplate(spec *LeafSpec, key crypto.Signer) (*x509.Certificate, error) {
	subject := spec.Subject
	if spec.CommonName != "" {
		subject.CommonName = spec.CommonName
	}
	if len(subject.ToRDNSequence()) == 0 {
		return nil, errors.New("pki: a leaf needs a subject or common name")
	}
	nb, na, err := leafValidity(spec.NotBefore, spec.NotAfter)
	if err != nil {
		return nil, fmt.Errorf("pki: leaf %q: %w", subject.CommonName, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             nb,
		NotAfter:              na,
		BasicConstraintsValid: true,
		KeyUsage:              leafKeyUsage(spec.KeyUsage, key),
		ExtKeyUsage:           leafExtKeyUsage(spec),
		DNSNames:              spec.DNSNames,
		IPAddresses:           spec.IPAddresses,
		EmailAddresses:        spec.EmailAddresses,
		CRLDistributionPoints: spec.CRLDistributionPoints,
		OCSPServer:            spec.OCSPServer,
		IssuingCertificateURL: spec.IssuingCertificateURL,
		SignatureAlgorithm:    spec.SignatureAlgorithm,
	}, nil
}

func leafValidity(nb, na time.Time) (time.Time, time.Time, error) {
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
		// An explicitly expired leaf still needs NotBefore < NotAfter.
		if !na.IsZero() && !na.After(nb) {
			nb = na.Add(-365 * 24 * time.Hour)
		}
	}
	if na.IsZero() {
		na = nb.Add(leafLifetime)
	}
	if !na.After(nb) {
		return nb, na, fmt.Errorf("NotAfter %v is not after NotBefore %v", na, nb)
	}
	return nb, na, nil
}

func leafKeyUsage(ku x509.KeyUsage, key crypto.Signer) x509.KeyUsage {
	if ku != 0 {
		return ku
	}
	ku = x509.KeyUsageDigitalSignature
	if isRSA(key) {
		ku |= x509.KeyUsageKeyEncipherment
	}
	return ku
}

func leafExtKeyUsage(spec *LeafSpec) []x509.ExtKeyUsage {
	switch {
	case spec.NoEKU:
		return nil
	case len(spec.ExtKeyUsage) > 0:
		return spec.ExtKeyUsage
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
}

// Certificates returns the leaf followed by its chain: what a TLS peer
// sends.
func (l *Leaf) Certificates() []*x509.Certificate {
	return append([]*x509.Certificate{l.Cert}, l.Chain...)
}

// TLSCertificate returns the leaf as a tls.Certificate with its chain, for
// Go TLS servers and clients in tests and the demo.
func (l *Leaf) TLSCertificate() tls.Certificate {
	tc := tls.Certificate{PrivateKey: l.Key, Leaf: l.Cert}
	for _, c := range l.Certificates() {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc
}
