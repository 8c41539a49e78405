package probe_test

import (
	"bufio"
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// cards logs in to rig certificates through one token manager per test
// (one C_Initialize per process), with optional faults.
type cards struct {
	t   testing.TB
	rig *testrig.Rig
	inv *token.Inventory
	f   *tokentest.Faults
}

func newCards(t testing.TB, f *tokentest.Faults) *cards {
	t.Helper()
	rig := testrig.Shared(t)
	if f == nil {
		f = &tokentest.Faults{}
	}
	m := token.NewManager(token.Options{Loader: f.Loader()})
	t.Cleanup(func() { m.Close() })
	inv := m.Scan([]token.Candidate{{Path: rig.Module}})
	if err := inv.Modules[0].Err; err != nil {
		t.Fatal(err)
	}
	return &cards{t: t, rig: rig, inv: inv, f: f}
}

func (c *cards) cert(entry string) *token.Certificate {
	c.t.Helper()
	for _, tok := range c.inv.Tokens {
		for _, cert := range tok.Certificates {
			if tok.Label == testrig.MainToken && cert.Label == c.rig.Entries[entry].Label {
				return cert
			}
		}
	}
	c.t.Fatalf("no certificate %q", entry)
	return nil
}

func (c *cards) login(entry string) *check.Prepared {
	c.t.Helper()
	p, err := check.Login(c.cert(entry), token.LoginOptions{PIN: testrig.PIN})
	if err != nil {
		c.t.Fatalf("login for %s: %v", entry, err)
	}
	c.t.Cleanup(p.Close)
	return p
}

func (c *cards) options(url string) probe.Options {
	roots, err := probe.LoadRoots(c.rig.ChainFile)
	if err != nil {
		c.t.Fatal(err)
	}
	return probe.Options{URL: url, Roots: roots, Timeout: 15 * time.Second}
}

// messages lists the handshake messages in wire order, leaving out what
// differs between otherwise identical runs: TLS 1.3's compatibility
// ChangeCipherSpec records, session tickets, application data and
// close_notify.
func messages(steps []tlstrace.Step, version probe.TLSVersion) []string {
	var out []string
	for _, s := range steps {
		switch {
		case s.Message == "ApplicationData", s.Message == "NewSessionTicket",
			s.Message == "ChangeCipherSpec" && version == "1.3",
			s.Message == "Alert" && s.Alert != nil && s.Alert.Name == "close_notify":
			continue
		}
		out = append(out, s.From+":"+s.Message)
	}
	return out
}

var (
	seq12 = []string{"client:ClientHello", "server:ServerHello", "server:Certificate", "server:ServerKeyExchange",
		"server:CertificateRequest", "server:ServerHelloDone", "client:Certificate", "client:ClientKeyExchange",
		"client:CertificateVerify", "client:ChangeCipherSpec", "client:Finished", "server:ChangeCipherSpec", "server:Finished"}
	seq13 = []string{"client:ClientHello", "server:ServerHello", "server:EncryptedExtensions", "server:CertificateRequest",
		"server:Certificate", "server:CertificateVerify", "server:Finished", "client:Certificate",
		"client:CertificateVerify", "client:Finished"}
	encrypted13 = []string{"EncryptedExtensions", "CertificateRequest", "Certificate", "CertificateVerify", "Finished"}
)

// servers starts the three real servers of the acceptance tests, all
// trusting the rig's root for client certificates.
func servers(t *testing.T, rig *testrig.Rig, version probe.TLSVersion) map[string]*testservers.Server {
	return map[string]*testservers.Server{
		"serve": testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
			ClientCAFile: rig.CAFile, CRLFile: rig.CRLFile, TLS: string(version)}),
		"nginx": testservers.Nginx(t, testservers.NginxConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
			ClientCAFile: rig.CAFile, CRLFile: rig.CRLAllFile, TLS: string(version)}),
		"s_server": testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
			CAFile: rig.CAFile, CRLFile: rig.CRLFile, CRLCheck: true, TLS: string(version), RequireCert: true}),
	}
}

func runCheck(t *testing.T, p *check.Prepared, opt probe.Options) *probe.Result {
	t.Helper()
	res := p.Run(context.Background(), opt)
	adviceCoded(t, res)
	if t.Failed() || testing.Verbose() {
		t.Logf("%s → %s (%s) %s %v", opt.URL, res.Verdict, res.CauseCode, res.Summary, res.Error)
	}
	return res
}

