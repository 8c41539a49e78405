package tlstrace

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Expected message order of a Go client against a Go server with
// RequireAndVerifyClientCert, one HTTP request, then both sides close.
// crypto/tls sends the middlebox-compatibility ChangeCipherSpec in TLS 1.3
// (RFC 8446 §D.4) on both sides; its TLS 1.2 server sends no session ticket
// because the client has no session cache.
var (
	server13 = []string{"ServerHello", "ChangeCipherSpec", "EncryptedExtensions", "CertificateRequest",
		"Certificate", "CertificateVerify", "Finished", "ApplicationData", "Alert"}
	client13 = []string{"ClientHello", "ChangeCipherSpec", "Certificate", "CertificateVerify", "Finished",
		"ApplicationData", "Alert"}
	server12 = []string{"ServerHello", "Certificate", "ServerKeyExchange", "CertificateRequest",
		"ServerHelloDone", "ChangeCipherSpec", "Finished", "ApplicationData", "Alert"}
	client12 = []string{"ClientHello", "Certificate", "ClientKeyExchange", "CertificateVerify",
		"ChangeCipherSpec", "Finished", "ApplicationData", "Alert"}
)

func TestTLS13ClientAuth(t *testing.T) {
	p := getPKI()
	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		scheme string
	}{
		{"ecdsa", p.clientEC, "ecdsa_secp256r1_sha256"},
		{"rsa", p.clientRSA, "rsa_pss_rsae_sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := loopback{server: serverConfig(p.serverEC, tls.VersionTLS13), clientCert: &tc.cert}.run(t)
			if o.hsErr != nil || o.readErr != nil || o.serverErr != nil {
				t.Fatalf("handshake %v, read %v, server %v", o.hsErr, o.readErr, o.serverErr)
			}
			steps := o.tr.Steps()
			wantSequence(t, steps, "server", server13...)
			wantSequence(t, steps, "client", client13...)
			checkCommon13(t, o, steps)
			cv := mustFind(t, steps, "client", "CertificateVerify")
			if got := cv.Fields.Get("Signature algorithm"); got != tc.scheme {
				t.Errorf("client CertificateVerify scheme %q, want %q", got, tc.scheme)
			}
			if !strings.Contains(cv.Explain, "private key") {
				t.Errorf("client CertificateVerify explanation %q", cv.Explain)
			}
			cert := mustFind(t, steps, "client", "Certificate")
			if cert.Fields.Get("Certificates") != "1" || !strings.Contains(cert.Fields.Get("Certificate 1"), tc.cert.Leaf.Subject.CommonName) {
				t.Errorf("client Certificate fields %v", cert.Fields)
			}
		})
	}
}

// checkCommon13 checks what every successful TLS 1.3 loopback must show.
func checkCommon13(t *testing.T, o outcome, steps []Step) {
	t.Helper()
	p := getPKI()
	if o.tr.Version() != tls.VersionTLS13 || o.tr.CipherSuite() != o.state.CipherSuite {
		t.Errorf("Version %x CipherSuite %x, connection used %x", o.tr.Version(), o.tr.CipherSuite(), o.state.CipherSuite)
	}
	for _, s := range steps {
		wantEnc := s.Message != "ClientHello" && s.Message != "ServerHello" && s.Message != "ChangeCipherSpec"
		if s.Encrypted != wantEnc {
			t.Errorf("%s %s: Encrypted=%v, want %v", s.From, s.Message, s.Encrypted, wantEnc)
		}
		if s.Explain == "" || s.Summary == "" {
			t.Errorf("%s %s: missing summary or explanation", s.From, s.Message)
		}
	}
	sh := mustFind(t, steps, "server", "ServerHello")
	if !strings.Contains(sh.Summary, "TLS 1.3") || !strings.Contains(sh.Summary, tls.CipherSuiteName(o.state.CipherSuite)) {
		t.Errorf("ServerHello summary %q", sh.Summary)
	}
	ch := mustFind(t, steps, "client", "ClientHello")
	if ch.Fields.Get("Server name (SNI)") != "localhost" || !strings.Contains(ch.Fields.Get("Supported versions"), "TLS 1.3") {
		t.Errorf("ClientHello fields %v", ch.Fields)
	}
	checkHTTPAndClose(t, o, steps)
	checkServerSide(t, o.tr, p.serverEC)
}

