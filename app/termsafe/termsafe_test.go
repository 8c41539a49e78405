package termsafe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"CN=Alice", "CN=Alice"},
		{"Grüße, 日本", "Grüße, 日本"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a\nVERDICT: ACCEPTED", `a\x0aVERDICT: ACCEPTED`},
		{"tab\there", `tab\x09here`},
		{"bell\x7f", `bell\x7f`},
		{"csi\u009b2J", `csi\u009b2J`},
		{"rtl\u202etxt", `rtl\u202etxt`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"cr\rover", `cr\x0dover`},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTextKeepsLayout(t *testing.T) {
	in := "line 1\n\tindented \x1b[31mred\x1b[0m\n"
	want := "line 1\n\tindented \\x1b[31mred\\x1b[0m\n"
	if got := Text(in); got != want {
		t.Fatalf("Text = %q, want %q", got, want)
	}
}

func TestWriterJoinsSplitRunes(t *testing.T) {
	var out bytes.Buffer
	w := Writer(&out)
	s := "ü\x1b日"
	for i := 0; i < len(s); i++ { // one byte per write
		if _, err := w.Write([]byte{s[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), `ü\x1b日`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if Writer(w) != w {
		t.Fatal("wrapping twice")
	}
}

// FuzzString checks the promises: no control character survives, the
// result is UTF-8, escaping is idempotent, and clean text is unchanged.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "CN=x", "\x1b[2J", "a\nb", "\xc3", "\u202e", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string) string{String, Text} {
			got := fn(s)
			if !utf8.ValidString(got) {
				t.Fatalf("not UTF-8: %q", got)
			}
			if fn(got) != got {
				t.Fatalf("not idempotent: %q", got)
			}
			for _, r := range got {
				if unsafe(r, true) {
					t.Fatalf("unsafe %U in %q", r, got)
				}
			}
		}
		if strings.ContainsAny(String(s), "\n\t") {
			t.Fatalf("String kept a newline or tab: %q", String(s))
		}
	})
}
