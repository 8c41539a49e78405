package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// PEM block types.
const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"
	pemCRL         = "X509 CRL"
)

// CertPEM encodes certificates as consecutive PEM blocks, in order.
func CertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM encodes a software private key as unencrypted PKCS#8 PEM. Keys
// that live in hardware cannot be exported and return an error.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// CRLPEM encodes DER CRLs as consecutive PEM blocks.
func CRLPEM(ders ...[]byte) []byte {
	var out []byte
	for _, der := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: pemCRL, Bytes: der})...)
	}
	return out
}

// WriteCerts writes certificates as PEM to path (mode 0644).
func WriteCerts(path string, certs ...*x509.Certificate) error {
	return os.WriteFile(path, CertPEM(certs...), 0o644)
}

// WriteKey writes a private key as PKCS#8 PEM to path, readable only by the
// owner (mode 0600).
func WriteKey(path string, key crypto.Signer) error {
	data, err := KeyPEM(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// WriteCRL writes DER CRLs as PEM to path (mode 0644).
func WriteCRL(path string, ders ...[]byte) error {
	return os.WriteFile(path, CRLPEM(ders...), 0o644)
}

// ErrNoCertificate is data that holds neither a DER certificate nor a PEM
// CERTIFICATE block.
var ErrNoCertificate = errors.New("pki: no certificate in PEM data")

// ParseCerts is the one reader of certificates as files and servers hold
// them: a single DER certificate, or PEM with CERTIFICATE blocks (other
// blocks ignored). A CERTIFICATE block that does not parse is an error,
// so that a broken file is not taken for a shorter one.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	if c, err := x509.ParseCertificate(data); err == nil {
		return []*x509.Certificate{c}, nil
	}
	return ParseCertsPEM(data)
}

// ParseCertsPEM parses every CERTIFICATE block in data, ignoring other
// blocks. It fails (ErrNoCertificate) when there is none.
func ParseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != pemCertificate {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	return certs, nil
}

// ParseKeyPEM parses the first private key block (PKCS#8, PKCS#1 or SEC 1)
// in data.
func ParseKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("pki: no private key in PEM data")
		}
		switch block.Type {
		case pemPrivateKey:
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: parse key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("pki: key of type %T cannot sign", k)
			}
			return s, nil
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(block.Bytes)
		}
	}
}
