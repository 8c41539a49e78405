package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// lockedBuffer is an output the server writes from its goroutines; ready
// is closed when a line matching watch has been written.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	watch *regexp.Regexp
	match []string
	ready chan struct{}
}

func newLockedBuffer(watch string) *lockedBuffer {
	l := &lockedBuffer{ready: make(chan struct{})}
	if watch != "" {
		l.watch = regexp.MustCompile(watch)
	}
	return l
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.watch != nil && l.match == nil {
		if m := l.watch.FindStringSubmatch(l.b.String()); m != nil {
			l.match = m
			close(l.ready)
		}
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeBadInput(t *testing.T) {
	rig := testrig.Shared(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	files := []string{"--cert", rig.ServerCertFile, "--key", rig.ServerKeyFile, "--client-ca", rig.CAFile}
	with := func(extra ...string) []string {
		return append(append([]string{"serve", "--listen", "127.0.0.1:0"}, files...), extra...)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"nothing", []string{"serve"}, "serve needs --listen ADDR, --cert FILE, --key FILE, --client-ca FILE"},
		{"no client CA", []string{"serve", "--listen", "127.0.0.1:0", "--cert", rig.ServerCertFile, "--key", rig.ServerKeyFile}, "serve needs --client-ca FILE"},
		{"unknown flag", with("--bogus"), `unknown flag "--bogus"`},
		{"stray argument", with("1234"), `unexpected argument "****"`},
		{"tls version", with("--tls", "1.1"), `--tls must be auto, 1.2 or 1.3, not "1.1"`},
		{"missing file", []string{"serve", "--listen", "127.0.0.1:0", "--cert", filepath.Join(dir, "nope.pem"), "--key", rig.ServerKeyFile, "--client-ca", rig.CAFile}, "cannot read the server certificate"},
		{"invalid PEM", []string{"serve", "--listen", "127.0.0.1:0", "--cert", garbage, "--key", rig.ServerKeyFile, "--client-ca", rig.CAFile}, "not a PEM file"},
		{"key mismatch", []string{"serve", "--listen", "127.0.0.1:0", "--cert", rig.ServerCertFile, "--key", rig.UntrustedServerKeyFile, "--client-ca", rig.CAFile}, "does not match the certificate"},
		{"bad client CA", with("--client-ca", garbage), "client CA file"},
		{"bad CRL", with("--crl", garbage), "CRL file"},
		{"address in use", append([]string{"serve", "--listen", busy.Addr().String()}, files...), "already in use"},
		{"no-client-cert with CA", with("--no-client-cert"), "--no-client-cert cannot be combined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Commands{}.Run(c.args, IO{Stdout: &out, Stderr: &errb})
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(errb.String(), c.want) {
				t.Errorf("stderr %q lacks %q", errb.String(), c.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
		})
	}
}

// runServe starts `serve` in-process and returns its URL, outputs and a
// stop function that returns the exit code.
func runServe(t *testing.T, args ...string) (string, *lockedBuffer, *lockedBuffer, func() int) {
	t.Helper()
	stdout := newLockedBuffer(`Listening on (https://\S+) \(([^)]*)\)`)
	stderr := newLockedBuffer("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		io := IO{Stdout: stdout, Stderr: stderr}
		done <- finish(io, serveWithContext(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), io))
	}()
	stop := sync.OnceValue(func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
			return -1
		}
	})
	t.Cleanup(func() { stop() })
	select {
	case <-stdout.ready:
	case code := <-done:
		done <- code
		t.Fatalf("serve exited %d: %s", code, stderr)
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not start: %s", stderr)
	}
	return stdout.match[1] + "/", stdout, stderr, stop
}

func TestServeRunsAndStops(t *testing.T) {
	rig := testrig.Shared(t)
	url, stdout, stderr, stop := runServe(t, "--cert", rig.ServerCertFile, "--key", rig.ServerKeyFile,
		"--client-ca", rig.CAFile, "--crl", rig.CRLFile, "--tls", "1.3")
	if want := "client CA: CN=" + testrig.RootCN; !strings.Contains(stdout.match[2], want) {
		t.Errorf("stdout %q lacks %q", stdout, want)
	}
	roots := x509.NewCertPool()
	roots.AddCert(rig.Root.Cert)
	cert := func(name string) *tls.Certificate {
		e := rig.Entries[name]
		return testservers.ClientCert(e.Cert, e.Chain, e.Key)
	}
	r := testservers.Fetch(testservers.Request{URL: url + "?format=json", Cert: cert(testrig.RSA), RootCAs: roots})
	if r.Err != nil || r.Status != 200 || r.State.Version != tls.VersionTLS13 || !strings.Contains(r.Body, `"subject": "CN=Alice RSA`) {
		t.Fatalf("status %d, err %v, version %x\n%s", r.Status, r.Err, r.State.Version, r.Body)
	}
	r = testservers.Fetch(testservers.Request{URL: url, Cert: cert(testrig.Revoked), RootCAs: roots})
	if alert, _ := testservers.RemoteAlert(r.Err); alert != 44 {
		t.Errorf("revoked: alert %d, err %v", alert, r.Err)
	}
	if code := stop(); code != ExitOK {
		t.Errorf("exit %d: %s", code, stderr)
	}
	log := stderr.String()
	for _, want := range []string{"accepted client certificate \"CN=Alice RSA", "sent alert certificate_revoked (44)", "cardcheck serve: stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 3 {
		t.Errorf("%d stderr lines, want one per connection and the stop line:\n%s", n, log)
	}
}

func TestServeWithoutClientCertificate(t *testing.T) {
	rig := testrig.Shared(t)
	url, stdout, _, _ := runServe(t, "--cert", rig.ServerCertFile, "--key", rig.ServerKeyFile, "--no-client-cert")
	if stdout.match[2] != "no client certificate requested" {
		t.Errorf("stdout: %s", stdout)
	}
	r := testservers.Fetch(testservers.Request{URL: url})
	if r.Err != nil || r.Status != 200 || r.CertRequested {
		t.Errorf("status %d, err %v, requested %v", r.Status, r.Err, r.CertRequested)
	}
}
