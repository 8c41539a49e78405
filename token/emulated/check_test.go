package emulated_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/token"
)

// TestCheckAcceptedThroughTheCard runs cardcheck's test (login, pre-flight,
// handshake, HTTP) with each key of the emulated card against a local
// mTLS server that trusts the card's CA, in TLS 1.2 and 1.3.
func TestCheckAcceptedThroughTheCard(t *testing.T) {
	st := stack(t)
	srv, err := serve.New(serve.Config{Name: "card stack", CertFile: st.PKI.ServerCertFile,
		KeyFile: st.PKI.ServerKeyFile, ClientCAFile: st.PKI.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	_, tok := scan(t, st)
	for _, cn := range []string{cardstack.AuthCN, cardstack.SignCN} {
		for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
			t.Run(cn+"/TLS"+string(version), func(t *testing.T) {
				st.Card.ClearStats()
				start := time.Now()
				p, err := check.Login(certByCN(t, tok, cn), token.LoginOptions{PIN: cardstack.PIN})
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				defer p.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res := p.Run(ctx, probe.Options{URL: srv.URL(), TLSVersion: version, Roots: roots(t, st.PKI.CAFile), Timeout: 20 * time.Second})
				took := time.Since(start)
				if res.Verdict != probe.Accepted || res.TLS.Version != version {
					t.Fatalf("verdict %s (%s), TLS %q: %+v", res.Verdict, res.Summary, res.TLS.Version, res.Error)
				}
				s := st.Card.Stats()
				t.Logf("accepted in %v (handshake %.1f ms, sign %.1f ms): %d APDUs %v, %d PINs, %d signatures",
					took.Round(time.Millisecond), res.Timings.HandshakeMs, res.Timings.SignMs, s.APDUs, s.ByName, s.PINAttempts(), s.Signatures)
				// docs/contract.md, The test: one test costs at most one signature on the card.
				if s.Signatures != 1 || s.VerifyWrong != 0 {
					t.Fatalf("card counters %+v", s)
				}
			})
		}
	}
}

// TestListingAgainstPkcs11Tool lists the card with cardcheck's token layer
// (in this process) and with OpenSC's pkcs11-tool --list-objects (a new
// process each time, as a user would run it), and reports APDUs and time.
func TestListingAgainstPkcs11Tool(t *testing.T) {
	st := stack(t)
	const rounds = 3
	var ours, theirs time.Duration
	var ourAPDUs, theirAPDUs int
	for range rounds {
		st.Card.ClearStats()
		start := time.Now()
		m := token.NewManager(token.Options{})
		inv := m.Scan([]token.Candidate{{Path: st.Module, Source: token.SourceExplicit}})
		ours += time.Since(start)
		m.Close()
		if len(inv.Tokens) != 1 || len(inv.Tokens[0].Certificates) != 2 {
			t.Fatalf("cardcheck listed %d tokens", len(inv.Tokens))
		}
		ourAPDUs += st.Card.Stats().APDUs

		st.Card.ClearStats()
		start = time.Now()
		cmd := exec.Command("pkcs11-tool", "--module", st.Module, "--list-objects")
		cmd.Env = append(os.Environ(), st.Env...)
		out, err := cmd.CombinedOutput()
		theirs += time.Since(start)
		if err != nil || !strings.Contains(string(out), cardstack.AuthCN) {
			t.Fatalf("pkcs11-tool: %v\n%s", err, out)
		}
		theirAPDUs += st.Card.Stats().APDUs
	}
	t.Logf("cardcheck listing: %v, %d APDUs; pkcs11-tool --list-objects: %v, %d APDUs (means of %d); ratio time %.2f, APDUs %.2f",
		(ours / rounds).Round(time.Millisecond), ourAPDUs/rounds, (theirs / rounds).Round(time.Millisecond), theirAPDUs/rounds, rounds,
		float64(ours)/float64(theirs), float64(ourAPDUs)/float64(theirAPDUs))
}
