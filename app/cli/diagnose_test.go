package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token/pcsc"
)

// diagDoc is the part of `diagnose --json` the tests read.
type diagDoc struct {
	Service struct {
		State string  `json:"state"`
		Error *string `json:"error"`
	} `json:"service"`
	Versions []struct{ Name, Version string } `json:"versions"`
	Readers  []struct {
		Name        string   `json:"name"`
		CardPresent bool     `json:"card_present"`
		ATR         string   `json:"atr"`
		CardNames   []string `json:"card_names"`
		CardType    string   `json:"card_type"`
		Tokens      []struct {
			Module, Label, Serial string
			Listed                bool `json:"listed"`
		} `json:"tokens"`
	} `json:"readers"`
	Tokens []struct {
		Label, Serial, Reader string
		PINState              string `json:"pin_state"`
		Certificates          []struct{ Subject, Serial string }
	} `json:"tokens"`
	Diagnosis []struct {
		Code, Reader, Card, Command, Message string
		Suggest                              []struct {
			Name, Path string
			Loaded     bool
		}
	} `json:"diagnosis"`
	Redacted bool `json:"redacted"`
}

// emulatedCardName is what the test's ATR list (in $HOME, where
// pcsc-tools looks too) calls the emulated card.
const emulatedCardName = "cardcheck emulated PIV card (build/pivemu)"

// cardCLI runs cardcheck as a separate process against the card stack,
// so that libpcsclite and OpenSC in it reach the stack's pcscd (they read
// PCSCLITE_CSOCK_NAME once per process).
type cardCLI struct {
	t    *testing.T
	env  []string
	home string
}

func newCardCLI(t *testing.T, st *cardstack.Stack, extraEnv ...string) *cardCLI {
	t.Helper()
	home := t.TempDir()
	list := "# the emulated card of the tests\n" + pcsc.FormatATR(st.Card.ATR()) + "\n\t" + emulatedCardName + "\n\n"
	if err := os.MkdirAll(filepath.Join(home, ".cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".cache", "smartcard_list.txt"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(append(os.Environ(), st.Env...), extraEnv...)
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), helperEnv+"=1")
	return &cardCLI{t: t, env: env, home: home}
}

func (c *cardCLI) run(args ...string) (int, string, string) {
	c.t.Helper()
	return c.runIn("", args...)
}

