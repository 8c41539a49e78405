package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/build/pivemu"
)

// TestCheckReportsCardPulledOut: the emulated card is pulled out of its
// reader the moment it receives the handshake's signature command (an
// emulator trigger, not a timer), while the real `cardcheck check --json`
// process runs against a real `cardcheck serve` through pcscd and
// OpenSC. check reports error.kind token-removed, in TLS 1.2 and 1.3;
// with the card back in, the next test is accepted.
func TestCheckReportsCardPulledOut(t *testing.T) {
	st := startCardStack(t)
	cli := newCardCLI(t, st)
	url := cli.serve(st)
	check := func(t *testing.T, version string) (int, checkDoc, string) {
		t.Helper()
		code, out, errs := cli.runIn(cardstack.PIN+"\n", "check", "--url", url, "--module", st.Module, "--cert", "pkcs11:id=%01",
			"--pin-stdin", "--ca", st.PKI.CAFile, "--tls", version, "--json")
		var d checkDoc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("check exit %d: not JSON (%v): %s\n%s", code, err, errs, out)
		}
		if strings.Contains(out+errs, cardstack.PIN) {
			t.Fatal("the PIN is in the output")
		}
		return code, d, errs
	}
	for _, version := range []string{"1.2", "1.3"} {
		t.Run("TLS"+version, func(t *testing.T) {
			st.Card.ClearStats()
			pulled := st.Reader.RemoveOn(pivemu.IsSignature)
			start := time.Now()
			code, d, errs := check(t, version)
			t.Logf("check with the card pulled out: %v, error %+v, timings %+v", time.Since(start).Round(time.Millisecond), d.Error, d.Timings)
			select {
			case <-pulled:
			default:
				t.Fatalf("the card never received the signature; verdict %s, error %+v\n%s", d.Verdict, d.Error, errs)
			}
			if code != 1 || d.Error == nil || d.Error.Kind != "token-removed" {
				t.Fatalf("exit %d, verdict %s, error %+v; want exit 1 and token-removed\n%s", code, d.Verdict, d.Error, errs)
			}
			if s := st.Card.Stats(); s.Signatures != 0 || s.VerifyWrong != 0 {
				t.Errorf("card counters %+v", s)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start = time.Now()
			if err := st.Reader.Insert(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("card back in: %v", time.Since(start).Round(time.Millisecond))
			start = time.Now()
			defer func() { t.Logf("check with the card back: %v", time.Since(start).Round(time.Millisecond)) }()
			if code, d, errs := check(t, version); code != 0 || d.Verdict != "accepted" {
				t.Fatalf("with the card back: exit %d, verdict %s, error %+v\n%s", code, d.Verdict, d.Error, errs)
			}
		})
	}
}

// checkDoc is the part of `check --json` these tests read.
type checkDoc struct {
	Verdict string             `json:"verdict"`
	Timings map[string]float64 `json:"timings"`
	Error   *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
}

// serve runs `cardcheck serve` as its own process with the stack's
// server certificate and CA, and returns its URL.
func (c *cardCLI) serve(st *cardstack.Stack) string {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--cert", st.PKI.ServerCertFile,
		"--key", st.PKI.ServerKeyFile, "--client-ca", st.PKI.CAFile)
	cmd.Env = c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		// The rest (one line per test) is not read: drain it so serve never blocks.
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l := <-line:
		m := regexp.MustCompile(`Listening on (https://\S+)`).FindStringSubmatch(l)
		if m == nil {
			c.t.Fatalf("serve printed %q", l)
		}
		return m[1] + "/"
	case <-time.After(30 * time.Second):
		c.t.Fatal("serve did not start within 30 s")
	}
	return ""
}
