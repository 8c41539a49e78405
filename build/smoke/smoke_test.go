//go:build linux

// Package smoke starts the real cardcheck binary under Xvfb and drives one
// full test with xdotool: the certificate of the test rig is selected, the
// URL of a real `cardcheck serve` typed, Enter pressed, the PIN typed in the
// dialog. It takes a screenshot at each step (build/smoke/out/, light and
// dark theme) and logs how long the window took to show the token list
// and how much memory the idle program uses.
//
// The test knows what the window is doing from the GUI's event log
// (ui.EventLogEnv), written into a FIFO: it waits on lines, not on time.
//
// Needs Xvfb, xdotool and ImageMagick's import (build/deps.sh test).
package smoke

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/ui"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// stepLimit bounds each wait; a cold start of the GL driver under
// llvmpipe takes well under a second here.
const stepLimit = 60 * time.Second

// outDir receives the screenshots (ignored by git).
const outDir = "out"

func TestGUISmoke(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run build/deps.sh test (make test does)", tool)
		}
	}
	rig := testrig.Shared(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	display := startXvfb(t)
	url := startServe(t, bin, rig)
	certURI := ec256URI(t, bin, rig)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, theme := range []string{"light", "dark"} {
		t.Run(theme, func(t *testing.T) {
			runGUI(t, guiRun{bin: bin, rig: rig, display: display, url: url, certURI: certURI, theme: theme})
		})
	}
}

// guiRun is one start of the GUI.
type guiRun struct {
	bin, display, url, certURI, theme string
	rig                               *testrig.Rig
}

func runGUI(t *testing.T, g guiRun) {
	dir := t.TempDir()
	writePreferences(t, dir, g)
	events := openEvents(t, filepath.Join(dir, "events"))

	env := append(append([]string{}, g.rig.Env...), "DISPLAY="+g.display, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR="+dir, "FYNE_THEME="+g.theme, ui.EventLogEnv+"="+filepath.Join(dir, "events"))
	cmd := exec.Command(g.bin)
	start, exited := launch(t, "cardcheck", cmd, env)

	ev := events.wait(t, exited, "tokens", func(e event) bool { return e.Certificates > 0 })
	firstList := time.UnixMilli(ev.UnixMs).Sub(start)
	win := xdo(t, g.display, "search", "--sync", "--onlyvisible", "--name", "^cardcheck$")
	win = strings.Fields(win)[0]
	rss := vmRSS(t, cmd.Process.Pid)
	t.Logf("%s theme: start to token list shown %v; %d tokens, %d certificates; idle RSS %d MB",
		g.theme, firstList.Round(time.Millisecond), ev.Tokens, ev.Certificates, rss/1024)
	screenshot(t, g.display, "1-tokens-"+g.theme)

	xdo(t, g.display, "windowfocus", "--sync", win)
	xdo(t, g.display, "key", "--clearmodifiers", "ctrl+a") // the URL entry has the focus at start
	xdo(t, g.display, "type", "--delay", "15", g.url)
	xdo(t, g.display, "key", "Return")
	events.wait(t, exited, "pin-dialog", nil)
	screenshot(t, g.display, "2-pin-"+g.theme)
	xdo(t, g.display, "type", "--delay", "15", testrig.PIN)
	xdo(t, g.display, "key", "Return")
	res := events.wait(t, exited, "result", nil)
	if res.Verdict != "accepted" || res.Steps < 8 {
		t.Errorf("result: verdict %q with %d steps, want accepted with at least 8", res.Verdict, res.Steps)
	}
	screenshot(t, g.display, "3-result-"+g.theme)
	t.Logf("%s theme: RSS after one test %d MB", g.theme, vmRSS(t, cmd.Process.Pid)/1024)
}

// buildBinary builds cardcheck from the module root.
func buildBinary(t *testing.T, dir string) string {
	bin := filepath.Join(dir, "cardcheck")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startXvfb starts an X server on a display it picks itself (-displayfd
// writes the number once the server accepts connections).
func startXvfb(t *testing.T) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not start (display %q)", n)
		}
		return ":" + n
	case <-time.After(stepLimit):
		t.Fatal("Xvfb did not start in time")
	}
	return ""
}