func (c *cardCLI) runIn(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("cardcheck %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

func (c *cardCLI) diagnose(args ...string) (diagDoc, string) {
	c.t.Helper()
	code, out, errs := c.run(append([]string{"diagnose", "--json"}, args...)...)
	if code != 0 {
		c.t.Fatalf("diagnose exit %d: %s", code, errs)
	}
	var d diagDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		c.t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return d, out
}

func startCardStack(t *testing.T) *cardstack.Stack {
	t.Helper()
	if m := cardstack.Missing(cardstack.Options{}); m != nil {
		t.Fatal(strings.Join(m, "\n"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := cardstack.Start(ctx, cardstack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDiagnoseThroughTheCardStack: diagnose lists the emulated reader with
// its ATR and card name and ties it to its OpenSC token; redacted by
// default (no name, serial or token serial of the card's certificates),
// complete with --full; with only SoftHSM it says no module shows the
// card; with pcscd stopped it says the service is not running.
func TestDiagnoseThroughTheCardStack(t *testing.T) {
	st := startCardStack(t)
	cli := newCardCLI(t, st)
	reader := cardstack.ReaderName + " 00 00"

	full, fullOut := cli.diagnose("--module", st.Module, "--full")
	if full.Service.State != "running" || full.Redacted {
		t.Fatalf("service %+v, redacted %v", full.Service, full.Redacted)
	}
	var found bool
	for _, r := range full.Readers {
		if r.Name != reader {
			continue
		}
		found = true
		if !r.CardPresent || r.ATR != pcsc.FormatATR(st.Card.ATR()) || len(r.CardNames) == 0 || r.CardNames[0] != emulatedCardName || r.CardType != "PIV" {
			t.Errorf("reader %+v", r)
		}
		if len(r.Tokens) != 1 || !r.Tokens[0].Listed || r.Tokens[0].Module != st.Module || r.Tokens[0].Serial == "" {
			t.Errorf("reader's tokens %+v", r.Tokens)
		}
	}
	if !found {
		t.Fatalf("no reader %q in %+v", reader, full.Readers)
	}
	if len(full.Tokens) != 1 || full.Tokens[0].Reader != reader || full.Tokens[0].PINState != "ok" || len(full.Tokens[0].Certificates) != 2 {
		t.Fatalf("tokens %+v", full.Tokens)
	}
	if len(full.Diagnosis) != 0 {
		t.Errorf("findings for a working card: %+v", full.Diagnosis)
	}
	tokenSerial := full.Tokens[0].Serial
	secrets := []string{cardstack.AuthCN, cardstack.SignCN, cardstack.CACN, "cardcheck card stack", tokenSerial,
		st.PKI.Auth.Cert.SerialNumber.Text(16), st.PKI.Sign.Cert.SerialNumber.Text(16)}
	for _, s := range secrets {
		if !strings.Contains(fullOut, s) {
			t.Errorf("--full lacks %q", s)
		}
	}

	red, redOut := cli.diagnose("--module", st.Module)
	_, redText, _ := cli.run("diagnose", "--module", st.Module)
	if !red.Redacted || len(red.Tokens) != 1 || !strings.Contains(redText, emulatedCardName) {
		t.Fatalf("redacted %v, %d tokens; text:\n%s", red.Redacted, len(red.Tokens), redText)
	}
	for _, s := range secrets {
		for name, out := range map[string]string{"JSON": redOut, "text": redText} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
				t.Errorf("redacted %s contains %q", name, s)
			}
		}
	}
	t.Logf("redacted text report:\n%s", redText)

	t.Run("no module for the card", func(t *testing.T) {
		rig := testrig.Shared(t)
		soft := newCardCLI(t, st, rig.Env...)
		d, _ := soft.diagnose("--module", rig.Module)
		var f *struct {
			Code, Reader, Card, Command, Message string
			Suggest                              []struct {
				Name, Path string
				Loaded     bool
			}
		}
		for i := range d.Diagnosis {
			if d.Diagnosis[i].Code == "no-module-for-card" {
				f = &d.Diagnosis[i]
			}
		}
		if f == nil || f.Reader != reader || f.Card != emulatedCardName || len(f.Suggest) == 0 ||
			f.Suggest[0].Name != "OpenSC" || f.Suggest[0].Loaded || f.Suggest[0].Path == "" {
			t.Fatalf("findings %+v", d.Diagnosis)
		}
		// tokens lists the SoftHSM tokens and says why the card is missing.
		code, out, errs := soft.run("tokens", "--module", rig.Module)
		if code != 0 || !strings.Contains(out, "Why a card may not be listed") || !strings.Contains(out, "no PKCS#11 module shows it") ||
			!strings.Contains(out, "--module "+f.Suggest[0].Path) {
			t.Errorf("tokens exit %d: %s\n%s", code, errs, out)
		}
		code, out, _ = soft.run("tokens", "--module", rig.Module, "--json")
		var td struct {
			Readers   []struct{ Name string } `json:"readers"`
			Diagnosis []struct{ Code string } `json:"diagnosis"`
		}
		if err := json.Unmarshal([]byte(out), &td); err != nil || code != 0 || len(td.Readers) != 2 || len(td.Diagnosis) != 1 || td.Diagnosis[0].Code != "no-module-for-card" {
			t.Errorf("tokens --json exit %d (%v): readers %+v diagnosis %+v", code, err, td.Readers, td.Diagnosis)
		}
	})

	t.Run("check --diagnose", func(t *testing.T) {
		srv := testservers.Serve(t, serve.Config{CertFile: st.PKI.ServerCertFile, KeyFile: st.PKI.ServerKeyFile, ClientCAFile: st.PKI.CAFile})
		code, out, errs := cli.runIn(cardstack.PIN+"\n", "check", "--url", srv.URL, "--module", st.Module, "--cert", "pkcs11:id=%01",
			"--pin-stdin", "--ca", st.PKI.CAFile, "--json", "--diagnose")
		var res struct {
			Verdict   string  `json:"verdict"`
			Diagnosis diagDoc `json:"diagnosis"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Verdict != "accepted" {
			t.Fatalf("exit %d (%v), verdict %q: %s\n%s", code, err, res.Verdict, errs, out)
		}
		if strings.Contains(out+errs, cardstack.PIN) {
			t.Fatal("the PIN is in the output")
		}
		d := res.Diagnosis
		if d.Service.State != "running" || d.Redacted || len(d.Tokens) != 1 || d.Tokens[0].Reader != reader {
			t.Fatalf("diagnosis: service %+v, redacted %v, tokens %+v", d.Service, d.Redacted, d.Tokens)
		}
	})

	t.Run("service not running", func(t *testing.T) {
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		d, _ := cli.diagnose("--module", st.Module)
		if d.Service.State != "not-running" || len(d.Diagnosis) == 0 || d.Diagnosis[0].Code != "service-not-running" || d.Diagnosis[0].Command == "" {
			t.Fatalf("service %+v, findings %+v", d.Service, d.Diagnosis)
		}
		code, out, _ := cli.run("tokens", "--module", st.Module)
		if code != 0 || !strings.Contains(out, "The smart-card service is not running") {
			t.Errorf("tokens exit %d:\n%s", code, out)
		}
	})
}
