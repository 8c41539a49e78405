// Package testservers starts real TLS servers for integration tests: nginx
// with ssl_verify_client, `openssl s_server`, cardcheck's own Go server
// (app/serve) and raw TCP servers that misbehave on purpose.
//
// Every starter listens on 127.0.0.1 with a port of its own, returns when
// the server answers, stops it when the test ends (t.Cleanup) and attaches
// the server's log to the test output when the test failed:
//
//	rig := testrig.Shared(t)
//	srv := testservers.Nginx(t, testservers.NginxConfig{
//		CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile,
//		ClientCAFile: rig.CAFile, VerifyClient: "on"})
//	// probe srv.URL ...
//
// Behaviour of the real servers (measured, see the package tests):
// nginx with ssl_verify_client on completes the handshake and answers
// HTTP 400 for a missing, untrusted or revoked certificate; s_server with
// -Verify -verify_return_error fails the handshake with an alert; the Go
// server sends the alert OpenSSL would.
package testservers

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a started test server.
type Server struct {
	Addr   string        // 127.0.0.1:PORT
	URL    string        // https://127.0.0.1:PORT/
	TLSURL string        // tls://127.0.0.1:PORT
	Log    func() string // what the server logged so far
	stdin  io.Writer     // interactive s_server's standard input
}

// Command sends a line to an interactive s_server's standard input.
func (s *Server) Command(line string) error {
	if s.stdin == nil {
		return errors.New("testservers: not an interactive s_server")
	}
	_, err := io.WriteString(s.stdin, line+"\n")
	return err
}

// WaitLog waits until the server's log contains substr, polling until
// timeout; it reports whether it did. Servers write their log lines a
// moment after the client saw the outcome.
func (s *Server) WaitLog(substr string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	delay := 2 * time.Millisecond
	for {
		if strings.Contains(s.Log(), substr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// startTimeout bounds how long a server may take to come up.
const startTimeout = 15 * time.Second

func newServer(addr string, log func() string) *Server {
	return &Server{Addr: addr, URL: "https://" + addr + "/", TLSURL: "tls://" + addr, Log: log}
}

// attachLog logs the server's log at the end of a failed test.
func attachLog(t testing.TB, what string, s *Server) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log (%s):\n%s", what, s.Addr, s.Log())
		}
	})
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before you bind it: prefer binding port 0.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testservers: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// RemoteAlert returns the code of the TLS alert a crypto/tls client
// received from the server, found in err (for example the error of
// tls.Conn.Handshake or Read, or of an http.Client request).
// crypto/tls reports a received alert as a *net.OpError with Op
// "remote error" wrapping an unexported uint8 type.
func RemoteAlert(err error) (uint8, bool) {
	for err != nil {
		var op *net.OpError
		if !errors.As(err, &op) {
			return 0, false
		}
		if op.Op == "remote error" && op.Err != nil {
			v := reflect.ValueOf(op.Err)
			if v.Kind() == reflect.Uint8 {
				return uint8(v.Uint()), true
			}
		}
		err = op.Err
	}
	return 0, false
}

// WaitTCP waits until addr accepts TCP connections, polling until the
// deadline.
func WaitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := 5 * time.Millisecond
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// logFile is a log that subprocesses and goroutines write to: a file in
// the test's temporary directory plus a copy in memory.
type logFile struct {
	mu   sync.Mutex
	f    *os.File
	buf  bytes.Buffer
	line []byte
	// onLine, when set, sees every complete line (without the newline).
	onLine func(string)
}

func newLogFile(path string) (*logFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &logFile{f: f}, nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.f != nil {
		l.f.Write(p)
	}
	if l.onLine != nil {
		l.line = append(l.line, p...)
		for {
			i := bytes.IndexByte(l.line, '\n')
			if i < 0 {
				break
			}
			l.onLine(string(bytes.TrimRight(l.line[:i], "\r")))
			l.line = l.line[i+1:]
		}
	}
	return len(p), nil
}

func (l *logFile) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logFile) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
