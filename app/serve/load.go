package serve

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cardcheck/cardcheck/app/files"
	"github.com/cardcheck/cardcheck/app/pki"
)

// loadServerCert returns the server certificate with its Leaf parsed.
func loadServerCert(cfg Config) (*tls.Certificate, error) {
	if cfg.Certificate != nil {
		c := *cfg.Certificate
		if len(c.Certificate) == 0 || c.PrivateKey == nil {
			return nil, errors.New("the server certificate needs a certificate and a private key")
		}
		if c.Leaf == nil {
			leaf, err := x509.ParseCertificate(c.Certificate[0])
			if err != nil {
				return nil, fmt.Errorf("server certificate: %w", err)
			}
			c.Leaf = leaf
		}
		return &c, nil
	}
	switch {
	case cfg.CertFile == "" && cfg.KeyFile == "":
		return nil, errors.New("a server certificate and key are required")
	case cfg.CertFile == "":
		return nil, errors.New("a server certificate file is required with the key file")
	case cfg.KeyFile == "":
		return nil, errors.New("a server key file is required with the certificate file")
	}
	certPEM, err := readFile("server certificate", cfg.CertFile)
	if err != nil {
		return nil, err
	}
	certs, err := parseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("server certificate %s: %w", cfg.CertFile, err)
	}
	keyPEM, err := readFile("server key", cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", cfg.KeyFile, err)
	}
	if !publicKeysEqual(certs[0].PublicKey, key.Public()) {
		return nil, fmt.Errorf("server key %s does not match the certificate %s (%s)",
			cfg.KeyFile, cfg.CertFile, certs[0].Subject)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, x := range certs {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

// maxInputFile bounds a certificate, key or CRL file of serve: a CRL a
// test server checks is far smaller.
const maxInputFile = 32 << 20

// readFile reads a regular file only: a FIFO or a device given as --crl
// would block or never end.
func readFile(what, path string) ([]byte, error) {
	data, err := files.ReadFile(path, maxInputFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read the %s %s: %v", what, path, err)
	}
	return data, nil
}

// parseCerts reads PEM CERTIFICATE blocks, or one DER certificate.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	certs, err := pki.ParseCerts(data)
	if errors.Is(err, pki.ErrNoCertificate) {
		return nil, errors.New("not a PEM file (no -----BEGIN CERTIFICATE----- block) nor a DER certificate")
	}
	return certs, err
}

// parseKey reads the first private key block: PKCS#8, PKCS#1 or SEC 1.
func parseKey(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("no private key in PEM format (-----BEGIN PRIVATE KEY-----)")
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		if strings.Contains(b.Type, "ENCRYPTED") || b.Headers["Proc-Type"] != "" {
			return nil, errors.New("the private key is encrypted; give an unencrypted key")
		}
		var key any
		var err error
		switch b.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("the private key does not parse: %w", err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return k.(crypto.Signer), nil
		}
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// loadClientCAs returns the client CA pool (nil: no client certificate is
// requested) and, for a file, the CA subjects.
func loadClientCAs(cfg Config) (*x509.CertPool, []string, error) {
	if cfg.ClientCAs != nil {
		return cfg.ClientCAs, nil, nil
	}
	if cfg.ClientCAFile == "" {
		return nil, nil, nil
	}
	data, err := readFile("client CA file", cfg.ClientCAFile)
	if err != nil {
		return nil, nil, err
	}
	certs, err := parseCerts(data)
	if err != nil {
		return nil, nil, fmt.Errorf("client CA file %s: %w", cfg.ClientCAFile, err)
	}
	pool := x509.NewCertPool()
	var names []string
	for _, c := range certs {
		pool.AddCert(c)
		names = append(names, c.Subject.String())
	}
	return pool, names, nil
}

// loadCRLs returns the configured CRLs.
func loadCRLs(cfg Config) ([]*x509.RevocationList, error) {
	crls := append([]*x509.RevocationList(nil), cfg.CRLs...)
	if cfg.CRLFile == "" {
		return crls, nil
	}
	data, err := readFile("CRL file", cfg.CRLFile)
	if err != nil {
		return nil, err
	}
	rest := data
	sawPEM := false
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		sawPEM = true
		if b.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CRL file %s: CRL %d does not parse: %w", cfg.CRLFile, len(crls)+1, err)
		}
		crls = append(crls, crl)
	}
	if !sawPEM {
		crl, err := x509.ParseRevocationList(data)
		if err != nil {
			return nil, fmt.Errorf("CRL file %s: not a PEM (-----BEGIN X509 CRL-----) or DER CRL: %w", cfg.CRLFile, err)
		}
		crls = append(crls, crl)
	}
	if len(crls) == 0 {
		return nil, fmt.Errorf("CRL file %s: no X509 CRL block", cfg.CRLFile)
	}
	return crls, nil
}
