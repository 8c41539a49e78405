package pivemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// The PIV application identifier (SP 800-73-4 part 1, §2.2) and the PIX
// part a card returns in its application property template.
var (
	pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}
	pivPIX = pivAID[5:]
	pivRID = pivAID[:5]
)

// Key references (SP 800-78-4 table 6-1 and 800-73-4 part 1 table 4b).
const (
	SlotAuthentication = 0x9A // PIV Authentication: the TLS client key
	SlotSignature      = 0x9C // Digital Signature: "PIN Always"
	SlotKeyManagement  = 0x9D
	SlotCardAuth       = 0x9E
)

// Cryptographic algorithm identifiers (SP 800-78-4 table 6-2).
const (
	algRSA1024 = 0x06
	algRSA2048 = 0x07
	algP256    = 0x11
	algP384    = 0x14
)

// Data object tags (SP 800-73-4 part 1, table 3).
var (
	tagCHUID       = []byte{0x5F, 0xC1, 0x02}
	tagCCC         = []byte{0x5F, 0xC1, 0x07}
	tagHistory     = []byte{0x5F, 0xC1, 0x0C}
	tagDiscovery   = []byte{0x7E}
	certObjectTags = map[byte][]byte{
		SlotAuthentication: {0x5F, 0xC1, 0x05},
		SlotSignature:      {0x5F, 0xC1, 0x0A},
		SlotKeyManagement:  {0x5F, 0xC1, 0x0B},
		SlotCardAuth:       {0x5F, 0xC1, 0x01},
	}
)

// algorithmOf returns the PIV algorithm identifier of a private key.
func algorithmOf(key any) (byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		switch k.N.BitLen() {
		case 1024:
			return algRSA1024, nil
		case 2048:
			return algRSA2048, nil
		}
		return 0, fmt.Errorf("pivemu: RSA-%d keys are not supported (1024 or 2048)", k.N.BitLen())
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return algP256, nil
		case elliptic.P384():
			return algP384, nil
		}
		return 0, fmt.Errorf("pivemu: curve %s is not supported (P-256 or P-384)", k.Curve.Params().Name)
	}
	return 0, fmt.Errorf("pivemu: key type %T is not supported", key)
}

// applicationTemplate is the answer to SELECT (800-73-4 part 2, §3.1.1).
func applicationTemplate() []byte {
	return tlv(0x61,
		tlv(0x4F, pivPIX),
		tlv(0x79, tlv(0x4F, pivRID)),
		tlv(0x50, []byte("cardcheck PIV emulator")),
		tlv(0xAC,
			tlv(0x80, []byte{algRSA2048}),
			tlv(0x80, []byte{algP256}),
			tlv(0x80, []byte{algP384}),
			tlv(0x06, []byte{0x00})))
}

// nonFederalFASCN is the FASC-N of a non-federal issuer (agency 9999,
// system 9999, credential 999999), as PIV-compatible cards carry it.
var nonFederalFASCN = []byte{0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D,
	0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB}

// chuid is the Card Holder Unique Identifier; OpenSC takes the token
// serial from its GUID.
func chuid(guid [16]byte) []byte {
	return tlv(0x53,
		tlv(0x30, nonFederalFASCN),
		tlv(0x34, guid[:]),
		tlv(0x35, []byte("20991231")),
		tlv(0x3E, nil), // issuer signature: empty on a test card
		tlv(0xFE, nil))
}

// ccc is the Card Capability Container; the card identifier (F0) names
// the PIV RID and no CAC applet (F3 empty), so OpenSC treats the card as
// plain PIV.
func ccc(guid [16]byte) []byte {
	id := append(append([]byte{}, pivRID...), 0x00)
	id = append(id, guid[:15]...) // 21 bytes
	return tlv(0x53,
		tlv(0xF0, id),
		tlv(0xF1, []byte{0x21}),
		tlv(0xF2, []byte{0x21}),
		tlv(0xF3, nil),
		tlv(0xF4, []byte{0x00}),
		tlv(0xF5, []byte{0x10}),
		tlv(0xF6, nil), tlv(0xF7, nil), tlv(0xFA, nil), tlv(0xFB, nil),
		tlv(0xFC, nil), tlv(0xFD, nil), tlv(0xFE, nil))
}

// discovery is the Discovery Object: the PIV AID and the PIN usage policy
// "PIV Card Application PIN only" (40 00).
func discovery() []byte {
	return tlv(0x7E, tlv(0x4F, pivAID), tlv(0x5F2F, []byte{0x40, 0x00}))
}

// keyHistory says the card holds no retired keys, which spares a reader
// twenty GET DATA commands for retired certificates.
func keyHistory() []byte {
	return tlv(0x53, tlv(0xC1, []byte{0}), tlv(0xC2, []byte{0}), tlv(0xFE, nil))
}

// certContainer wraps a DER certificate for a key slot (800-73-4 part 1,
// appendix A: 70 certificate, 71 CertInfo = uncompressed, FE error
// detection code).
func certContainer(der []byte) []byte {
	return tlv(0x53, tlv(0x70, der), tlv(0x71, []byte{0x00}), tlv(0xFE, nil))
}