// adviceCoded asserts that every piece of advice has its code beside it,
// and that every English text is its message rendered.
func adviceCoded(t *testing.T, res *probe.Result) {
	t.Helper()
	messagesMatch(t, res)
	if res.AdviceCodes == nil || len(res.AdviceCodes) != len(res.Advice) {
		t.Errorf("%s: advice codes %q for advice %q", res.URL, res.AdviceCodes, res.Advice)
	}
	for _, c := range res.AdviceCodes {
		if c == "" {
			t.Errorf("%s: an empty advice code in %q", res.URL, res.AdviceCodes)
		}
	}
}

func TestGoodCertificatesAreAcceptedByAllServers(t *testing.T) {
	c := newCards(t, nil)
	for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		srvs := servers(t, c.rig, version)
		for _, entry := range []string{testrig.RSA, testrig.EC256, testrig.EC384} {
			p := c.login(entry)
			for name, srv := range srvs {
				res := runCheck(t, p, c.options(srv.URL))
				if res.Verdict != probe.Accepted || res.TLS.Version != version {
					t.Errorf("%s TLS %s %s: %s/%s %v %s", name, version, entry, res.Verdict, res.TLS.Version, res.Error, srv.Log())
					continue
				}
				want := seq12
				if version == "1.3" {
					want = seq13
				}
				if got := messages(res.Steps, version); !slices.Equal(got, want) {
					t.Errorf("%s TLS %s %s: messages\n got %v\nwant %v", name, version, entry, got, want)
				}
				if version == "1.3" {
					assertEncrypted(t, res.Steps)
				}
				assertChecksPass(t, res, name)
			}
		}
	}
}

func assertEncrypted(t *testing.T, steps []tlstrace.Step) {
	t.Helper()
	for _, s := range steps {
		if slices.Contains(encrypted13, s.Message) && !s.Encrypted {
			t.Errorf("%s from %s should be marked encrypted", s.Message, s.From)
		}
		if s.Message == "CertificateVerify" && s.Fields.Get("signature_scheme") == "" && s.Summary == "" {
			t.Errorf("CertificateVerify from %s was not decoded", s.From)
		}
	}
}

func assertChecksPass(t *testing.T, res *probe.Result, server string) {
	t.Helper()
	for _, c := range res.Checks {
		if c.Name == certcheck.NameKeyPossession && c.Status != certcheck.Pass {
			t.Errorf("%s: key possession %s: %s", server, c.Status, c.Detail)
		}
	}
	if res.Timings.SignMs <= 0 || res.Timings.HandshakeMs <= 0 || res.Timings.LoginMs <= 0 {
		t.Errorf("%s: timings not filled: %+v", server, res.Timings)
	}
}

func TestUntrustedClientCertificateIsRejected(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.Untrusted)
	for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		srvs := servers(t, c.rig, version)
		for name, srv := range srvs {
			res := runCheck(t, p, c.options(srv.URL))
			if res.Verdict != probe.Rejected {
				t.Errorf("%s %s: verdict %s, want rejected", name, version, res.Verdict)
				continue
			}
			switch name {
			case "nginx":
				if res.HTTP == nil || res.HTTP.Status != 400 {
					t.Errorf("nginx %s: HTTP %+v, want 400", version, res.HTTP)
				}
			default:
				if res.CauseCode != "unknown_ca" || res.Alert == nil || res.Alert.Code != 48 {
					t.Errorf("%s %s: cause %q alert %+v, want unknown_ca", name, version, res.CauseCode, res.Alert)
				}
			}
			if st := checkStatus(res, certcheck.NameAcceptableCA); st != certcheck.Fail {
				t.Errorf("%s %s: acceptable-ca %s, want fail", name, version, st)
			}
		}
	}
}

func checkStatus(res *probe.Result, name string) certcheck.Status {
	for _, c := range res.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func TestRevokedCertificateIsRejected(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.Revoked)
	for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		for name, srv := range servers(t, c.rig, version) {
			res := runCheck(t, p, c.options(srv.URL))
			if res.Verdict != probe.Rejected {
				t.Errorf("%s %s: verdict %s, want rejected", name, version, res.Verdict)
			}
			if name == "s_server" && res.CauseCode != "certificate_revoked" {
				t.Errorf("s_server %s: cause %q, want certificate_revoked", version, res.CauseCode)
			}
			if st := checkStatus(res, certcheck.NameRevocation); st != certcheck.Fail {
				t.Errorf("%s %s: revocation check %s with the CRL/OCSP reachable, want fail", name, version, st)
			}
		}
	}
}

