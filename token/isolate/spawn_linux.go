package isolate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bounds on what is read from a child: its answer is a few hundred bytes;
// a module printing without end must not cost memory.
const (
	maxAnswer = 64 << 10
	maxStderr = 8 << 10 // the tail: Go's report of a fatal signal ends the output
)

// Hook runs the internal command when this process was started as a
// child (`BINARY __probe-module PATH`) and exits; otherwise it returns.
// Call it first in main and in the TestMain of every test binary whose
// tests vet modules, so that tests exercise the real path.
func Hook() {
	if len(os.Args) > 1 && os.Args[1] == Command {
		os.Exit(Child(os.Args[2:], os.Stdout, os.Stderr))
	}
}

// spawn runs the child for path and classifies how it ended.
func (v *Vetter) spawn(ctx context.Context, path string) Result {
	exe := v.opt.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return Result{} // no way to isolate: load as before
		}
	}
	ctx, cancel := context.WithTimeout(ctx, v.opt.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, Command, path)
	// GOTRACEBACK=none: a fatal signal in the module is reported in two
	// lines instead of every goroutine's stack.
	cmd.Env = append(os.Environ(), "GOTRACEBACK=none")
	if os.Getenv("GORACE") == "" {
		// A binary built with -race (the tests) otherwise sleeps 1 s at exit.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	// Its own process group, so that helpers the module starts die with
	// it; and it dies with us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second // a helper holding our pipes open
	var out headBuffer
	var errb tailBuffer
	out.max, errb.max = maxAnswer, maxStderr
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return Result{}
	}
	werr := cmd.Wait()
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	return classify(out.Bytes(), errb.Bytes(), cmd.ProcessState, werr, timedOut, v.opt.Timeout)
}

// goSignal finds the signal in Go's report of a fatal signal in C code
// ("[signal SIGSEGV: segmentation violation …]" or "SIGABRT: abort"),
// compiled on first use (package init runs in every command).
var goSignal = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)(?:^\[signal |^)(SIG[A-Z0-9]+)[: ]`)
})

func classify(stdout, stderr []byte, ps *os.ProcessState, werr error, timedOut bool, timeout time.Duration) Result {
	var res Result
	var step string
	answered := false
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 4096), maxAnswer)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "step":
			step = rest
		case "result":
			answered = json.Unmarshal([]byte(rest), &res) == nil
		}
	}
	switch {
	case timedOut:
		return Result{Verdict: Hung, Step: step, Timeout: timeout}
	case ps == nil:
		return Result{} // it could not be waited for: load as before
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		return Result{Verdict: Crashed, Step: step, Signal: signalName(ws.Signal())}
	case ws.ExitStatus() == 2 && goSignal().Match(stderr):
		// Go's runtime turns a signal in C code into exit status 2.
		m := goSignal().FindAllSubmatch(stderr, -1)
		return Result{Verdict: Crashed, Step: step, Signal: string(m[len(m)-1][1])}
	case ws.ExitStatus() != 0:
		return Result{Verdict: Exited, Step: step, Status: ws.ExitStatus()}
	case !answered:
		return Result{Verdict: Broken, Step: step, Detail: "the check ended without an answer"}
	}
	switch res.Verdict {
	case OK, Failed, Unloadable, Broken:
		return res
	}
	return Result{Verdict: Broken, Step: step, Detail: "the check gave an answer cardcheck does not know"}
}

func signalName(s syscall.Signal) string {
	for _, n := range []struct {
		s    syscall.Signal
		name string
	}{{syscall.SIGSEGV, "SIGSEGV"}, {syscall.SIGBUS, "SIGBUS"}, {syscall.SIGABRT, "SIGABRT"},
		{syscall.SIGILL, "SIGILL"}, {syscall.SIGFPE, "SIGFPE"}, {syscall.SIGKILL, "SIGKILL"}, {syscall.SIGTERM, "SIGTERM"}} {
		if n.s == s {
			return n.name
		}
	}
	return s.String()
}

// headBuffer keeps the first max bytes written and drops the rest, never
// blocking the writer.
type headBuffer struct {
	buf []byte
	max int
}

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *headBuffer) Bytes() []byte { return b.buf }

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > b.max {
		p = p[len(p)-b.max:]
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return n, nil
}

func (b *tailBuffer) Bytes() []byte { return b.buf }

func identify(path string, st os.FileInfo) fileID {
	id := fileID{Path: path, Size: st.Size(), MTime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.CTime = time.Unix(sys.Ctim.Sec, sys.Ctim.Nsec).UnixNano()
		id.Inode, id.Dev = sys.Ino, sys.Dev
	}
	return id
}
