//go:build linux

package smoke

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/assets"
	"github.com/cardcheck/cardcheck/ui"
)

// TestDemoSmoke runs `cardcheck demo` under Xvfb as a trainer would, in
// the light and the dark theme: the first scenario (accepted, TLS 1.3) is
// chosen at start, Enter runs the test, Enter confirms the PIN dialog
// with the demo PIN filled in, and the verdict must be accepted. Then
// Explain (Ctrl+E), Compare TLS 1.2 and 1.3 (Ctrl+Shift+T, no second PIN)
// and What the server checks (Ctrl+L), with a screenshot of the window at
// each step: out/demo-*-THEME.png.
//
// It also checks the scenarios the GUI tests use (ui/testdata/
// demo_scenarios.json) against the real demo, and that en.json holds
// each scenario's description.
func TestDemoSmoke(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run build/deps.sh test (make test does)", tool)
		}
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	data := filepath.Join(dir, "data") // XDG_DATA_HOME: the demo is built once, then reused
	checkScenarios(t, bin, data)
	display := startXvfb(t)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) { runDemo(t, bin, data, display, theme) })
	}
}

func runDemo(t *testing.T, bin, data, display, theme string) {
	dir := t.TempDir()
	events := openEvents(t, filepath.Join(dir, "events"))
	env := []string{"DISPLAY=" + display, "XDG_DATA_HOME=" + data, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + dir, "FYNE_THEME=" + theme, ui.EventLogEnv + "=" + filepath.Join(dir, "events")}
	start, exited := launch(t, "cardcheck demo", exec.Command(bin, "demo"), env)

	ev := events.wait(t, exited, "tokens", func(e event) bool { return e.Certificates > 0 })
	t.Logf("%s theme: start to demo shown %v; %d certificates", theme, time.UnixMilli(ev.UnixMs).Sub(start).Round(time.Millisecond), ev.Certificates)
	win := strings.Fields(xdo(t, display, "search", "--sync", "--onlyvisible", "--name", "^cardcheck demo$"))[0]
	shoot := func(name string) { screenshotWindow(t, display, win, "demo-"+name+"-"+theme) }
	shoot("1-start")

	// Test connection: Enter in the URL entry, which has the focus.
	xdo(t, display, "windowfocus", "--sync", win)
	xdo(t, display, "key", "Return")
	events.wait(t, exited, "pin-dialog", nil)
	shoot("2-pin")
	xdo(t, display, "key", "Return") // OK, with the demo PIN filled in
	res := events.wait(t, exited, "result", nil)
	if res.Verdict != "accepted" || res.Steps < 8 {
		t.Fatalf("accepted-tls13: verdict %q with %d steps, want accepted", res.Verdict, res.Steps)
	}
	shoot("3-accepted")

	xdo(t, display, "key", "--clearmodifiers", "ctrl+e")
	events.wait(t, exited, "explain", func(e event) bool { return e.On })
	shoot("4-explain")
	xdo(t, display, "key", "--clearmodifiers", "ctrl+e")
	events.wait(t, exited, "explain", func(e event) bool { return !e.On })

	xdo(t, display, "key", "--clearmodifiers", "ctrl+shift+t")
	cmp := events.wait(t, exited, "compare", nil)
	// The handshakes themselves are fixed; the records after them (tickets,
	// HTTP) vary with timing, so only the handshake messages are compared.
	if cmp.Verdict12 != "accepted" || cmp.Verdict13 != "accepted" || cmp.Messages12 <= cmp.Messages13 {
		t.Errorf("compare: TLS 1.2 %s (%d handshake messages), TLS 1.3 %s (%d); want both accepted, more messages in TLS 1.2",
			cmp.Verdict12, cmp.Messages12, cmp.Verdict13, cmp.Messages13)
	}
	shoot("5-compare")

	xdo(t, display, "key", "--clearmodifiers", "ctrl+l")
	events.wait(t, exited, "tab", func(e event) bool { return e.Tab == "lesson" })
	shoot("6-lesson")
}

// checkScenarios runs `cardcheck demo --no-gui --json` (which builds the
// demo in data) and compares its scenarios with the GUI tests' fixture,
// and their descriptions with en.json.
func checkScenarios(t *testing.T, bin, data string) {
	cmd := exec.Command(bin, "demo", "--no-gui", "--json")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	var doc struct {
		Scenarios []struct {
			Name, Description, URL, Expect, TLS string
			CertURI                             string `json:"cert_uri"`
			CAFile                              string `json:"ca_file"`
		}
	}
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("demo --no-gui --json: %v\n%s%s", err, l, stderr.String())
		}
	case <-time.After(stepLimit):
		t.Fatalf("demo --no-gui --json printed nothing\n%s", stderr.String())
	}

	var fixture []map[string]string
	b, err := os.ReadFile("../../ui/testdata/demo_scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fixture); err != nil {
		t.Fatal(err)
	}
	var en map[string]any
	if b, err = assets.TranslationFile("en.json"); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) != len(fixture) {
		t.Errorf("the demo has %d scenarios, ui/testdata/demo_scenarios.json %d: update the file", len(doc.Scenarios), len(fixture))
	}
	for i, s := range doc.Scenarios {
		if _, ok := en[s.Description]; !ok {
			t.Errorf("en.json lacks the description of scenario %s (add it to ui/testdata/demo_scenarios.json and run the ui tests with -update-translations)", s.Name)
		}
		if i >= len(fixture) {
			continue
		}
		f := fixture[i]
		ca := ""
		if s.CAFile != "" {
			ca = filepath.Base(s.CAFile)
		}
		if f["name"] != s.Name || f["description"] != s.Description || f["cert_uri"] != s.CertURI || f["expect"] != s.Expect ||
			f["tls"] != s.TLS || f["ca_file"] != ca {
			t.Errorf("scenario %d differs from ui/testdata/demo_scenarios.json:\n demo    %s %q %s %s %s %s\n fixture %v", i, s.Name, s.Description, s.CertURI, s.Expect, s.TLS, ca, f)
		}
	}
}

// screenshotWindow saves one window as out/NAME.png.
func screenshotWindow(t *testing.T, display, win, name string) {
	t.Helper()
	path := filepath.Join(outDir, name+".png")
	cmd := exec.Command("import", "-window", win, path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot %s", abs)
}
