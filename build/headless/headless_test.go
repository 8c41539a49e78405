// Package headless checks the CLI-only build (go build -tags headless): it
// links no Fyne, GL, X11 or Wayland, so it starts on a server or in a
// minimal container, and it runs the commands that need no window.
package headless

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/build/testbin"
)

// guiPackages are import paths (as go list prints them) that mean a window.
var guiPackages = regexp.MustCompile(`(?m)^(fyne\.io/|github\.com/go-gl/|github\.com/fyne-io/|.*x11|.*wayland)`)

// guiLibraries are shared libraries (as ldd prints them) that mean a window.
var guiLibraries = regexp.MustCompile(`(?m)^\s*(libGL|libEGL|libX|libxcb|libwayland|libxkbcommon)`)

func TestHeadlessBuildLinksNoWindowSystem(t *testing.T) {
	if !guiPackages.MatchString(goCmd(t, "list", "-deps", ".")) {
		t.Fatal("the desktop build's imports do not match guiPackages: the pattern is stale")
	}
	out := goCmd(t, "list", "-deps", "-tags", "headless", ".")
	if m := guiPackages.FindAllString(out, -1); len(m) > 0 {
		t.Fatalf("the headless build imports %v", m)
	}
	bin := buildHeadless(t)
	ldd, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil && !strings.Contains(string(ldd), "not a dynamic executable") {
		t.Fatalf("ldd: %v\n%s", err, ldd)
	}
	if m := guiLibraries.FindAllString(string(ldd), -1); len(m) > 0 {
		t.Fatalf("the headless binary needs %v:\n%s", m, ldd)
	}
}

func TestHeadlessBuildRunsCommands(t *testing.T) {
	bin := buildHeadless(t)
	if out, code := run(t, bin, "--version"); code != 0 || !strings.HasPrefix(out, "cardcheck ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	out, code := run(t, bin, "tokens", "--json")
	var doc struct {
		Modules []json.RawMessage `json:"modules"`
		Tokens  []json.RawMessage `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.Modules == nil {
		t.Errorf("tokens --json: exit %d, %v: %q", code, err, out)
	}
}

// Without a command, and for the demo's window, the headless build says
// what it lacks and what to use instead, with the usage exit status.
func TestHeadlessBuildExplainsTheMissingWindow(t *testing.T) {
	bin := buildHeadless(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"no desktop window", "cardcheck tokens", "demo --no-gui", "desktop build"}},
		{[]string{"demo"}, []string{"no GUI", "cardcheck demo --no-gui"}},
	} {
		out, code := run(t, bin, c.args...)
		for _, w := range c.want {
			if code != 2 || !strings.Contains(out, w) {
				t.Errorf("cardcheck %v: exit %d, want 2 and %q in:\n%s", c.args, code, w, out)
			}
		}
	}
}

func TestMain(m *testing.M) { testbin.Main(m) }

// buildHeadless returns the headless binary, built once on first use.
func buildHeadless(t *testing.T) string { return testbin.Cardcheck(t, "headless") }

// goCmd runs the go command in the module root.
func goCmd(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("go %v: %v\n%s", args, err, stderr)
	}
	return string(out)
}

// run runs bin in an empty environment apart from PATH and HOME (no
// DISPLAY: a server has none) and returns its combined output and exit
// status.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}
