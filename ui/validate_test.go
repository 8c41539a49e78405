package ui

import (
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/probe"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		mention string // a word the error must contain
	}{
		{"https://server.example.org/", true, ""},
		{"https://server.example.org:8443/login?x=1", true, ""},
		{"  https://server.example.org  ", true, ""},
		{"server.example.org", true, ""}, // https assumed
		{"server.example.org:8443/path", true, ""},
		{"https://127.0.0.1:8443/", true, ""},
		{"https://[::1]:8443/", true, ""},
		{"tls://ldap.example.org:636", true, ""},
		{"HTTPS://Server.Example.org/", true, ""},
		{"", false, "address"},
		{"   ", false, "address"},
		{"http://server.example.org/", false, "http://"},
		{"ftp://server.example.org/", false, "https://"},
		{"tls://ldap.example.org", false, "port"},
		{"https://server.example.org:0/", false, "port"},
		{"https://server.example.org:70000/", false, "port"},
		{"https://server.example.org:http/", false, "valid"},
		{"https:///path", false, "server name"},
		{"https://exa mple.org/", false, "valid"},
		{"https://%zz/", false, "valid"},
	}
	for _, tc := range tests {
		err := validateURL(tc.in)
		switch {
		case tc.ok && err != nil:
			t.Errorf("validateURL(%q) = %v, want ok", tc.in, err)
		case !tc.ok && err == nil:
			t.Errorf("validateURL(%q) = ok, want an error", tc.in)
		case !tc.ok && !strings.Contains(err.Error(), tc.mention):
			t.Errorf("validateURL(%q) = %q, want it to mention %q", tc.in, err, tc.mention)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"server.example.org":    "https://server.example.org/",
		" https://a.example/ ":  "https://a.example/",
		"tls://a.example:636":   "tls://a.example:636",
		"":                      "",
		"127.0.0.1:8443/x":      "https://127.0.0.1:8443/x",
		"https//a.example/":     "https://a.example/",
		"HTTPS:/a.example":      "https://a.example/",
		"tls//ldap.example:636": "tls://ldap.example:636",
	} {
		if got := normalizeURL(in); got != want {
			t.Errorf("normalizeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzValidateURL: the validator never panics, accepts only what the
// probe can parse, and normalizing is idempotent.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://server.example.org/", "server.example.org", "tls://a:1", "http://x/", "", "https://[::1]:443/", "https://a:99999/", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validateURL(s)
		n := normalizeURL(s)
		if normalizeURL(n) != n {
			t.Errorf("normalizeURL is not idempotent for %q", s)
		}
		if err == nil {
			if _, perr := probe.ParseTarget(n); perr != nil {
				t.Errorf("validateURL accepted %q but the probe refuses it: %v", s, perr)
			}
		} else if err.Error() == "" {
			t.Errorf("empty error message for %q", s)
		}
	})
}