func TestExpiredCertificateIsRejected(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.Expired)
	srv := testservers.SServer(t, testservers.SServerConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		CAFile: c.rig.CAFile, RequireCert: true})
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.Rejected || res.CauseCode != "certificate_expired" || checkStatus(res, certcheck.NameValidity) != certcheck.Fail {
		t.Fatalf("expired: %s %q validity %s", res.Verdict, res.CauseCode, checkStatus(res, certcheck.NameValidity))
	}
}

func TestServerThatAsksForNoCertificate(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.SServer(t, testservers.SServerConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile})
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.NotRequested || res.CertificateRequest != nil {
		t.Fatalf("verdict %s, request %+v", res.Verdict, res.CertificateRequest)
	}
	for _, s := range res.Steps {
		if s.From == "client" && s.Message == "Certificate" {
			t.Fatal("a client certificate was sent although none was requested")
		}
	}
	if st := checkStatus(res, certcheck.NameKeyPossession); st != certcheck.Pass {
		t.Errorf("key possession without a handshake signature should sign a challenge: %s", st)
	}
}

func TestUntrustedServerStopsBeforeTheCertificate(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	for _, version := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		srv := testservers.Serve(t, serve.Config{CertFile: c.rig.UntrustedServerCertFile, KeyFile: c.rig.UntrustedServerKeyFile,
			ClientCAFile: c.rig.CAFile, TLS: string(version)})
		res := runCheck(t, p, c.options(srv.URL))
		if res.Verdict != probe.ServerUntrusted || res.Server.Verified || res.Server.Error == nil {
			t.Fatalf("TLS %s: verdict %s, server %+v", version, res.Verdict, res.Server)
		}
		for _, s := range res.Steps {
			if s.From == "client" && s.Message == "Certificate" {
				t.Fatalf("TLS %s: the client certificate was sent to an untrusted server", version)
			}
		}
		opt := c.options(srv.URL)
		opt.ContinueUntrusted = true
		res = runCheck(t, p, opt)
		if res.Verdict != probe.Accepted || res.Server.Verified {
			t.Fatalf("TLS %s, continue anyway: verdict %s, server verified %v", version, res.Verdict, res.Server.Verified)
		}
	}
}

func TestServerWithoutCANames(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		ClientCAFile: c.rig.CAFile, OmitCANames: true})
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.Accepted || res.CertificateRequest == nil || len(res.CertificateRequest.AcceptableCAs) != 0 {
		t.Fatalf("verdict %s, request %+v", res.Verdict, res.CertificateRequest)
	}
	if st := checkStatus(res, certcheck.NameAcceptableCA); st == certcheck.Fail {
		t.Errorf("acceptable-ca must not fail when the server names no CAs")
	}
}

func TestTLS12OnlyServerUnderAuto(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.RSA)
	srv := testservers.Nginx(t, testservers.NginxConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		ClientCAFile: c.rig.CAFile, TLS: "1.2"})
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.Accepted || res.TLS.Version != "1.2" || res.TLS.FallbackReason != "" {
		t.Fatalf("verdict %s, TLS %+v", res.Verdict, res.TLS)
	}
}

func TestTokenWithoutPSSFallsBackToTLS12(t *testing.T) {
	c := newCards(t, &tokentest.Faults{HideMechanisms: []uint{pkcs11.CKM_RSA_PKCS_PSS}})
	p := c.login(testrig.RSA)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile, ClientCAFile: c.rig.CAFile})
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.Accepted || res.TLS.Version != "1.2" || !strings.Contains(res.TLS.FallbackReason, "PSS") {
		t.Fatalf("auto without PSS: verdict %s, TLS %+v", res.Verdict, res.TLS)
	}
	for _, s := range res.Steps {
		if s.From == "client" && s.Message == "CertificateVerify" && strings.Contains(s.Summary+s.Fields.Get("signature_scheme"), "pss") {
			t.Errorf("the card was asked for a PSS signature it cannot make: %s", s.Summary)
		}
	}
	opt := c.options(srv.URL)
	opt.TLSVersion = "1.3"
	res = runCheck(t, p, opt)
	if res.Verdict != probe.Failed || res.Error == nil || res.Error.Kind != "protocol" || !strings.Contains(res.Error.Message, "TLS 1.2") {
		t.Fatalf("forced TLS 1.3 without PSS: %s %+v", res.Verdict, res.Error)
	}
}