func checkHTTPAndClose(t *testing.T, o outcome, steps []Step) {
	t.Helper()
	if s := mustFind(t, steps, "client", "ApplicationData"); s.Summary != "GET /probe HTTP/1.1" {
		t.Errorf("client application data summary %q", s.Summary)
	}
	if s := mustFind(t, steps, "server", "ApplicationData"); s.Fields.Get("First line") != "HTTP/1.1 200 OK" {
		t.Errorf("server application data fields %v", s.Fields)
	}
	want := Alert{From: "server", Level: "warning", Code: 0, Name: "close_notify"}
	if a := o.tr.FirstAlert(); a == nil || *a != want {
		t.Errorf("FirstAlert = %+v, want %+v", a, want)
	}
	if n := len(o.tr.Alerts()); n != 2 {
		t.Errorf("%d alerts, want 2 close_notify", n)
	}
	if len(o.live) != len(steps) {
		t.Fatalf("callback saw %d steps, Steps() has %d", len(o.live), len(steps))
	}
	for i, s := range steps {
		if s.Seq != i+1 || o.live[i].Seq != s.Seq || o.live[i].Message != s.Message {
			t.Errorf("step %d: Seq %d, live %d %s", i, s.Seq, o.live[i].Seq, o.live[i].Message)
		}
	}
	if n := o.tr.Notes(); len(n) > 0 {
		t.Errorf("unexpected notes %q", n)
	}
}

func checkServerSide(t *testing.T, tr *Tracer, serverCert tls.Certificate) {
	t.Helper()
	p := getPKI()
	certs := tr.ServerCertificates()
	if len(certs) != 1 || !bytes.Equal(certs[0], serverCert.Certificate[0]) {
		t.Errorf("ServerCertificates = %d certs, want the server leaf", len(certs))
	}
	cr := tr.CertificateRequest()
	if cr == nil {
		t.Fatal("no CertificateRequest")
	}
	if len(cr.RawCAs) != 1 || !bytes.Equal(cr.RawCAs[0], p.ca.RawSubject) ||
		!slices.Equal(cr.AcceptableCAs, []string{p.ca.Subject.String()}) {
		t.Errorf("acceptable CAs %q", cr.AcceptableCAs)
	}
	for _, want := range []string{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"} {
		if !slices.Contains(cr.SignatureSchemes, want) {
			t.Errorf("CertificateRequest schemes %v lack %s", cr.SignatureSchemes, want)
		}
	}
}

func TestTLS12ClientAuth(t *testing.T) {
	p := getPKI()
	for _, tc := range []struct {
		suite  uint16
		server tls.Certificate
		client tls.Certificate
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, p.serverEC, p.clientEC},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, p.serverEC, p.clientRSA},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, p.serverEC, p.clientEC},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, p.serverEC, p.clientEC},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, p.serverEC, p.clientEC},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, p.serverEC, p.clientEC},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, p.serverRSA, p.clientRSA},
		{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, p.serverRSA, p.clientEC},
		{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, p.serverRSA, p.clientRSA},
		{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, p.serverRSA, p.clientRSA},
		{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, p.serverRSA, p.clientRSA},
	} {
		t.Run(tls.CipherSuiteName(tc.suite), func(t *testing.T) {
			srv := serverConfig(tc.server, tls.VersionTLS12)
			srv.CipherSuites = []uint16{tc.suite}
			o := loopback{server: srv, client: &tls.Config{CipherSuites: []uint16{tc.suite}}, clientCert: &tc.client}.run(t)
			if o.hsErr != nil || o.readErr != nil || o.serverErr != nil {
				t.Fatalf("handshake %v, read %v, server %v", o.hsErr, o.readErr, o.serverErr)
			}
			steps := o.tr.Steps()
			wantServer := server12
			if keyExchange(tc.suite) == "RSA" { // no ServerKeyExchange with RSA key transport
				wantServer = slices.DeleteFunc(slices.Clone(server12), func(m string) bool { return m == "ServerKeyExchange" })
			}
			wantSequence(t, steps, "server", wantServer...)
			wantSequence(t, steps, "client", client12...)
			checkCommon12(t, o, steps, tc.server)
		})
	}
}

