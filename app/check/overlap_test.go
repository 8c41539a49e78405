package check_test

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// certServer is a Go TLS server that asks for a client certificate and
// records, per connection, whether one came.
type certServer struct {
	URL  string
	mu   sync.Mutex
	sent []bool        // per completed or failed handshake: a certificate arrived
	done chan struct{} // one value per handshake recorded
}

func newCertServer(t *testing.T, rig *testrig.Rig) *certServer {
	s := &certServer{done: make(chan struct{}, 16)}
	cfg := &tls.Config{Certificates: []tls.Certificate{rig.Server.TLSCertificate()}, ClientAuth: tls.RequestClientCert}
	srv := testservers.Raw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		tc := tls.Server(c, cfg)
		err := tc.Handshake()
		s.mu.Lock()
		s.sent = append(s.sent, len(tc.ConnectionState().PeerCertificates) > 0)
		s.mu.Unlock()
		s.done <- struct{}{}
		if err == nil {
			buf := make([]byte, 4096)
			tc.Read(buf) // the request
			tc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
		}
		tc.Close()
	})
	s.URL = srv.URL
	return s
}

// waitHandshakes waits until the server has recorded n handshakes.
func (s *certServer) waitHandshakes(t *testing.T, n int) []bool {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(s.handshakes()) < n {
		select {
		case <-s.done:
		case <-deadline:
			t.Fatalf("the server recorded %d handshakes within 10 s, want %d", len(s.handshakes()), n)
		}
	}
	return s.handshakes()
}

func (s *certServer) handshakes() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.sent...)
}

// rigCard scans the rig's main token through faults and picks the P-256
// certificate.
func rigCard(t *testing.T, f *tokentest.Faults) (*testrig.Rig, *token.Certificate) {
	rig := testrig.Shared(t)
	mgr := token.NewManager(token.Options{Loader: f.Loader()})
	t.Cleanup(func() { mgr.Close() })
	inv := mgr.Scan(token.Discover(token.DiscoverOptions{Explicit: []string{rig.Module}}))
	return rig, testrig.Cert(t, inv, testrig.EC256)
}

// testOptions runs the real pre-flight and returns the options for the
// test, with a channel that hears the test's trace steps.
func testOptions(t *testing.T, rig *testrig.Rig, cert *token.Certificate, url string) (probe.Options, <-chan tlstrace.Step) {
	roots, err := probe.LoadRoots(rig.ChainFile)
	if err != nil {
		t.Fatal(err)
	}
	opt := probe.Options{URL: url, Roots: roots, Timeout: 20 * time.Second, TLSVersion: probe.TLS13}
	pf := check.Preflight(context.Background(), cert, opt)
	if !pf.NeedsCard {
		t.Fatalf("pre-flight: %s (%s)", pf.Finding, pf.Summary)
	}
	steps := make(chan tlstrace.Step, 64)
	opt.Preflight, opt.OnStep = pf, func(s tlstrace.Step) { steps <- s }
	return opt, steps
}

