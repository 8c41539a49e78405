package testservers

import (
	"context"
	"crypto/tls"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// process is a server subprocess.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // Wait's result, valid after exited
}

// startProcess starts cmd and stops it when the test ends: SIGTERM, then
// SIGKILL if it has not exited after a few seconds.
func startProcess(t testing.TB, cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	return p, nil
}

func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitTLS waits until a TLS server at addr answers a ClientHello: a
// completed handshake or an alert both mean it is up. It gives up when the
// process exits or after startTimeout.
func (p *process) waitTLS(addr string) error {
	deadline := time.Now().Add(startTimeout)
	delay := 5 * time.Millisecond
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("the server exited: %v", p.err)
		default:
		}
		err := probeTLS(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no TLS answer from %s within %v: %v", addr, startTimeout, err)
		}
		select {
		case <-p.exited:
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// probeTLS makes one handshake without a client certificate and reports
// whether the server spoke TLS.
func probeTLS(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		c.Close()
		return nil
	}
	if _, ok := RemoteAlert(err); ok {
		return nil // it answered with an alert: it is up
	}
	return err
}

// startRetrying starts a server with start, which picks a free port and
// reports whether a failure was the port being taken meanwhile (retry).
// A few attempts cover that race; any other failure ends the test.
func startRetrying(t testing.TB, name string, start func() (*Server, bool, string)) *Server {
	t.Helper()
	const attempts = 5
	var last string
	for range attempts {
		s, retry, log := start()
		if s != nil {
			return s
		}
		if !retry {
			t.Fatalf("testservers: %s did not start:\n%s", name, log)
		}
		last = log
	}
	t.Fatalf("testservers: %s found no free port in %d attempts:\n%s", name, attempts, last)
	return nil
}
