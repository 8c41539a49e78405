package softhsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"
)

// Object is something Provision stores on a token. Templates returns one
// attribute template per PKCS#11 object to create (a key with its public
// half is two objects). Implement it to store other kinds of objects.
type Object interface {
	Templates() ([][]*pkcs11.Attribute, error)
}

// CertObject is an X.509 certificate object (CKO_CERTIFICATE, CKC_X_509).
//
// When Value parses as a certificate, CKA_SUBJECT, CKA_ISSUER and
// CKA_SERIAL_NUMBER are filled from it as real cards do. When it does not
// (to simulate a damaged card), Value is stored as is with an empty subject.
type CertObject struct {
	ID    []byte // CKA_ID, pairs the certificate with its key
	Label string // CKA_LABEL
	Value []byte // CKA_VALUE, normally the certificate's DER
	// Authority marks a CA certificate (CKA_CERTIFICATE_CATEGORY = 2), the
	// way cards carry their intermediates.
	Authority bool
}

// CertificateCategoryAuthority is CK_CERTIFICATE_CATEGORY_AUTHORITY.
const CertificateCategoryAuthority = 2

// Templates implements Object.
func (c CertObject) Templates() ([][]*pkcs11.Attribute, error) {
	// SoftHSM requires CKA_SUBJECT for X.509 certificates; an empty one is
	// what a garbage value gets.
	var subject, issuer, serial []byte
	if cert, err := x509.ParseCertificate(c.Value); err == nil {
		subject, issuer = cert.RawSubject, cert.RawIssuer
		if serial, err = asn1.Marshal(cert.SerialNumber); err != nil {
			return nil, fmt.Errorf("softhsm: certificate %q: %w", c.Label, err)
		}
	}
	t := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ID, c.ID),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, c.Label),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, c.Value),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, subject),
	}
	if issuer != nil {
		t = append(t,
			pkcs11.NewAttribute(pkcs11.CKA_ISSUER, issuer),
			pkcs11.NewAttribute(pkcs11.CKA_SERIAL_NUMBER, serial))
	}
	if c.Authority {
		t = append(t, pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_CATEGORY, CertificateCategoryAuthority))
	}
	return [][]*pkcs11.Attribute{t}, nil
}

// KeyObject is a private key (CKO_PRIVATE_KEY) imported from a software
// key, optionally with its public key object. The private key is private
// (hidden before login), sensitive, not extractable, and can sign.
type KeyObject struct {
	ID    []byte // CKA_ID, same as the certificate's
	Label string // CKA_LABEL
	// Key must be an *rsa.PrivateKey or *ecdsa.PrivateKey (P-256/384/521).
	Key crypto.Signer
	// WithPublic also creates the matching CKO_PUBLIC_KEY object.
	WithPublic bool
	// AlwaysAuthenticate sets CKA_ALWAYS_AUTHENTICATE: every signature needs
	// a context-specific login, as with qualified-signature keys.
	AlwaysAuthenticate bool
}

// Templates implements Object.
func (k KeyObject) Templates() ([][]*pkcs11.Attribute, error) {
	if k.Key == nil {
		return nil, fmt.Errorf("softhsm: key %q: no key", k.Label)
	}
	common := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_ID, k.ID),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.Label),
		pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_AUTHENTICATE, k.AlwaysAuthenticate),
	}
	material, err := privateMaterial(k.Key)
	if err != nil {
		return nil, fmt.Errorf("softhsm: key %q: %w", k.Label, err)
	}
	out := [][]*pkcs11.Attribute{append(common, material...)}
	if k.WithPublic {
		pub, err := PublicKeyObject{ID: k.ID, Label: k.Label, Key: k.Key.Public()}.Templates()
		if err != nil {
			return nil, err
		}
		out = append(out, pub...)
	}
	return out, nil
}

// PublicKeyObject is a public key object (CKO_PUBLIC_KEY) for an RSA or
// ECDSA public key.
type PublicKeyObject struct {
	ID    []byte
	Label string
	Key   crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
}

// Templates implements Object.
func (p PublicKeyObject) Templates() ([][]*pkcs11.Attribute, error) {
	material, err := publicMaterial(p.Key)
	if err != nil {
		return nil, fmt.Errorf("softhsm: public key %q: %w", p.Label, err)
	}
	t := append([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_ID, p.ID),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, p.Label),
	}, material...)
	return [][]*pkcs11.Attribute{t}, nil
}

func privateMaterial(key crypto.Signer) ([]*pkcs11.Attribute, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return rsaPrivate(k)
	case *ecdsa.PrivateKey:
		return ecPrivate(k)
	}
	return nil, fmt.Errorf("unsupported private key type %T", key)
}

func rsaPrivate(k *rsa.PrivateKey) ([]*pkcs11.Attribute, error) {
	if len(k.Primes) != 2 {
		return nil, errors.New("multi-prime RSA keys are not supported")
	}
	k.Precompute() // fills Dp, Dq, Qinv when a caller built the key by hand
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
		// Cards allow RSA decryption too; TLS clients never need it, but
		// the token layer should see a realistic key.
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
		pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()),
	}, nil
}

func ecPrivate(k *ecdsa.PrivateKey) ([]*pkcs11.Attribute, error) {
	params, err := ecParams(k.Curve)
	if err != nil {
		return nil, err
	}
	d, err := k.Bytes() // fixed length, as PKCS#11 expects
	if err != nil {
		return nil, err
	}
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, d),
	}, nil
}

func publicMaterial(pub crypto.PublicKey) ([]*pkcs11.Attribute, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
		}, nil
	case *ecdsa.PublicKey:
		return ecPublic(k)
	}
	return nil, fmt.Errorf("unsupported public key type %T", pub)
}

func ecPublic(k *ecdsa.PublicKey) ([]*pkcs11.Attribute, error) {
	params, err := ecParams(k.Curve)
	if err != nil {
		return nil, err
	}
	raw, err := k.Bytes()
	if err != nil {
		return nil, err
	}
	// CKA_EC_POINT is the DER encoding of an OCTET STRING holding the
	// uncompressed point (PKCS#11 v2.40 §2.3.3).
	point, err := asn1.Marshal(raw)
	if err != nil {
		return nil, err
	}
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
		pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, point),
	}, nil
}

// ecParams is CKA_EC_PARAMS: the named curve's OID (RFC 5480). A switch,
// not a map built at init: elliptic.P256() and its kin set up all curves
// on first call, which every command would then pay, --version too.
func ecParams(c elliptic.Curve) ([]byte, error) {
	var oid asn1.ObjectIdentifier
	switch c {
	case elliptic.P256():
		oid = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	case elliptic.P384():
		oid = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	case elliptic.P521():
		oid = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	default:
		return nil, fmt.Errorf("unsupported curve %s", c.Params().Name)
	}
	return asn1.Marshal(oid)
}
