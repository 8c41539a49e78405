//go:build !windows

package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

// onPTY is cardcheck running on a pseudo-terminal, as a person runs it:
// standard input, output and error are the terminal, which is also its
// controlling terminal. The test keeps its own descriptor of the terminal
// so that the terminal's settings outlive the process and can be checked.
type onPTY struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    strings.Builder
	more   chan struct{} // a token after each read from the terminal
	exited chan struct{}
	code   int
	pid    int
}

// patience bounds every wait; a test that passes never waits for it.
const patience = 30 * time.Second

func startOnPTY(t *testing.T, rig *testrig.Rig, args ...string) *onPTY {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), rig.Env...), helperEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &onPTY{t: t, master: master, more: make(chan struct{}, 1), exited: make(chan struct{}), pid: cmd.Process.Pid}
	go p.read()
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		tty.Close()
		master.Close()
	})
	return p
}

func (p *onPTY) read() {
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// output is everything the terminal showed so far.
func (p *onPTY) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the terminal shows s.
func (p *onPTY) waitFor(s string) {
	p.t.Helper()
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	for !strings.Contains(p.output(), s) {
		select {
		case <-p.more:
		case <-deadline.C:
			p.t.Fatalf("the terminal never showed %q; it shows:\n%s", s, p.output())
		}
	}
}

// typeKeys types on the terminal's keyboard.
func (p *onPTY) typeKeys(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to end and returns its exit code.
func (p *onPTY) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(patience):
		p.t.Fatalf("cardcheck did not end; the terminal shows:\n%s", p.output())
		return -1
	}
}

// echoIsOn proves the terminal echoes again after cardcheck ended: what
// is typed now comes back on the screen.
func (p *onPTY) echoIsOn() {
	p.t.Helper()
	p.typeKeys("echo-is-back\n")
	p.waitFor("echo-is-back")
}

// waitForPrompt waits for the PIN prompt of the main token; its PIN state
// is "ok", or "count low" after another test's wrong PIN.
func (p *onPTY) waitForPrompt() {
	p.t.Helper()
	p.waitFor(`PIN for "` + testrig.MainToken + `" (PIN state: `)
	p.waitFor("): ")
}

// On a terminal, with no flag at all, check asks for the PIN, shows the
// token and its PIN state, does not echo what is typed, and restores the
// terminal afterwards. The PIN never appears on the screen.
func TestPINPromptOnATerminal(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	p := startOnPTY(t, rig, "check", "--url", srv.URL, "--module", rig.Module, "--cert", certURI(testrig.EC256), "--ca", rig.ChainFile)
	p.waitForPrompt()
	p.typeKeys(testrig.PIN + "\r")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	p.waitFor("VERDICT: ACCEPTED")
	p.waitFor("Timings: ") // the end of the report
	out := p.output()
	if strings.Contains(out, testrig.PIN) || strings.Contains(out, strings.Repeat("*", len(testrig.PIN))) {
		t.Fatalf("the PIN (or a mask of it) was echoed:\n%s", out)
	}
	p.echoIsOn()
}

// --pin-stdin on a terminal asks too; a wrong PIN is reported, and it
// appears nowhere.
func TestPINStdinOnATerminalAsks(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	p := startOnPTY(t, rig, "check", "--url", srv.URL, "--module", rig.Module, "--cert", certURI(testrig.EC256),
		"--ca", rig.ChainFile, "--pin-stdin", "--json")
	p.waitForPrompt()
	const wrong = "0000-wrong"
	p.typeKeys("x\x7f" + wrong + "\r") // a typo, Backspace, then the (wrong) PIN
	if code := p.wait(); code != 1 {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	p.waitFor(`"kind": "pin-incorrect"`)
	p.waitFor(`"environment"`) // the end of the JSON
	if out := p.output(); strings.Contains(out, wrong) {
		t.Fatalf("the PIN was echoed:\n%s", out)
	}
	p.echoIsOn()
}

// Ctrl+C at the prompt cancels: nothing is sent to the card, the terminal
// echoes again.
func TestPINPromptCtrlC(t *testing.T) {
	rig := testrig.Shared(t)
	p := startOnPTY(t, rig, "check", "--url", "https://127.0.0.1:1/", "--module", rig.Module, "--cert", certURI(testrig.EC256))
	p.waitForPrompt()
	p.typeKeys("zq9\x03")
	if code := p.wait(); code != 1 {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	p.waitFor("canceled")
	if out := p.output(); strings.Contains(out, "zq9") {
		t.Errorf("after Ctrl+C:\n%s", out)
	}
	p.echoIsOn()
}

// A signal from outside (the terminal closed, kill) at the prompt also
// restores the terminal before cardcheck ends.
func TestPINPromptSignalRestoresTheTerminal(t *testing.T) {
	rig := testrig.Shared(t)
	p := startOnPTY(t, rig, "tokens", "--module", rig.Module, "--token", testrig.MainToken, "--pin-stdin")
	p.waitForPrompt()
	if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != 1 {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	p.waitFor("The PIN entry was canceled")
	p.echoIsOn()
}
