package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// syncBuffer is a log the server writes from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a server with the rig's server certificate and, unless the
// test changes them, the rig's root as client CA and its CRL.
func start(t *testing.T, mod func(*serve.Config)) (*serve.Server, *syncBuffer) {
	t.Helper()
	rig := testrig.Shared(t)
	log := &syncBuffer{}
	cfg := serve.Config{
		CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		ClientCAFile: rig.CAFile, CRLFile: rig.CRLFile, Log: log,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := serve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", log)
		}
	})
	return s, log
}

func roots(t *testing.T) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(testrig.Shared(t).Root.Cert)
	return p
}

// cert is the client certificate of a rig entry; "" means none.
func cert(t *testing.T, name string) *tls.Certificate {
	if name == "" {
		return nil
	}
	e := testrig.Shared(t).Entries[name]
	return testservers.ClientCert(e.Cert, e.Chain, e.Key)
}

func fetch(t *testing.T, url string, version uint16, entry string) testservers.Response {
	return testservers.Fetch(testservers.Request{URL: url, Version: version, Cert: cert(t, entry), RootCAs: roots(t)})
}

var versions = []struct {
	name string
	v    uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

func TestAcceptsAGoodCertificate(t *testing.T) {
	s, log := start(t, nil)
	for _, ver := range versions {
		for _, entry := range []string{testrig.RSA, testrig.EC256, testrig.EC384, testrig.Unicode} {
			t.Run(ver.name+"/"+entry, func(t *testing.T) {
				r := fetch(t, s.URL()+"hello", ver.v, entry)
				if r.Err != nil || r.Status != 200 {
					t.Fatalf("status %d, err %v", r.Status, r.Err)
				}
				subject := testrig.Shared(t).Entries[entry].Cert.Subject.String()
				for _, want := range []string{"client certificate accepted", subject, tls.VersionName(ver.v), "GET /hello",
					"Chain verification:  ok: " + subject + " <- CN=" + testrig.IntermediateCN} {
					if !strings.Contains(r.Body, want) {
						t.Errorf("body lacks %q:\n%s", want, r.Body)
					}
				}
			})
		}
	}
	s.Close() // waits for the connections: the log is complete
	if n := strings.Count(log.String(), "accepted client certificate"); n != 8 {
		t.Errorf("%d log lines say accepted, want 8:\n%s", n, log)
	}
}

func TestJSONReport(t *testing.T) {
	s, _ := start(t, nil)
	rig := testrig.Shared(t)
	e := rig.Entries[testrig.RSA]
	for _, req := range []testservers.Request{
		{URL: s.URL() + "x?format=json"},
		{URL: s.URL() + "x", Accept: "application/json"},
	} {
		req.Version, req.Cert, req.RootCAs = tls.VersionTLS13, cert(t, testrig.RSA), roots(t)
		r := testservers.Fetch(req)
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("status %d, err %v", r.Status, r.Err)
		}
		var rep serve.Report
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.Body)
		}
		c := rep.ClientCertificate
		if c == nil || c.Subject != e.Cert.Subject.String() || c.Issuer != e.Cert.Issuer.String() ||
			c.Serial != e.Cert.SerialNumber.Text(16) || c.NotAfter != e.Cert.NotAfter.UTC().Format(time.RFC3339) ||
			c.ChainSent != 2 || len(c.SHA256) != 64 {
			t.Errorf("client_certificate: %+v", c)
		}
		if rep.TLS.Version != "TLS 1.3" || rep.TLS.CipherSuite == "" || rep.TLS.SNI != "localhost" || rep.TLS.ALPN != "" {
			t.Errorf("tls: %+v", rep.TLS)
		}
		cv := rep.ChainVerification
		if cv.Result != "ok" || len(cv.Chain) != 3 || cv.Chain[2] != rig.Root.Cert.Subject.String() || cv.Alert != "" {
			t.Errorf("chain_verification: %+v", cv)
		}
		if !rep.ClientCertificateRequested || rep.Status != 200 || rep.Request.Path != "/x"+strings.TrimPrefix(req.URL, s.URL()+"x") {
			t.Errorf("report: %+v", rep)
		}
	}
	// The raw JSON uses the documented names.
	r := fetch(t, s.URL()+"?format=json", tls.VersionTLS12, testrig.EC256)
	for _, key := range []string{`"client_certificate":`, `"not_after":`, `"cipher_suite":`, `"sni":`, `"chain_verification":`, `"result": "ok"`} {
		if !strings.Contains(r.Body, key) {
			t.Errorf("JSON lacks %s:\n%s", key, r.Body)
		}
	}
}

