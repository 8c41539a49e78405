package cli_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/build/testrig"
)

// run runs the CLI in-process and returns exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Commands{}.Run(args, cli.IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

type tokensDoc struct {
	Environment envJSON `json:"environment"`
	Modules     []struct {
		Path, Description, Manufacturer string
		LibraryVersion                  string  `json:"library_version"`
		Error                           *string `json:"error"`
	} `json:"modules"`
	Tokens []struct {
		Module, Label, Manufacturer, Model, Serial string
		Flags                                      map[string]bool `json:"flags"`
		Mechanisms                                 []string        `json:"mechanisms"`
		Certificates                               []struct {
			Label, ID, URI, Subject, Issuer, Serial, SHA256, Key string
			NotBefore                                            string   `json:"not_before"`
			NotAfter                                             string   `json:"not_after"`
			HasPrivateKey                                        *bool    `json:"has_private_key"`
			Usable                                               bool     `json:"usable"`
			Problems                                             []string `json:"problems"`
			ParseError                                           *string  `json:"parse_error"`
		} `json:"certificates"`
	} `json:"tokens"`
}

func decode(t *testing.T, s string) tokensDoc {
	t.Helper()
	var d tokensDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return d
}

func TestTokensJSONListsTheRig(t *testing.T) {
	rig := testrig.Shared(t)
	code, out, errs := run(t, "", "tokens", "--module", rig.Module, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decode(t, out)
	checkEnv(t, d.Environment, "", false)
	if len(d.Modules) != 1 || d.Modules[0].Error != nil || d.Modules[0].LibraryVersion == "" {
		t.Fatalf("modules: %+v", d.Modules)
	}
	counts := map[string]int{}
	for _, tok := range d.Tokens {
		counts[tok.Label] = len(tok.Certificates)
		for _, flag := range []string{"login_required", "protected_authentication_path", "user_pin_initialized",
			"user_pin_count_low", "user_pin_final_try", "user_pin_locked"} {
			if _, ok := tok.Flags[flag]; !ok {
				t.Errorf("token %s: flag %s missing", tok.Label, flag)
			}
		}
		if tok.Label != testrig.MainToken {
			continue
		}
		for _, c := range tok.Certificates {
			if c.ParseError == nil && (c.Subject == "" || c.SHA256 == "" || c.NotAfter == "" || c.URI == "" || c.Key == "") {
				t.Errorf("certificate %s has empty fields: %+v", c.Label, c)
			}
			if c.HasPrivateKey != nil {
				t.Errorf("%s: has_private_key must be null before login", c.Label)
			}
			if c.Problems == nil {
				t.Errorf("%s: problems must be a list, not null", c.Label)
			}
		}
	}
	if counts[testrig.BigToken] != 200 {
		t.Errorf("big token: %d certificates", counts[testrig.BigToken])
	}
	if counts[testrig.MainToken] < 12 {
		t.Errorf("main token: %d certificates", counts[testrig.MainToken])
	}
}

func TestTokensPINStdinMakesKeysDefinite(t *testing.T) {
	rig := testrig.Shared(t)
	code, out, errs := run(t, testrig.PIN+"\n", "tokens", "--module", rig.Module, "--token", testrig.MainToken, "--json", "--pin-stdin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out+errs, testrig.PIN) {
		t.Fatal("the PIN appears in the output")
	}
	d := decode(t, out)
	for _, c := range d.Tokens[0].Certificates {
		if c.HasPrivateKey == nil {
			t.Errorf("%s: has_private_key still null after login", c.Label)
		}
	}
}

// A wrong PIN: the listing says the login failed (not "run with
// --pin-stdin", which was given) and shows the PIN state as the wrong PIN
// left it; the error follows once.
func TestTokensWrongPINIsSaid(t *testing.T) {
	rig := testrig.Shared(t)
	t.Cleanup(func() { // the right PIN resets the count for the other tests, whatever happens here
		if c, _, errs := run(t, testrig.PIN+"\n", "tokens", "--module", rig.Module, "--token", testrig.MainToken, "--pin-stdin"); c != 0 {
			t.Errorf("the right PIN afterwards: exit %d: %s", c, errs)
		}
	})
	code, out, errs := run(t, "0000-wrong\n", "tokens", "--module", rig.Module, "--token", testrig.MainToken, "--pin-stdin")
	if code != cli.ExitFail || !strings.Contains(errs, "PIN is wrong") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "the login did not succeed: see below") || strings.Contains(out, "run with --pin-stdin") ||
		!strings.Contains(out, "PIN: count low") {
		t.Errorf("listing after a wrong PIN:\n%s", out)
	}
}

func TestTokensBadInput(t *testing.T) {
	rig := testrig.Shared(t)
	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"missing module", "", []string{"tokens", "--module", "/no/such/module.so"}, "does not exist"},
		{"not a module", "", []string{"tokens", "--module", "/usr/lib/x86_64-linux-gnu/libc.so.6"}, "not a PKCS#11 module"},
		{"text file", "", []string{"tokens", "--module", "/etc/hostname"}, "not a shared library"},
		{"empty PIN", "\n", []string{"tokens", "--module", rig.Module, "--token", testrig.MainToken, "--pin-stdin"}, "empty"},
		{"PIN too long", strings.Repeat("7", 300) + "\n", []string{"tokens", "--module", rig.Module, "--token", testrig.MainToken, "--pin-stdin"}, "longer than 256 bytes"},
		{"PIN as argument", "", []string{"tokens", "123456"}, `unexpected argument "****"`},
		{"alphanumeric PIN as argument", "", []string{"tokens", "ab12cd"}, `unexpected argument "****"`},
		{"two tokens need a PIN", testrig.PIN + "\n", []string{"tokens", "--module", rig.Module, "--pin-stdin"}, "--token"},
		{"unknown flag", "", []string{"tokens", "--bogus"}, "bogus"},
		{"unknown command", "", []string{"frobnicate"}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.stdin, tc.args...)
			if code != 2 || strings.Count(out+errs, tc.want) != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q once", code, out, errs, tc.want)
			}
			// The listing before the error shows random token serials and
			// IDs: look for the PINs themselves, not a short run of digits.
			if strings.Contains(out+errs, "123456") || strings.Contains(out+errs, testrig.PIN) || strings.Contains(out+errs, strings.Repeat("7", 16)) {
				t.Fatal("a PIN leaked into the output")
			}
		})
	}
}

func TestTokensTextTable(t *testing.T) {
	rig := testrig.Shared(t)
	code, out, _ := run(t, "", "tokens", "--module", rig.Module)
	if code != 0 || !strings.Contains(out, "张三") || !strings.Contains(out, "expired") || !strings.Contains(out, testrig.MainToken) {
		t.Fatalf("exit %d, table:\n%s", code, out)
	}
	if !strings.HasPrefix(out, "Time:      ") || !strings.Contains(out, "\ncardcheck: "+config.VersionString()+" on ") {
		t.Errorf("no environment header:\n%s", out)
	}
}