func checkCommon12(t *testing.T, o outcome, steps []Step, serverCert tls.Certificate) {
	t.Helper()
	if o.tr.Version() != tls.VersionTLS12 || o.tr.CipherSuite() != o.state.CipherSuite {
		t.Errorf("Version %x CipherSuite %x, connection used %x", o.tr.Version(), o.tr.CipherSuite(), o.state.CipherSuite)
	}
	for _, from := range []string{"client", "server"} {
		fin := mustFind(t, steps, from, "Finished")
		if !fin.Encrypted || fin.Fields.Get("Verify data") != "12 bytes" {
			t.Errorf("%s Finished: encrypted %v, fields %v", from, fin.Encrypted, fin.Fields)
		}
		ccs := mustFind(t, steps, from, "ChangeCipherSpec")
		if ccs.Encrypted || !strings.Contains(ccs.Summary, "encrypts") {
			t.Errorf("%s ChangeCipherSpec %+v", from, ccs)
		}
	}
	checkHTTPAndClose(t, o, steps)
	checkServerSide(t, o.tr, serverCert)
	cr := o.tr.CertificateRequest()
	if !slices.Contains(cr.CertificateTypes, "ecdsa_sign") || !slices.Contains(cr.CertificateTypes, "rsa_sign") {
		t.Errorf("TLS 1.2 certificate types %v", cr.CertificateTypes)
	}
}

// A certificate from a CA the server does not trust: Go answers unknown_ca.
// In TLS 1.3 the alert comes encrypted after the client's Finished and the
// client only sees it on its first Read.
func TestRejectedClientCertificate(t *testing.T) {
	p := getPKI()
	for _, tc := range []struct {
		version   uint16
		encrypted bool
	}{{tls.VersionTLS13, true}, {tls.VersionTLS12, false}} {
		t.Run(tls.VersionName(tc.version), func(t *testing.T) {
			o := loopback{server: serverConfig(p.serverEC, tc.version), clientCert: &p.clientOther}.run(t)
			if o.serverErr == nil || (o.hsErr == nil && o.readErr == nil) {
				t.Fatalf("expected a rejection: handshake %v, read %v, server %v", o.hsErr, o.readErr, o.serverErr)
			}
			steps := o.tr.Steps()
			want := Alert{From: "server", Level: "fatal", Code: 48, Name: "unknown_ca"}
			if a := o.tr.FirstAlert(); a == nil || *a != want {
				t.Fatalf("FirstAlert = %+v, want %+v\n%v", a, want, sequence(steps, ""))
			}
			s := mustFind(t, steps, "server", "Alert")
			if s.Encrypted != tc.encrypted || s.Alert == nil || *s.Alert != want {
				t.Errorf("alert step %+v", s)
			}
			if !strings.Contains(s.Explain, "does not trust the CA") || s.Summary != "fatal alert unknown_ca (48)" {
				t.Errorf("alert summary %q explain %q", s.Summary, s.Explain)
			}
			c := mustFind(t, steps, "client", "Certificate")
			if !strings.Contains(c.Summary, "CN=Mallory") || !strings.Contains(c.Summary, "CN=Other CA") {
				t.Errorf("client certificate summary %q", c.Summary)
			}
		})
	}
}

