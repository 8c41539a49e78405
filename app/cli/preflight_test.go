package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// spyModule is OpenSC's pkcs11-spy: it logs every PKCS#11 call of the
// module named in PKCS11SPY to PKCS11SPY_OUTPUT.
const spyModule = "/usr/lib/x86_64-linux-gnu/pkcs11-spy.so"

// checkThroughSpy runs `cardcheck check` in a process of its own with the
// rig's token behind pkcs11-spy and returns the JSON result and how many
// C_Login calls the spy saw.
func checkThroughSpy(t *testing.T, rig *testrig.Rig, url string, extra ...string) (map[string]json.RawMessage, int) {
	t.Helper()
	if _, err := os.Stat(spyModule); err != nil {
		t.Fatalf("pkcs11-spy is missing (%v): run build/deps.sh test (package opensc-pkcs11)", err)
	}
	spyLog := filepath.Join(t.TempDir(), "spy.log")
	args := append([]string{"check", "--url", url, "--module", spyModule, "--cert", certURI(testrig.EC256),
		"--pin-stdin", "--ca", rig.ChainFile, "--timeout", "10s", "--json"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(append(os.Environ(), rig.Env...), childArgs+"="+strings.Join(args, "\n"),
		"PKCS11SPY="+rig.Module, "PKCS11SPY_OUTPUT="+spyLog)
	cmd.Stdin = strings.NewReader(testrig.PIN + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("cardcheck check: %v\n%s\n%s", err, errb.String(), out.String())
	}
	if strings.Contains(out.String()+errb.String(), testrig.PIN) {
		t.Fatal("the PIN appears in the output")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\n%s", err, out.String(), errb.String())
	}
	log, err := os.ReadFile(spyLog)
	if err != nil {
		t.Fatalf("no spy log: %v", err)
	}
	return doc, strings.Count(string(log), "C_Login")
}

// TestNoLoginBeforeTheServerAsks is issue 9's acceptance test: a typo in
// the host name, a refused connection, an untrusted server and a server
// that never asks for a certificate cost no C_Login; a server that asks
// costs exactly one.
func TestNoLoginBeforeTheServerAsks(t *testing.T) {
	rig := testrig.Shared(t)
	asks := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	untrusted := testservers.Serve(t, serve.Config{CertFile: rig.UntrustedServerCertFile, KeyFile: rig.UntrustedServerKeyFile, ClientCAFile: rig.CAFile})
	never := testservers.SServer(t, testservers.SServerConfig{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile})
	for _, tc := range []struct {
		name, url, verdict, finding string
		logins                      int
	}{
		{"unknown host", "https://no-such-host.invalid/", "error", "unknown-host", 0},
		{"refused", "https://" + closedAddr(t) + "/", "error", "connection-refused", 0},
		{"untrusted server", untrusted.URL, "server-untrusted", "server-untrusted", 0},
		{"never asks", never.URL, "not-requested", "not-requested", 0},
		{"asks", asks.URL, "accepted", "certificate-requested", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, logins := checkThroughSpy(t, rig, tc.url)
			var verdict string
			var pf struct {
				Finding   string `json:"finding"`
				NeedsCard bool   `json:"needs_card"`
			}
			json.Unmarshal(doc["verdict"], &verdict)
			if err := json.Unmarshal(doc["preflight"], &pf); err != nil {
				t.Fatalf("preflight: %v (%s)", err, doc["preflight"])
			}
			if verdict != tc.verdict || pf.Finding != tc.finding || logins != tc.logins {
				t.Errorf("verdict %s, pre-flight %q, %d C_Login; want %s, %q, %d", verdict, pf.Finding, logins, tc.verdict, tc.finding, tc.logins)
			}
			// Results ended by the pre-flight carry the environment and a
			// code beside every piece of advice, as every other result.
			var env struct {
				OS     string                 `json:"os"`
				Module *struct{ Path string } `json:"module"`
			}
			if err := json.Unmarshal(doc["environment"], &env); err != nil || env.OS == "" || env.Module == nil || env.Module.Path != spyModule {
				t.Errorf("environment %s (%v)", doc["environment"], err)
			}
			var advice, codes []string
			json.Unmarshal(doc["advice"], &advice)
			json.Unmarshal(doc["advice_codes"], &codes)
			if len(advice) != len(codes) || codes == nil {
				t.Errorf("advice codes %q for advice %q", codes, advice)
			}
		})
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
