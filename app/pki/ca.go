package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CA is a certificate authority: its certificate, its private key and the
// CA that issued it (nil for a root).
type CA struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Parent *CA
}

// Default CA validity: back-dated so that certificates issued "in the past"
// (expired test leaves) still fall inside their issuer's lifetime.
const (
	caBackdate = 3 * 365 * 24 * time.Hour
	caLifetime = 10 * 365 * 24 * time.Hour
)

// Option adjusts a CA made by NewRoot or NewIntermediate.
type Option func(*caOptions)

type caOptions struct {
	key                   crypto.Signer
	subject               *pkix.Name
	notBefore, notAfter   time.Time
	crlDistributionPoints []string
	ocspServer            []string
	issuingCertificateURL []string
}

// WithKey uses an existing key instead of generating one.
func WithKey(key crypto.Signer) Option {
	return func(o *caOptions) { o.key = key }
}

// WithSubject sets the full subject; the cn argument then only fills in an
// empty CommonName.
func WithSubject(name pkix.Name) Option {
	return func(o *caOptions) { o.subject = &name }
}

// WithValidity sets the validity period. Zero values keep the defaults
// (3 years ago .. 10 years from now).
func WithValidity(notBefore, notAfter time.Time) Option {
	return func(o *caOptions) { o.notBefore, o.notAfter = notBefore, notAfter }
}

// WithCRLDistributionPoints puts CRL URLs into the CA certificate (only
// meaningful for intermediates: they name where the parent publishes).
func WithCRLDistributionPoints(urls ...string) Option {
	return func(o *caOptions) { o.crlDistributionPoints = urls }
}

// WithOCSPServer puts OCSP responder URLs into the CA certificate.
func WithOCSPServer(urls ...string) Option {
	return func(o *caOptions) { o.ocspServer = urls }
}

// WithIssuingCertificateURL puts AIA caIssuers URLs into the CA certificate.
func WithIssuingCertificateURL(urls ...string) Option {
	return func(o *caOptions) { o.issuingCertificateURL = urls }
}

// NewRoot makes a self-signed root CA.
func NewRoot(cn string, kt KeyType, opts ...Option) (*CA, error) {
	return newCA(nil, cn, kt, opts)
}

// NewIntermediate makes a CA issued by ca.
func (ca *CA) NewIntermediate(cn string, kt KeyType, opts ...Option) (*CA, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, errors.New("pki: NewIntermediate on an incomplete CA")
	}
	return newCA(ca, cn, kt, opts)
}

func newCA(parent *CA, cn string, kt KeyType, opts []Option) (*CA, error) {
	var o caOptions
	for _, opt := range opts {
		opt(&o)
	}
	key := o.key
	if key == nil {
		var err error
		if key, err = GenerateKey(kt); err != nil {
			return nil, err
		}
	}
	tmpl, err := caTemplate(cn, &o)
	if err != nil {
		return nil, err
	}
	cert, err := sign(tmpl, parent, key)
	if err != nil {
		return nil, fmt.Errorf("pki: CA %q: %w", cn, err)
	}
	return &CA{Cert: cert, Key: key, Parent: parent}, nil
}

func caTemplate(cn string, o *caOptions) (*x509.Certificate, error) {
	subject := pkix.Name{CommonName: cn}
	if o.subject != nil {
		subject = *o.subject
		if subject.CommonName == "" {
			subject.CommonName = cn
		}
	}
	if subject.CommonName == "" {
		return nil, errors.New("pki: a CA needs a common name")
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	nb, na := o.notBefore, o.notAfter
	if nb.IsZero() {
		nb = now.Add(-caBackdate)
	}
	if na.IsZero() {
		na = now.Add(caLifetime)
	}
	if !na.After(nb) {
		return nil, fmt.Errorf("pki: CA %q: NotAfter %v is not after NotBefore %v", cn, na, nb)
	}
	// No path length limit: callers may build deeper hierarchies.
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             nb,
		NotAfter:              na,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		CRLDistributionPoints: o.crlDistributionPoints,
		OCSPServer:            o.ocspServer,
		IssuingCertificateURL: o.issuingCertificateURL,
	}, nil
}

// sign creates the certificate for tmpl with key's public half, signed by
// issuer (self-signed when issuer is nil), and parses it back.
func sign(tmpl *x509.Certificate, issuer *CA, key crypto.Signer) (*x509.Certificate, error) {
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// serialLimit is 2^128: serials are random 128-bit positive integers, which
// fit the 20-octet limit of RFC 5280 even with a leading zero byte.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// Root returns the root of ca's hierarchy (ca itself for a root).
func (ca *CA) Root() *CA {
	for ca.Parent != nil {
		ca = ca.Parent
	}
	return ca
}

// Chain returns ca's certificate followed by its parents' certificates, up
// to but not including the root. It is empty for a root: this is the chain
// a server or client sends along with a leaf that ca issued.
func (ca *CA) Chain() []*x509.Certificate {
	var chain []*x509.Certificate
	for c := ca; c.Parent != nil; c = c.Parent {
		chain = append(chain, c.Cert)
	}
	return chain
}

// RootPool returns a pool holding only the root of ca's hierarchy.
func (ca *CA) RootPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root().Cert)
	return pool
}
