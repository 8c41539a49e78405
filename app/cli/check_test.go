package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

func certURI(name string) string {
	return "pkcs11:token=" + testrig.MainToken + ";object=" + name
}

// checkJSON holds every top-level field of the `check --json` contract.
var checkFields = []string{"url", "verdict", "summary", "cause", "advice", "tls", "client_certificate",
	"certificate_request", "checks", "server", "steps", "alert", "http", "timings", "error",
	"advice_codes", "environment"} // additions of issue 8

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
		Environment       envJSON
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
	checkEnv(t, res.Environment, rig.Module, true)
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

// envJSON is the `environment` object of `check --json`.
type envJSON struct {
	Time             string
	CardcheckVersion string `json:"cardcheck_version"`
	OS, Arch         string
	Module           *struct {
		Path, Description, Manufacturer string
		LibraryVersion                  string `json:"library_version"`
	}
	Token *struct {
		Label, Manufacturer, Model, Serial string
		FirmwareVersion                    string `json:"firmware_version"`
		HardwareVersion                    string `json:"hardware_version"`
	}
}

func checkEnv(t *testing.T, env envJSON, module string, withCard bool) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, env.Time)
	if err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Second {
		t.Errorf("environment.time %q: %v", env.Time, err)
	}
	if env.CardcheckVersion != config.VersionString() || env.OS != runtime.GOOS || env.Arch != runtime.GOARCH {
		t.Errorf("environment %+v", env)
	}
	if !withCard {
		return
	}
	if env.Module == nil || env.Module.Path != module || env.Module.Description == "" || env.Module.LibraryVersion == "" {
		t.Errorf("environment.module %+v", env.Module)
	}
	if env.Token == nil || env.Token.Label != testrig.MainToken || env.Token.Serial == "" || env.Token.Model == "" || env.Token.FirmwareVersion == "" {
		t.Errorf("environment.token %+v", env.Token)
	}
}

// The text report starts with when and where; a test that stopped at the
// login still says which card and module it was.
func TestCheckReportsTheEnvironment(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	args := []string{"check", "--url", srv.URL, "--module", rig.Module, "--cert", certURI(testrig.EC256), "--ca", rig.ChainFile, "--pin-stdin"}
	code, out, errs := run(t, testrig.PIN+"\n", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"Time:      ", "cardcheck: " + config.VersionString() + " on " + runtime.GOOS + "/" + runtime.GOARCH,
		"Module:    " + rig.Module + "\n", "Token:     \"" + testrig.MainToken + "\"", ", serial ", ", firmware "} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "Time:"), strings.Index(out, "VERDICT:"); i != 0 || j < 0 {
		t.Errorf("the header must come first, then the verdict:\n%s", out)
	}
	code, out, _ = run(t, "0000-wrong\n", append(args, "--json")...)
	var res struct {
		Verdict     string
		Environment envJSON
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.Verdict != "error" {
		t.Fatalf("wrong PIN: exit %d, %v\n%s", code, err, out)
	}
	checkEnv(t, res.Environment, rig.Module, true)
}

// Without a terminal and without --pin-stdin nobody can type the PIN: the
// result says how to give it.
func TestCheckWithoutPINOffATerminal(t *testing.T) {
	rig := testrig.Shared(t)
	code, out, errs := run(t, "", "check", "--url", "https://127.0.0.1:1/", "--module", rig.Module, "--cert", certURI(testrig.EC256), "--json")
	var res struct {
		Error struct{ Kind, Message string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || errs != "" {
		t.Fatalf("exit %d, %v, stderr %q\n%s", code, err, errs, out)
	}
	if res.Error.Kind != "pin-required" || !strings.Contains(res.Error.Message, "terminal") || !strings.Contains(res.Error.Message, "--pin-stdin") {
		t.Errorf("error %+v", res.Error)
	}
}