// testConnects counts the test's connections (OnProgress), set on opt.
func testConnects(opt *probe.Options) func() int {
	var mu sync.Mutex
	n := 0
	opt.OnProgress = func(p probe.Progress) {
		if p.Stage == probe.StageConnect && p.Connection != probe.ConnPreflight {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// waitStep waits for the test's step named name.
func waitStep(t *testing.T, steps <-chan tlstrace.Step, name string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-steps:
			if s.Message == name {
				return
			}
		case <-deadline:
			t.Fatalf("no %s step within 10 s", name)
		}
	}
}

// With the PIN in hand, the test's connection runs beside the login: the
// server's CertificateRequest arrives while C_Login is still held, the
// certificate is sent only after the login, and the time the handshake
// waited for the card is not counted as the handshake's.
func TestLoginRunsBesideTheConnection(t *testing.T) {
	gate, waiting := make(chan struct{}), make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	defer open() // a failure below must not leave the login held
	f := &tokentest.Faults{LoginGate: gate, LoginWaiting: waiting}
	rig, cert := rigCard(t, f)
	srv := newCertServer(t, rig)
	opt, steps := testOptions(t, rig, cert, srv.URL)
	done := make(chan *probe.Result, 1)
	go func() {
		done <- check.LoginAndRun(context.Background(), cert, token.LoginOptions{PIN: testrig.PIN}, opt)
	}()
	<-waiting
	waitStep(t, steps, "CertificateRequest") // while C_Login is held
	if got := srv.waitHandshakes(t, 1); len(got) != 1 || got[0] {
		t.Fatalf("handshakes before the login: %v, want the pre-flight's alone, without a certificate", got)
	}
	const held = 300 * time.Millisecond
	time.Sleep(held) // the card is slow: the server waits at its CertificateRequest
	open()
	res := <-done
	if res.Verdict != probe.Accepted {
		t.Fatalf("verdict %s: %s", res.Verdict, res.Summary)
	}
	if got := srv.waitHandshakes(t, 2); len(got) != 2 || !got[1] {
		t.Errorf("handshakes %v, want the pre-flight's and the test's with the certificate", got)
	}
	tm := res.Timings
	if tm.HandshakeMs >= float64(held.Milliseconds()) || tm.LoginMs < float64(held.Milliseconds()) ||
		tm.TotalMs < tm.LoginMs || tm.TotalMs > tm.LoginMs+tm.HandshakeMs+5000 {
		t.Errorf("timings %+v: the handshake counted the login's %v", tm, held)
	}
	if res.ClientCertificate == nil || res.ClientCertificate.HasPrivateKey == nil || !*res.ClientCertificate.HasPrivateKey ||
		res.Environment == nil || res.Preflight == nil {
		t.Errorf("result without the token side: certificate %+v, environment %v, pre-flight %v", res.ClientCertificate, res.Environment, res.Preflight)
	}
}

// A login that fails beside the connection ends the handshake, which
// waits at the server's CertificateRequest, before anything of the card is
// sent; the result is the login's failure, and no signature is made.
func TestFailedLoginBesideTheConnectionSendsNothing(t *testing.T) {
	gate, waiting := make(chan struct{}), make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	defer open()
	f := &tokentest.Faults{LoginErr: pkcs11.Error(pkcs11.CKR_PIN_INCORRECT), LoginGate: gate, LoginWaiting: waiting}
	rig, cert := rigCard(t, f)
	srv := newCertServer(t, rig)
	opt, steps := testOptions(t, rig, cert, srv.URL)
	done := make(chan *probe.Result, 1)
	go func() {
		done <- check.LoginAndRun(context.Background(), cert, token.LoginOptions{PIN: "wrong-pin"}, opt)
	}()
	<-waiting
	waitStep(t, steps, "CertificateRequest") // the handshake now waits for the login
	open()                                   // which fails
	res := <-done
	if res.Error == nil || res.Error.Kind != token.KindPINIncorrect || res.Preflight == nil || f.Logins() != 1 || f.Signs() != 0 {
		t.Fatalf("verdict %s, error %+v, pre-flight %v, %d logins, %d signatures; want pin-incorrect after one login, no signature",
			res.Verdict, res.Error, res.Preflight != nil, f.Logins(), f.Signs())
	}
	if got := srv.waitHandshakes(t, 2); got[0] || got[1] {
		t.Errorf("handshakes %v: a certificate was sent", got)
	}
}

// On the reader's PIN pad the user types while the login waits: the test
// connects only after a login that succeeded, as a server will not wait
// for the user's keys. The same for a card on its last PIN try.
func TestLoginFirstOnAPINPadOrAFinalTry(t *testing.T) {
	for name, tc := range map[string]struct {
		flags uint
		login token.LoginOptions
	}{
		"PIN pad":   {pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH, token.LoginOptions{UsePINPad: true}},
		"final try": {pkcs11.CKF_USER_PIN_FINAL_TRY, token.LoginOptions{PIN: "wrong-pin", ConfirmFinalTry: true}},
	} {
		t.Run(name, func(t *testing.T) {
			f := &tokentest.Faults{ExtraFlags: tc.flags, LoginErr: pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)}
			rig, cert := rigCard(t, f)
			srv := newCertServer(t, rig)
			opt, _ := testOptions(t, rig, cert, srv.URL)
			connects := testConnects(&opt)
			res := check.LoginAndRun(context.Background(), cert, tc.login, opt)
			if res.Error == nil || res.Error.Kind != token.KindPINIncorrect || f.Logins() != 1 {
				t.Fatalf("error %+v after %d logins, want pin-incorrect after one", res.Error, f.Logins())
			}
			if n := connects(); n != 0 {
				t.Errorf("the test connected %d times before a login that failed", n)
			}
		})
	}
}
