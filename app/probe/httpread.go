package probe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Bounds on what a server (or a proxy) may make the test read. A hostile
// or broken server can send an endless header line, endless headers or an
// endless body; http.ReadResponse has no limit of its own (NOTES "HTTP
// from Go"), so the head is read here, counted, and only then parsed.
const (
	// maxHeadBytes bounds the status line and headers of an answer. Real
	// answers carry a few KB; servers refuse requests with more than 8 KB
	// per line (nginx large_client_header_buffers, Apache
	// LimitRequestFieldSize) and Go clients read 10 MB at most. 64 KB is
	// eight times a server's own limit.
	maxHeadBytes = 64 << 10
	// maxHeadLines bounds the number of header lines: Apache refuses a
	// request with more than 100 (LimitRequestFields).
	maxHeadLines = 100
	// maxBodySnippet is what is read of a body, and only of a 400 answer:
	// enough for nginx's page naming the certificate error (about 250
	// bytes); the rest is never read.
	maxBodySnippet = 4 << 10
	// maxReasonLen bounds the reason phrase kept in the result.
	maxReasonLen = 256
)

// Cause codes of answers that broke a bound (JSON `cause_code`), stable.
const (
	CauseHTTPHeadTooLarge   = "http-head-too-large"    // more than maxHeadBytes
	CauseHTTPTooManyHeaders = "http-too-many-headers"  // more than maxHeadLines
	CauseProxyHeadTooLarge  = "proxy-head-too-large"   // the proxy's CONNECT answer, too large
	CauseProxyFailed        = "proxy-failed"           // the proxy is down, refused the tunnel or misbehaved
	CauseProxyAuth          = "proxy-auth"             // the proxy wants a user name and password (407)
	CauseProxyTooManyLines  = "proxy-too-many-headers" // the proxy's CONNECT answer, too many lines
)

// headError is an answer whose head broke a bound.
type headError struct {
	lines bool // the count of lines, not the size, was exceeded
}

func (e *headError) Error() string { return msg.English(e.words()) }

// words says which limit the answer broke, as a message.
func (e *headError) words() msg.Msg {
	if e.lines {
		return headLines.New("Count", maxHeadLines)
	}
	return headBytes.New("KB", maxHeadBytes>>10)
}

var (
	headLines = msg.Define("probe.limit.header_lines", "more than {{.Count}} HTTP header lines")
	headBytes = msg.Define("probe.limit.header_bytes", "more than {{.KB}} KB of HTTP headers")
)

// readHead reads the status line and headers of an HTTP answer, up to and
// including the empty line, within maxHeadBytes and maxHeadLines. Errors
// are the reader's (EOF, a deadline) or a *headError.
func readHead(br *bufio.Reader) ([]byte, error) {
	var head []byte
	lines := 0
	for {
		frag, err := br.ReadSlice('\n')
		if len(head)+len(frag) > maxHeadBytes {
			return nil, &headError{}
		}
		head = append(head, frag...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue // a long line, still within the bound
		case err != nil:
			return nil, err
		}
		if lines++; lines > maxHeadLines+1 { // the status line is not a header
			return nil, &headError{lines: true}
		}
		if line := bytes.TrimRight(head[len(head)-len(frag):], "\r\n"); len(line) == 0 && lines > 1 {
			return head, nil
		}
	}
}

// readResponse reads an HTTP answer to req from br within the bounds: the
// head is read first, then parsed; the body is left unread in resp.Body.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	head, err := readHead(br)
	if err != nil {
		return nil, err
	}
	return http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(head), br)), req)
}

// reasonOf is the reason phrase of resp, bounded to maxReasonLen bytes
// (cut at a character boundary).
func reasonOf(resp *http.Response) string {
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if len(reason) <= maxReasonLen {
		return reason
	}
	cut := maxReasonLen
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}

// bodySnippet reads at most maxBodySnippet bytes of body, waiting at most
// bodyWait (and never past the test's deadline) for them: the status has
// been read, and a server sending an endless or stalled body must not hold
// the test. A short read is not an error: the snippet is only a hint.
func bodySnippet(conn interface{ SetReadDeadline(time.Time) error }, body io.Reader, deadline time.Time) []byte {
	end := time.Now().Add(bodyWait)
	if !deadline.IsZero() && deadline.Before(end) {
		end = deadline
	}
	conn.SetReadDeadline(end)
	defer conn.SetReadDeadline(deadline)
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, io.LimitReader(body, maxBodySnippet))
	return buf.Bytes()
}

// bodyWait is how long the snippet of a 400 answer may take to arrive
// after its head: servers send such short pages at once with the head.
const bodyWait = time.Second
