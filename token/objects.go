package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"maps"
	"math/big"
	"sort"

	"github.com/miekg/pkcs11"
)

// KeyInfo describes a private key object (never its secret material).
type KeyInfo struct {
	ID                 []byte
	Label              string
	Type               string // "RSA", "EC" or "CKK_0x…"
	Bits               int    // RSA modulus size, or EC field size
	Curve              string // "P-256", "P-384", "P-521" for EC keys
	AlwaysAuthenticate bool   // needs a context-specific login per signature
	CanSign            bool
	handle             pkcs11.ObjectHandle
	modulus            []byte // RSA, for matching a certificate by public key
	ecPoint            []byte // EC, uncompressed point, when the module exposes it
}

// Certificate is a certificate object, read without login.
type Certificate struct {
	Token      *Token
	Label      string
	ID         []byte
	URI        string
	Raw        []byte            // CKA_VALUE
	X509       *x509.Certificate // nil when ParseError is set
	ParseError error
	// HasPrivateKey is true or false when known, nil when private keys are
	// hidden until login (docs/design.md, Token layer: say "unknown" rather than guess).
	HasPrivateKey *bool
	Key           *KeyInfo // the paired private key, when found
	Problems      []Problem
}

// SHA256 is the certificate's fingerprint (of CKA_VALUE, even unparsed).
func (c *Certificate) SHA256() [32]byte { return sha256.Sum256(c.Raw) }

// KeyDescription is "RSA-2048", "ECDSA-P256", … or "" when unknown.
func (c *Certificate) KeyDescription() string {
	if c.X509 == nil {
		return ""
	}
	switch pub := c.X509.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", pub.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA-" + curveShort(pub.Curve)
	}
	return c.X509.PublicKeyAlgorithm.String()
}

func curveShort(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P256"
	case elliptic.P384():
		return "P384"
	case elliptic.P521():
		return "P521"
	}
	return c.Params().Name
}

// Usable reports whether nothing is known to stop the certificate being used
// for client authentication.
func (c *Certificate) Usable() bool { return len(c.Problems) == 0 }

const maxObjects = 100000 // a sanity bound against modules that never say "done"

// findObjects returns the handles of all objects matching the template.
func (mod *Module) findObjects(sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := mod.be.FindObjectsInit(sh, tmpl); err != nil {
		return nil, fromPKCS11("find objects", err)
	}
	var all []pkcs11.ObjectHandle
	for len(all) < maxObjects {
		hs, _, err := mod.be.FindObjects(sh, 500)
		if err != nil {
			_ = mod.be.FindObjectsFinal(sh)
			return nil, fromPKCS11("find objects", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := mod.be.FindObjectsFinal(sh); err != nil {
		return nil, fromPKCS11("find objects", err)
	}
	return all, nil
}

// attrs reads attributes of an object into a map. Modules answer
// CKR_ATTRIBUTE_TYPE_INVALID for the whole call when one attribute does not
// apply (CKA_MODULUS on an EC key), so on failure each is read alone and the
// missing ones are left out.
func (mod *Module) attrs(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	tmpl := make([]*pkcs11.Attribute, len(types))
	for i, t := range types {
		tmpl[i] = pkcs11.NewAttribute(t, nil)
	}
	out := map[uint][]byte{}
	got, err := mod.be.GetAttributeValue(sh, h, tmpl)
	if err == nil {
		for _, a := range got {
			out[a.Type] = a.Value
		}
		return out, nil
	}
	if isGone(err) {
		return nil, fromPKCS11("read object", err)
	}
	for _, t := range types {
		got, err := mod.be.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(t, nil)})
		if err == nil && len(got) == 1 {
			out[t] = got[0].Value
		} else if isGone(err) {
			return nil, fromPKCS11("read object", err)
		}
	}
	return out, nil
}

// readObjects fills in the token's certificates and keys using a fresh
// read-only session. If this process is logged in to the token (through
// another session), private keys are visible too.
func (mod *Module) readObjects(tok *Token) error {
	sh, err := mod.be.OpenSession(tok.SlotID, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return fromPKCS11("open session", err)
	}
	defer mod.be.CloseSession(sh)
	tok.PrivateObjectsVisible = !tok.Flags.LoginRequired || mod.loggedIn(sh)
	if tok.Keys, err = mod.readKeys(sh); err != nil {
		return err
	}
	// Public keys only help to pair a certificate with a private key: with
	// none visible (before login, on tokens that hide them) they are not read.
	var pubs []pubKey
	if len(tok.Keys) > 0 {
		if pubs, err = mod.readPublicKeys(sh); err != nil {
			return err
		}
	}
	if tok.Certificates, err = mod.readCerts(sh, tok); err != nil {
		return err
	}
	for _, c := range tok.Certificates {
		pair(c, tok, pubs)
		c.Problems = problemsOf(c, mod.now())
	}
	return nil
}

// loggedIn asks the session whether the user is logged in to the token.
func (mod *Module) loggedIn(sh pkcs11.SessionHandle) bool {
	info, err := mod.be.GetSessionInfo(sh)
	if err != nil {
		return false
	}
	return info.State == pkcs11.CKS_RO_USER_FUNCTIONS || info.State == pkcs11.CKS_RW_USER_FUNCTIONS
}

func (mod *Module) readCerts(sh pkcs11.SessionHandle, tok *Token) ([]*Certificate, error) {
	hs, err := mod.findObjects(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE)})
	if err != nil {
		return nil, err
	}
	certs := make([]*Certificate, 0, len(hs))
	for _, h := range hs {
		a, err := mod.attrs(sh, h, pkcs11.CKA_VALUE, pkcs11.CKA_ID, pkcs11.CKA_LABEL, pkcs11.CKA_CERTIFICATE_TYPE)
		if err != nil {
			return certs, err
		}
		c := &Certificate{Token: tok, Label: string(a[pkcs11.CKA_LABEL]), ID: a[pkcs11.CKA_ID], Raw: a[pkcs11.CKA_VALUE]}
		if ct := a[pkcs11.CKA_CERTIFICATE_TYPE]; len(ct) > 0 && ulong(ct) != pkcs11.CKC_X_509 {
			continue // WTLS and attribute certificates cannot be used for TLS
		}
		c.X509, c.ParseError = x509.ParseCertificate(c.Raw)
		if c.ParseError != nil {
			c.X509 = nil
		}
		c.URI = certURI(tok, c)
		certs = append(certs, c)
	}
	// Handles come in the module's internal order; list by CKA_ID, then
	// label, so listings are stable and keys sit next to their certificates.
	sort.SliceStable(certs, func(i, j int) bool {
		if d := bytes.Compare(certs[i].ID, certs[j].ID); d != 0 {
			return d < 0
		}
		return certs[i].Label < certs[j].Label
	})
	return certs, nil
}

