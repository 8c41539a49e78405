package tlstrace

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- a tiny PKI made for the tests ----

type testPKI struct {
	roots       *x509.CertPool // trusts caEC
	ca          *x509.Certificate
	otherCA     *x509.Certificate
	serverEC    tls.Certificate
	serverRSA   tls.Certificate
	clientEC    tls.Certificate
	clientRSA   tls.Certificate
	clientOther tls.Certificate // issued by otherCA, which the server does not trust
	caPEM       []byte
}

var getPKI = sync.OnceValue(func() *testPKI {
	p := &testPKI{}
	caKey := mustEC()
	p.ca = mustCert(&x509.Certificate{Subject: pkix.Name{CommonName: "Trace Test CA", Organization: []string{"cardcheck"}},
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}, caKey, nil, caKey)
	otherKey := mustEC()
	p.otherCA = mustCert(&x509.Certificate{Subject: pkix.Name{CommonName: "Other CA"},
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}, otherKey, nil, otherKey)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.ca)
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw})
	rsaKey := mustRSA()
	p.serverEC = leaf(serverTemplate("server-ec"), mustEC(), p.ca, caKey)
	p.serverRSA = leaf(serverTemplate("server-rsa"), rsaKey, p.ca, caKey)
	p.clientEC = leaf(clientTemplate("Alice EC"), mustEC(), p.ca, caKey)
	p.clientRSA = leaf(clientTemplate("Bob RSA"), mustRSA(), p.ca, caKey)
	p.clientOther = leaf(clientTemplate("Mallory"), mustEC(), p.otherCA, otherKey)
	return p
})

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

var serial int64

func mustCert(tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}

func leaf(tmpl *x509.Certificate, key crypto.Signer, ca *x509.Certificate, caKey crypto.Signer) tls.Certificate {
	c := mustCert(tmpl, key, ca, caKey)
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}

func serverTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

func clientTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// ---- recording what the tracer saw, for fuzz seeds ----

// event is one observation in the order the tracer saw it.
type event struct {
	kind byte // 0 client bytes, 1 server bytes, 2 key log
	data []byte
}

type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) add(kind byte, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{kind, bytes.Clone(p)})
}

func (r *recorder) Write(p []byte) (int, error) { r.add(2, p); return len(p), nil }

type recordingConn struct {
	net.Conn
	rec *recorder
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec.add(1, p[:n])
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.rec.add(0, p[:n])
	return n, err
}

// ---- loopback handshakes with crypto/tls on both ends ----

type loopback struct {
	server     *tls.Config
	client     *tls.Config // KeyLogWriter, RootCAs, ServerName are filled in
	clientCert *tls.Certificate
	noKeyLog   bool
}

type outcome struct {
	tr        *Tracer
	live      []Step // as delivered to onStep
	hsErr     error  // client Handshake
	readErr   error  // client reading the HTTP answer
	response  string
	serverErr error
	state     tls.ConnectionState
	rec       *recorder
}

// run does one handshake plus a tiny HTTP exchange through a Tracer.
func (l loopback) run(t *testing.T) outcome {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvDone := make(chan error, 1)
	go func() { srvDone <- serveOnce(ln, l.server) }()

	var o outcome
	var liveMu sync.Mutex
	o.tr = New(func(s Step) {
		liveMu.Lock()
		defer liveMu.Unlock()
		o.live = append(o.live, s)
	})
	o.rec = &recorder{}
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	tc := tls.Client(o.tr.Wrap(&recordingConn{Conn: raw, rec: o.rec}), l.clientConfig(o.tr, o.rec))
	o.exchange(tc)
	tc.Close()
	select {
	case o.serverErr = <-srvDone:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not finish")
	}
	liveMu.Lock()
	defer liveMu.Unlock()
	return o
}

func (l loopback) clientConfig(tr *Tracer, rec *recorder) *tls.Config {
	cfg := l.client.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.RootCAs, cfg.ServerName = getPKI().roots, "localhost"
	if !l.noKeyLog {
		cfg.KeyLogWriter = tr.KeyLogWriter(rec)
	}
	cert := l.clientCert
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil
	}
	return cfg
}

func (o *outcome) exchange(tc *tls.Conn) {
	if o.hsErr = tc.Handshake(); o.hsErr != nil {
		return
	}
	o.state = tc.ConnectionState()
	if _, err := io.WriteString(tc, "GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		o.readErr = err
		return
	}
	b, err := io.ReadAll(tc)
	o.response, o.readErr = string(b), err
}

// serveOnce accepts one connection, answers one HTTP request and closes.
func serveOnce(ln net.Listener, cfg *tls.Config) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	br := bufio.NewReader(tc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(line) == "" {
			break
		}
	}
	_, err = io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	if err != nil {
		return err
	}
	return tc.Close()
}

func serverConfig(cert tls.Certificate, version uint16) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    getPKI().roots,
		MinVersion:   version,
		MaxVersion:   version,
	}
}

// ---- assertions ----

// sequence lists "from:Message" of the steps of one side ("" = both).
func sequence(steps []Step, from string) []string {
	var out []string
	for _, s := range steps {
		if from == "" || s.From == from {
			out = append(out, s.Message)
		}
	}
	return out
}

func wantSequence(t *testing.T, steps []Step, from string, want ...string) {
	t.Helper()
	got := sequence(steps, from)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s messages:\n got  %v\n want %v", from, got, want)
	}
}

func find(steps []Step, from, message string) (Step, bool) {
	for _, s := range steps {
		if s.From == from && s.Message == message {
			return s, true
		}
	}
	return Step{}, false
}

func mustFind(t *testing.T, steps []Step, from, message string) Step {
	t.Helper()
	s, ok := find(steps, from, message)
	if !ok {
		t.Fatalf("no %s %s step in %v", from, message, sequence(steps, ""))
	}
	return s
}

func dump(t *testing.T, steps []Step) {
	t.Helper()
	for _, s := range steps {
		t.Logf("%2d %-6s %-20s enc=%-5v %5d  %s", s.Seq, s.From, s.Message, s.Encrypted, s.Bytes, s.Summary)
	}
}

// echoServer starts a TLS server that echoes one connection and returns the
// client's raw connection to it.
func echoServer(t *testing.T, cfg *tls.Config, done chan<- error) (net.Listener, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		tc := tls.Server(c, cfg)
		_, err = io.Copy(tc, tc)
		done <- err
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return ln, conn
}
