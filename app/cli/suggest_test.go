package cli

import "testing"

func TestNearest(t *testing.T) {
	cmds := []string{"tokens", "check", "serve", "demo", "help", "version"}
	flags := []string{"url", "cert", "module", "pin-stdin", "tls", "ca", "continue-untrusted", "timeout", "keylog", "final-try", "json"}
	for _, tc := range []struct {
		name string
		list []string
		want string
	}{
		{"chek", cmds, "check"},
		{"chekc", cmds, "check"},
		{"token", cmds, "tokens"},
		{"serv", cmds, "serve"},
		{"deom", cmds, "demo"},
		{"listen", cmds, ""},
		{"x", cmds, ""},
		{"tmeout", flags, "timeout"},
		{"timeuot", flags, "timeout"},
		{"contiune-untrusted", flags, "continue-untrusted"},
		{"continue", flags, "continue-untrusted"},
		{"pin-stdn", flags, "pin-stdin"},
		{"modules", flags, "module"},
		{"jsno", flags, "json"},
		{"verbose", flags, ""},
		{"c", flags, ""},
	} {
		if got := nearest(tc.name, tc.list); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzEditDistance(f *testing.F) {
	f.Add("check", "chek")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := editDistance(a, b, 3)
		if d < 0 || d > 4 || (a == b && len(a) <= 64 && d != 0) {
			t.Fatalf("editDistance(%q, %q) = %d", a, b, d)
		}
	})
}
