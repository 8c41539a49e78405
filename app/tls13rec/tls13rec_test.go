package tls13rec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8448 §3 (Simple 1-RTT Handshake): the server's handshake traffic
// key and IV from its handshake traffic secret.
func TestExpandLabelRFC8448(t *testing.T) {
	secret := unhex(t, "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
	key, err := ExpandLabel(sha256.New, secret, "key", nil, 16)
	if err != nil || hex.EncodeToString(key) != "3fce516009c21727d0f2e4e86ee403bc" {
		t.Errorf("key %x, %v", key, err)
	}
	iv, err := ExpandLabel(sha256.New, secret, "iv", nil, 12)
	if err != nil || hex.EncodeToString(iv) != "5d313eb2671276ee13000b30" {
		t.Errorf("iv %x, %v", iv, err)
	}
}

// What one side seals the other opens, across a key update, for every
// suite; a record sealed with the old key does not open with the new one.
func TestSealOpenAndKeyUpdate(t *testing.T) {
	for id, s := range suites {
		secret := bytes.Repeat([]byte{byte(id)}, s.Hash().Size())
		w, err := New(id, secret)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := New(id, secret)
		for i, content := range [][]byte{{2, 48}, []byte("GET / HTTP/1.1\r\n\r\n")} {
			rec := w.Seal(TypeAlert+uint8(i), content, i)
			var hdr [5]byte
			copy(hdr[:], rec)
			typ, pt, err := r.Open(hdr, rec[5:])
			if err != nil || typ != TypeAlert+uint8(i) || !bytes.Equal(pt, content) || hdr[0] != TypeApplicationData {
				t.Fatalf("suite %#x record %d: type %d, %q, %v", id, i, typ, pt, err)
			}
		}
		w2, _ := w.Next()
		r2, _ := r.Next()
		rec := w2.Seal(TypeHandshake, []byte{24, 0, 0, 1, 0}, 0)
		var hdr [5]byte
		copy(hdr[:], rec)
		if _, _, err := r.Open(hdr, rec[5:]); err == nil {
			t.Errorf("suite %#x: the old key opened a record of the new one", id)
		}
		if typ, _, err := r2.Open(hdr, rec[5:]); err != nil || typ != TypeHandshake {
			t.Errorf("suite %#x after the key update: %d, %v", id, typ, err)
		}
	}
	if _, err := New(0x1304, make([]byte, 32)); err != ErrUnsupportedSuite {
		t.Errorf("CCM: %v", err)
	}
	if _, err := New(0x1301, make([]byte, 48)); err != ErrSecretLength {
		t.Errorf("secret length: %v", err)
	}
}
