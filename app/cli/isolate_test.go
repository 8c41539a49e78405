package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// runProcess runs the CLI in a process of its own (this test binary, see
// TestMain) with extra environment, and returns its exit code, output
// and wall time.
func runProcess(t *testing.T, env []string, stdin string, args ...string) (int, string, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(append(os.Environ(), env...), childArgs+"="+strings.Join(args, "\n"))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if cmd.ProcessState == nil {
		t.Fatalf("cardcheck %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String(), took
}

// registerModules writes p11-kit module files for paths into a fresh
// user configuration (HOME and XDG_CONFIG_HOME point at a temporary
// folder for the rest of the test), as `~/.config/pkcs11/modules/`.
func registerModules(t *testing.T, paths ...string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	dir := filepath.Join(home, ".config", "pkcs11", "modules")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		file := filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".so")+".module")
		if err := os.WriteFile(file, []byte("module: "+p+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Issue 10's acceptance: broken modules registered for the user (a NULL
// function list, a crash in C_Initialize, a hang in C_GetSlotList) are
// listed with their reason, and `tokens`, `check` and the other modules
// (the rig's SoftHSM) keep working — in this very process, which would
// have died loading them.
func TestBrokenRegisteredModulesLeaveTheOthersWorking(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	broken := map[string]string{
		tokentest.BuildBroken(t, tokentest.NullFunctionList): "C_GetFunctionList returned no function list; cardcheck did not load it",
		tokentest.BuildBroken(t, tokentest.CrashInInit):      "The module crashed (SIGSEGV) while starting (in C_Initialize); cardcheck did not load it",
		tokentest.BuildBroken(t, tokentest.HangInSlotList):   "The module did not answer within 5 s while listing its slots (in C_GetSlotList)",
	}
	var paths []string
	for p := range broken {
		paths = append(paths, p)
	}
	registerModules(t, paths...)

	start := time.Now()
	code, out, errs := run(t, "", "tokens", "--json")
	if took := time.Since(start); code != 0 || took > 10*time.Second {
		t.Fatalf("tokens: exit %d after %v: %s", code, took, errs)
	}
	d := decode(t, out)
	listed := map[string]bool{}
	for _, m := range d.Modules {
		if want, ok := broken[m.Path]; ok {
			listed[m.Path] = true
			if m.Error == nil || !strings.Contains(*m.Error, want) {
				t.Errorf("%s: error %v, want %q", filepath.Base(m.Path), m.Error, want)
			}
		}
	}
	if len(listed) != len(broken) {
		t.Errorf("broken modules listed: %v of %d", listed, len(broken))
	}
	found := false
	for _, tok := range d.Tokens {
		found = found || tok.Label == testrig.MainToken && tok.Module == rig.Module
	}
	if !found {
		t.Errorf("the rig's token is not listed next to the broken modules: %s", out)
	}

	// The answers are cached (check does not wait for the hanging module).
	start = time.Now()
	code, out, errs = run(t, testrig.PIN+"\n", "check", "--url", srv.URL, "--cert", certURI(testrig.EC256),
		"--pin-stdin", "--ca", rig.ChainFile, "--json")
	var res struct{ Verdict string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Verdict != "accepted" {
		t.Fatalf("check: exit %d, verdict %q (%v): %s", code, res.Verdict, err, errs)
	}
	t.Logf("check took %v", time.Since(start))
	cache, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "cardcheck", "modules.json"))
	for p := range broken {
		if !bytes.Contains(cache, []byte(p)) {
			t.Errorf("%s is not in the cache (%v)", filepath.Base(p), err)
		}
	}
}

// `check --timeout 3s` with a module that takes 20 s in C_GetSlotList ends
// within the timeout and a second, naming the module — both when the
// vetting child meets the slowness, and when the module passed the vetting
// (cached) and slows down in the process that loaded it.
func TestTimeoutBoundsASlowModule(t *testing.T) {
	slow := tokentest.BuildBroken(t, tokentest.SlowSlotList)
	arm := filepath.Join(t.TempDir(), "armed")
	env := []string{tokentest.ArmEnv + "=" + arm}
	args := []string{"check", "--url", "https://127.0.0.1:1/", "--module", slow, "--timeout", "3s"}
	if err := os.WriteFile(arm, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs, took := runProcess(t, env, "", args...)
	if code != 2 || !strings.Contains(errs, "The module did not answer within 3 s while listing its slots (in C_GetSlotList)") || took > 4*time.Second {
		t.Errorf("slow from the start: exit %d after %v: %s", code, took, errs)
	}

	slow = tokentest.BuildBroken(t, tokentest.SlowSlotList) // a new file: vetted afresh
	args[4] = slow
	if err := os.Remove(arm); err != nil {
		t.Fatal(err)
	}
	if code, _, errs, _ := runProcess(t, env, "", "tokens", "--module", slow, "--json"); code != 0 {
		t.Fatalf("tokens with the module not slow yet: exit %d: %s", code, errs)
	}
	if err := os.WriteFile(arm, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs, took = runProcess(t, env, "", args...)
	if code != 2 || !strings.Contains(errs, "The module did not answer within 3s (C_GetSlotList)") || took > 4*time.Second {
		t.Errorf("slow after the vetting: exit %d after %v: %s", code, took, errs)
	}
}

// pkcs11-spy sees no C_Login for a PIN longer than the token accepts
// (SoftHSM: 255 bytes) or shorter, nor for a certificate known unusable
// (its bytes are not a certificate); the right PIN with a good
// certificate costs exactly one.
func TestNoLoginThatCannotHelp(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	for _, tc := range []struct {
		name, pin, cert, kind string
		logins                int
	}{
		{"PIN too long", strings.Repeat("7", 256), testrig.EC256, "pin-incorrect", 0},
		// Characters no hex digest, base64 or sentence of the output holds:
		// "123" turned up inside a SHA-256 now and then.
		{"PIN too short", "`^~", testrig.EC256, "pin-incorrect", 0},
		{"unreadable certificate", testrig.PIN, testrig.Garbage, "certificate", 0},
		{"good", testrig.PIN, testrig.EC256, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spyLog := filepath.Join(t.TempDir(), "spy.log")
			if _, err := os.Stat(spyModule); err != nil {
				t.Fatalf("pkcs11-spy is missing (%v): run build/deps.sh test (package opensc-pkcs11)", err)
			}
			code, out, errs, _ := runProcess(t, append(append([]string{}, rig.Env...), "PKCS11SPY="+rig.Module, "PKCS11SPY_OUTPUT="+spyLog),
				tc.pin+"\n", "check", "--url", srv.URL, "--module", spyModule, "--cert", certURI(tc.cert),
				"--pin-stdin", "--ca", rig.ChainFile, "--timeout", "10s", "--json")
			if strings.Contains(out+errs, tc.pin) {
				t.Fatal("the PIN appears in the output")
			}
			var res struct {
				Verdict string
				Error   *struct{ Kind, Message string }
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("exit %d, not JSON (%v): %s %s", code, err, out, errs)
			}
			log, err := os.ReadFile(spyLog)
			if err != nil {
				t.Fatal(err)
			}
			kind := ""
			if res.Error != nil {
				kind = res.Error.Kind
			}
			if logins := strings.Count(string(log), "C_Login"); logins != tc.logins || kind != tc.kind {
				t.Errorf("%d C_Login, error %+v; want %d, %q", logins, res.Error, tc.logins, tc.kind)
			}
		})
	}
}