func TestWrongPINIsOneLoginAndAnErrorResult(t *testing.T) {
	c := newCards(t, nil)
	cert := c.cert(testrig.EC256)
	_, err := check.Login(cert, token.LoginOptions{PIN: "not-the-pin"})
	res := check.Failed("https://127.0.0.1:1/", cert, err)
	if res.Verdict != probe.Failed || res.Error.Kind != "pin-incorrect" || c.f.Logins() != 1 {
		t.Fatalf("wrong PIN: %s %+v after %d logins", res.Verdict, res.Error, c.f.Logins())
	}
	if strings.Contains(res.Error.Message+res.Summary, "not-the-pin") {
		t.Fatal("the PIN appears in the result")
	}
}

func TestBadTargetsGiveClearErrorsWithinTheTimeout(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	closed := testservers.FreePort(t)
	cases := []struct {
		name, url, kind, words string
	}{
		{"no scheme", "server.example.org", "network", "no scheme"},
		{"port 0", "https://127.0.0.1:0/", "network", "port"},
		{"port 70000", "https://127.0.0.1:70000/", "network", "port"},
		{"closed port", "https://127.0.0.1:" + strconv.Itoa(closed) + "/", "network", "refused"},
		{"unknown host", "https://no-such-host.invalid/", "", ""},
		{"plain HTTP", testservers.Raw(t, testservers.PlainHTTP).URL, "protocol", "plain HTTP"},
		{"not TLS", testservers.Raw(t, testservers.NotTLS).URL, "protocol", ""},
		{"closes mid-handshake", testservers.Raw(t, testservers.CloseMidHandshake).URL, "protocol", "closed"},
		{"malformed record", testservers.Raw(t, testservers.MalformedRecord).URL, "protocol", ""},
		{"stalls", testservers.Raw(t, testservers.Stall).URL, "timeout", "in time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := c.options(tc.url)
			opt.Timeout = 2 * time.Second
			start := time.Now()
			res := p.Run(context.Background(), opt)
			if took := time.Since(start); took > opt.Timeout+9*time.Second { // checks have their own bounded budget
				t.Errorf("took %v", took)
			}
			if res.Verdict != probe.Failed || res.Error == nil || res.Error.Message == "" {
				t.Fatalf("verdict %s, error %+v", res.Verdict, res.Error)
			}
			if tc.kind != "" && string(res.Error.Kind) != tc.kind {
				t.Errorf("kind %s (%s), want %s", res.Error.Kind, res.Error.Message, tc.kind)
			}
			if tc.kind == "" && res.Error.Kind != "network" && res.Error.Kind != "timeout" {
				t.Errorf("kind %s (%s)", res.Error.Kind, res.Error.Message)
			}
			if !strings.Contains(res.Error.Message, tc.words) {
				t.Errorf("message %q does not say %q", res.Error.Message, tc.words)
			}
		})
	}
}

func TestCancelStopsAStalledTest(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Raw(t, testservers.Stall)
	ctx, cancel := context.WithCancel(context.Background())
	opt := c.options(srv.URL)
	opt.Timeout = time.Minute
	opt.OnStep = func(s tlstrace.Step) {
		if s.Message == "ClientHello" {
			cancel() // the user presses Cancel while the server stalls
		}
	}
	done := make(chan *probe.Result, 1)
	go func() { done <- p.Run(ctx, opt) }()
	select {
	case res := <-done:
		if res.Verdict != probe.Failed || res.Error.Kind != "canceled" {
			t.Fatalf("canceled test: %s %+v", res.Verdict, res.Error)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cancel did not stop the test")
	}
}

func TestKeyLogOnlyWhenAsked(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile, ClientCAFile: c.rig.CAFile})
	var log strings.Builder
	opt := c.options(srv.URL)
	opt.KeyLog = &log
	if res := runCheck(t, p, opt); res.Verdict != probe.Accepted {
		t.Fatalf("verdict %s", res.Verdict)
	}
	if !strings.Contains(log.String(), "CLIENT_HANDSHAKE_TRAFFIC_SECRET") {
		t.Fatalf("key log not written: %q", log.String())
	}
}

