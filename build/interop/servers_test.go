package interop

import (
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// rejectedBy is what a server that verifies the certificate in the
// handshake answers for the four bad certificates.
var rejectedBy = map[string]outcome{
	testrig.Expired:      "rejected/certificate_expired",
	testrig.Revoked:      "rejected/certificate_revoked",
	testrig.Untrusted:    "rejected/unknown_ca",
	testrig.NoClientAuth: "rejected/unsupported_certificate",
}

// expect builds the expectations of a server: good → goodOutcome, the
// others as rejectedBy unless overridden.
func expect(good outcome, override map[string]outcome) map[string]outcome {
	out := map[string]outcome{testrig.EC256: good}
	for k, v := range rejectedBy {
		out[k] = v
	}
	for k, v := range override {
		out[k] = v
	}
	return out
}

// suite is one server configuration, the client's TLS settings to test
// it with, and the verdict/cause expected per certificate.
type suite struct {
	name   string
	start  func(t *testing.T, rig *testrig.Rig) string // the URL
	tls    []string
	expect map[string]map[string]outcome // by TLS setting, by certificate
}

func same(tlsSettings []string, e map[string]outcome) map[string]map[string]outcome {
	out := map[string]map[string]outcome{}
	for _, v := range tlsSettings {
		out[v] = e
	}
	return out
}

var both = []string{"1.2", "1.3"}

func suites() []suite {
	srv := func(rig *testrig.Rig) (string, string) { return rig.ServerCertFile, rig.ServerKeyFile }
	return []suite{
		{name: "apache-vhost-require-crl", tls: both, expect: same(both, expect("accepted/", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Apache(t, testservers.ApacheConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, VerifyClient: "require"}).URL
			}},
		// <Location /secure> SSLVerifyClient require: renegotiation in TLS
		// 1.2, post-handshake authentication in TLS 1.3 (AH10158 for Go).
		{name: "apache-location-require", tls: []string{"1.2", "1.3", "auto"},
			expect: map[string]map[string]outcome{
				"1.2":  expect("accepted/", nil),
				"auto": expect("accepted/post-handshake-auth", nil),
				"1.3": {testrig.EC256: "error/post-handshake-auth", testrig.Expired: "error/post-handshake-auth",
					testrig.Revoked: "error/post-handshake-auth", testrig.Untrusted: "error/post-handshake-auth",
					testrig.NoClientAuth: "error/post-handshake-auth"},
			},
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Apache(t, testservers.ApacheConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, SecureLocation: true}).URL + "secure"
			}},
		// optional + a Require rule nobody meets: 403 for a good card.
		{name: "apache-optional-require", tls: both, expect: same(both, expect("denied/http_403", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Apache(t, testservers.ApacheConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, VerifyClient: "optional", Require: "expr %{SSL_CLIENT_S_DN_OU} == 'Staff'"}).URL
			}},
		{name: "haproxy-required-crl", tls: both, expect: same(both, expect("accepted/", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.HAProxy(t, testservers.HAProxyConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, Verify: "required"}).URL
			}},
		{name: "haproxy-optional-deny", tls: both, expect: same(both, expect("accepted/", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.HAProxy(t, testservers.HAProxyConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, Verify: "optional", Deny: "!{ ssl_c_used }"}).URL
			}},
		// crt-ignore-err all + deny unless verified: 403 for every bad
		// certificate; the failed local check is the cause.
		{name: "haproxy-ignore-err-deny", tls: both, expect: same(both, expect("accepted/", map[string]outcome{
			testrig.Expired: "denied/check-validity", testrig.Revoked: "denied/check-revocation",
			testrig.Untrusted: "denied/check-chain", testrig.NoClientAuth: "denied/check-key-usage"})),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.HAProxy(t, testservers.HAProxyConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, Verify: "optional", IgnoreErrors: true, Deny: "!{ ssl_c_verify 0 }"}).URL
			}},
		{name: "stunnel-crl", tls: both, expect: same(both, expect("accepted/", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Stunnel(t, testservers.StunnelConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, Backend: greeter(t)}).TLSURL
			}},
		// The service behind stunnel is down: TLS accepts, then closes.
		{name: "stunnel-backend-down", tls: both, expect: same(both, expect("accepted/service-closed", nil)),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Stunnel(t, testservers.StunnelConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					CRLFile: rig.CRLAllFile, Backend: closedPort(t)}).TLSURL
			}},
		// OCSP with a responder that takes 3 s per answer: two answers
		// (leaf and intermediate), so the verdict comes ~6 s after the
		// handshake — within the default --late-alert-wait.
		{name: "stunnel-slow-ocsp", tls: both, expect: same(both, map[string]outcome{
			testrig.EC256: "accepted/", testrig.Revoked: "rejected/certificate_revoked"}),
			start: func(t *testing.T, rig *testrig.Rig) string {
				c, k := srv(rig)
				return testservers.Stunnel(t, testservers.StunnelConfig{CertFile: c, KeyFile: k, CAFile: rig.CAFile,
					OCSP: slowOCSP(t, rig, 3*time.Second), Backend: greeter(t)}).TLSURL
			}},
	}
}

// TestServersPeopleRun is the interop matrix of issue 9: every server
// configuration × TLS setting × certificate asserts verdict and cause.
// Servers start in parallel, cases run in parallel.
func TestServersPeopleRun(t *testing.T) {
	rig := testrig.Shared(t)
	for _, s := range suites() {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			url := s.start(t, rig)
			for _, v := range s.tls {
				for _, entry := range certs {
					want, ok := s.expect[v][entry]
					if !ok {
						continue
					}
					t.Run(v+"/"+entry, func(t *testing.T) {
						t.Parallel()
						res := test(t, rig, entry, probe.Options{URL: url, TLSVersion: probe.TLSVersion(v)})
						record(s.name+" "+v+" "+entry, res)
						if got(res) != want {
							t.Errorf("%s TLS %s %s: %s, want %s\nsummary: %s\ncause: %s\nadvice: %q\nerror: %+v\nnotes: %q",
								s.name, v, entry, got(res), want, res.Summary, res.Cause, res.Advice, res.Error, res.Notes)
						}
						assertNeverFine(t, res)
					})
				}
			}
		})
	}
}

// assertNeverFine: no verdict says the card is fine while a local check
// that a server could refuse it for has failed.
func assertNeverFine(t *testing.T, res *probe.Result) {
	t.Helper()
	for _, a := range append([]string{res.Summary}, res.Advice...) {
		if (containsFold(a, "card is fine") || containsFold(a, "card works")) && failedCheck(res) {
			t.Errorf("%q while a local check failed: %+v", a, res.Checks)
		}
	}
}