// The client sends an empty Certificate; a server that requires one answers
// certificate_required in TLS 1.3 and handshake_failure in TLS 1.2.
func TestNoClientCertificate(t *testing.T) {
	p := getPKI()
	for _, tc := range []struct {
		version uint16
		alert   Alert
	}{
		{tls.VersionTLS13, Alert{"server", "fatal", 116, "certificate_required"}},
		{tls.VersionTLS12, Alert{"server", "fatal", 40, "handshake_failure"}},
	} {
		t.Run(tls.VersionName(tc.version), func(t *testing.T) {
			o := loopback{server: serverConfig(p.serverEC, tc.version)}.run(t)
			steps := o.tr.Steps()
			c := mustFind(t, steps, "client", "Certificate")
			if c.Fields.Get("Certificates") != "0" || c.Summary != "no certificate sent" ||
				!strings.Contains(c.Explain, "no certificate was offered") {
				t.Errorf("empty Certificate step %+v", c)
			}
			if _, ok := find(steps, "client", "CertificateVerify"); ok {
				t.Error("CertificateVerify without a certificate")
			}
			if a := o.tr.FirstAlert(); a == nil || *a != tc.alert {
				t.Errorf("FirstAlert = %+v, want %+v", a, tc.alert)
			}
		})
	}
}

// A server that only accepts P-256 makes crypto/tls (which sends
// X25519MLKEM768 and x25519 key shares) retry (RFC 8446 §4.1.4).
func TestHelloRetryRequest(t *testing.T) {
	p := getPKI()
	srv := serverConfig(p.serverEC, tls.VersionTLS13)
	srv.CurvePreferences = []tls.CurveID{tls.CurveP256}
	o := loopback{server: srv, clientCert: &p.clientEC}.run(t)
	if o.hsErr != nil || o.readErr != nil {
		t.Fatalf("handshake %v, read %v", o.hsErr, o.readErr)
	}
	steps := o.tr.Steps()
	wantSequence(t, steps, "server", append([]string{"HelloRetryRequest", "ChangeCipherSpec"},
		slices.DeleteFunc(slices.Clone(server13), func(m string) bool { return m == "ChangeCipherSpec" })...)...)
	wantSequence(t, steps, "client", append([]string{"ClientHello", "ChangeCipherSpec"},
		slices.DeleteFunc(slices.Clone(client13), func(m string) bool { return m == "ChangeCipherSpec" })...)...)
	hrr := mustFind(t, steps, "server", "HelloRetryRequest")
	if hrr.Summary != "asks the client to retry with key share secp256r1" {
		t.Errorf("HRR summary %q", hrr.Summary)
	}
	if sh := mustFind(t, steps, "server", "ServerHello"); !strings.Contains(sh.Summary, "key share secp256r1") {
		t.Errorf("ServerHello summary %q", sh.Summary)
	}
}

// Without a key log the tracer still lists every record, marked encrypted.
func TestWithoutKeyLog(t *testing.T) {
	p := getPKI()
	o := loopback{server: serverConfig(p.serverEC, tls.VersionTLS13), clientCert: &p.clientEC, noKeyLog: true}.run(t)
	steps := o.tr.Steps()
	wantPrefix := []string{"ServerHello", "ChangeCipherSpec", "EncryptedRecord"}
	if got := sequence(steps, "server"); !slices.Equal(got[:3], wantPrefix) {
		t.Errorf("server steps %v", got)
	}
	for _, s := range steps {
		if s.Message == "EncryptedRecord" && (!s.Encrypted || !strings.Contains(s.Summary, "no key log")) {
			t.Errorf("undecrypted record step %+v", s)
		}
	}

	o = loopback{server: serverConfig(p.serverEC, tls.VersionTLS12), clientCert: &p.clientEC, noKeyLog: true}.run(t)
	steps = o.tr.Steps()
	wantSequence(t, steps, "client", client12...)
	fin := mustFind(t, steps, "server", "Finished")
	if !fin.Encrypted || !strings.Contains(fin.Summary, "not decrypted") || fin.Fields.Get("Verify data") != "" {
		t.Errorf("undecrypted TLS 1.2 Finished %+v", fin)
	}
	if a := mustFind(t, steps, "server", "Alert"); a.Alert != nil || !a.Encrypted {
		t.Errorf("undecrypted alert %+v", a)
	}
	if o.tr.FirstAlert() != nil {
		t.Error("FirstAlert set from an alert that was not decrypted")
	}
}

