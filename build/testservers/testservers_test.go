package testservers_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func roots(rig *testrig.Rig) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(rig.Root.Cert)
	return p
}

func clientCert(rig *testrig.Rig, name string) *tls.Certificate {
	if name == "" {
		return nil
	}
	e := rig.Entries[name]
	return testservers.ClientCert(e.Cert, e.Chain, e.Key)
}

func get(rig *testrig.Rig, url string, version uint16, entry string) testservers.Response {
	return testservers.Fetch(testservers.Request{URL: url, Version: version, Cert: clientCert(rig, entry), RootCAs: roots(rig)})
}

// expect is what a client sees: an HTTP status (and a piece of the body),
// or an alert.
type expect struct {
	status int
	body   string
	alert  uint8
}

func (e expect) String() string {
	if e.alert != 0 {
		return fmt.Sprintf("alert %s (%d)", serve.AlertName(e.alert), e.alert)
	}
	return fmt.Sprintf("HTTP %d", e.status)
}

func check(t *testing.T, r testservers.Response, want expect) {
	t.Helper()
	if want.alert != 0 {
		if !r.AlertOK || r.Alert != want.alert {
			t.Errorf("got alert %v/%d (%s), status %d, err %v; want %v", r.AlertOK, r.Alert, serve.AlertName(r.Alert), r.Status, r.Err, want)
		}
		return
	}
	if r.Err != nil || r.Status != want.status {
		t.Errorf("got status %d, err %v; want %v", r.Status, r.Err, want)
	}
	if !strings.Contains(r.Body, want.body) {
		t.Errorf("body lacks %q:\n%s", want.body, r.Body)
	}
}

// TestServersAgainstTheRig runs the rig's certificates against the three
// servers in both TLS versions: nginx answers HTTP 400, s_server and the Go
// server send the same alerts.
func TestServersAgainstTheRig(t *testing.T) {
	rig := testrig.Shared(t)
	const (
		nginxOK     = "client verify: SUCCESS"
		nginxBad    = "The SSL certificate error"
		nginxNoCert = "No required SSL certificate was sent"
	)
	cases := []struct {
		entry  string
		nginx  expect
		alerts [2]uint8 // TLS 1.2, TLS 1.3 (s_server and Go)
	}{
		{testrig.RSA, expect{status: 200, body: nginxOK}, [2]uint8{}},
		{testrig.EC256, expect{status: 200, body: nginxOK}, [2]uint8{}},
		{testrig.Untrusted, expect{status: 400, body: nginxBad}, [2]uint8{48, 48}},
		{testrig.Revoked, expect{status: 400, body: nginxBad}, [2]uint8{44, 44}},
		{testrig.Expired, expect{status: 400, body: nginxBad}, [2]uint8{45, 45}},
		{testrig.NotYet, expect{status: 400, body: nginxBad}, [2]uint8{42, 42}},
		{testrig.NoClientAuth, expect{status: 400, body: nginxBad}, [2]uint8{43, 43}},
		{"", expect{status: 400, body: nginxNoCert}, [2]uint8{40, 116}},
	}
	for i, v := range []struct {
		name string
		ver  uint16
	}{{"1.2", tls.VersionTLS12}, {"1.3", tls.VersionTLS13}} {
		servers := []struct {
			name string
			srv  *testservers.Server
		}{
			{"nginx", testservers.Nginx(t, testservers.NginxConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
				ClientCAFile: rig.CAFile, CRLFile: rig.CRLAllFile, TLS: v.name})},
			{"s_server", testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
				CAFile: rig.CAFile, CRLFile: rig.CRLFile, CRLCheck: true, RequireCert: true, TLS: v.name})},
			{"go", testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
				ClientCAFile: rig.CAFile, CRLFile: rig.CRLFile, TLS: v.name})},
		}
		for _, s := range servers {
			for _, c := range cases {
				name := c.entry
				if name == "" {
					name = "no-certificate"
				}
				t.Run(s.name+"/TLS"+v.name+"/"+name, func(t *testing.T) {
					r := get(rig, s.srv.URL, v.ver, c.entry)
					if r.State.Version != 0 && r.State.Version != v.ver {
						t.Errorf("negotiated %s", tls.VersionName(r.State.Version))
					}
					want := c.nginx
					if s.name != "nginx" {
						want = expect{alert: c.alerts[i]}
						if want.alert == 0 {
							want = expect{status: 200, body: map[string]string{"s_server": "Client certificate", "go": "client certificate accepted"}[s.name]}
						}
					}
					check(t, r, want)
					if !r.CertRequested {
						t.Error("no CertificateRequest")
					}
				})
			}
		}
	}
}