// ulong decodes a CK_ULONG attribute value (native byte order and size).
func ulong(b []byte) uint {
	var v uint
	for i := len(b) - 1; i >= 0; i-- { // little-endian hosts: amd64, arm64
		v = v<<8 | uint(b[i])
	}
	return v
}

func boolAttr(b []byte) bool { return len(b) > 0 && b[0] != 0 }

func (mod *Module) readKeys(sh pkcs11.SessionHandle, tmpl ...*pkcs11.Attribute) ([]*KeyInfo, error) {
	hs, err := mod.findObjects(sh, append([]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}, tmpl...))
	if err != nil {
		return nil, err
	}
	keys := make([]*KeyInfo, 0, len(hs))
	for _, h := range hs {
		k, err := mod.readKey(sh, h)
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (mod *Module) readKey(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle) (*KeyInfo, error) {
	a, err := mod.keyAttrs(sh, h, pkcs11.CKA_ID, pkcs11.CKA_LABEL, pkcs11.CKA_ALWAYS_AUTHENTICATE, pkcs11.CKA_SIGN)
	if err != nil {
		return nil, err
	}
	k := &KeyInfo{handle: h, ID: a[pkcs11.CKA_ID], Label: string(a[pkcs11.CKA_LABEL]),
		AlwaysAuthenticate: boolAttr(a[pkcs11.CKA_ALWAYS_AUTHENTICATE]),
		CanSign:            a[pkcs11.CKA_SIGN] == nil || boolAttr(a[pkcs11.CKA_SIGN]),
		modulus:            trimZeros(a[pkcs11.CKA_MODULUS]),
		ecPoint:            unwrapECPoint(a[pkcs11.CKA_EC_POINT])}
	describeKey(k, ulong(a[pkcs11.CKA_KEY_TYPE]), a[pkcs11.CKA_EC_PARAMS])
	return k, nil
}

// pubKey is a public key object: used only to pair certificates with
// private keys when CKA_IDs disagree.
type pubKey struct {
	id      []byte
	modulus []byte
	ecPoint []byte
}

func (mod *Module) readPublicKeys(sh pkcs11.SessionHandle) ([]pubKey, error) {
	hs, err := mod.findObjects(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY)})
	if err != nil {
		return nil, err
	}
	out := make([]pubKey, 0, len(hs))
	for _, h := range hs {
		a, err := mod.keyAttrs(sh, h, pkcs11.CKA_ID)
		if err != nil {
			return out, err
		}
		out = append(out, pubKey{id: a[pkcs11.CKA_ID], modulus: trimZeros(a[pkcs11.CKA_MODULUS]), ecPoint: unwrapECPoint(a[pkcs11.CKA_EC_POINT])})
	}
	return out, nil
}

