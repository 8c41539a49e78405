// Package pki builds small X.509 hierarchies in memory with crypto/x509:
// root and intermediate CAs, client and server leaves, CRLs and PEM files.
//
// It backs the test rigs and the offline demo, so everything it makes is
// meant to be accepted by real TLS stacks (Go, OpenSSL, nginx): random
// 128-bit serials, key identifiers, proper key usages and basic constraints.
// Nothing here touches the network or shells out to openssl.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// KeyType names a key algorithm and size. The values match the key strings
// of the JSON output ("RSA-2048", "ECDSA-P256", ...).
type KeyType string

// Supported key types.
const (
	RSA2048   KeyType = "RSA-2048"
	RSA3072   KeyType = "RSA-3072"
	ECDSAP256 KeyType = "ECDSA-P256"
	ECDSAP384 KeyType = "ECDSA-P384"
	ECDSAP521 KeyType = "ECDSA-P521"
)

// DefaultKeyType is used when a spec leaves the key type empty: P-256 keys
// are generated in microseconds, RSA keys take tens of milliseconds.
const DefaultKeyType = ECDSAP256

// GenerateKey returns a new software key of the given type. An empty type
// means DefaultKeyType.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case "":
		return GenerateKey(DefaultKeyType)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case ECDSAP521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	return nil, fmt.Errorf("pki: unsupported key type %q", kt)
}

// isRSA reports whether the signer holds an RSA key; RSA leaves get
// keyEncipherment in addition to digitalSignature.
func isRSA(key crypto.Signer) bool {
	_, ok := key.Public().(*rsa.PublicKey)
	return ok
}
