package certcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"
)

func TestWhy(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&url.Error{Op: "Get", URL: "http://x", Err: context.DeadlineExceeded}, "no answer in time"},
		{fmt.Errorf("wrapped: %w", context.Canceled), "canceled"},
		{&url.Error{Op: "Get", URL: "http://x", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}, "host name not found"},
		{&url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, "connection was closed"},
		{&httpStatusError{code: 503, text: "Service Unavailable"}, "the server answered HTTP 503 Service Unavailable"},
		{&url.Error{Op: "Get", URL: "http://x", Err: errors.New("tls: bad certificate")}, "tls: bad certificate"},
	}
	for _, tt := range tests {
		if got := msg.English(why(tt.err)); !strings.Contains(got, tt.want) || strings.Contains(got, "http://x") {
			t.Errorf("why(%v) = %q, want %q without the URL", tt.err, got, tt.want)
		}
	}
}

func TestFetchLimit(t *testing.T) {
	srv, _ := serve(t, bytesHandler(make([]byte, 2048)))
	if _, err := fetch(context.Background(), srv.Client(), srv.URL, 1024); err == nil {
		t.Error("an answer over the limit was accepted")
	}
	if data, err := fetch(context.Background(), srv.Client(), srv.URL, 2048); err != nil || len(data) != 2048 {
		t.Errorf("an answer at the limit: %d bytes, %v", len(data), err)
	}
}

// TestFetchChunked: an answer without a length (chunked) is read in
// pieces up to the limit, whether it ends inside the limit, exactly at it,
// beyond it, or never.
func TestFetchChunked(t *testing.T) {
	const limit = 3*readChunk + 10
	for _, tc := range []struct {
		name string
		size int64 // -1: endless
		ok   bool
	}{
		{"small", 100, true},
		{"several pieces", 2*readChunk + 7, true},
		{"at the limit", limit, true},
		{"one byte over", limit + 1, false},
		{"endless", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.(http.Flusher).Flush() // headers out without a Content-Length
				chunk := bytes.Repeat([]byte{'x'}, 4096)
				for sent := int64(0); tc.size < 0 || sent < tc.size; sent += int64(len(chunk)) {
					n := int64(len(chunk))
					if tc.size >= 0 {
						n = min(n, tc.size-sent)
					}
					if _, err := w.Write(chunk[:n]); err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			data, err := fetch(context.Background(), srv.Client(), srv.URL, limit)
			var tl *tooLargeError
			switch {
			case tc.ok && (err != nil || int64(len(data)) != tc.size):
				t.Errorf("%d bytes, %v; want %d", len(data), err, tc.size)
			case !tc.ok && !errors.As(err, &tl):
				t.Errorf("%d bytes, %v; want the limit's error", len(data), err)
			}
		})
	}
}
