package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

func candidate(rig *testrig.Rig, entry string) probe.Candidate {
	e := rig.Entries[entry]
	return probe.Candidate{Leaf: e.Cert, Intermediates: e.Chain, Schemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}
}

// TestPreflightStopsBeforeTheCard: the pre-flight learns the request and
// sends nothing of the card, in both TLS versions.
func TestPreflightStopsBeforeTheCard(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	roots, _ := probe.LoadRoots(rig.ChainFile)
	for _, v := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		var conns []string
		opt := probe.Options{URL: srv.URL, Roots: roots, TLSVersion: v, Timeout: 10 * time.Second,
			OnProgress: func(p probe.Progress) { conns = append(conns, p.Connection+":"+string(p.Stage)) }}
		pf := probe.RunPreflight(context.Background(), opt, candidate(rig, testrig.EC256))
		if pf.Finding != probe.FindingRequested || !pf.NeedsCard || pf.Result != nil || pf.TLS.Version != v {
			t.Fatalf("TLS %s: finding %q needs card %v, TLS %+v", v, pf.Finding, pf.NeedsCard, pf.TLS)
		}
		for _, s := range pf.Steps {
			if s.From == "client" && (s.Message == "Certificate" || s.Message == "CertificateVerify") {
				t.Errorf("TLS %s: the pre-flight sent %s", v, s.Message)
			}
		}
		if len(pf.Fit) != 2 || pf.Fit[0].Status != certcheck.Pass || pf.Fit[1].Status != certcheck.Pass {
			t.Errorf("TLS %s: fit %+v", v, pf.Fit)
		}
		if pf.CertificateRequest == nil || len(pf.CertificateRequest.AcceptableCAs) != 1 || !pf.Server.Verified {
			t.Errorf("TLS %s: request %+v server %+v", v, pf.CertificateRequest, pf.Server)
		}
		if len(conns) != 1 || conns[0] != "preflight:connect" {
			t.Errorf("TLS %s: progress %v", v, conns)
		}
	}
	// A certificate from another CA does not fit.
	pf := probe.RunPreflight(context.Background(), probe.Options{URL: srv.URL, Roots: roots}, candidate(rig, testrig.Untrusted))
	if pf.Fit[0].Name != certcheck.NameAcceptableCA || pf.Fit[0].Status != certcheck.Fail || !pf.NeedsCard {
		t.Errorf("untrusted CA: fit %+v", pf.Fit)
	}
}

func TestPreflightEndsTheTestWithoutTheCard(t *testing.T) {
	rig := testrig.Shared(t)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	untrusted := testservers.Serve(t, serve.Config{CertFile: rig.UntrustedServerCertFile, KeyFile: rig.UntrustedServerKeyFile, ClientCAFile: rig.CAFile})
	never := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile})
	for _, tc := range []struct {
		url     string
		finding string
		verdict probe.Verdict
	}{
		{untrusted.URL, probe.FindingServerUntrusted, probe.ServerUntrusted},
		{never.URL, probe.FindingNotRequested, probe.NotRequested},
		{"https://" + closedAddr(t) + "/", probe.FindingRefused, probe.Failed},
	} {
		pf := probe.RunPreflight(context.Background(), probe.Options{URL: tc.url, Roots: roots, Timeout: 10 * time.Second}, candidate(rig, testrig.EC256))
		if pf.NeedsCard || pf.Finding != tc.finding || pf.Result == nil || pf.Result.Verdict != tc.verdict || pf.Result.Preflight != pf ||
			pf.Reachable != (tc.finding != probe.FindingRefused) {
			t.Errorf("%s: finding %q needs card %v reachable %v result %+v", tc.url, pf.Finding, pf.NeedsCard, pf.Reachable, pf.Result)
			continue
		}
		adviceCoded(t, pf.Result)
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// tls13Server is a Go TLS 1.3 server requiring a client certificate;
// verify runs on the client's certificate, after decides what happens
// to the connection after the handshake.
func tls13Server(t *testing.T, rig *testrig.Rig, tickets bool, verify func() error, after func(*tls.Conn)) string {
	cert, err := tls.LoadX509KeyPair(rig.ServerCertFile, rig.ServerKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAnyClientCert,
		SessionTicketsDisabled: !tickets,
		VerifyPeerCertificate:  func([][]byte, [][]*x509.Certificate) error { return verify() }}
	return listenTLS(t, cfg, func(tc *tls.Conn) {
		if err := tc.Handshake(); err != nil {
			tc.Close()
			return
		}
		after(tc)
	})
}

// listenTLS serves each connection with handle (15 s deadline) until the
// test ends, and returns the tls:// URL.
func listenTLS(t *testing.T, cfg *tls.Config, handle func(*tls.Conn)) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tc := c.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(15 * time.Second))
				handle(tc)
			}()
		}
	}()
	return "tls://" + ln.Addr().String()
}

