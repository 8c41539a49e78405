// Package testbin builds the cardcheck binary for tests that run it as a
// child process, once per test process and build-tag set, on first use:
// a `go test` whose -run selects none of those tests builds nothing.
//
//	func TestMain(m *testing.M) { testbin.Main(m) }
//	...
//	bin := testbin.Cardcheck(t)             // the desktop build
//	bin := testbin.Cardcheck(t, "headless") // go build -tags headless
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	dir    string                // holds every binary built; removed by Main
	builds = map[string]*build{} // by tags
)

type build struct {
	once sync.Once
	path string
	err  error
}

// Cardcheck returns the path of cardcheck built with tags, building it on
// the first call; a failed build fails t.
func Cardcheck(t testing.TB, tags ...string) string {
	t.Helper()
	key := strings.Join(tags, ",")
	mu.Lock()
	b := builds[key]
	if b == nil {
		b = &build{}
		builds[key] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.path, b.err = compile(key) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// compile runs go build in the module root into the shared directory.
func compile(tags string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	mu.Lock()
	if dir == "" {
		dir, err = os.MkdirTemp("", "cardcheck-testbin-")
	}
	out := dir
	mu.Unlock()
	if err != nil {
		return "", err
	}
	name := "cardcheck"
	if tags != "" {
		name += "-" + strings.ReplaceAll(tags, ",", "-")
	}
	bin := filepath.Join(out, name)
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags %q: %v\n%s", tags, err, msg)
	}
	return bin, nil
}

// moduleRoot is the directory of cardcheck's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the cardcheck module")
	}
	return filepath.Dir(mod), nil
}

// Main is a TestMain that runs the tests and then removes the binaries.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	mu.Unlock()
	os.Exit(code)
}
