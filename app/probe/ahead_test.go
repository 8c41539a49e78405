package probe_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// fetches is an HTTP transport for the certificate checks that counts
// their requests (AIA, OCSP, CRL) and closes first at the first one.
type fetches struct {
	n     atomic.Int32
	once  sync.Once
	first chan struct{}
}

func newFetches() *fetches { return &fetches{first: make(chan struct{})} }

func (f *fetches) RoundTrip(req *http.Request) (*http.Response, error) {
	f.n.Add(1)
	f.once.Do(func() { close(f.first) })
	return http.DefaultTransport.RoundTrip(req)
}

func (f *fetches) client() *http.Client { return &http.Client{Transport: f, Timeout: 10 * time.Second} }

// heldServer is a TLS 1.3 server requiring a client certificate that holds
// every handshake at the ClientHello until release is closed (10 s at most)
// and reports whether it was released in time.
func heldServer(t *testing.T, rig *testrig.Rig, release <-chan struct{}) (string, *atomic.Bool) {
	cert, err := tls.LoadX509KeyPair(rig.ServerCertFile, rig.ServerKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	var released atomic.Bool
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAnyClientCert,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			select {
			case <-release:
				released.Store(true)
			case <-time.After(10 * time.Second):
			}
			return nil, nil
		}}
	url := listenTLS(t, cfg, func(c *tls.Conn) {
		defer c.Close()
		if c.Handshake() == nil {
			c.Write([]byte("ok\n"))
		}
	})
	return url, &released
}

// TestChecksRunBesideTheHandshake: the certificate's chain and revocation
// checks start before the handshake: the server holds the handshake until
// the first revocation request arrives, which a test that checks only
// after its handshake would never send in time.
func TestChecksRunBesideTheHandshake(t *testing.T) {
	rig := testrig.Shared(t)
	f := newFetches()
	url, released := heldServer(t, rig, f.first)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	e := rig.Entries[testrig.EC256]
	card := memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}
	opt := probe.Options{URL: url, Roots: roots, Timeout: 20 * time.Second, HTTPClient: f.client()}
	res := probe.Run(context.Background(), opt, probe.Credential{Leaf: e.Cert, Intermediates: e.Chain, Card: card})
	if !released.Load() {
		t.Fatalf("the handshake waited for the revocation check: it started only after (verdict %s)", res.Verdict)
	}
	if res.Verdict != probe.Accepted || checkStatus(res, certcheck.NameRevocation) != certcheck.Pass {
		t.Fatalf("verdict %s, checks %+v, error %+v", res.Verdict, res.Checks, res.Error)
	}
}

// TestRunTakesOverThePreflightChecks: the checks the pre-flight started
// are not run again by the test that follows it, and their results are
// the same as those of a test run alone.
func TestRunTakesOverThePreflightChecks(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	roots, _ := probe.LoadRoots(rig.ChainFile)
	e := rig.Entries[testrig.EC256]
	cred := probe.Credential{Leaf: e.Cert, Intermediates: e.Chain, Card: memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}}

	alone := newFetches()
	opt := probe.Options{URL: srv.URL, Roots: roots, Timeout: 20 * time.Second, HTTPClient: alone.client()}
	want := probe.Run(context.Background(), opt, cred)

	both := newFetches()
	opt.HTTPClient = both.client()
	pf := probe.RunPreflight(context.Background(), opt, candidate(rig, testrig.EC256))
	if !pf.NeedsCard {
		t.Fatalf("pre-flight: %s", pf.Finding)
	}
	opt.Preflight = pf
	got := probe.Run(context.Background(), opt, cred)
	if both.n.Load() != alone.n.Load() || alone.n.Load() == 0 {
		t.Errorf("pre-flight and test fetched %d times, a test alone %d", both.n.Load(), alone.n.Load())
	}
	if got.Verdict != probe.Accepted || len(got.Checks) != len(want.Checks) {
		t.Fatalf("verdict %s, checks %+v", got.Verdict, got.Checks)
	}
	for i := range want.Checks {
		if got.Checks[i].Name != want.Checks[i].Name || got.Checks[i].Status != want.Checks[i].Status || got.Checks[i].Detail != want.Checks[i].Detail {
			t.Errorf("check %d: %+v, alone %+v", i, got.Checks[i], want.Checks[i])
		}
	}
}