func TestNginxLocationsAndModes(t *testing.T) {
	rig := testrig.Shared(t)
	on := testservers.Nginx(t, testservers.NginxConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile,
		Extra: `location = /extra { return 418 "teapot\n"; }`})
	for path, want := range map[string]expect{
		"":          {status: 200, body: "client subject: CN=Alice RSA"},
		"forbidden": {status: 403, body: "forbidden"},
		"login":     {status: 401, body: "unauthorized"},
		"extra":     {status: 418, body: "teapot"},
	} {
		check(t, get(rig, on.URL+path, 0, testrig.RSA), want)
	}
	r := get(rig, on.URL, 0, testrig.RSA)
	if r.CertRequest == nil || len(r.CertRequest.AcceptableCAs) != 1 || !bytes.Equal(r.CertRequest.AcceptableCAs[0], rig.Root.Cert.RawSubject) {
		t.Errorf("acceptable CAs: %+v", r.CertRequest)
	}

	off := testservers.Nginx(t, testservers.NginxConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile})
	r = get(rig, off.URL, 0, testrig.RSA)
	check(t, r, expect{status: 200, body: "client verify: NONE"})
	if r.CertRequested {
		t.Error("verify off: a certificate was requested")
	}

	optional := testservers.Nginx(t, testservers.NginxConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		ClientCAFile: rig.CAFile, VerifyClient: "optional", TLS: "1.3"})
	check(t, get(rig, optional.URL, 0, testrig.Untrusted), expect{status: 400, body: "The SSL certificate error"})
	check(t, get(rig, optional.URL, 0, ""), expect{status: 200, body: "client verify: NONE"})
	if !optional.WaitLog("ssl_verify_client optional;", 5*time.Second) || !optional.WaitLog("GET / HTTP/1.1", 5*time.Second) {
		t.Errorf("log:\n%s", optional.Log())
	}
}

func TestSServerModes(t *testing.T) {
	rig := testrig.Shared(t)
	// No -verify: no certificate is requested; it serves many connections.
	plain := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile})
	for range 3 {
		r := get(rig, plain.URL, 0, testrig.RSA)
		check(t, r, expect{status: 200, body: "no client certificate available"})
		if r.CertRequested {
			t.Error("a certificate was requested")
		}
	}
	// -verify without -verify_return_error: the handshake completes and
	// the page shows the result.
	request := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		CAFile: rig.CAFile, RequestCert: true})
	check(t, get(rig, request.URL, 0, testrig.Untrusted), expect{status: 200, body: "Mallory Untrusted"})
	// -crl_check_all needs a CRL from every CA of the chain.
	all := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		CAFile: rig.CAFile, CRLFile: rig.CRLAllFile, CRLCheckAll: true, RequireCert: true})
	check(t, get(rig, all.URL, 0, testrig.RSA), expect{status: 200})
	check(t, get(rig, all.URL, 0, testrig.Revoked), expect{alert: 44})
	partial := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		CAFile: rig.CAFile, CRLFile: rig.CRLFile, CRLCheckAll: true, RequireCert: true})
	check(t, get(rig, partial.URL, 0, testrig.RSA), expect{alert: 48}) // unable to get certificate CRL → unknown_ca
	if !partial.WaitLog("unable to get certificate CRL", 5*time.Second) {
		t.Errorf("log:\n%s", partial.Log())
	}
	// -no_ca_names: an empty CA list. In TLS 1.2 that is allowed; in TLS
	// 1.3 OpenSSL 3.0 sends an empty certificate_authorities extension,
	// which RFC 8446 forbids, and crypto/tls fails with decode_error.
	noNames12 := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		CAFile: rig.CAFile, RequireCert: true, NoCANames: true, TLS: "1.2"})
	r := get(rig, noNames12.URL, 0, testrig.RSA)
	check(t, r, expect{status: 200})
	if r.CertRequest == nil || len(r.CertRequest.AcceptableCAs) != 0 {
		t.Errorf("acceptable CAs: %+v", r.CertRequest)
	}
	noNames13 := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
		CAFile: rig.CAFile, RequireCert: true, NoCANames: true, TLS: "1.3"})
	r = get(rig, noNames13.URL, 0, testrig.RSA)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "error decoding message") || r.CertRequested {
		t.Errorf("TLS 1.3 without CA names: err %v, requested %v", r.Err, r.CertRequested)
	}
}