// Reads and writes from two goroutines at once, with a callback that calls
// back into the tracer: run with -race.
func TestConcurrentUse(t *testing.T) {
	p := getPKI()
	srv := serverConfig(p.serverEC, tls.VersionTLS13)
	var tr *Tracer
	tr = New(func(Step) { _ = tr.Steps(); _ = tr.FirstAlert() })
	done := make(chan error, 1)
	ln, conn := echoServer(t, srv, done)
	defer ln.Close()
	cfg := loopback{clientCert: &p.clientEC}.clientConfig(tr, &recorder{})
	tc := tls.Client(tr.Wrap(conn), cfg)
	const n = 20
	go func() {
		for i := 0; i < n; i++ {
			fmt.Fprintf(tc, "line %02d\n", i)
		}
	}()
	buf := make([]byte, 8*n)
	for got := 0; got < len(buf); {
		m, err := tc.Read(buf[got:])
		if err != nil {
			t.Fatal(err)
		}
		got += m
	}
	tc.Close()
	<-done
	if c := len(sequence(tr.Steps(), "client")); c < n {
		t.Errorf("only %d client steps", c)
	}
}

// crypto/tls writes no key log line for a resumed TLS 1.2 session: the
// tracer must not wait for one (steps would only appear at Close).
func TestTLS12ResumptionWithoutSecret(t *testing.T) {
	p := getPKI()
	client := &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	l := loopback{server: serverConfig(p.serverEC, tls.VersionTLS12), client: client, clientCert: &p.clientEC}
	if o := l.run(t); o.hsErr != nil || o.state.DidResume {
		t.Fatalf("first connection: %v, resumed %v", o.hsErr, o.state.DidResume)
	}
	o := l.run(t)
	if !o.state.DidResume {
		t.Fatal("second connection did not resume")
	}
	// Abbreviated handshake (RFC 5246 §7.3): the server's CCS comes first.
	wantSequence(t, o.tr.Steps(), "server", "ServerHello", "NewSessionTicket", "ChangeCipherSpec", "Finished",
		"ApplicationData", "Alert")
	wantSequence(t, o.tr.Steps(), "client", "ClientHello", "ChangeCipherSpec", "Finished", "ApplicationData", "Alert")
	// "never appeared" would mean the records were held back until Close.
	fin := mustFind(t, o.tr.Steps(), "server", "Finished")
	if !fin.Encrypted || !strings.Contains(fin.Summary, "resumed TLS 1.2 session") {
		t.Errorf("resumed Finished summary %q", fin.Summary)
	}
}

// ALPN (RFC 7301) is offered in ClientHello and answered in
// EncryptedExtensions (TLS 1.3) or ServerHello (TLS 1.2).
func TestALPN(t *testing.T) {
	p := getPKI()
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		srv := serverConfig(p.serverEC, v)
		srv.NextProtos = []string{"http/1.1"}
		o := loopback{server: srv, client: &tls.Config{NextProtos: []string{"h2", "http/1.1"}}, clientCert: &p.clientEC}.run(t)
		steps := o.tr.Steps()
		if got := mustFind(t, steps, "client", "ClientHello").Fields.Get("ALPN"); got != "h2, http/1.1" {
			t.Errorf("ClientHello ALPN %q", got)
		}
		answer := mustFind(t, steps, "server", "ServerHello")
		if v == tls.VersionTLS13 {
			answer = mustFind(t, steps, "server", "EncryptedExtensions")
		}
		if answer.Fields.Get("ALPN") != "http/1.1" || !strings.Contains(answer.Summary, "ALPN http/1.1") {
			t.Errorf("%s: %s %q %v", tls.VersionName(v), answer.Message, answer.Summary, answer.Fields)
		}
	}
}
