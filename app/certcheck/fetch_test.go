package certcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
