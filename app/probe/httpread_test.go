package probe

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// endless repeats s for ever.
type endless struct{ s string }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e.s)
	}
	return n, nil
}

func TestReadHeadBounds(t *testing.T) {
	cases := []struct {
		name  string
		in    io.Reader
		lines bool
	}{
		{"endless header line", io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\nX-A: "), endless{"a"}), false},
		{"endless headers", io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\n"), endless{"X-A: b\r\n"}), true},
		{"endless status line", endless{"HTTP/1.1 200 "}, false},
	}
	for _, c := range cases {
		_, err := readResponse(bufio.NewReader(c.in), &http.Request{Method: http.MethodGet})
		var he *headError
		if !errors.As(err, &he) || he.lines != c.lines {
			t.Errorf("%s: err = %v, want a headError (lines %v)", c.name, err, c.lines)
		}
	}
}

func TestReadResponseLeavesTheBody(t *testing.T) {
	in := "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nhelloREST"
	br := bufio.NewReader(strings.NewReader(in))
	resp, err := readResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || reasonOf(resp) != "Bad Request" || string(body) != "hello" {
		t.Fatalf("status %d reason %q body %q", resp.StatusCode, reasonOf(resp), body)
	}
	long := &http.Response{StatusCode: 200, Status: "200 " + strings.Repeat("é", 300)}
	if r := reasonOf(long); len(r) > maxReasonLen+len("…") || !strings.HasSuffix(r, "…") {
		t.Fatalf("reason not bounded: %d bytes", len(r))
	}
}

// FuzzReadResponse: any answer is read within the bounds, without a
// panic, and a head readHead accepts is a head http.ReadResponse reads.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html>No required SSL certificate was sent</html>",
		"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.0 200 Connection established\r\n\r\n",
		"HTTP/1.1 200 \x1b]0;x\x07\r\n\r\n",
		"\r\n\r\n", "HTTP/1.1 200 OK\n\n", "garbage",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head, err := readHead(bufio.NewReader(strings.NewReader(string(data))))
		if err == nil && len(head) > maxHeadBytes {
			t.Fatalf("head of %d bytes accepted", len(head))
		}
		resp, err := readResponse(bufio.NewReader(strings.NewReader(string(data))), &http.Request{Method: http.MethodGet})
		if err != nil {
			return
		}
		if len(reasonOf(resp)) > maxReasonLen+len("…") {
			t.Fatal("reason not bounded")
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodySnippet))
		resp.Body.Close()
	})
}
