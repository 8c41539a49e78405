package certcheck

import (
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// bigCRL is a CRL of n entries signed by ca; the entry with serial
// 1000+n/2 carries reason code 1 (key compromise).
func bigCRL(t testing.TB, ca *pki.CA, n int) []byte {
	now := time.Now()
	entries := make([]x509.RevocationListEntry, n)
	for i := range entries {
		entries[i] = x509.RevocationListEntry{SerialNumber: big.NewInt(int64(1000 + i)), RevocationTime: now.Add(-time.Hour)}
	}
	entries[n/2].ReasonCode = 1
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(time.Hour), RevokedCertificateEntries: entries}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestScanCRLAllocatesLittle: scanning a CRL of 50,000 entries allocates
// a few KB, not an entry per revoked certificate (x509 took a 22 MB CRL
// to 579 MB of memory).
func TestScanCRLAllocatesLittle(t *testing.T) {
	p := newPKI(t)
	der := bigCRL(t, p.inter, 50000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := scanCRL(der, p.inter.Cert, big.NewInt(1000+25000))
	runtime.ReadMemStats(&after)
	if err != nil || !res.revoked || res.reasonCode != 1 || res.revokedAt.IsZero() {
		t.Fatalf("scan: %+v, %v", res, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
		t.Fatalf("the scan of a %d KB CRL allocated %d KB", len(der)>>10, alloc>>10)
	}
	if res, err := scanCRL(der, p.inter.Cert, big.NewInt(7)); err != nil || res.revoked {
		t.Fatalf("serial 7: %+v, %v", res, err)
	}
	if _, err := scanCRL(der, p.other.Cert, big.NewInt(7)); err != errWrongIssuer {
		t.Fatalf("other issuer: %v", err)
	}
}

// FuzzScanCRL compares the scan with crypto/x509 on any input: no panic,
// and where x509 parses a CRL that the issuer signed, both agree on the
// serial numbers asked about.
func FuzzScanCRL(f *testing.F) {
	root, err := pki.NewRoot("Fuzz CA", pki.ECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bigCRL(f, root, 3), int64(1001))
	f.Add(bigCRL(f, root, 1), int64(5))
	empty, _ := root.CRL(nil, time.Time{}, time.Time{})
	f.Add(empty, int64(1))
	f.Add([]byte("not a CRL"), int64(1))
	f.Fuzz(func(t *testing.T, der []byte, serial int64) {
		res, err := scanCRL(der, root.Cert, big.NewInt(serial))
		crl, xerr := x509.ParseRevocationList(der)
		if xerr != nil || crl.CheckSignatureFrom(root.Cert) != nil {
			return // x509 refuses it or the CA did not sign it: the scan may say anything but must not panic
		}
		if err != nil {
			t.Fatalf("x509 reads a signed CRL the scan refuses: %v", err)
		}
		want := false
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(big.NewInt(serial)) == 0 {
				want = true
			}
		}
		if res.revoked != want {
			t.Fatalf("serial %d: scan says revoked=%v, x509 %v", serial, res.revoked, want)
		}
	})
}
