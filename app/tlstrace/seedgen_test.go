//go:build seedgen

package tlstrace

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFuzzSeeds writes the seed corpus from real handshakes. It is
// built only with the seedgen tag: after changing the scenarios run
//
//	go test -tags seedgen -run TestWriteFuzzSeeds ./app/tlstrace
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := map[string][]event{"rfc8448": rfc8448Events()}
	for name, l := range seedScenarios() {
		seeds[name] = l.run(t).rec.events
	}
	for name, evs := range openSSLSeeds(t) {
		seeds[name] = evs
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, evs := range seeds {
		c, s, k, sch := script(evs)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%+q)\n[]byte(%+q)\n[]byte(%+q)\n[]byte(%+q)\n", c, s, k, sch)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seedScenarios are the loopback handshakes of the seed corpus.
func seedScenarios() map[string]loopback {
	p := getPKI()
	tls12 := func(suite uint16, cert tls.Certificate) loopback {
		srv := serverConfig(cert, tls.VersionTLS12)
		srv.CipherSuites = []uint16{suite}
		return loopback{server: srv, client: &tls.Config{CipherSuites: []uint16{suite}}, clientCert: &p.clientEC}
	}
	hrr := serverConfig(p.serverEC, tls.VersionTLS13)
	hrr.CurvePreferences = []tls.CurveID{tls.CurveP256}
	return map[string]loopback{
		"tls13-ecdsa":    {server: serverConfig(p.serverEC, tls.VersionTLS13), clientCert: &p.clientEC},
		"tls13-rsa":      {server: serverConfig(p.serverRSA, tls.VersionTLS13), clientCert: &p.clientRSA},
		"tls13-rejected": {server: serverConfig(p.serverEC, tls.VersionTLS13), clientCert: &p.clientOther},
		"tls13-nocert":   {server: serverConfig(p.serverEC, tls.VersionTLS13)},
		"tls13-hrr":      {server: hrr, clientCert: &p.clientEC},
		"tls12-rejected": {server: serverConfig(p.serverEC, tls.VersionTLS12), clientCert: &p.clientOther},
		"tls12-gcm":      tls12(tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, p.serverEC),
		"tls12-chacha":   tls12(tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, p.serverRSA),
		"tls12-cbc":      tls12(tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, p.serverEC),
		"tls12-rsa-kx":   tls12(tls.TLS_RSA_WITH_AES_128_GCM_SHA256, p.serverRSA),
	}
}

// openSSLSeeds captures the KeyUpdate and renegotiation traces.
func openSSLSeeds(t *testing.T) map[string][]event {
	out := map[string][]event{}
	for name, test := range map[string]func(*testing.T) *recorder{
		"openssl-tls13-keyupdate": captureOpenSSL(TestOpenSSLTLS13AES256KeyUpdate),
		"openssl-tls12-reneg":     captureOpenSSL(TestOpenSSLTLS12Renegotiation),
	} {
		var rec *recorder
		t.Run(name, func(t *testing.T) { rec = test(t) })
		if rec != nil {
			out[name] = rec.events
		}
	}
	return out
}

func captureOpenSSL(test func(*testing.T)) func(*testing.T) *recorder {
	return func(t *testing.T) *recorder {
		lastOpenSSL = nil
		test(t)
		if lastOpenSSL == nil || lastOpenSSL.rec == nil {
			return nil
		}
		return lastOpenSSL.rec
	}
}
