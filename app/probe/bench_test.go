package probe_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"testing"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// memoryCard is the baseline: the same key, held in memory.
type memoryCard struct {
	crypto.Signer
	schemes []tls.SignatureScheme
}

func (m memoryCard) SignatureSchemes() []tls.SignatureScheme { return m.schemes }
func (m memoryCard) TLS13Capable() bool                      { return true }

// BenchmarkHandshake compares a full test (handshake, HTTP, checks) with
// the key on the SoftHSM token against the same test with the key in
// memory, in one process against one in-process server. Report the ratio
// of the two ns/op figures.
func BenchmarkHandshake(b *testing.B) {
	rig := testrig.Shared(b)
	srv := testservers.Serve(b, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	roots, _ := probe.LoadRoots(rig.ChainFile)
	opt := probe.Options{URL: srv.URL, Roots: roots}
	entry := rig.Entries[testrig.EC256]
	b.Run("memory", func(b *testing.B) {
		cred := probe.Credential{Leaf: entry.Cert, Intermediates: entry.Chain,
			Card: memoryCard{entry.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}}
		for b.Loop() {
			if res := probe.Run(context.Background(), opt, cred); res.Verdict != probe.Accepted {
				b.Fatal(res.Verdict, res.Error)
			}
		}
	})
	b.Run("softhsm", func(b *testing.B) {
		c := newCards(b, nil)
		p := c.login(testrig.EC256)
		for b.Loop() {
			if res := p.Run(context.Background(), opt); res.Verdict != probe.Accepted {
				b.Fatal(res.Verdict, res.Error)
			}
		}
	})
	// What `cardcheck check` does now: the pre-flight without the card,
	// then the test with it (the login itself is outside the loop, as above).
	b.Run("softhsm-preflight", func(b *testing.B) {
		c := newCards(b, nil)
		cert := c.cert(testrig.EC256)
		p := c.login(testrig.EC256)
		for b.Loop() {
			pf := check.Preflight(context.Background(), cert, opt)
			if !pf.NeedsCard {
				b.Fatal(pf.Finding, pf.Summary)
			}
			o := opt
			o.Preflight = pf
			if res := p.Run(context.Background(), o); res.Verdict != probe.Accepted {
				b.Fatal(res.Verdict, res.Error)
			}
		}
	})
}