func TestTLSServiceURL(t *testing.T) {
	c := newCards(t, nil)
	for _, tc := range []struct {
		entry   string
		verdict probe.Verdict
	}{{testrig.EC256, probe.Accepted}, {testrig.Untrusted, probe.Rejected}} {
		p := c.login(tc.entry)
		srv := testservers.SServer(t, testservers.SServerConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
			CAFile: c.rig.CAFile, RequireCert: true, TLS: "1.3"})
		res := runCheck(t, p, c.options(srv.TLSURL))
		if res.Verdict != tc.verdict || res.HTTP != nil {
			t.Errorf("%s on %s: %s %+v", tc.entry, srv.TLSURL, res.Verdict, res.Error)
		}
	}
}

func TestDeniedByApplication(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		ClientCAFile: c.rig.CAFile, Status: 403})
	if res := runCheck(t, p, c.options(srv.URL)); res.Verdict != probe.Denied || res.HTTP.Status != 403 {
		t.Fatalf("verdict %s, HTTP %+v", res.Verdict, res.HTTP)
	}
}

func TestCertificateRequestIsRecorded(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile, ClientCAFile: c.rig.CAFile})
	res := runCheck(t, p, c.options(srv.URL))
	cr := res.CertificateRequest
	if cr == nil || len(cr.AcceptableCAs) != 1 || !strings.Contains(cr.AcceptableCAs[0], testrig.RootCN) || len(cr.SignatureSchemes) == 0 {
		t.Fatalf("certificate request %+v", cr)
	}
	if len(res.Server.Chain) < 1 || !res.Server.Verified {
		t.Fatalf("server %+v", res.Server)
	}
}

// TestRenegotiationAsksForTheCertificate plays a server that, like IIS,
// asks for the client certificate by TLS 1.2 renegotiation after the first
// handshake: the probe answers once with the card.
func TestRenegotiationAsksForTheCertificate(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.SServer(t, testservers.SServerConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		CAFile: c.rig.CAFile, TLS: "1.2", Interactive: true, Args: []string{"-verify", "4"}})
	opt := c.options(srv.TLSURL)
	opt.LateAlertWait = 3 * time.Second
	var once sync.Once
	opt.OnStep = func(s tlstrace.Step) {
		if s.From == "server" && s.Message == "Finished" {
			// The first handshake is over: renegotiate, asking for the certificate.
			once.Do(func() { srv.Command("R") })
		}
	}
	res := runCheck(t, p, opt)
	if res.Verdict != probe.Accepted {
		t.Fatalf("verdict %s %+v\n%s", res.Verdict, res.Error, srv.Log())
	}
	var hellos, certs int
	for _, s := range res.Steps {
		if s.From == "client" && s.Message == "ClientHello" {
			hellos++
		}
		if s.From == "client" && s.Message == "Certificate" {
			certs++
		}
	}
	if hellos != 2 || certs != 1 || res.CertificateRequest == nil {
		t.Fatalf("%d ClientHellos, %d client Certificates, request %v: %v", hellos, certs, res.CertificateRequest, messages(res.Steps, "1.2"))
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that counts tunnels.
func connectProxy(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var tunnels atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer up.Close()
				tunnels.Add(1)
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go io.Copy(up, br)
				io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String(), &tunnels
}

func TestThroughHTTPSProxy(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile, ClientCAFile: c.rig.CAFile})
	proxyAddr, tunnels := connectProxy(t)
	opt := c.options(srv.URL)
	opt.Proxy = func(probe.Target) (*url.URL, error) { return &url.URL{Scheme: "http", Host: proxyAddr}, nil }
	res := runCheck(t, p, opt)
	if res.Verdict != probe.Accepted || tunnels.Load() != 1 || !strings.Contains(strings.Join(res.Notes, " "), "proxy") {
		t.Fatalf("via proxy: %s, %d tunnels, notes %v", res.Verdict, tunnels.Load(), res.Notes)
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	t.Setenv("NO_PROXY", "intranet.example")
	for host, want := range map[string]string{"server.example.org": "proxy.example:3128", "intranet.example": "", "127.0.0.1": ""} {
		tg, err := probe.ParseTarget("https://" + host + "/")
		if err != nil {
			t.Fatal(err)
		}
		u, err := probe.ProxyFromEnvironment(tg)
		got := ""
		if u != nil {
			got = u.Host
		}
		if err != nil || got != want {
			t.Errorf("%s: proxy %q (%v), want %q", host, got, err, want)
		}
	}
}

