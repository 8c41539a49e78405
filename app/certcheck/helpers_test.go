package certcheck

import (
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/pki"
)

// testPKI is a small hierarchy: root → intermediate → leaves, plus an
// unrelated root. ECDSA keys keep it fast enough to build per test.
type testPKI struct {
	root, inter, other *pki.CA
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	root, err := pki.NewRoot("Test Root", pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate("Test Intermediate", pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewRoot("Other Root", pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{root: root, inter: inter, other: other}
}

func issue(t *testing.T, ca *pki.CA, spec pki.LeafSpec) *pki.Leaf {
	t.Helper()
	if spec.CommonName == "" {
		spec.CommonName = "Test Client"
	}
	l, err := ca.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (p *testPKI) roots() *x509.CertPool { return p.root.RootPool() }

// expect fails the test unless c has the name and status and its detail
// contains every fragment.
func expect(t *testing.T, c Check, name string, status Status, fragments ...string) {
	t.Helper()
	if c.Name != name || c.Status != status {
		t.Errorf("got %s/%s (%q), want %s/%s", c.Name, c.Status, c.Detail, name, status)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(c.Detail, f) {
			t.Errorf("%s detail %q lacks %q", name, c.Detail, f)
		}
	}
	if c.Detail == "" || strings.Contains(c.Detail, "\n") {
		t.Errorf("%s detail %q is not one line", name, c.Detail)
	}
}

// serve starts an HTTP server for one test and counts its requests.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// bytesHandler serves fixed content.
func bytesHandler(data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.Write(data) }
}

// slowServer answers only when the client gives up (or the test ends):
// with a context deadline on the client side the wait is bounded without
// a sleep anywhere.
func slowServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	release := make(chan struct{})
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// The server notices a client that hangs up only once the body
		// has been read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	// Registered after serve's srv.Close, so it runs before it.
	t.Cleanup(func() { close(release) })
	return srv, hits
}

// closedURL is an http URL on a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/x"
}

// ocspResponder answers for certificates of ca: revoked for the serials in
// revoked, status for the others. signer overrides who signs (nil = ca).
type ocspResponder struct {
	t       *testing.T
	ca      *pki.CA
	revoked map[string]bool
	status  int
	signer  *pki.Leaf // delegated responder, or nil
	noPOST  bool      // answer POST with 405 to force the GET fallback
}

func (o *ocspResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, ok := o.readRequest(w, r)
	if !ok {
		return
	}
	req, err := ocsp.ParseRequest(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(o.respond(req.SerialNumber))
}

func (o *ocspResponder) readRequest(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method == http.MethodPost {
		if o.noPOST {
			http.Error(w, "use GET", http.StatusMethodNotAllowed)
			return nil, false
		}
		raw, err := io.ReadAll(r.Body)
		return raw, err == nil
	}
	// GET /mount/<base64>; the base64 may contain slashes.
	_, b64, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return raw, true
}

func (o *ocspResponder) respond(serial *big.Int) []byte {
	now := time.Now()
	tmpl := ocsp.Response{Status: o.status, SerialNumber: serial,
		ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	if o.revoked[serial.String()] {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, now.Add(-time.Hour), ocsp.KeyCompromise
	}
	responder, key := o.ca.Cert, o.ca.Key
	if o.signer != nil {
		responder, key, tmpl.Certificate = o.signer.Cert, o.signer.Key, o.signer.Cert
	}
	der, err := ocsp.CreateResponse(o.ca.Cert, responder, tmpl, key)
	if err != nil {
		o.t.Error(err)
	}
	return der
}