// TestLateAlertIsWaitedForWithProgress: a TLS 1.3 server that answers
// only after its (slow) verification is waited for, and the wait is
// reported; the server is released by the progress report itself.
func TestLateAlertIsWaitedForWithProgress(t *testing.T) {
	rig := testrig.Shared(t)
	release := make(chan struct{})
	var once sync.Once
	url := tls13Server(t, rig, true, func() error {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		return errors.New("revoked, says OCSP")
	}, func(c *tls.Conn) { c.Close() })
	e := rig.Entries[testrig.EC256]
	roots, _ := probe.LoadRoots(rig.ChainFile)
	var mu sync.Mutex
	var waits []probe.Progress
	opt := probe.Options{URL: url, Roots: roots, Timeout: 15 * time.Second, LateAlertWait: 8 * time.Second,
		OnProgress: func(p probe.Progress) {
			if p.Stage != probe.StageLateAlertWait {
				return
			}
			mu.Lock()
			waits = append(waits, p)
			mu.Unlock()
			once.Do(func() { close(release) })
		}}
	res := probe.Run(context.Background(), opt, probe.Credential{Leaf: e.Cert, Intermediates: e.Chain,
		Card: memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}})
	if res.Verdict != probe.Rejected || res.Alert == nil {
		t.Fatalf("verdict %s/%s alert %+v notes %q", res.Verdict, res.CauseCode, res.Alert, res.Notes)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) < 2 || waits[0].Done || !waits[len(waits)-1].Done || waits[0].Limit != 8*time.Second || waits[0].Connection != probe.ConnTest {
		t.Fatalf("progress %+v", waits)
	}
	if res.Timings.LateAlertWaitMs <= 0 {
		t.Errorf("late_alert_wait_ms %v", res.Timings.LateAlertWaitMs)
	}
}

// TestCloseWithoutTicketIsUnclear: a TLS 1.3 server without session
// tickets that closes without an alert after the handshake: refused or
// accepted-then-closed cannot be told, and the verdict says both; with a
// ticket it is "accepted, then the service closed".
func TestCloseWithoutTicketIsUnclear(t *testing.T) {
	rig := testrig.Shared(t)
	e := rig.Entries[testrig.EC256]
	roots, _ := probe.LoadRoots(rig.ChainFile)
	cred := probe.Credential{Leaf: e.Cert, Intermediates: e.Chain, Card: memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}}
	closeRaw := func(c *tls.Conn) { c.NetConn().Close() }
	for _, tc := range []struct {
		tickets bool
		want    string
	}{{false, "error/" + probe.CauseClosedUnclear}, {true, "accepted/" + probe.CauseServiceClosed}} {
		url := tls13Server(t, rig, tc.tickets, func() error { return nil }, closeRaw)
		res := probe.Run(context.Background(), probe.Options{URL: url, Roots: roots, Timeout: 10 * time.Second}, cred)
		adviceCoded(t, res)
		if got := string(res.Verdict) + "/" + res.CauseCode; got != tc.want || !tc.tickets && !strings.Contains(res.Summary, "either it refused") {
			t.Errorf("tickets %v: %s, want %s (%s) %v", tc.tickets, got, tc.want, res.Summary, messages(res.Steps, "1.2"))
		}
	}
}