func TestIPv6Literal(t *testing.T) {
	c := newCards(t, nil)
	p := c.login(testrig.EC256)
	srv := testservers.Serve(t, serve.Config{ListenAddr: "[::1]:0", CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile, ClientCAFile: c.rig.CAFile})
	if !strings.Contains(srv.URL, "[::1]") {
		t.Fatalf("server URL %s", srv.URL)
	}
	res := runCheck(t, p, c.options(srv.URL))
	if res.Verdict != probe.Accepted || !res.Server.Verified {
		t.Fatalf("IPv6: %s, server %+v, error %+v", res.Verdict, res.Server, res.Error)
	}
}

// TestIntermediateFromAIA plays a card that lacks its intermediate: the
// probe downloads it from the leaf's AIA address (the rig serves it) so a
// server that trusts only the root still accepts the certificate.
func TestIntermediateFromAIA(t *testing.T) {
	c := newCards(t, nil)
	e := c.rig.Entries[testrig.EC256]
	srv := testservers.SServer(t, testservers.SServerConfig{CertFile: c.rig.ServerCertFile, KeyFile: c.rig.ServerKeyFile,
		CAFile: c.rig.CAFile, RequireCert: true})
	card := memoryCard{e.Key, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}}
	res := probe.Run(context.Background(), c.options(srv.URL), probe.Credential{Leaf: e.Cert, Card: card})
	if res.Verdict != probe.Accepted || !strings.Contains(strings.Join(res.Notes, " "), "AIA") {
		t.Fatalf("leaf without intermediate: %s %+v, notes %v", res.Verdict, res.Error, res.Notes)
	}
}

// messagesMatch asserts that every sentence of res is the English of the
// message beside it, and that each message is in the catalog with the
// arguments its template uses.
func messagesMatch(t *testing.T, res *probe.Result) {
	t.Helper()
	same := func(what, english string, m msg.Msg) {
		t.Helper()
		if err := msg.Check(m); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if got := msg.English(m); got != english {
			t.Errorf("%s: text %q, its message renders %q", what, english, got)
		}
	}
	same("summary", res.Summary, res.SummaryMsg)
	same("cause", res.Cause, res.CauseMsg)
	same("fallback reason", res.TLS.FallbackReason, res.TLS.FallbackReasonMsg)
	if len(res.AdviceMsgs) != len(res.Advice) || len(res.NoteMsgs) != len(res.Notes) {
		t.Errorf("%d advice with %d messages, %d notes with %d", len(res.Advice), len(res.AdviceMsgs), len(res.Notes), len(res.NoteMsgs))
		return
	}
	for i := range res.Advice {
		same("advice", res.Advice[i], res.AdviceMsgs[i])
	}
	for i := range res.Notes {
		same("note", res.Notes[i], res.NoteMsgs[i])
	}
	if res.Error != nil {
		same("error", res.Error.Message, res.Error.MessageMsg)
	}
	if res.Server.Error != nil {
		same("server error", *res.Server.Error, res.Server.ErrorMsg)
	}
	for _, c := range res.Checks {
		same("check "+c.Name, c.Detail, c.DetailMsg)
	}
	for _, s := range res.Steps {
		same("explanation of "+s.Message, s.Explain, s.ExplainMsg)
	}
	if pf := res.Preflight; pf != nil {
		same("pre-flight summary", pf.Summary, pf.SummaryMsg)
		for _, c := range pf.Fit {
			same("fit "+c.Name, c.Detail, c.DetailMsg)
		}
	}
}