// TestAlerts checks, from the client side, the alert the server sends for
// each kind of bad client certificate: the same alerts as OpenSSL.
func TestAlerts(t *testing.T) {
	s, log := start(t, nil)
	cases := []struct {
		entry string
		alert uint8
		text  string // crypto/tls's name of the alert
	}{
		{testrig.Untrusted, serve.AlertUnknownCA, "unknown certificate authority"},
		{testrig.Revoked, serve.AlertCertificateRevoked, "revoked certificate"},
		{testrig.Expired, serve.AlertCertificateExpired, "expired certificate"},
		{testrig.NotYet, serve.AlertBadCertificate, "bad certificate"},
		{testrig.NoClientAuth, serve.AlertUnsupportedCertificate, "unsupported certificate"},
	}
	for _, ver := range versions {
		for _, c := range cases {
			t.Run(ver.name+"/"+c.entry, func(t *testing.T) {
				r := fetch(t, s.URL(), ver.v, c.entry)
				checkAlert(t, r, ver.v, c.alert, c.text)
			})
		}
		t.Run(ver.name+"/no-certificate", func(t *testing.T) {
			r := fetch(t, s.URL(), ver.v, "")
			if ver.v == tls.VersionTLS13 {
				checkAlert(t, r, ver.v, serve.AlertCertificateRequired, "certificate required")
			} else {
				checkAlert(t, r, ver.v, serve.AlertHandshakeFailure, "handshake failure")
			}
		})
	}
	s.Close() // waits for the connections: the log is complete
	l := log.String()
	for _, want := range []string{
		`rejected client certificate "CN=Mallory Untrusted`, "sent alert unknown_ca (48)",
		"sent alert certificate_revoked (44)", "sent alert certificate_expired (45)",
		"sent alert unsupported_certificate (43)", "sent alert bad_certificate (42)",
		"no client certificate sent: sent alert certificate_required (116)",
		"no client certificate sent: sent alert handshake_failure (40)",
	} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if n := strings.Count(l, "\n"); n != 12 {
		t.Errorf("%d log lines for 12 connections:\n%s", n, l)
	}
}

func checkAlert(t *testing.T, r testservers.Response, version uint16, alert uint8, text string) {
	t.Helper()
	if !r.AlertOK || r.Alert != alert {
		t.Fatalf("alert %v/%d (%s), want %d (%s); err: %v", r.AlertOK, r.Alert, serve.AlertName(r.Alert), alert, serve.AlertName(alert), r.Err)
	}
	if !strings.Contains(r.Err.Error(), text) {
		t.Errorf("error %q lacks %q", r.Err, text)
	}
	// In TLS 1.2 the alert ends the handshake; in TLS 1.3 the client's
	// handshake is over when the server checks the certificate, and the
	// alert arrives on the first read.
	if tls12 := version == tls.VersionTLS12; tls12 != (r.HandshakeErr != nil) {
		t.Errorf("handshake error %v in %s", r.HandshakeErr, tls.VersionName(version))
	}
	if r.Status != 0 {
		t.Errorf("HTTP status %d after an alert", r.Status)
	}
}