// keyAttrs reads the attributes types of a key, its CKA_KEY_TYPE and then
// the public values of that type (CKA_MODULUS, or CKA_EC_PARAMS and
// CKA_EC_POINT). Asking for all at once fails on every key, as no key has
// both kinds, and the one-by-one retry costs a call per attribute.
func (mod *Module) keyAttrs(sh pkcs11.SessionHandle, h pkcs11.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	a, err := mod.attrs(sh, h, append(types, pkcs11.CKA_KEY_TYPE)...)
	if err != nil {
		return nil, err
	}
	var public []uint
	switch ulong(a[pkcs11.CKA_KEY_TYPE]) {
	case pkcs11.CKK_RSA:
		public = []uint{pkcs11.CKA_MODULUS}
	case pkcs11.CKK_EC:
		public = []uint{pkcs11.CKA_EC_PARAMS, pkcs11.CKA_EC_POINT}
	default:
		return a, nil
	}
	b, err := mod.attrs(sh, h, public...)
	if err != nil {
		return nil, err
	}
	maps.Copy(a, b)
	return a, nil
}

// curveByOID names the curve of CKA_EC_PARAMS (RFC 5480), or nil. A
// switch, not a map built at init: the first elliptic.P256() call sets up
// all curves, which every command would then pay, --version too.
func curveByOID(oid string) elliptic.Curve {
	switch oid {
	case "1.2.840.10045.3.1.7":
		return elliptic.P256()
	case "1.3.132.0.34":
		return elliptic.P384()
	case "1.3.132.0.35":
		return elliptic.P521()
	}
	return nil
}

func describeKey(k *KeyInfo, keyType uint, ecParams []byte) {
	switch keyType {
	case pkcs11.CKK_RSA:
		k.Type, k.Bits = "RSA", new(big.Int).SetBytes(k.modulus).BitLen()
	case pkcs11.CKK_EC:
		k.Type = "EC"
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(ecParams, &oid); err == nil {
			if c := curveByOID(oid.String()); c != nil {
				k.Curve, k.Bits = c.Params().Name, c.Params().BitSize
			}
		}
	default:
		k.Type = fmt.Sprintf("CKK_0x%X", keyType)
	}
}

func trimZeros(b []byte) []byte { return bytes.TrimLeft(b, "\x00") }

// unwrapECPoint returns the raw point from CKA_EC_POINT, which PKCS#11
// defines as a DER OCTET STRING (some modules store it raw).
func unwrapECPoint(b []byte) []byte {
	var raw []byte
	if rest, err := asn1.Unmarshal(b, &raw); err == nil && len(rest) == 0 {
		return raw
	}
	return b
}

// pair links a certificate with its private key: by CKA_ID first (the
// convention every issuing tool follows), then by public key for tokens
// whose IDs disagree.
func pair(c *Certificate, tok *Token, pubs []pubKey) {
	c.Key = keyByID(tok.Keys, c.ID)
	if c.Key == nil && c.X509 != nil {
		c.Key = keyByPublic(tok.Keys, pubs, c.X509)
	}
	switch {
	case c.Key != nil:
		c.HasPrivateKey = ptr(true)
	case tok.PrivateObjectsVisible:
		c.HasPrivateKey = ptr(false)
	default:
		c.HasPrivateKey = nil
	}
}

func ptr[T any](v T) *T { return &v }

func keyByID(keys []*KeyInfo, id []byte) *KeyInfo {
	if len(id) == 0 {
		return nil
	}
	for _, k := range keys {
		if bytes.Equal(k.ID, id) {
			return k
		}
	}
	return nil
}

func keyByPublic(keys []*KeyInfo, pubs []pubKey, cert *x509.Certificate) *KeyInfo {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		n := pub.N.Bytes()
		for _, k := range keys {
			if bytes.Equal(k.modulus, n) {
				return k
			}
		}
	case *ecdsa.PublicKey:
		pt, err := pub.Bytes()
		if err != nil {
			return nil
		}
		for _, k := range keys {
			if bytes.Equal(k.ecPoint, pt) {
				return k
			}
		}
		for _, p := range pubs {
			if bytes.Equal(p.ecPoint, pt) {
				if k := keyByID(keys, p.id); k != nil {
					return k
				}
			}
		}
	}
	return nil
}
