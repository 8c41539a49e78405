// Package e2e runs the real cardcheck binary end to end: the offline demo
// and `check --json` against every demo scenario.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/testbin"
)

// The binary is built on first use (testbin): a -run that selects no e2e
// test builds nothing.
func TestMain(m *testing.M) { testbin.Main(m) }

type demoDoc struct {
	Module    string `json:"module"`
	TokenURI  string `json:"token_uri"`
	PIN       string `json:"pin"`
	Conf      string `json:"softhsm2_conf"`
	Scenarios []struct {
		Name, Description, URL string
		CAFile                 string `json:"ca_file"`
		CertURI                string `json:"cert_uri"`
		Expect                 string `json:"expect"`
	} `json:"scenarios"`
}

// startDemo runs `cardcheck demo --no-gui --json` with its own data
// directory and returns the line it printed.
func startDemo(t *testing.T, dataHome string, extra ...string) demoDoc {
	t.Helper()
	cmd := exec.Command(testbin.Cardcheck(t), append([]string{"demo", "--no-gui", "--json"}, extra...)...)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dataHome)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopDemo(t, cmd) })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(60 * time.Second):
		t.Fatalf("demo printed nothing within 60 s; stderr: %s", stderr.String())
	}
	var d demoDoc
	if err := json.Unmarshal([]byte(line), &d); err != nil {
		t.Fatalf("demo line %q: %v; stderr: %s", line, err, stderr.String())
	}
	return d
}

// stopDemo interrupts the demo and expects a clean exit.
func stopDemo(t *testing.T, cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Error("demo did not stop on SIGINT")
	}
}

func TestEveryDemoScenarioGivesItsVerdict(t *testing.T) {
	d := startDemo(t, t.TempDir())
	if d.PIN == "" || d.Module == "" || d.Conf == "" || len(d.Scenarios) < 6 {
		t.Fatalf("demo line incomplete: %+v", d)
	}
	for _, sc := range d.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			args := []string{"check", "--url", sc.URL, "--cert", sc.CertURI, "--module", d.Module, "--pin-stdin", "--json", "--timeout", "20s"}
			if sc.CAFile != "" {
				args = append(args, "--ca", sc.CAFile)
			}
			cmd := exec.Command(testbin.Cardcheck(t), args...)
			cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+d.Conf)
			cmd.Stdin = strings.NewReader(d.PIN + "\n")
			out, err := cmd.Output()
			var exit *exec.ExitError
			code := 0
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			var res struct {
				Verdict, Summary string
				Error            *struct{ Kind, Message string }
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("check output: %v\n%s", err, out)
			}
			wantCode := 1
			if sc.Expect == "accepted" {
				wantCode = 0
			}
			if res.Verdict != sc.Expect || code != wantCode {
				t.Fatalf("%s: verdict %s (exit %d), want %s (exit %d): %s %+v", sc.Description, res.Verdict, code, sc.Expect, wantCode, res.Summary, res.Error)
			}
		})
	}
}

func TestDemoIsBuiltOnceAndResetRebuilds(t *testing.T) {
	home := t.TempDir()
	state := filepath.Join(home, "cardcheck", "demo", "state.json")
	startDemoOnce := func(extra ...string) {
		t.Helper()
		cmd := exec.Command(testbin.Cardcheck(t), append([]string{"demo", "--no-gui", "--json"}, extra...)...)
		cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+home)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if !strings.HasPrefix(line, "{") {
			t.Fatalf("no JSON line: %q", line)
		}
		stopDemo(t, cmd)
	}
	startDemoOnce()
	first, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	startDemoOnce()
	second, _ := os.ReadFile(state)
	if !bytes.Equal(first, second) {
		t.Fatal("a second start rebuilt the demo")
	}
	startDemoOnce("--reset")
	third, _ := os.ReadFile(state)
	if bytes.Equal(first, third) {
		t.Fatal("--reset did not rebuild the demo (the CRL port in state.json is unchanged)")
	}
}