// TestAlertsSeenByOpenSSL checks the sealed TLS 1.3 alert with every TLS
// 1.3 cipher suite, and the TLS 1.2 alert, with an independent client.
func TestAlertsSeenByOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is not installed")
	}
	rig := testrig.Shared(t)
	s, _ := start(t, nil)
	dir := t.TempDir()
	files := func(entry string) []string {
		e := rig.Entries[entry]
		c, chain, k := filepath.Join(dir, entry+".pem"), filepath.Join(dir, entry+"-chain.pem"), filepath.Join(dir, entry+"-key.pem")
		if err := pki.WriteCerts(c, e.Cert); err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteKey(k, e.Key); err != nil {
			t.Fatal(err)
		}
		if len(e.Chain) == 0 {
			return []string{"-cert", c, "-key", k}
		}
		if err := pki.WriteCerts(chain, e.Chain...); err != nil {
			t.Fatal(err)
		}
		return []string{"-cert", c, "-cert_chain", chain, "-key", k}
	}
	cases := []struct {
		name, entry string
		args        []string
		alert       string
	}{
		{"TLS1.3/AES128", testrig.Untrusted, []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"}, "48"},
		{"TLS1.3/AES256", testrig.Revoked, []string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"}, "44"},
		{"TLS1.3/ChaCha20", testrig.Expired, []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"}, "45"},
		{"TLS1.2", testrig.NoClientAuth, []string{"-tls1_2"}, "43"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			certArgs := files(c.entry)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			args := append([]string{"s_client", "-connect", s.Addr(), "-servername", "localhost",
				"-CAfile", rig.CAFile, "-ign_eof"}, certArgs...)
			args = append(args, c.args...)
			cmd := exec.CommandContext(ctx, "openssl", args...)
			cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "SSL alert number "+c.alert) {
				t.Errorf("s_client did not see alert %s:\n%s", c.alert, out)
			}
		})
	}
}

func TestNoClientCAsRequestsNoCertificate(t *testing.T) {
	s, log := start(t, func(c *serve.Config) { c.ClientCAFile, c.CRLFile = "", "" })
	if s.RequestsClientCert() || s.Describe() != "no client certificate requested" {
		t.Errorf("RequestsClientCert %v, Describe %q", s.RequestsClientCert(), s.Describe())
	}
	for _, ver := range versions {
		r := testservers.Fetch(testservers.Request{URL: s.URL() + "?format=json", Version: ver.v,
			Cert: cert(t, testrig.RSA), RootCAs: roots(t)})
		if r.Err != nil || r.Status != 200 || r.CertRequested {
			t.Fatalf("%s: status %d, err %v, certificate requested %v", ver.name, r.Status, r.Err, r.CertRequested)
		}
		var rep serve.Report
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.ClientCertificateRequested || rep.ClientCertificate != nil || rep.ChainVerification.Result != "not-requested" {
			t.Errorf("%s: %+v", ver.name, rep)
		}
	}
	s.Close()
	if !strings.Contains(log.String(), "no client certificate requested") {
		t.Errorf("log: %s", log)
	}
}

func TestCANames(t *testing.T) {
	rig := testrig.Shared(t)
	named, _ := start(t, nil)
	omitted, _ := start(t, func(c *serve.Config) { c.OmitCANames = true })
	for _, ver := range versions {
		r := fetch(t, named.URL(), ver.v, testrig.RSA)
		if r.Err != nil || r.CertRequest == nil || len(r.CertRequest.AcceptableCAs) != 1 ||
			!bytes.Equal(r.CertRequest.AcceptableCAs[0], rig.Root.Cert.RawSubject) {
			t.Errorf("%s: named: err %v, request %+v", ver.name, r.Err, r.CertRequest)
		}
		r = fetch(t, omitted.URL(), ver.v, testrig.RSA)
		if r.Err != nil || r.Status != 200 || !r.CertRequested || len(r.CertRequest.AcceptableCAs) != 0 {
			t.Errorf("%s: omitted: err %v, status %d, request %+v", ver.name, r.Err, r.Status, r.CertRequest)
		}
		// The certificate is still checked.
		r = fetch(t, omitted.URL(), ver.v, testrig.Untrusted)
		checkAlert(t, r, ver.v, serve.AlertUnknownCA, "unknown certificate authority")
	}
	if !strings.Contains(omitted.Describe(), "no CA names sent") || !strings.Contains(named.Describe(), "client CA: CN="+testrig.RootCN) {
		t.Errorf("Describe: %q / %q", omitted.Describe(), named.Describe())
	}
}

func TestOptionalReportsTheProblem(t *testing.T) {
	s, log := start(t, func(c *serve.Config) { c.Optional = true })
	for _, ver := range versions {
		r := fetch(t, s.URL()+"?format=json", ver.v, testrig.Untrusted)
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("%s: status %d, err %v", ver.name, r.Status, r.Err)
		}
		var rep serve.Report
		json.Unmarshal([]byte(r.Body), &rep)
		cv := rep.ChainVerification
		if cv.Result != "failed" || cv.Alert != "unknown_ca" || !strings.Contains(cv.Error, "unknown authority") ||
			rep.ClientCertificate == nil || !strings.Contains(rep.ClientCertificate.Subject, "Mallory") {
			t.Errorf("%s: %+v", ver.name, rep)
		}
		r = fetch(t, s.URL(), ver.v, "")
		if r.Err != nil || r.Status != 200 || !strings.Contains(r.Body, "no client certificate was sent") {
			t.Errorf("%s: no certificate: status %d, err %v\n%s", ver.name, r.Status, r.Err, r.Body)
		}
	}
	s.Close()
	if !strings.Contains(log.String(), "allowed because the certificate is optional") {
		t.Errorf("log: %s", log)
	}
}

