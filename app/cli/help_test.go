package cli_test

import (
	"regexp"
	"strings"
	"testing"
)

// Every command answers --help and -h on standard output with exit 0, and
// spells its flags --flag as the README does.
func TestHelpOnEveryCommand(t *testing.T) {
	flags := map[string][]string{
		"tokens": {"--module PATH", "--token", "--json", "--pin-stdin", "--final-try"},
		"check": {"--url URL", "--cert URI", "--module PATH", "--pin-stdin", "--tls VERSION", "--ca FILE", "--continue-untrusted",
			"--timeout DURATION", "--keylog FILE", "--final-try", "--json"},
		"serve": {"--listen ADDR", "--cert FILE", "--key FILE", "--client-ca FILE", "--crl FILE", "--tls VERSION",
			"--no-ca-names", "--optional", "--no-client-cert"},
		"demo": {"--no-gui", "--json", "--reset"},
	}
	singleDash := regexp.MustCompile(`(?m)^\s+-[a-z]`)
	for cmd, want := range flags {
		for _, h := range []string{"--help", "-h", "-help"} {
			code, out, errs := run(t, "", cmd, h)
			if code != 0 || errs != "" {
				t.Errorf("%s %s: exit %d, stderr %q", cmd, h, code, errs)
			}
			if !strings.Contains(out, "cardcheck "+cmd) || singleDash.MatchString(out) {
				t.Errorf("%s %s: usage with -flag or without the synopsis:\n%s", cmd, h, out)
			}
			for _, f := range want {
				if !strings.Contains(out, "\n  "+f) {
					t.Errorf("%s %s: %q not listed:\n%s", cmd, h, f, out)
				}
			}
		}
		// cardcheck help CMD says the same.
		_, viaHelp, _ := run(t, "", "help", cmd)
		_, direct, _ := run(t, "", cmd, "--help")
		if viaHelp != direct {
			t.Errorf("help %s differs from %s --help", cmd, cmd)
		}
	}
	for _, h := range []string{"--help", "-h", "help"} {
		code, out, errs := run(t, "", h)
		if code != 0 || errs != "" || !strings.Contains(out, "cardcheck check --url URL") || singleDash.MatchString(out) {
			t.Errorf("%s: exit %d, stderr %q:\n%s", h, code, errs, out)
		}
	}
}

// A mistake gets one line on stderr, naming the nearest command or flag,
// and exit 2; nothing goes to standard output.
func TestErrorsArePrintedOnceWithSuggestions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"chek"}, `cardcheck: unknown command "chek"; did you mean "check"?`},
		{[]string{"tokns"}, `cardcheck: unknown command "tokns"; did you mean "tokens"?`},
		{[]string{"frobnicate"}, `cardcheck: unknown command "frobnicate" (try: tokens, check, diagnose, serve, demo`},
		{[]string{"check", "--tmeout", "3s"}, `cardcheck: unknown flag "--tmeout"; did you mean "--timeout"?`},
		{[]string{"check", "--contiune-untrusted"}, `did you mean "--continue-untrusted"?`},
		{[]string{"tokens", "--modul", "x"}, `cardcheck: unknown flag "--modul"; did you mean "--module"?`},
		{[]string{"serve", "--lisen", ":0"}, `did you mean "--listen"?`},
		{[]string{"demo", "--nogui"}, `did you mean "--no-gui"?`},
		{[]string{"check", "--url"}, "cardcheck: flag needs an argument: --url"},
		{[]string{"check", "--timeout", "soon", "--url", "https://x/"}, `invalid value "soon" for flag --timeout`},
		{[]string{"check"}, "cardcheck: --url is required"},
		{[]string{"serve"}, "cardcheck: serve needs --listen ADDR"},
		{[]string{"check", "--pin", "4711"}, `unknown flag "--pin": the PIN is never given as an argument`},
		{[]string{"check", "--url", "https://x/", "4711"}, `unexpected argument "****"`},
		{[]string{"check", "--timeout", "4711", "--url", "https://x/"}, `invalid value "****"`},
	}
	for _, tc := range cases {
		code, out, errs := run(t, "", tc.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "cardcheck: ") || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errs, tc.want)
		}
		if n := strings.Count(errs, "\n"); n != 1 || strings.Count(errs, "cardcheck:") != 1 {
			t.Errorf("%q: the error must be one line, printed once:\n%s", tc.args, errs)
		}
		if strings.Contains(errs, "4711") {
			t.Errorf("%q: a possible PIN is quoted: %s", tc.args, errs)
		}
		if regexp.MustCompile(`[ "]-[a-z]`).MatchString(errs) {
			t.Errorf("%q: a flag spelled with one dash: %s", tc.args, errs)
		}
	}
}