// TestPreflightAheadFindsWhatPreflightFinds: started before the
// certificate is chosen, the pre-flight reaches the same finding as one
// started after, for every kind of server and TLS version. The candidate
// is handed over only once the pre-flight has connected: an ahead
// pre-flight that waited for it would never connect.
func TestPreflightAheadFindsWhatPreflightFinds(t *testing.T) {
	rig := testrig.Shared(t)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	asks := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	never := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile})
	untrusted := testservers.Serve(t, serve.Config{CertFile: rig.UntrustedServerCertFile, KeyFile: rig.UntrustedServerKeyFile, ClientCAFile: rig.CAFile})
	for _, url := range []string{asks.URL, never.URL, untrusted.URL} {
		for _, v := range []probe.TLSVersion{probe.TLSAuto, probe.TLS12, probe.TLS13} {
			for _, entry := range []string{testrig.EC256, testrig.Untrusted} {
				opt := probe.Options{URL: url, Roots: roots, TLSVersion: v, Timeout: 20 * time.Second}
				want := probe.RunPreflight(context.Background(), opt, candidate(rig, entry))
				got := aheadAfterConnect(t, opt, candidate(rig, entry))
				samePreflight(t, url+" "+string(v)+" "+entry, got, want)
			}
		}
	}
}

// aheadAfterConnect runs RunPreflightAhead and chooses cand once the
// pre-flight reports its connection (10 s at most).
func aheadAfterConnect(t *testing.T, opt probe.Options, cand probe.Candidate) *probe.Preflight {
	t.Helper()
	connected := make(chan struct{})
	var once sync.Once
	opt.OnProgress = func(p probe.Progress) {
		if p.Stage == probe.StageConnect {
			once.Do(func() { close(connected) })
		}
	}
	return probe.RunPreflightAhead(context.Background(), opt, func() (probe.Candidate, bool) {
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: the pre-flight did not connect before the certificate was chosen", opt.URL)
		}
		return cand, true
	})
}

func samePreflight(t *testing.T, name string, got, want *probe.Preflight) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no pre-flight", name)
	}
	if got.Finding != want.Finding || got.NeedsCard != want.NeedsCard || got.TLS.Version != want.TLS.Version ||
		got.TLS.FallbackReason != want.TLS.FallbackReason || got.Summary != want.Summary || got.Server.Verified != want.Server.Verified {
		t.Errorf("%s: ahead %s/%v TLS %+v %q, after %s/%v TLS %+v %q", name, got.Finding, got.NeedsCard, got.TLS, got.Summary,
			want.Finding, want.NeedsCard, want.TLS, want.Summary)
	}
	if len(got.Fit) != len(want.Fit) {
		t.Fatalf("%s: fit %+v, want %+v", name, got.Fit, want.Fit)
	}
	for i := range want.Fit {
		if got.Fit[i].Status != want.Fit[i].Status || got.Fit[i].Detail != want.Fit[i].Detail {
			t.Errorf("%s: fit %+v, want %+v", name, got.Fit[i], want.Fit[i])
		}
	}
	if (got.Result == nil) != (want.Result == nil) {
		t.Fatalf("%s: result %v, want %v", name, got.Result, want.Result)
	}
	if want.Result != nil && (got.Result.Verdict != want.Result.Verdict || got.Result.Summary != want.Result.Summary ||
		len(got.Result.Checks) != len(want.Result.Checks)) {
		t.Errorf("%s: result %s %q %d checks, want %s %q %d", name, got.Result.Verdict, got.Result.Summary, len(got.Result.Checks),
			want.Result.Verdict, want.Result.Summary, len(want.Result.Checks))
	}
}