func TestStatus(t *testing.T) {
	s, _ := start(t, func(c *serve.Config) { c.Status = 403 })
	r := fetch(t, s.URL(), 0, testrig.RSA)
	if r.Err != nil || r.Status != 403 || !strings.Contains(r.Body, "HTTP status:         403 Forbidden") {
		t.Errorf("status %d, err %v\n%s", r.Status, r.Err, r.Body)
	}
}

func TestTLSVersionSetting(t *testing.T) {
	only12, _ := start(t, func(c *serve.Config) { c.TLS = "1.2" })
	only13, _ := start(t, func(c *serve.Config) { c.TLS = "1.3" })
	auto, _ := start(t, func(c *serve.Config) { c.TLS = "auto" })
	if r := fetch(t, only12.URL(), 0, testrig.RSA); r.Err != nil || r.State.Version != tls.VersionTLS12 {
		t.Errorf("1.2: %v %x", r.Err, r.State.Version)
	}
	if r := fetch(t, only12.URL(), tls.VersionTLS13, testrig.RSA); r.Err == nil {
		t.Error("a 1.2 server accepted TLS 1.3")
	}
	if r := fetch(t, only13.URL(), tls.VersionTLS12, testrig.RSA); r.Err == nil {
		t.Error("a 1.3 server accepted TLS 1.2")
	}
	if r := fetch(t, auto.URL(), 0, testrig.RSA); r.Err != nil || r.State.Version != tls.VersionTLS13 {
		t.Errorf("auto: %v %x", r.Err, r.State.Version)
	}
}

