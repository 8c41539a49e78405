package probe

import (
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
	res := Failure("https://alice:s3cret@server.example/", string(KindNetwork), msg.Text("x"))
	if strings.Contains(res.URL, "s3cret") {
		t.Errorf("Failure kept the password: %q", res.URL)
	}
}