// startServe runs `cardcheck serve` with the rig's server certificate and
// returns its URL, read from the line it prints when listening.
func startServe(t *testing.T, bin string, rig *testrig.Rig) string {
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--cert", rig.ServerCertFile,
		"--key", rig.ServerKeyFile, "--client-ca", rig.CAFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Listening on "); ok {
				url <- strings.Fields(rest)[0] + "/"
			}
		}
	}()
	select {
	case u := <-url:
		return u
	case <-time.After(stepLimit):
		t.Fatal("cardcheck serve did not start")
	}
	return ""
}

// ec256URI asks `cardcheck tokens --json` for the URI of the rig's ec256
// certificate, as the GUI will name it.
func ec256URI(t *testing.T, bin string, rig *testrig.Rig) string {
	cmd := rig.Command(context.Background(), bin, "tokens", "--module", rig.Module, "--json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cardcheck tokens: %v", err)
	}
	var doc struct {
		Tokens []struct {
			Label        string
			Certificates []struct{ ID, URI string }
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(rig.Entries[testrig.EC256].ID)
	for _, tok := range doc.Tokens {
		for _, c := range tok.Certificates {
			if tok.Label == testrig.MainToken && c.ID == want {
				return c.URI
			}
		}
	}
	t.Fatal("the ec256 certificate is not listed")
	return ""
}

// writePreferences prepares the GUI's preferences as a user who tested
// this certificate before would have them: the rig's module (added by
// hand), the CA file that verifies the test server, and the certificate
// used last, which the GUI selects at start.
func writePreferences(t *testing.T, dir string, g guiRun) {
	prefs := map[string]any{
		config.KeyModules:         []string{g.rig.Module},
		config.KeyCAFile:          g.rig.CAFile,
		config.KeyLastCertificate: g.certURI,
	}
	b, _ := json.Marshal(prefs)
	p := filepath.Join(dir, "config", "fyne", config.AppID, "preferences.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// event is one line of the GUI's event log.
type event struct {
	Event        string `json:"event"`
	UnixMs       int64  `json:"unix_ms"`
	Tokens       int    `json:"tokens"`
	Certificates int    `json:"certificates"`
	Verdict      string `json:"verdict"`
	Steps        int    `json:"steps"`
	On           bool   `json:"on"`         // explain
	Verdict12    string `json:"verdict_12"` // compare
	Verdict13    string `json:"verdict_13"`
	Steps12      int    `json:"steps_12"`
	Steps13      int    `json:"steps_13"`
	Messages12   int    `json:"messages_12"`
	Messages13   int    `json:"messages_13"`
	Tab          string `json:"tab"`
}

type eventStream struct{ ch chan event }

// openEvents makes a FIFO for the event log and reads it line by line.
// It is opened read-write so that opening never blocks and the reader
// sees no end of file between writers.
func openEvents(t *testing.T, path string) *eventStream {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	s := &eventStream{ch: make(chan event, 64)}
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				s.ch <- e
			}
		}
	}()
	return s
}

// wait returns the next event of that name (matching cond, if given).
func (s *eventStream) wait(t *testing.T, exited <-chan struct{}, name string, cond func(event) bool) event {
	t.Helper()
	deadline := time.NewTimer(stepLimit)
	defer deadline.Stop()
	for {
		select {
		case e := <-s.ch:
			if e.Event == name && (cond == nil || cond(e)) {
				return e
			}
		case <-exited:
			t.Fatalf("cardcheck exited while waiting for %q", name)
		case <-deadline.C:
			t.Fatalf("timed out waiting for %q", name)
		}
	}
}

// xdo runs xdotool on the display.
func xdo(t *testing.T, display string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screenshot saves the screen as out/NAME.png.
func screenshot(t *testing.T, display, name string) {
	t.Helper()
	path := filepath.Join(outDir, name+".png")
	cmd := exec.Command("import", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot %s", abs)
}

// vmRSS reads a process's resident memory in kB.
func vmRSS(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	return 0
}

// launch starts the GUI with env added to this process's environment
// (accessibility bridge and D-Bus off: Xvfb has neither), stops it when
// the test ends, and shows its stderr when the test failed. It returns
// when it started and a channel closed when it exits.
func launch(t *testing.T, name string, cmd *exec.Cmd, env []string) (time.Time, chan struct{}) {
	t.Helper()
	cmd.Env = append(append(os.Environ(), env...), "NO_AT_BRIDGE=1", "DBUS_SESSION_BUS_ADDRESS=disabled:")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, stderr.String())
		}
	})
	return start, exited
}
