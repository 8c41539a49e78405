package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

func certURI(name string) string {
	return "pkcs11:token=" + testrig.MainToken + ";object=" + name
}

// checkJSON holds every top-level field of the `check --json` contract.
var checkFields = []string{"url", "verdict", "summary", "cause", "advice", "tls", "client_certificate",
	"certificate_request", "checks", "server", "steps", "alert", "http", "timings", "error", "preflight"}

func TestCheckJSONContract(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	keylog := filepath.Join(t.TempDir(), "keys.log")
	code, out, errs := run(t, testrig.PIN+"\n", "check", "--url", srv.URL, "--module", rig.Module,
		"--cert", certURI(testrig.EC256), "--pin-stdin", "--ca", rig.ChainFile, "--keylog", keylog, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	if strings.Contains(out+errs, testrig.PIN) {
		t.Fatal("the PIN appears in the output")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range checkFields {
		if _, ok := doc[f]; !ok {
			t.Errorf("field %q missing", f)
		}
	}
	var res struct {
		Verdict string
		TLS     struct{ Version string } `json:"tls"`
		Steps   []struct {
			Seq       int
			From      string
			Message   string
			TMs       *float64 `json:"t_ms"`
			Bytes     int
			Encrypted bool
			Summary   string
			Fields    map[string]any
		}
		ClientCertificate struct{ URI string } `json:"client_certificate"`
		Timings           map[string]float64
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Verdict != "accepted" || len(res.Steps) < 10 || res.ClientCertificate.URI == "" {
		t.Fatalf("verdict %s, %d steps, cert %q", res.Verdict, len(res.Steps), res.ClientCertificate.URI)
	}
	for _, s := range res.Steps {
		if s.Seq == 0 || s.TMs == nil || s.Message == "" || (s.From != "client" && s.From != "server") {
			t.Errorf("step %+v incomplete", s)
		}
	}
	for _, k := range []string{"login_ms", "handshake_ms", "sign_ms", "total_ms"} {
		if _, ok := res.Timings[k]; !ok {
			t.Errorf("timings.%s missing", k)
		}
	}
	if b, err := os.ReadFile(keylog); err != nil || !strings.Contains(string(b), "CLIENT_TRAFFIC_SECRET_0") {
		t.Errorf("key log: %v", err)
	}
}

func TestCheckExitCodes(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	base := []string{"check", "--url", srv.URL, "--module", rig.Module, "--ca", rig.ChainFile, "--pin-stdin"}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"rejected", testrig.PIN, []string{"--cert", certURI(testrig.Untrusted)}, 1, "REJECTED"},
		{"wrong PIN", "0000-wrong", []string{"--cert", certURI(testrig.EC256)}, 1, "pin-incorrect"},
		{"no such certificate", testrig.PIN, []string{"--cert", certURI("nope")}, 2, "no certificate matches"},
		{"several usable", testrig.PIN, nil, 2, "--cert"},
		{"PIN in the URI", testrig.PIN, []string{"--cert", certURI(testrig.EC256) + "?pin-value=1234"}, 2, "PIN"},
		{"bad TLS version", testrig.PIN, []string{"--tls", "1.1"}, 2, "--tls"},
		{"bad CA file", testrig.PIN, []string{"--ca", "/no/such.pem"}, 2, "--ca"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.stdin+"\n", append(append([]string{}, base...), tc.args...)...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, out, errs)
			}
			if strings.Contains(out+errs, testrig.PIN) || strings.Contains(out+errs, "0000-wrong") {
				t.Fatal("a PIN leaked")
			}
		})
	}
	for _, bad := range []string{"no-scheme.example", "https://127.0.0.1:0/", "https://127.0.0.1:70000/", "ftp://x/"} {
		code, _, errs := run(t, "", "check", "--url", bad, "--module", rig.Module)
		if code != 2 || !strings.Contains(errs, "--url") {
			t.Errorf("--url %s: exit %d, %s", bad, code, errs)
		}
	}
}
