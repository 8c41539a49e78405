// Package interop runs cardcheck's test against servers people run for
// client-certificate login — Apache httpd with mod_ssl, HAProxy and
// stunnel, from Debian packages — started by the tests on 127.0.0.1, with
// the rig's SoftHSM token, in TLS 1.2 and 1.3, with good, expired,
// revoked, untrusted-CA and no-clientAuth certificates. Every case asserts
// the verdict and the cause (issue 9). A missing package fails the test
// and names build/deps.sh.
package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// inventory scans the rig's token once per process (one C_Initialize).
var inventory = struct {
	sync.Once
	inv *token.Inventory
	err error
}{}

func rigCert(t *testing.T, rig *testrig.Rig, entry string) *token.Certificate {
	t.Helper()
	inventory.Do(func() {
		m := token.NewManager(token.Options{})
		inventory.inv = m.Scan([]token.Candidate{{Path: rig.Module}})
		inventory.err = inventory.inv.Modules[0].Err
	})
	if inventory.err != nil {
		t.Fatal(inventory.err)
	}
	for _, tok := range inventory.inv.Tokens {
		for _, c := range tok.Certificates {
			if tok.Label == testrig.MainToken && c.Label == rig.Entries[entry].Label {
				return c
			}
		}
	}
	t.Fatalf("no certificate %q on the rig's token", entry)
	return nil
}

// test runs what `cardcheck check` runs: the pre-flight, then (only when
// the server asks) login and the test.
func test(t *testing.T, rig *testrig.Rig, entry string, opt probe.Options) *probe.Result {
	t.Helper()
	cert := rigCert(t, rig, entry)
	roots, err := probe.LoadRoots(rig.ChainFile)
	if err != nil {
		t.Fatal(err)
	}
	opt.Roots = roots
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	ctx := context.Background()
	pf := check.Preflight(ctx, cert, opt)
	if !pf.NeedsCard {
		return whole(t, pf.Result)
	}
	opt.Preflight = pf
	p, err := check.Login(cert, token.LoginOptions{PIN: testrig.PIN})
	if err != nil {
		t.Fatalf("login for %s: %v", entry, err)
	}
	defer p.Close()
	return whole(t, p.Run(ctx, opt))
}

// whole checks what every result carries, whatever the server: a code
// beside every piece of advice, and the environment.
func whole(t *testing.T, res *probe.Result) *probe.Result {
	t.Helper()
	if res.AdviceCodes == nil || len(res.AdviceCodes) != len(res.Advice) {
		t.Errorf("%s: advice codes %q for advice %q", res.URL, res.AdviceCodes, res.Advice)
	}
	if res.Environment == nil || res.Environment.Token == nil {
		t.Errorf("%s: environment %+v", res.URL, res.Environment)
	}
	return res
}

// certs are the client certificates of every case.
var certs = []string{testrig.EC256, testrig.Expired, testrig.Revoked, testrig.Untrusted, testrig.NoClientAuth}

// outcome is verdict/cause.
type outcome string

func got(res *probe.Result) outcome {
	return outcome(string(res.Verdict) + "/" + res.CauseCode)
}

// table collects the outcomes for the report at the end of the run.
var table = struct {
	sync.Mutex
	rows []string
}{}

func record(name string, res *probe.Result) {
	table.Lock()
	defer table.Unlock()
	table.rows = append(table.rows, fmt.Sprintf("%-60s %s", name, got(res)))
}

// TestZTable prints the table of every case run before it (go test runs
// the tests of a package in file order, and this file sorts last among
// those with cases... it prints whatever was recorded).
func TestZTable(t *testing.T) {
	table.Lock()
	defer table.Unlock()
	sort.Strings(table.rows)
	t.Logf("server tls certificate → verdict/cause\n%s", strings.Join(table.rows, "\n"))
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func failedCheck(res *probe.Result) bool {
	for _, c := range res.Checks {
		if c.Status == "fail" && c.Name != "key-possession" {
			return true
		}
	}
	return false
}

// greeter is a TCP service that greets and waits, like SMTP or LDAP
// behind stunnel.
func greeter(t *testing.T) string {
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
				io.WriteString(c, "220 cardcheck test service\r\n")
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// closedPort is a port nothing listens on: a backend that is down.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// slowOCSP is an OCSP responder that answers after delay, like an
// overloaded one: for the rig's intermediate CA's certificates it asks
// the rig's responder, and for the intermediate itself it answers "good"
// signed by the root — so a server checking the whole chain makes two
// slow requests, as stunnel does.
func slowOCSP(t *testing.T, rig *testrig.Rig, delay time.Duration) string {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		resp, err := http.Post(rig.RevocationURL+testrig.OCSPPath, "application/ocsp-request", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if bytes.Equal(answer, ocsp.UnauthorizedErrorResponse) {
			answer = rootAnswer(rig, body)
		}
		w.Write(answer)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/ocsp"
}

// rootAnswer says "good" for a certificate the root issued.
func rootAnswer(rig *testrig.Rig, raw []byte) []byte {
	req, err := ocsp.ParseRequest(raw)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse
	}
	now := time.Now()
	resp, err := ocsp.CreateResponse(rig.Root.Cert, rig.Root.Cert, ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
		IssuerHash: req.HashAlgorithm, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}, rig.Root.Key)
	if err != nil {
		return ocsp.InternalErrorErrorResponse
	}
	return resp
}