func TestRawHandlers(t *testing.T) {
	handshake := func(s *testservers.Server, timeout time.Duration) error {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(timeout))
		return tls.Client(c, &tls.Config{InsecureSkipVerify: true}).Handshake()
	}

	notTLS := testservers.Raw(t, testservers.NotTLS)
	var rhe tls.RecordHeaderError
	if err := handshake(notTLS, 10*time.Second); !errors.As(err, &rhe) || !strings.HasPrefix(string(rhe.RecordHeader[:]), "HTTP/") {
		t.Errorf("NotTLS: %v", err)
	}

	mid := testservers.Raw(t, testservers.CloseMidHandshake)
	if err := handshake(mid, 10*time.Second); !errors.Is(err, io.EOF) && !strings.Contains(fmt.Sprint(err), "reset") {
		t.Errorf("CloseMidHandshake: %v", err)
	}

	stall := testservers.Raw(t, testservers.Stall)
	var ne net.Error
	if err := handshake(stall, 200*time.Millisecond); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Stall: %v", err)
	}

	bad := testservers.Raw(t, testservers.MalformedRecord)
	if err := handshake(bad, 10*time.Second); err == nil || !strings.Contains(err.Error(), "oversized record") {
		t.Errorf("MalformedRecord: %v", err)
	}

	plain := testservers.Raw(t, testservers.PlainHTTP)
	resp, err := http.Get("http://" + plain.Addr + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "plain HTTP, no TLS\n" {
		t.Errorf("PlainHTTP: %d %q", resp.StatusCode, body)
	}
	if err := handshake(plain, 10*time.Second); !errors.As(err, &rhe) || !strings.HasPrefix(string(rhe.RecordHeader[:]), "HTTP/") {
		t.Errorf("PlainHTTP with TLS: %v", err)
	}
	if !plain.WaitLog("accepted", 5*time.Second) || plain.URL != "https://"+plain.Addr+"/" || plain.TLSURL != "tls://"+plain.Addr {
		t.Errorf("server: %+v\n%s", plain, plain.Log())
	}
}

// TestStallStopsAtCleanup: a stalled connection does not keep the test
// from ending, and is closed when it ends.
func TestStallStopsAtCleanup(t *testing.T) {
	var c net.Conn
	t.Run("stall", func(t *testing.T) {
		s := testservers.Raw(t, testservers.Stall)
		var err error
		if c, err = net.Dial("tcp", s.Addr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "hello?")
	})
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the stalled connection was not closed: %v", err)
	}
}

func TestRemoteAlertAndFreePort(t *testing.T) {
	if _, ok := testservers.RemoteAlert(errors.New("x")); ok {
		t.Error("alert in a plain error")
	}
	if _, ok := testservers.RemoteAlert(&net.OpError{Op: "read", Err: io.EOF}); ok {
		t.Error("alert in a read error")
	}
	if p := testservers.FreePort(t); p <= 0 || p > 65535 {
		t.Errorf("port %d", p)
	}
}
