package serve

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
)

// TLS alert codes (RFC 8446 §6, IANA "TLS Alerts").
const (
	AlertHandshakeFailure       uint8 = 40
	AlertBadCertificate         uint8 = 42
	AlertUnsupportedCertificate uint8 = 43
	AlertCertificateRevoked     uint8 = 44
	AlertCertificateExpired     uint8 = 45
	AlertCertificateUnknown     uint8 = 46
	AlertUnknownCA              uint8 = 48
	AlertCertificateRequired    uint8 = 116
)

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
	40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
	44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
	47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
	51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
	112: "unrecognized_name", 113: "bad_certificate_status_response",
	115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
}

// AlertName is the IANA name of a TLS alert ("unknown_ca"), or
// "alert_N" for codes it does not know.
func AlertName(code uint8) string {
	if n, ok := alertNames[code]; ok {
		return n
	}
	return fmt.Sprintf("alert_%d", code)
}

// verdict is the server's judgement of a client certificate.
type verdict struct {
	requested bool // the server asked for a certificate
	checked   bool // a certificate was presented and checked
	ok        bool
	alert     uint8 // the alert a strict server sends; 0 when ok
	err       error // why not ok
	chain     []*x509.Certificate
	peer      []*x509.Certificate // as presented
}

// result is a one-word summary: ok, failed, no-certificate, not-requested.
func (v *verdict) result() string {
	switch {
	case !v.requested:
		return "not-requested"
	case !v.checked:
		return "no-certificate"
	case v.ok:
		return "ok"
	}
	return "failed"
}

// rejectError is what VerifyConnection returns for a refused certificate.
type rejectError struct {
	alert uint8
	err   error
}

func (e *rejectError) Error() string {
	return fmt.Sprintf("client certificate rejected (%s): %v", AlertName(e.alert), e.err)
}

func (e *rejectError) Unwrap() error { return e.err }

// verifyClient checks a presented chain as OpenSSL's verify would and picks
// the alert OpenSSL sends for the first problem: unknown_ca for a chain
// that does not reach a client CA, certificate_expired, bad_certificate for
// a certificate not valid yet, unsupported_certificate for a key usage or
// extended key usage that does not allow client authentication,
// certificate_revoked for a certificate listed in a CRL.
func (s *Server) verifyClient(certs []*x509.Certificate) *verdict {
	v := &verdict{requested: true, peer: certs}
	if len(certs) == 0 {
		return v
	}
	v.checked = true
	fail := func(alert uint8, err error) *verdict {
		v.alert, v.err = alert, err
		return v
	}
	now := s.cfg.Now()
	opts := x509.VerifyOptions{
		Roots:         s.clientCAs,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	leaf := certs[0]
	chains, err := leaf.Verify(opts)
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return fail(AlertUnknownCA, err)
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			if ci.Cert != nil && now.Before(ci.Cert.NotBefore) {
				return fail(AlertBadCertificate, fmt.Errorf("certificate %q is not valid before %s",
					ci.Cert.Subject, ci.Cert.NotBefore.UTC().Format("2006-01-02 15:04:05 MST")))
			}
			return fail(AlertCertificateExpired, err)
		case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
			return fail(AlertUnsupportedCertificate, errors.New("the certificate's extended key usage does not allow TLS client authentication"))
		}
		return fail(AlertBadCertificate, err)
	}
	v.chain = chains[0]
	if leaf.KeyUsage != 0 && leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyAgreement) == 0 {
		return fail(AlertUnsupportedCertificate, errors.New("the certificate's key usage does not allow digital signatures"))
	}
	if err := s.checkRevocation(v.chain); err != nil {
		return fail(AlertCertificateRevoked, err)
	}
	v.ok = true
	return v
}

// checkRevocation looks up every certificate of the chain below the root
// in the CRLs its issuer signed. A certificate with no CRL from its issuer
// counts as not revoked.
func (s *Server) checkRevocation(chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		for _, crl := range s.crls {
			if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
				continue
			}
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return fmt.Errorf("certificate %q (serial %s) is revoked since %s",
						cert.Subject, serialHex(cert), e.RevocationTime.UTC().Format("2006-01-02 15:04:05 MST"))
				}
			}
		}
	}
	return nil
}

func serialHex(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return ""
	}
	return fmt.Sprintf("%x", c.SerialNumber)
}
