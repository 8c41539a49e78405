package desktop_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// A card pulled out during the handshake's signature ends the test with
// token-removed in TLS 1.2 and in TLS 1.3 (where crypto/tls flattens the
// signer's error into a string), whether the module says "removed" or, as
// OpenSC does, "device error"; and the test makes no second signature
// (the key-possession check does not sign a challenge after a failure).
func TestCardPulledDuringTheSignature(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		for name, moduleErr := range map[string]error{"removed": nil, "device error": pkcs11.Error(pkcs11.CKR_DEVICE_ERROR)} {
			t.Run(string(version)+"/"+name, func(t *testing.T) {
				f := &tokentest.Faults{RemoveErr: moduleErr}
				be := desktop.NewWithOptions([]string{rig.Module}, token.Options{Loader: f.Loader()})
				defer be.Close()
				cert := testrig.Cert(t, be.Scan(), testrig.EC256)
				card, err := be.Login(cert, token.LoginOptions{PIN: testrig.PIN})
				if err != nil {
					t.Fatal(err)
				}
				defer card.Close()
				f.RemoveOnSign = true
				defer f.Reinsert()
				res := card.Test(context.Background(), desktop.Options{URL: srv.URL, CAFile: rig.ChainFile, TLSVersion: version, Timeout: 20 * time.Second})
				if res.Error == nil || res.Error.Kind != token.KindTokenRemoved || f.Signs() != 1 {
					t.Fatalf("verdict %s, error %+v, %d C_Sign; want token-removed after one signature", res.Verdict, res.Error, f.Signs())
				}
			})
		}
	}
}

func TestMain(m *testing.M) { testrig.Main(m) }
