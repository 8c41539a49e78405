package probe

import (
	"errors"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"
)

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://server.example/", "https://server.example/"},
		{"https://alice:s3cret@server.example/x", "https://alice:xxxxx@server.example/x"},
		{"https://alice@server.example/", "https://alice@server.example/"},
		{"https://alice:s3cret@server.example:99999999/", "https://alice:xxxxx@server.example:99999999/"},
		{"https://alice:s3cret@bad host/", "https://alice:xxxxx@bad host/"},
		{"https://server.example/?q=a@b", "https://server.example/?q=a@b"},
	}
	for _, c := range cases {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, raw := range []string{"https://alice:s3cret@bad host/", "https://alice:s3cret@server.example:0/", "ftp://alice:s3cret@x/"} {
		if _, err := ParseTarget(raw); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseTarget(%q) = %v", raw, err)
		}
	}
	res := Failure("https://alice:s3cret@server.example/", KindNetwork, msg.Text("x"))
	if strings.Contains(res.URL, "s3cret") {
		t.Errorf("Failure kept the password: %q", res.URL)
	}
}

// Every refusal says which problem it is, so that the GUI can word it
// its own way without parsing the URL again.
func TestParseTargetProblems(t *testing.T) {
	for raw, want := range map[string]URLProblem{
		"":                           URLEmpty,
		"server.example.org":         URLNoScheme,
		"https://exa mple.org/":      URLInvalid,
		"http://server.example.org/": URLPlainHTTP,
		"ftp://server.example.org/":  URLScheme,
		"https:///path":              URLNoHost,
		"tls://ldap.example.org":     URLNoPort,
		"https://a.example:70000/":   URLPort,
	} {
		_, err := ParseTarget(raw)
		var ue *URLError
		if !errors.As(err, &ue) || ue.Problem != want {
			t.Errorf("ParseTarget(%q): %v, want problem %s", raw, err, want)
		}
	}
}

// The URL problems are messages (the GUI's result speaks its language),
// and their English is what the CLI has always printed after "--url:".
func TestURLProblemsAreMessages(t *testing.T) {
	for raw, want := range map[string]string{
		"":                           "enter the server's address, for example https://server.example.org/",
		"server.example.org":         `"server.example.org" has no scheme: write https://server.example.org (or tls://HOST:PORT for a non-HTTP service)`,
		"https//127.0.0.1:36127/":    `"https//127.0.0.1:36127/" has no scheme: write https://127.0.0.1:36127/ (or tls://HOST:PORT for a non-HTTP service)`,
		"tls//ldap.example:636":      `"tls//ldap.example:636" has no scheme: write tls://ldap.example:636 (or tls://HOST:PORT for a non-HTTP service)`,
		"https://exa mple.org/":      `"https://exa mple.org/" is not a valid address: invalid character " " in host name`,
		"http://server.example.org/": `"http://server.example.org/" is plain HTTP, which never uses client certificates: use https://`,
		"ftp://server.example.org/":  `scheme "ftp" is not supported: use https:// or tls://`,
		"https:///path":              `"https:///path" has no host name`,
		"tls://ldap.example.org":     `"tls://ldap.example.org" needs a port: tls://HOST:PORT`,
		"https://a.example:70000/":   `port "70000" is not valid: it must be a number from 1 to 65535`,
	} {
		_, err := ParseTarget(raw)
		m := urlMessage(err)
		if err == nil || err.Error() != want || msg.English(m) != want || !strings.HasPrefix(m.ID, "probe.url.") || msg.Check(m) != nil {
			t.Errorf("ParseTarget(%q): %v (message %s), want %q", raw, err, m.ID, want)
		}
	}
	var ue *URLError
	if _, err := ParseTarget("https://exa mple.org/"); !errors.As(err, &ue) || errors.Unwrap(err) == nil {
		t.Errorf("an invalid URL keeps url.Parse's error: %v", err)
	}
}

// RepairScheme mends what people mistype in front, whatever the rest
// holds: letters that change length when lower-cased, a "://" later in a
// query, a host called like a scheme with its port.
func TestRepairScheme(t *testing.T) {
	for in, want := range map[string]string{
		"https//ȺȺȺȺȺȺȺȺȺȺ.example":              "https://ȺȺȺȺȺȺȺȺȺȺ.example",
		"https//İstanbul.example/":               "https://İstanbul.example/",
		"HTTPS:/a.example":                       "https://a.example",
		"tls//ldap.example:636":                  "tls://ldap.example:636",
		"http:server.example":                    "http://server.example",
		"tls:636":                                "",
		"https://a.example/":                     "",
		"a.example/login?next=https://b.example": "",
		"https//a.example/?next=https://b":       "https://a.example/?next=https://b",
	} {
		got, ok := RepairScheme(in)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("RepairScheme(%q) = %q, want %q", in, got, want)
		}
	}
}

// A password typed with a mistyped scheme, or none, is hidden in what
// the CLI prints back, the suggestion included.
func TestPasswordWithAMistypedSchemeIsHidden(t *testing.T) {
	for _, raw := range []string{"https:/alice:s3cret@host.example/", "https//alice:s3cret@host.example/",
		"https:alice:s3cret@host.example/", "alice:s3cret@host.example"} {
		_, err := ParseTarget(raw)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseTarget(%q): %v", raw, err)
		}
	}
}