// TestNotTLSClients: plain HTTP gets an HTTP 400, garbage is dropped, a
// silent client is cut after the handshake timeout; the server keeps
// serving.
func TestNotTLSClients(t *testing.T) {
	s, log := start(t, func(c *serve.Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	dial := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}

	c := dial()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	resp, err := readAll(c)
	if err != nil || !strings.HasPrefix(resp, "HTTP/1.0 400 Bad Request") || !strings.Contains(resp, "use https://") {
		t.Errorf("plain HTTP: %q, %v", resp, err)
	}

	c = dial()
	c.Write(bytes.Repeat([]byte{0x16, 0x03, 0x01, 0xff, 0xff, 0x00}, 40))
	if resp, err := readAll(c); err != nil && !errors.Is(err, io.EOF) && !isReset(err) {
		t.Errorf("garbage: %q, %v", resp, err)
	}

	c = dial() // says nothing
	start := time.Now()
	if _, err := readAll(c); err != nil && !isReset(err) {
		t.Errorf("silent client: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("silent client cut after %v", d)
	}

	if r := fetch(t, s.URL(), 0, testrig.RSA); r.Status != 200 {
		t.Errorf("after garbage: %d %v", r.Status, r.Err)
	}
	s.Close()
	l := log.String()
	for _, want := range []string{"not a TLS client (plain HTTP request); answered HTTP 400", "handshake timed out after 300ms", "accepted client certificate"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}

func readAll(c net.Conn) (string, error) {
	b, err := io.ReadAll(c)
	return string(b), err
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "connection reset") }

// TestCloseCutsHandshakes: Close does not wait for the handshake timeout
// of a client that never speaks.
func TestCloseCutsHandshakes(t *testing.T) {
	s, log := start(t, nil)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Make sure the server holds the connection: a TLS client that
	// completes its handshake afterwards was accepted after ours.
	if r := fetch(t, s.URL(), 0, testrig.RSA); r.Status != 200 {
		t.Fatal(r.Err)
	}
	begin := time.Now()
	s.Close()
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the connection is still open")
	}
	if !strings.Contains(log.String(), "handshake interrupted: the server is stopping") {
		t.Errorf("log: %s", log)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		t.Error("still listening after Close")
	}
	s.Close() // twice is fine
}

func TestServeReturnsWhenTheContextEnds(t *testing.T) {
	rig := testrig.Shared(t)
	s, err := serve.New(serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	if r := fetch(t, s.URL(), 0, testrig.EC256); r.Status != 200 {
		t.Fatalf("status %d: %v", r.Status, r.Err)
	}
	// A keep-alive connection does not hold up the shutdown.
	keep, err := tls.Dial("tcp", s.Addr(), &tls.Config{RootCAs: roots(t), ServerName: "localhost",
		Certificates: []tls.Certificate{*cert(t, testrig.EC256)}})
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	io.WriteString(keep, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := readResponse(keep); err != nil || resp != 200 {
		t.Fatalf("keep-alive: %d %v", resp, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if err := s.Serve(context.Background()); err == nil {
		t.Error("Serve ran twice")
	}
}

func readResponse(c net.Conn) (int, error) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var code int
	if f := strings.Fields(line); len(f) > 1 {
		for _, ch := range f[1] {
			code = code*10 + int(ch-'0')
		}
	}
	return code, nil
}

func TestNewErrors(t *testing.T) {
	rig := testrig.Shared(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("hello\n"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	good := serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile}
	cases := []struct {
		name string
		mod  func(*serve.Config)
		want string
	}{
		{"no certificate", func(c *serve.Config) { c.CertFile, c.KeyFile = "", "" }, "server certificate and key are required"},
		{"no key", func(c *serve.Config) { c.KeyFile = "" }, "server key file is required"},
		{"missing file", func(c *serve.Config) { c.CertFile = filepath.Join(dir, "nope.pem") }, "cannot read the server certificate " + filepath.Join(dir, "nope.pem") + ": no such file"},
		{"not PEM", func(c *serve.Config) { c.CertFile = garbage }, "not a PEM file"},
		{"key is a certificate", func(c *serve.Config) { c.KeyFile = rig.CAFile }, "no private key"},
		{"key mismatch", func(c *serve.Config) { c.KeyFile = rig.UntrustedServerKeyFile }, "does not match the certificate"},
		{"bad client CA", func(c *serve.Config) { c.ClientCAFile = garbage }, "client CA file " + garbage},
		{"bad CRL", func(c *serve.Config) { c.CRLFile = rig.CAFile }, "no X509 CRL block"},
		{"CRL without CA", func(c *serve.Config) { c.ClientCAFile, c.CRLFile = "", rig.CRLFile }, "a CRL needs client CAs"},
		{"TLS version", func(c *serve.Config) { c.TLS = "1.1" }, `invalid TLS version "1.1"`},
		{"address in use", func(c *serve.Config) { c.ListenAddr = busy.Addr().String() }, "already in use"},
		{"bad address", func(c *serve.Config) { c.ListenAddr = "nowhere" }, "cannot listen on nowhere"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.mod(&cfg)
			s, err := serve.New(cfg)
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func TestInMemoryConfigAndURL(t *testing.T) {
	rig := testrig.Shared(t)
	tc := rig.Server.TLSCertificate()
	crl, err := rig.Intermediate.CRL([]*x509.Certificate{rig.Entries[testrig.Revoked].Cert}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseRevocationList(crl)
	if err != nil {
		t.Fatal(err)
	}
	s, err := serve.New(serve.Config{Name: "memory", ListenAddr: "0.0.0.0:0", Certificate: &tc,
		ClientCAs: rig.Root.RootPool(), CRLs: []*x509.RevocationList{parsed}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Close()
	_, port, _ := net.SplitHostPort(s.Addr())
	if s.URL() != "https://localhost:"+port+"/" || s.TLSURL() != "tls://localhost:"+port {
		t.Errorf("URL %q, TLSURL %q", s.URL(), s.TLSURL())
	}
	if r := fetch(t, s.URL(), 0, testrig.RSA); r.Status != 200 || !strings.Contains(r.Body, "(memory)") {
		t.Errorf("good: %d %v", r.Status, r.Err)
	}
	checkAlert(t, fetch(t, s.URL(), tls.VersionTLS13, testrig.Revoked), tls.VersionTLS13, serve.AlertCertificateRevoked, "revoked")
}
