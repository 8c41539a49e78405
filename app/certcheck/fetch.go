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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Size limits for downloads. Each is many times what the thing really
// takes, and small enough that a hostile or broken server cannot take
// the process's memory: the answer is read into memory whole.
const (
	// maxCertSize bounds an AIA caIssuers answer: an issuing CA's
	// certificate is 1 to 2 KB, a PKCS #7 bundle of a chain a few KB.
	maxCertSize = 256 << 10
	// maxOCSPSize bounds an OCSP answer: 1 to 4 KB, with the certificate
	// of a delegated responder.
	maxOCSPSize = 64 << 10
	// maxCRLSize bounds a CRL. Public CAs publish CRLs of tens of MB,
	// but a CRL a TLS server checks in a handshake is far smaller; the
	// CRL is scanned without building its entries (scanCRL), so 32 MB
	// cost about 32 MB.
	maxCRLSize = 32 << 20
	// maxBundleCerts bounds the certificates taken from one AIA answer:
	// a bundle holds a chain, two to four CAs.
	maxBundleCerts = 16
)

// tooLargeError is an answer beyond its limit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return "the answer is larger than " + sizeText(e.limit) + ", cardcheck's limit for it"
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// httpStatusError is an answer other than 200 OK.
type httpStatusError struct {
	code int
	text string
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d %s", e.code, e.text) }

// slowError is a download that did not end within the checks' time.
type slowError struct {
	budget time.Duration
	err    error
}

func (e *slowError) Error() string { return "no answer within " + durationText(e.budget) }
func (e *slowError) Unwrap() error { return e.err }

// durationText is "2 s", "1.5 s", "250 ms".
func durationText(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}

// budgetKey carries the time the checks were given (Run), so that a
// download that ran out of it can say how long it was waited for.
type budgetKey struct{}

func withBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, budgetKey{}, d)
}

// slow wraps a time-out of a download in a slowError.
func slow(ctx context.Context, err error) error {
	var ne net.Error
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	if d, ok := ctx.Value(budgetKey{}).(time.Duration); ok && timedOut {
		return &slowError{budget: d, err: err}
	}
	return err
}

// isSlow reports a download that ran out of time, and how long it had.
func isSlow(err error) (time.Duration, bool) {
	var se *slowError
	if errors.As(err, &se) {
		return se.budget, true
	}
	return 0, false
}

// fetch GETs url and returns the body, at most limit bytes.
func fetch(ctx context.Context, client *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	data, err := do(client, req, limit)
	return data, slow(ctx, err)
}

// post POSTs body to url and returns the answer, at most limit bytes.
func post(ctx context.Context, client *http.Client, u, contentType string, body []byte, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	data, err := do(client, req, limit)
	return data, slow(ctx, err)
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
	if resp.ContentLength > limit {
		return nil, &tooLargeError{limit} // refused before reading
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1) // no doubling of a large CRL's buffer
	}
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, &tooLargeError{limit}
	}
	return buf.Bytes(), nil
}

// fetchable reports whether u is a URL this package downloads from: only
// HTTP(S); LDAP distribution points exist in corporate PKIs but TLS servers
// rarely use them either.
func fetchable(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// why turns a fetch error into a few plain words for a detail sentence.
func why(err error) msg.Msg {
	var status *httpStatusError
	var dns *net.DNSError
	var ne net.Error
	var big *tooLargeError
	var se *slowError
	switch {
	case errors.As(err, &big):
		return whyTooLarge.New("Limit", sizeText(big.limit))
	case errors.As(err, &se):
		return whyNoAnswer.New("Wait", durationText(se.budget))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return whyTimeout.New()
	case errors.Is(err, context.Canceled):
		return whyCanceled.New()
	case errors.Is(err, syscall.ECONNREFUSED):
		return whyRefused.New()
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return whyClosed.New()
	case errors.As(err, &dns):
		return whyNoHost.New()
	case errors.As(err, &status):
		return whyStatus.New("Status", status.Error())
	}
	text := err.Error()
	// Drop the "Get \"url\": " prefix of url.Error: the URL is in the
	// sentence already.
	var ue *url.Error
	if errors.As(err, &ue) {
		text = ue.Err.Error()
	}
	return msg.Text(strings.TrimSpace(text))
}