// TestPreflightAheadWithoutPSSStartsAgain: a key that cannot sign in TLS
// 1.3 learns that only once chosen; the ahead pre-flight then starts again
// over TLS 1.2 (auto) or fails as RunPreflight does (TLS 1.3 forced).
func TestPreflightAheadWithoutPSSStartsAgain(t *testing.T) {
	rig := testrig.Shared(t)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	e := rig.Entries[testrig.RSA]
	cand := probe.Candidate{Leaf: e.Cert, Intermediates: e.Chain, Schemes: []tls.SignatureScheme{tls.PKCS1WithSHA256}}
	for _, v := range []probe.TLSVersion{probe.TLSAuto, probe.TLS13} {
		opt := probe.Options{URL: srv.URL, Roots: roots, TLSVersion: v, Timeout: 20 * time.Second}
		want := probe.RunPreflight(context.Background(), opt, cand)
		got := aheadAfterConnect(t, opt, cand)
		samePreflight(t, "without PSS, TLS "+string(v), got, want)
		if v == probe.TLSAuto && (got.TLS.Version != "1.2" || !strings.Contains(got.TLS.FallbackReason, "PSS")) {
			t.Errorf("auto without PSS: TLS %+v", got.TLS)
		}
	}
}

// TestPreflightAheadAbandoned: when no certificate can be chosen, the
// ahead pre-flight closes its connection and returns nil.
func TestPreflightAheadAbandoned(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted, closed := make(chan struct{}), make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		close(accepted)
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if !strings.Contains(err.Error(), "timeout") {
					close(closed)
				}
				return
			}
		}
	}()
	opt := probe.Options{URL: "tls://" + ln.Addr().String(), Timeout: 20 * time.Second}
	pf := probe.RunPreflightAhead(context.Background(), opt, func() (probe.Candidate, bool) {
		select {
		case <-accepted:
		case <-time.After(10 * time.Second):
			t.Error("the pre-flight did not connect")
		}
		return probe.Candidate{}, false
	})
	if pf != nil {
		t.Errorf("abandoned pre-flight: %+v", pf)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Error("the abandoned pre-flight left its connection open")
	}
}

// TestServerVerifiedOnceStillChecksAnotherChain: the test does not verify
// again the chain its pre-flight verified, but a server that answers the
// test with another chain is verified, and refused.
func TestServerVerifiedOnceStillChecksAnotherChain(t *testing.T) {
	rig := testrig.Shared(t)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	trusted := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	untrusted := testservers.Serve(t, serve.Config{CertFile: rig.UntrustedServerCertFile, KeyFile: rig.UntrustedServerKeyFile, ClientCAFile: rig.CAFile})
	e := rig.Entries[testrig.EC256]
	cred := probe.Credential{Leaf: e.Cert, Intermediates: e.Chain, Card: memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}}
	opt := probe.Options{URL: trusted.URL, Roots: roots, Timeout: 20 * time.Second}
	pf := probe.RunPreflight(context.Background(), opt, candidate(rig, testrig.EC256))
	if !pf.NeedsCard || !pf.Server.Verified {
		t.Fatalf("pre-flight: %s, server %+v", pf.Finding, pf.Server)
	}
	opt.Preflight = pf
	if res := probe.Run(context.Background(), opt, cred); res.Verdict != probe.Accepted || !res.Server.Verified {
		t.Errorf("same server: %s, server %+v", res.Verdict, res.Server)
	}
	opt.URL = untrusted.URL // the same host, another chain
	if res := probe.Run(context.Background(), opt, cred); res.Verdict != probe.ServerUntrusted || res.Server.Verified {
		t.Errorf("another chain after a trusted pre-flight: %s, server %+v", res.Verdict, res.Server)
	}
}
