package tlstrace

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interop with `openssl s_server`: a second TLS implementation, the only way
// to get TLS_AES_256_GCM_SHA384 in TLS 1.3 against a Go client, and a server
// that sends KeyUpdate and TLS 1.2 HelloRequest on command (stdin "K", "R").
// These tests fail when openssl is not installed: build/deps.sh test
// (run by make test) installs it.

type sServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	addr    string
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
	rec     *recorder // what the last dial saw, for fuzz seeds
}

func startSServer(t *testing.T, args ...string) *sServer {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl not installed: make test installs it")
	}
	dir := t.TempDir()
	p := getPKI()
	key, err := x509.MarshalPKCS8PrivateKey(p.serverEC.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	base := []string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
		"-cert", write("server.pem", "CERTIFICATE", p.serverEC.Certificate[0]),
		"-key", write("server.key", "PRIVATE KEY", key),
		"-verifyCAfile", write("ca.pem", "CERTIFICATE", p.ca.Raw)}
	s := &sServer{t: t, changed: make(chan struct{}, 1)}
	s.cmd = exec.CommandContext(ctx, bin, append(base, args...)...)
	s.stdin, _ = s.cmd.StdinPipe()
	stdout, _ := s.cmd.StdoutPipe()
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stdin.Close(); s.cmd.Process.Kill(); s.cmd.Wait() })
	go s.collect(stdout)
	m := s.waitFor(regexp.MustCompile(`ACCEPT (\S+)`))
	s.addr = m[1]
	lastOpenSSL = s
	return s
}

func (s *sServer) collect(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		s.mu.Lock()
		s.out.Write(buf[:n])
		s.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// waitFor blocks until the server's output matches re (no polling sleeps:
// it wakes on each chunk of output).
func (s *sServer) waitFor(re *regexp.Regexp) []string {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		m := re.FindStringSubmatch(s.out.String())
		s.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-s.changed:
		case <-deadline:
			s.mu.Lock()
			defer s.mu.Unlock()
			s.t.Fatalf("openssl never printed %v; output:\n%s", re, s.out.String())
		}
	}
}

