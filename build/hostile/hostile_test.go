// Package hostile attacks `cardcheck check` with servers and a proxy of
// its own on 127.0.0.1 that misbehave on purpose (issue 10): endless
// headers, an endless body, a CA that never answers, an alert storm,
// escape sequences in names, a proxy that never ends its answer. Each
// attack runs `check` as a child process with the SoftHSM card of
// build/testrig and asserts what the user is promised: the test ends
// within --timeout + 1 s, the process's peak memory stays under 200 MB,
// the output names a clear cause, no control character reaches the text
// output, and the PIN appears nowhere.
package hostile

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/build/testrig"
)

// cliEnv makes the test binary act as cardcheck's command line; hwmEnv
// names a file where it then writes its peak memory (VmHWM) at exit.
const (
	cliEnv = "CARDCHECK_HOSTILE_CLI"
	hwmEnv = "CARDCHECK_HOSTILE_HWM"
)

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		code := cli.Commands{}.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
		if file := os.Getenv(hwmEnv); file != "" {
			// The child's own peak: rusage's ru_maxrss of a child also
			// counts the parent's memory, which the child shares between
			// fork and exec (vfork), so it says nothing here.
			status, _ := os.ReadFile("/proc/self/status")
			for _, line := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					os.WriteFile(file, []byte(line), 0o600)
				}
			}
		}
		os.Exit(code)
	}
	testrig.Main(m)
}

// peakRSS reads what the child wrote to file: "VmHWM:  12345 kB".
func peakRSS(t *testing.T, file string) int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the child did not report its peak memory: %v", err)
	}
	var kb int64
	if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(string(b), "VmHWM:")), "%d kB", &kb); err != nil {
		t.Fatalf("VmHWM %q: %v", b, err)
	}
	return kb << 10
}

// The promises every attack is held to.
const (
	maxPeakRSS = 200 << 20 // bytes
	slack      = time.Second
)

// outcome is what one run of `check` did.
type outcome struct {
	code    int
	output  string // stdout and stderr
	elapsed time.Duration
	peakRSS int64 // bytes (the child's VmHWM)
}

// check runs `cardcheck check` against url with the rig's EC card,
// --pin-stdin and --timeout, and asserts the common promises.
func check(t *testing.T, rig *testrig.Rig, timeout time.Duration, cert string, env []string, args ...string) outcome {
	t.Helper()
	all := append([]string{"check", "--module", rig.Module, "--cert", cert, "--pin-stdin",
		"--timeout", timeout.String()}, args...)
	// A hard stop far beyond the promise, so a regression fails instead
	// of hanging the suite.
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], all...)
	// GORACE: under -race the child would sleep 1 s at exit (the race
	// runtime's default atexit_sleep_ms), which is not cardcheck's time.
	hwm := filepath.Join(t.TempDir(), "hwm")
	cmd.Env = append(append(append(os.Environ(), rig.Env...), cliEnv+"=1", hwmEnv+"="+hwm, "GORACE=atexit_sleep_ms=0"), env...)
	cmd.Stdin = strings.NewReader(rig.PIN + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	o := outcome{output: out.String(), elapsed: time.Since(start), code: cmd.ProcessState.ExitCode()}
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("check: %v", err)
	}
	o.peakRSS = peakRSS(t, hwm)
	t.Logf("exit %d, %v, peak RSS %d MB", o.code, o.elapsed.Round(10*time.Millisecond), o.peakRSS>>20)
	for _, line := range strings.Split(o.output, "\n") {
		for _, p := range []string{"VERDICT", "Error", "Cause", "Note", "  UNKNOWN", "cardcheck:"} {
			if strings.HasPrefix(line, p) {
				t.Log(line)
			}
		}
	}
	if o.elapsed > timeout+slack {
		t.Errorf("the test took %v with --timeout %v", o.elapsed, timeout)
	}
	if o.peakRSS > maxPeakRSS || o.peakRSS == 0 {
		t.Errorf("peak RSS %d MB (limit %d MB)", o.peakRSS>>20, maxPeakRSS>>20)
	}
	for i, r := range o.output {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			t.Errorf("control character %U at %d reached the output:\n%s", r, i, o.output)
			break
		}
	}
	if strings.Contains(o.output, rig.PIN) {
		t.Errorf("the PIN is in the output")
	}
	return o
}

// wants fails unless the output holds every fragment.
func (o outcome) wants(t *testing.T, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(o.output, f) {
			t.Errorf("the output lacks %q:\n%s", f, o.output)
		}
	}
}

