package certcheck

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"

	"github.com/cardcheck/cardcheck/app/pki"
)

// parseCerts reads what an AIA caIssuers URL serves: one DER certificate
// (RFC 5280 §4.2.2.1), a PKCS #7 "certs-only" bundle (the other form the RFC
// allows), or PEM, which some CAs serve anyway.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	certs, err := parseAnyCerts(data)
	if len(certs) > maxBundleCerts {
		certs = certs[:maxBundleCerts]
	}
	return certs, err
}

func parseAnyCerts(data []byte) ([]*x509.Certificate, error) {
	if certs, err := pki.ParseCerts(data); err == nil {
		return certs, nil
	}
	if certs, err := parsePKCS7Certs(data); err == nil && len(certs) > 0 {
		return certs, nil
	}
	return nil, errors.New("no certificate in the answer")
}

// oidSignedData is PKCS #7 signedData (RFC 2315 §9.1).
var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

// signedData is RFC 2315 §9.1; only the certificates matter here.
type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

// parsePKCS7Certs returns the certificates of a DER PKCS #7 signedData.
func parsePKCS7Certs(der []byte) ([]*x509.Certificate, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return nil, errors.New("not PKCS #7")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("PKCS #7 without signedData")
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, err
	}
	return x509.ParseCertificates(sd.Certificates.Bytes)
}