func (s *sServer) command(line string) {
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

// dial connects a traced Go client; onStep may signal the test.
func (s *sServer) dial(t *testing.T, cert *tls.Certificate, onStep func(Step), cfg *tls.Config) (*Tracer, *tls.Conn) {
	t.Helper()
	tr := New(onStep)
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	s.rec = &recorder{}
	c := loopback{client: cfg, clientCert: cert}.clientConfig(tr, s.rec)
	return tr, tls.Client(tr.Wrap(&recordingConn{Conn: raw, rec: s.rec}), c)
}

// signal returns an onStep callback that closes ch at the n-th step matching
// from/message.
func signal(from, message string, n int, ch chan struct{}) func(Step) {
	seen := 0
	return func(s Step) {
		if s.From == from && s.Message == message {
			if seen++; seen == n {
				close(ch)
			}
		}
	}
}

func waitChan(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// readLine reads until want arrives (the Read also processes KeyUpdate,
// tickets and renegotiation on the way).
func readLine(t *testing.T, c *tls.Conn, want string) {
	t.Helper()
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != want {
		t.Fatalf("read %q, %v; want %q", buf, err, want)
	}
}

func TestOpenSSLTLS13AES256KeyUpdate(t *testing.T) {
	s := startSServer(t, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-Verify", "1", "-verify_return_error")
	keyUpdated := make(chan struct{})
	tr, c := s.dial(t, &getPKI().clientEC, signal("server", "KeyUpdate", 1, keyUpdated), nil)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "ping\n")
	s.waitFor(regexp.MustCompile("ping"))
	s.command("K") // KeyUpdate with update_requested: both sides change keys
	readDone := make(chan struct{})
	go func() { defer close(readDone); readLine(t, c, "hello\n") }()
	waitChan(t, keyUpdated, "the server's KeyUpdate")
	s.command("hello")
	waitChan(t, readDone, "hello")
	io.WriteString(c, "after\n") // under the client's updated key
	s.waitFor(regexp.MustCompile("after"))
	c.Close()

	steps := tr.Steps()
	if os.Getenv("TLSTRACE_DUMP") != "" {
		dump(t, steps)
	}
	if tr.CipherSuite() != tls.TLS_AES_256_GCM_SHA384 {
		t.Fatalf("suite %s", tls.CipherSuiteName(tr.CipherSuite()))
	}
	wantInOrder(t, steps, "server", "ServerHello", "EncryptedExtensions", "CertificateRequest", "Certificate",
		"CertificateVerify", "Finished", "NewSessionTicket", "KeyUpdate", "ApplicationData")
	wantInOrder(t, steps, "client", "ClientHello", "Certificate", "CertificateVerify", "Finished",
		"ApplicationData", "KeyUpdate", "ApplicationData", "Alert")
	if n := tr.Notes(); len(n) > 0 {
		t.Errorf("notes %q", n)
	}
	ku := mustFind(t, steps, "server", "KeyUpdate")
	if ku.Fields.Get("Request update") != "update_requested" || !ku.Encrypted {
		t.Errorf("server KeyUpdate %+v", ku)
	}
	last := steps[len(steps)-1]
	if last.From != "client" || last.Alert == nil || last.Alert.Name != "close_notify" {
		t.Errorf("last step %+v", last)
	}
}

// OpenSSL with -verify_return_error sends unknown_ca for a certificate from
// another CA; in TLS 1.3 it is encrypted and arrives on the client's Read.
func TestOpenSSLRejectsUnknownCA(t *testing.T) {
	s := startSServer(t, "-tls1_3", "-Verify", "1", "-verify_return_error")
	tr, c := s.dial(t, &getPKI().clientOther, nil, nil)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read succeeded")
	}
	want := Alert{From: "server", Level: "fatal", Code: 48, Name: "unknown_ca"}
	if a := tr.FirstAlert(); a == nil || *a != want {
		t.Fatalf("FirstAlert %+v, steps %v", a, sequence(tr.Steps(), ""))
	}
	if s := mustFind(t, tr.Steps(), "server", "Alert"); !s.Encrypted {
		t.Errorf("alert not marked encrypted")
	}
}

// TLS 1.2 renegotiation started by the server (as IIS does to ask for a
// client certificate): HelloRequest and the whole second handshake travel
// encrypted and are decrypted with the keys of the first, then the second.
func TestOpenSSLTLS12Renegotiation(t *testing.T) {
	s := startSServer(t, "-tls1_2")
	second := make(chan struct{})
	cfg := &tls.Config{Renegotiation: tls.RenegotiateOnceAsClient}
	tr, c := s.dial(t, &getPKI().clientEC, signal("server", "Finished", 2, second), cfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "ping\n")
	s.waitFor(regexp.MustCompile("ping"))
	s.command("R") // request a client certificate and renegotiate
	readDone := make(chan struct{})
	go func() { defer close(readDone); readLine(t, c, "hello\n") }()
	waitChan(t, second, "the renegotiation's Finished")
	s.command("hello")
	waitChan(t, readDone, "hello")
	c.Close()

	steps := tr.Steps()
	if os.Getenv("TLSTRACE_DUMP") != "" {
		dump(t, steps)
	}
	if n := tr.Notes(); len(n) > 0 {
		t.Errorf("notes %q", n)
	}
	wantInOrder(t, steps, "server", "ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone",
		"ChangeCipherSpec", "Finished", "HelloRequest", "ServerHello", "Certificate", "ServerKeyExchange",
		"CertificateRequest", "ServerHelloDone", "ChangeCipherSpec", "Finished", "ApplicationData")
	wantInOrder(t, steps, "client", "ClientHello", "ClientKeyExchange", "ChangeCipherSpec", "Finished",
		"ApplicationData", "ClientHello", "Certificate", "ClientKeyExchange", "CertificateVerify",
		"ChangeCipherSpec", "Finished", "Alert")
	hr := mustFind(t, steps, "server", "HelloRequest")
	for _, st := range steps {
		if st.Seq > hr.Seq && !st.Encrypted {
			t.Errorf("%s %s after HelloRequest not marked encrypted", st.From, st.Message)
		}
	}
	if cr := tr.CertificateRequest(); cr == nil || len(cr.CertificateTypes) == 0 {
		t.Errorf("renegotiation CertificateRequest %+v", cr)
	}
	if strings.Count(strings.Join(sequence(steps, "client"), " "), "ClientHello") != 2 {
		t.Errorf("client steps %v", sequence(steps, "client"))
	}
	var hellos []Step
	for _, st := range steps {
		if st.Message == "ClientHello" {
			hellos = append(hellos, st)
		}
	}
	if len(hellos) == 2 && (strings.HasPrefix(hellos[0].Summary, "renegotiation") ||
		!strings.HasPrefix(hellos[1].Summary, "renegotiation: ") || !strings.Contains(hellos[1].Explain, "renegotiation")) {
		t.Errorf("hello summaries %q / %q", hellos[0].Summary, hellos[1].Summary)
	}
}

// wantInOrder checks that want appears as a subsequence of one side's steps.
func wantInOrder(t *testing.T, steps []Step, from string, want ...string) {
	t.Helper()
	got := sequence(steps, from)
	i := 0
	for _, m := range got {
		if i < len(want) && m == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s steps %v\n do not contain in order %v (stuck at %s)", from, got, want, want[i])
	}
}
