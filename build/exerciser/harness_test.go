//go:build linux

package exerciser

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stepLimit bounds each wait for an event. Generous: four windows share
// two cores under llvmpipe, and a deadline is a failure, not a delay.
const stepLimit = 60 * time.Second

// outDir receives the screenshots (ignored by git).
const outDir = "out"

// event is one line of the GUI's event log (ui/events.go).
type event struct {
	Event        string `json:"event"`
	UnixMs       int64  `json:"unix_ms"`
	FrameMs      int64  `json:"frame_ms"` // first painted
	Tokens       int    `json:"tokens"`
	Certificates int    `json:"certificates"`
	Verdict      string `json:"verdict"`
	Steps        int    `json:"steps"`
	On           bool   `json:"on"`
	Tab          string `json:"tab"`
	Name         string `json:"name"` // dialog, message
	Open         bool   `json:"open"`
	Compare      bool   `json:"compare"`
	Stage        string `json:"stage"`
	What         string `json:"what"`
	Kind         string `json:"kind"`
	Index        int    `json:"index"`
	Verdict12    string `json:"verdict_12"`
	Verdict13    string `json:"verdict_13"`

	Controls map[string][4]int `json:"controls"`
	Focus    string            `json:"focus"`
	Selected string            `json:"selected_row"`
	Dialogs  []string          `json:"dialogs"`
	Window   [2]int            `json:"window"`

	raw string
}

// short is the event without its layout, for messages.
func (e event) short() string {
	var m map[string]any
	if json.Unmarshal([]byte(e.raw), &m) != nil {
		return e.raw
	}
	delete(m, "controls")
	b, _ := json.Marshal(m)
	return string(b)
}

// is matches an event by name and, optionally, a condition.
func is(name string, cond ...func(event) bool) func(event) bool {
	return func(e event) bool {
		if e.Event != name {
			return false
		}
		for _, c := range cond {
			if !c(e) {
				return false
			}
		}
		return true
	}
}

func dialogIs(name string, open bool) func(event) bool {
	return is("dialog", func(e event) bool { return e.Name == name && e.Open == open })
}

// openEvents makes a FIFO for the event log and reads it line by line. It
// is opened read-write so that opening never blocks and the reader sees no
// end of file between writers (a process started by Try the demo inherits
// the variable and writes into the same FIFO).
func openEvents(t testing.TB, path string) chan event {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan event, 1024)
	t.Cleanup(func() { f.Close() })
	go func() {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				e.raw = sc.Text()
				ch <- e
			}
		}
	}()
	return ch
}

// display is one Xvfb server.
type display struct {
	name string // ":81"
	w, h int
}

// displayMu serialises picking display numbers between parallel subtests.
var displayMu sync.Mutex

// startXvfb starts an X server of that size on the first free display in
// 80–89 (other test suites on this machine use other numbers), or in the
// range EXERCISER_DISPLAYS names ("85-89": a run beside others that own
// the rest); -displayfd writes the number once the server accepts
// connections.
func startXvfb(t testing.TB, w, h int) *display {
	displayMu.Lock()
	defer displayMu.Unlock()
	from, to := displayRange(t)
	for n := from; n <= to; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		if d := tryXvfb(t, n, w, h); d != nil {
			return d
		}
	}
	t.Fatalf("no free X display in :%d–:%d", from, to)
	return nil
}

// displayRange is the range of display numbers startXvfb may use.
func displayRange(t testing.TB) (from, to int) {
	r := os.Getenv("EXERCISER_DISPLAYS")
	if r == "" {
		return 80, 89
	}
	a, b, ok := strings.Cut(r, "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || from > to {
		t.Fatalf("EXERCISER_DISPLAYS=%q: want FROM-TO, e.g. 85-89", r)
	}
	return from, to
}

func tryXvfb(t testing.TB, n, w, h int) *display {
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", ":"+strconv.Itoa(n), "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v (run build/deps.sh test)", err)
	}
	wr.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case s := <-num:
		if s == strconv.Itoa(n) {
			t.Cleanup(func() { cmd.Process.Kill(); <-exited })
			return &display{name: ":" + s, w: w, h: h}
		}
	case <-time.After(stepLimit):
	}
	cmd.Process.Kill()
	<-exited
	return nil
}

// xdo runs xdotool on the display.
func (d *display) xdo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// window waits for a visible window with exactly that title.
func (d *display) window(t *testing.T, title string) string {
	t.Helper()
	return strings.Fields(d.xdo(t, "search", "--sync", "--onlyvisible", "--name", "^"+title+"$"))[0]
}

// screenshot saves the whole screen as out/NAME.png.
func (d *display) screenshot(t *testing.T, name string) {
	t.Helper()
	path := filepath.Join(outDir, name+".png")
	cmd := exec.Command("import", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
}

// process is a started child that the test stops when it ends.
type process struct {
	cmd    *exec.Cmd
	start  time.Time
	exited chan struct{}
	stderr string // the file that receives its stderr
}

// launch starts a GUI process with env added (accessibility bridge and
// D-Bus off: Xvfb has neither), stops it when the test ends and shows its
// stderr when the test failed.
func launch(t testing.TB, name string, cmd *exec.Cmd, env []string) *process {
	t.Helper()
	cmd.Env = append(append(os.Environ(), env...), "NO_AT_BRIDGE=1", "DBUS_SESSION_BUS_ADDRESS=disabled:")
	// A file, not a pipe: cmd.Wait would wait for every process that
	// inherited a pipe (Try the demo's child does) to close it.
	errFile, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	p := &process{cmd: cmd, exited: make(chan struct{}), stderr: errFile.Name()}
	cmd.Stderr = errFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.stderr)
			t.Logf("%s stderr (last 3000 bytes):\n%s", name, tail(string(b), 3000))
		}
	})
	return p
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// syncBuffer is a strings.Builder safe for the process's writer and the
// test's reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// buildPackage builds a main package of this module into dir.
func buildPackage(t testing.TB, dir, pkg, name string) string {
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// procStat reads a process's CPU time (utime+stime, clock ticks) and
// resident memory (kB).
func procStat(pid int) (ticks int, rssKB int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces: fields count from after ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rssKB, _ = strconv.Atoi(strings.Fields(rest)[0])
		}
	}
	return ut + st, rssKB, nil
}

// idleWindow is how long a resting state is measured.
const idleWindow = 10 * time.Second

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// measureIdle measures the CPU ticks each process uses over idleWindow,
// all at once (the same seconds for the app and its baseline), and their
// resident memory at the end.
func measureIdle(t *testing.T, pids ...int) (ticks, rssKB []int) {
	t.Helper()
	start := make([]int, len(pids))
	for i, pid := range pids {
		tk, _, err := procStat(pid)
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		start[i] = tk
	}
	time.Sleep(idleWindow) // the measurement itself, not a wait for something
	for i, pid := range pids {
		tk, rss, err := procStat(pid)
		if err != nil {
			t.Fatalf("process %d ended during the idle measurement: %v", pid, err)
		}
		ticks = append(ticks, tk-start[i])
		rssKB = append(rssKB, rss)
	}
	return ticks, rssKB
}

// silentServer accepts TCP connections and never answers: a test against
// it runs until it is canceled.
func silentServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "https://" + l.Addr().String() + "/"
}

// closedPort is an address where nothing listens: connection refused.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr + "/"
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