// ecCert is the rig's ECDSA card certificate (its intermediate is on the
// token); bulkCert has no intermediate on its token, so the test first
// downloads it from the AIA address.
func ecCert() string   { return "pkcs11:token=" + testrig.MainToken + ";object=ec256" }
func bulkCert() string { return "pkcs11:token=" + testrig.BigToken + ";object=bulk-001" }

// serveTLS runs a TLS server on 127.0.0.1 that asks for a client
// certificate and hands each connection, after the handshake and the
// request head, to attack. It returns the https URL.
func serveTLS(t *testing.T, cert tls.Certificate, clientCAs *x509.CertPool, attack func(c net.Conn)) string {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, ClientCAs: clientCAs}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
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
				c.SetDeadline(time.Now().Add(time.Minute))
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return // the pre-flight ends its handshake early
				}
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				attack(c)
			}()
		}
	}()
	return "https://" + ln.Addr().String() + "/"
}

// serveTCP runs a plain TCP server; handle gets each connection.
func serveTCP(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
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
				c.SetDeadline(time.Now().Add(time.Minute))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// endless writes prefix, then unit for ever (until the client goes).
func endless(prefix, unit string) func(net.Conn) {
	return func(c net.Conn) {
		io.WriteString(c, prefix)
		chunk := strings.Repeat(unit, 32<<10/len(unit)+1)
		for {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	}
}

func TestHTTPAnswers(t *testing.T) {
	rig := testrig.Shared(t)
	server := rig.Server.TLSCertificate()
	const timeout = 5 * time.Second
	cases := []struct {
		name   string
		attack func(net.Conn)
		want   []string
	}{
		{"endless header line", endless("HTTP/1.1 200 OK\r\nX-Endless: ", "a"),
			[]string{"VERDICT: ERROR", "more than 64 KB of HTTP headers"}},
		{"endless headers", endless("HTTP/1.1 200 OK\r\n", "X-Again: yes\r\n"),
			[]string{"VERDICT: ERROR", "more than 100 HTTP header lines"}},
		{"endless body", endless("HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n", "<p>no end</p>"),
			[]string{"VERDICT: REJECTED", "HTTP answer: 400 Bad Request"}},
		{"stalled body", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 100000\r\n\r\nNo required SSL")
			io.Copy(io.Discard, c) // and nothing more, until the client goes
		}, []string{"VERDICT: REJECTED"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := serveTLS(t, server, rig.Intermediate.RootPool(), c.attack)
			o := check(t, rig, timeout, ecCert(), nil, "--url", url, "--ca", rig.CAFile)
			o.wants(t, c.want...)
			// The bounds end these at once: nothing waits for the time limit.
			if o.elapsed > timeout/2 {
				t.Log(o.output)
				t.Errorf("took %v: a bound should have ended it long before --timeout %v", o.elapsed, timeout)
			}
		})
	}
}

// TestSlowCA: the CA's endpoints accept and never answer. The test still
// ends within --timeout, and the words name the CA, not the server.
func TestSlowCA(t *testing.T) {
	rig := testrig.Shared(t)
	rig.SetRevocationStalled(true)
	t.Cleanup(func() { rig.SetRevocationStalled(false) })
	url := serveTLS(t, rig.Server.TLSCertificate(), rig.Intermediate.RootPool(), func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	const timeout = 4 * time.Second
	t.Run("OCSP and CRL", func(t *testing.T) {
		o := check(t, rig, timeout, ecCert(), nil, "--url", url, "--ca", rig.CAFile)
		o.wants(t, "VERDICT: ACCEPTED", "the CA's OCSP responder at "+rig.RevocationURL, "did not answer within")
		if strings.Contains(o.output, "The server did not answer") {
			t.Errorf("the target server is blamed:\n%s", o.output)
		}
	})
	t.Run("AIA", func(t *testing.T) {
		o := check(t, rig, timeout, bulkCert(), nil, "--url", url, "--ca", rig.CAFile)
		o.wants(t, "The CA's AIA address "+rig.RevocationURL, "did not answer within")
		if strings.Contains(o.output, "The server did not answer") {
			t.Errorf("the target server is blamed:\n%s", o.output)
		}
	})
}

// TestHugeCRL: the CA's OCSP responder is down, so the revocation check
// falls back to the CRL — a 22 MB one, as large public CAs publish (it
// once took the process to 579 MB). The CRL is scanned, not built, so the
// test stays within the memory promise, and a CRL beyond cardcheck's
// 32 MB bound is refused with that reason instead of a wrong verdict.
func TestHugeCRL(t *testing.T) {
	rig := testrig.Shared(t)
	crl, err := rig.LargeCRL(600_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(crl) < 20<<20 {
		t.Fatalf("the CRL has %d bytes, want about 22 MB", len(crl))
	}
	rig.SetOCSPDown(true)
	t.Cleanup(func() { rig.SetOCSPDown(false); rig.SetIntermediateCRL(nil) })
	url := serveTLS(t, rig.Server.TLSCertificate(), rig.Intermediate.RootPool(), func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	crlURL := rig.RevocationURL + testrig.IntermediateCRLPath
	// 20 s gives the local checks their 5 s: the scan takes about 1 s
	// under the race detector on a busy machine.
	const timeout = 20 * time.Second
	t.Run("22 MB", func(t *testing.T) {
		rig.SetIntermediateCRL(crl)
		o := check(t, rig, timeout, ecCert(), nil, "--url", url, "--ca", rig.CAFile)
		o.wants(t, "VERDICT: ACCEPTED", "the CRL at "+crlURL+" does not list the certificate as revoked")
	})
	t.Run("beyond the bound", func(t *testing.T) {
		rig.SetIntermediateCRL(append(crl, crl[:12<<20]...)) // 34 MB: not a valid CRL, and too large
		o := check(t, rig, timeout, ecCert(), nil, "--url", url, "--ca", rig.CAFile)
		o.wants(t, "VERDICT: ACCEPTED", "could not reach the CRL at "+crlURL, "larger than 32 MB")
	})
}

// TestAlertStorm: one 16 KB record of 8,190 alerts after the
// ClientHello makes a few steps, not 8,190.
func TestAlertStorm(t *testing.T) {
	rig := testrig.Shared(t)
	addr := serveTCP(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil { // the ClientHello
			return
		}
		rec := []byte{21, 3, 3, 0x3f, 0xfc} // alert record, 16,380 bytes
		for range 8190 {
			rec = append(rec, 2, 40) // fatal handshake_failure
		}
		c.Write(rec)
		io.Copy(io.Discard, c)
	})
	o := check(t, rig, 5*time.Second, ecCert(), nil, "--url", "https://"+addr+"/", "--ca", rig.CAFile)
	o.wants(t, "VERDICT: ERROR", "handshake_failure")
	if n := strings.Count(o.output, "handshake_failure (40)"); n > 10 {
		t.Errorf("%d alert lines in the report", n)
	}
	if len(o.output) > 64<<10 {
		t.Errorf("a report of %d KB", len(o.output)>>10)
	}
}

// TestEscapeSequencesInNames: a server whose certificate subject, whose
// acceptable CA names and whose reason phrase hold escape sequences (and
// a newline that would forge a verdict line).
func TestEscapeSequencesInNames(t *testing.T) {
	rig := testrig.Shared(t)
	evil := "Evil \x1b]0;owned\x07\x1b[2J\nVERDICT: ACCEPTED"
	cert, pool := evilCertificate(t, evil)
	url := serveTLS(t, cert, pool, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 \x1b[31mOK\x1b]0;owned\x07\r\nContent-Length: 2\r\n\r\nok")
	})
	o := check(t, rig, 5*time.Second, ecCert(), nil, "--url", url, "--continue-untrusted")
	o.wants(t, `Evil \x1b]0;owned\x07\x1b[2J\x0aVERDICT: ACCEPTED`, `\x1b[31mOK`)
	if n := strings.Count("\n"+o.output, "\nVERDICT:"); n != 1 {
		t.Errorf("%d verdict lines:\n%s", n, o.output)
	}
}

// evilCertificate is a self-signed server certificate for 127.0.0.1 whose
// subject (and so the acceptable CA name, pool) is cn.
func evilCertificate(t *testing.T, cn string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool
}

// TestMaliciousProxy: the HTTPS proxy answers CONNECT with headers that
// never end.
func TestMaliciousProxy(t *testing.T) {
	rig := testrig.Shared(t)
	for name, attack := range map[string]func(net.Conn){
		"endless line":    endless("HTTP/1.1 200 Connection established\r\nX-Endless: ", "a"),
		"endless headers": endless("HTTP/1.1 200 Connection established\r\n", "X-Again: yes\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			proxy := serveTCP(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				if _, err := br.ReadString('\n'); err != nil { // CONNECT host:port HTTP/1.1
					return
				}
				attack(c)
			})
			env := []string{"HTTPS_PROXY=http://" + proxy, "https_proxy=http://" + proxy, "NO_PROXY=", "no_proxy="}
			o := check(t, rig, 5*time.Second, ecCert(), env, "--url", "https://server.cardcheck.test/", "--ca", rig.CAFile)
			o.wants(t, "VERDICT: ERROR", fmt.Sprintf("the proxy %s sent more than", proxy))
		})
	}
}