// TestServerCertificateProblemsAreWorded: a server whose certificate is
// issued for clients only (no serverAuth), signed with SHA-1, or carries a
// critical extension nobody knows is reported in words of the catalog,
// not in crypto/x509's English alone.
func TestServerCertificateProblemsAreWorded(t *testing.T) {
	rig := testrig.Shared(t)
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Worded Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	roots := x509.NewCertPool()
	roots.AddCert(root)
	serverCert := func(edit func(*x509.Certificate)) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		edit(tmpl)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, root, &key.PublicKey, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	for want, cert := range map[string]tls.Certificate{
		"probe.server.wrong_usage":    serverCert(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }),
		"probe.server.weak_signature": serverCert(func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA1WithRSA }),
		"probe.server.not_verified": serverCert(func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}}
		}),
	} {
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
		url := listenTLS(t, cfg, func(tc *tls.Conn) { tc.Handshake(); tc.Close() })
		pf := probe.RunPreflight(context.Background(), probe.Options{URL: url, Roots: roots, Timeout: 10 * time.Second}, candidate(rig, testrig.EC256))
		if pf.Finding != probe.FindingServerUntrusted || pf.Server.ErrorMsg.ID != want || pf.Server.Error == nil ||
			strings.Contains(*pf.Server.Error, "x509:") {
			t.Errorf("%s: finding %s, error %q (%s)", want, pf.Finding, deref(pf.Server.Error), pf.Server.ErrorMsg.ID)
		}
		if pf.Result == nil || len(pf.Result.AdviceCodes) == 0 || pf.Result.AdviceCodes[0] != probe.AdviceFixServerCert {
			t.Errorf("%s: advice %v, want %s first (a CA file cannot help)", want, pf.Result.AdviceCodes, probe.AdviceFixServerCert)
		}
	}
}

// A self-signed server certificate signed with SHA-1 is untrusted for
// want of trust, not for its algorithm: a root's own signature is never
// checked, so giving it as the CA file is the advice.
func TestSelfSignedSHA1ServerWantsItsCA(t *testing.T) {
	rig := testrig.Shared(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "old appliance"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		SignatureAlgorithm: x509.SHA1WithRSA, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, ClientAuth: tls.RequestClientCert}
	url := listenTLS(t, cfg, func(tc *tls.Conn) { tc.Handshake(); tc.Close() })
	pf := probe.RunPreflight(context.Background(), probe.Options{URL: url, Timeout: 10 * time.Second}, candidate(rig, testrig.EC256))
	if pf.Server.ErrorMsg.ID != "probe.server.unknown_authority" || pf.Result == nil ||
		!slices.Contains(pf.Result.AdviceCodes, probe.AdviceGiveServerCA) {
		t.Errorf("error %s, advice %v; want unknown authority and the CA file", pf.Server.ErrorMsg.ID, pf.Result.AdviceCodes)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// A server without the TLS version the test forces ends the handshake
// with protocol_version before it could ask for a certificate: the advice
// is about the version, and the report does not blame the certificate.
func TestForcedVersionTheServerLacks(t *testing.T) {
	rig := testrig.Shared(t)
	roots, _ := probe.LoadRoots(rig.ChainFile)
	cert, err := tls.LoadX509KeyPair(rig.ServerCertFile, rig.ServerKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		server uint16
		force  probe.TLSVersion
		advice string
	}{
		{tls.VersionTLS12, probe.TLS13, probe.AdviceTryOtherTLSVersion},
		{tls.VersionTLS13, probe.TLS12, probe.AdviceTryOtherTLSVersion},
		{tls.VersionTLS11, probe.TLSAuto, probe.AdviceAskTLSSettings}, // both were offered: the server is too old
	} {
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, MinVersion: tc.server, MaxVersion: tc.server}
		url := listenTLS(t, cfg, func(c *tls.Conn) { c.Handshake(); c.Close() })
		pf := probe.RunPreflight(context.Background(), probe.Options{URL: url, Roots: roots, TLSVersion: tc.force, Timeout: 10 * time.Second},
			candidate(rig, testrig.EC256))
		res := pf.Result
		if res == nil || res.Verdict != probe.Failed || res.CertificateRequest != nil ||
			len(res.AdviceCodes) == 0 || res.AdviceCodes[0] != tc.advice {
			t.Errorf("--tls %s: finding %s, result %v", tc.force, pf.Finding, res != nil)
			if res != nil {
				t.Errorf("verdict %s, request %v, advice %v: %s", res.Verdict, res.CertificateRequest, res.AdviceCodes, res.Summary)
			}
		}
	}
}
