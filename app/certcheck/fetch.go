package certcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// Size limits for downloads: an issuer certificate is a few KB, an OCSP
// answer less; CRLs of public CAs reach tens of MB, but a CRL a server can
// use in a TLS handshake is far smaller.
const (
	maxCertSize = 1 << 20
	maxOCSPSize = 1 << 20
	maxCRLSize  = 32 << 20
)

// httpStatusError is an answer other than 200 OK.
type httpStatusError struct {
	code int
	text string
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d %s", e.code, e.text) }

// fetch GETs url and returns the body, at most limit bytes.
func fetch(ctx context.Context, client *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return do(client, req, limit)
}

// post POSTs body to url and returns the answer, at most limit bytes.
func post(ctx context.Context, client *http.Client, u, contentType string, body []byte, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return do(client, req, limit)
}

func do(client *http.Client, req *http.Request, limit int64) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{code: resp.StatusCode, text: http.StatusText(resp.StatusCode)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return data, nil
}

// fetchable reports whether u is a URL this package downloads from: only
// HTTP(S); LDAP distribution points exist in corporate PKIs but TLS servers
// rarely use them either.
func fetchable(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// why turns a fetch error into a few plain words for a detail sentence.
func why(err error) string {
	var status *httpStatusError
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "the test was canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed"
	case errors.As(err, &dns):
		return "host name not found"
	case errors.As(err, &status):
		return "the server answered " + status.Error()
	}
	msg := err.Error()
	// Drop the "Get \"url\": " prefix of url.Error: the URL is in the
	// sentence already.
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	return strings.TrimSpace(msg)
}