// A proxy that is down or refuses the tunnel is named as the proxy, in
// words of the catalog: it is not taken for a server refusing (the
// pre-flight's finding is not connection-refused), and the test ends
// before the card is asked for.
func TestProxyFailuresAreTheProxys(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	refusing := testservers.Raw(t, func(c net.Conn) {
		http.ReadRequest(bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
	})
	for name, tc := range map[string]struct{ proxy, want, cause string }{
		"down":    {closedAddr(t), "probe.proxy.unreachable", probe.CauseProxyFailed},
		"refuses": {strings.TrimPrefix(refusing.URL, "https://"), "probe.proxy.refused", probe.CauseProxyAuth},
	} {
		proxy := &url.URL{Scheme: "http", Host: strings.TrimSuffix(tc.proxy, "/")}
		opt := probe.Options{URL: srv.URL, Timeout: 10 * time.Second, Proxy: func(probe.Target) (*url.URL, error) { return proxy, nil }}
		pf := probe.RunPreflight(context.Background(), opt, candidate(rig, testrig.EC256))
		res := pf.Result
		if pf.NeedsCard || pf.Finding == probe.FindingRefused || pf.Reachable || res == nil || res.Error == nil ||
			res.Error.MessageMsg.ID != "probe.error.not_reached" {
			t.Errorf("%s: finding %s, result %+v", name, pf.Finding, res)
			continue
		}
		reason, _ := res.Error.MessageMsg.Args["Reason"].(msg.Msg)
		if reason.ID != tc.want || !strings.Contains(res.Error.Message, proxy.Host) {
			t.Errorf("%s: %q (%s), want %s naming the proxy", name, res.Error.Message, reason.ID, tc.want)
		}
		if res.CauseCode != tc.cause || len(res.AdviceCodes) == 0 || res.AdviceCodes[0] != probe.AdviceCheckProxy {
			t.Errorf("%s: cause %q, advice %v; want %s and the proxy setting first", name, res.CauseCode, res.AdviceCodes, tc.cause)
		}
	}
}

// recordingCard is a Card that never signs and counts the attempts.
type recordingCard struct {
	pub   crypto.PublicKey
	signs atomic.Int32
}

func (c *recordingCard) Public() crypto.PublicKey { return c.pub }
func (c *recordingCard) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	c.signs.Add(1)
	return nil, errors.New("recordingCard does not sign")
}
func (c *recordingCard) SignatureSchemes() []tls.SignatureScheme {
	return []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}
}
func (c *recordingCard) TLS13Capable() bool { return true }

// A card whose login fails beside the connection (Credential.Ready) is
// never asked to sign and its certificate never offered, in either TLS
// version; the test ends without running the certificate checks.
func TestCardNotReadyIsNeverUsed(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	roots, _ := probe.LoadRoots(rig.ChainFile)
	e := rig.Entries[testrig.EC256]
	for _, v := range []probe.TLSVersion{probe.TLS12, probe.TLS13} {
		card := &recordingCard{pub: e.Cert.PublicKey}
		loginFailed := errors.New("the login failed")
		var asked atomic.Int32
		cred := probe.Credential{Leaf: e.Cert, Intermediates: e.Chain, Card: card,
			Ready: func(context.Context) error { asked.Add(1); return loginFailed }}
		res := probe.Run(context.Background(), probe.Options{URL: srv.URL, Roots: roots, TLSVersion: v, Timeout: 10 * time.Second}, cred)
		if asked.Load() != 1 || card.signs.Load() != 0 || res.Verdict == probe.Accepted || len(res.Checks) != 0 {
			t.Errorf("TLS %s: Ready asked %d times, %d signatures, verdict %s, %d checks; want one wait, no signature, no checks",
				v, asked.Load(), card.signs.Load(), res.Verdict, len(res.Checks))
		}
	}
}

// A proxy setting that is not a valid address is refused (httpproxy would
// ignore it and connect directly), without quoting it: it may hold a
// password.
func TestBadProxySettingIsNotQuoted(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "alice:s3cret@proxy.example:port")
	t.Setenv("NO_PROXY", "")
	tg, err := probe.ParseTarget("https://server.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probe.ProxyFromEnvironment(tg); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("ProxyFromEnvironment: %v", err)
	}
	for _, bad := range []string{"http://alice:s3cret@proxy.example:port", "http://alice:s3cret@:3128", "http://alice:pa#ss@proxy.example:3128"} {
		t.Setenv("HTTPS_PROXY", bad)
		if _, err := probe.ProxyFromEnvironment(tg); err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pa#ss") {
			t.Errorf("HTTPS_PROXY=%s: %v", bad, err)
		}
	}
	t.Setenv("HTTPS_PROXY", "alice:s3cret@proxy.example:port")
	t.Setenv("NO_PROXY", "server.example.org") // a setting that does not apply is no error
	if p, err := probe.ProxyFromEnvironment(tg); p != nil || err != nil {
		t.Errorf("ProxyFromEnvironment with NO_PROXY: %v, %v", p, err)
	}
}
