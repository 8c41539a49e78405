package probe

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Target is a parsed test URL.
type Target struct {
	URL    *url.URL
	Host   string // without brackets
	Port   string
	Path   string // request path for https (with query)
	IsHTTP bool   // https:// (false: tls:// — handshake and a short read only)
}

// Addr is host:port for dialing.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// ServerName is the SNI and verification name; empty for IP literals,
// which TLS does not allow in SNI (RFC 6066 §3).
func (t Target) ServerName() string {
	if net.ParseIP(t.Host) != nil {
		return ""
	}
	return t.Host
}

// URLProblem says what is wrong with a URL, so that a front end can word
// it its own way (the GUI names its entry, the CLI the flag).
type URLProblem string

// The problems ParseTarget finds.
const (
	URLEmpty     URLProblem = "empty"
	URLNoScheme  URLProblem = "no-scheme"
	URLInvalid   URLProblem = "invalid"
	URLPlainHTTP URLProblem = "plain-http"
	URLScheme    URLProblem = "scheme"
	URLNoHost    URLProblem = "no-host"
	URLNoPort    URLProblem = "no-port"
	URLPort      URLProblem = "port"
)

// URLError is ParseTarget's error: the problem, and the sentence the CLI
// says (the GUI words the problem for its entry).
type URLError struct {
	Problem URLProblem
	Msg     msg.Msg
	// Err is url.Parse's error behind URLInvalid (nil for the others).
	Err error
}

// Error is the sentence in English.
func (e *URLError) Error() string { return msg.English(e.Msg) }

// Message is the sentence as a message.
func (e *URLError) Message() msg.Msg { return e.Msg }

// Unwrap exposes url.Parse's error behind URLInvalid.
func (e *URLError) Unwrap() error { return e.Err }

// The sentences of the URL problems, for the command line: they show the
// address as it was given, quoted.
var (
	urlEmpty     = msg.Define("probe.url.empty", "enter the server's address, for example https://server.example.org/")
	urlNoScheme  = msg.Define("probe.url.no_scheme", "{{.URL}} has no scheme: write {{.Suggestion}} (or tls://HOST:PORT for a non-HTTP service)")
	urlInvalid   = msg.Define("probe.url.invalid", "{{.URL}} is not a valid address: {{.Reason}}")
	urlNoPort    = msg.Define("probe.url.no_port", "{{.URL}} needs a port: tls://HOST:PORT")
	urlPlainHTTP = msg.Define("probe.url.plain_http", "{{.URL}} is plain HTTP, which never uses client certificates: use https://")
	urlScheme    = msg.Define("probe.url.scheme", "scheme {{.Scheme}} is not supported: use https:// or tls://")
	urlNoHost    = msg.Define("probe.url.no_host", "{{.URL}} has no host name")
	urlPort      = msg.Define("probe.url.port", "port {{.Port}} is not valid: it must be a number from 1 to 65535")
)

func urlErr(p URLProblem, m msg.Msg) error { return &URLError{Problem: p, Msg: m} }

// HasScheme reports whether raw starts with a scheme and "://" (a "://"
// later on, in a path or a query, does not count).
func HasScheme(raw string) bool {
	i := strings.Index(raw, "://")
	return i > 0 && !strings.ContainsAny(raw[:i], "/?#@")
}

// RepairScheme mends a scheme typed without its "://" ("https//host",
// "https:/host", "https:host", and the same for http and tls); ok is false
// when raw has a scheme or no such typo in front. "tls:636" stays: that is
// a host called tls and its port.
func RepairScheme(raw string) (string, bool) {
	if HasScheme(raw) {
		return raw, false
	}
	for _, scheme := range []string{"https", "http", "tls"} {
		for _, sep := range []string{"//", ":/", ":"} {
			p := scheme + sep
			if len(raw) <= len(p) || !strings.EqualFold(raw[:len(p)], p) {
				continue
			}
			rest := raw[len(p):]
			if sep == ":" && rest[0] >= '0' && rest[0] <= '9' {
				continue
			}
			return scheme + "://" + rest, true
		}
	}
	return raw, false
}

// urlMessage is ParseTarget's error as a message.
func urlMessage(err error) msg.Msg {
	if ue, ok := errors.AsType[*URLError](err); ok {
		return ue.Message()
	}
	return msg.Text(err.Error())
}

// ParseTarget is the one parser and validator of a test URL, for the
// CLI, the GUI's entry and the probe. It says plainly what is wrong; the
// error is a *URLError. Accepted: https://host[:port][/path] and
// tls://host:port.
func ParseTarget(raw string) (Target, error) {
	raw = RedactURL(strings.TrimSpace(raw)) // errors quote it; the password is never used
	if raw == "" {
		return Target{}, urlErr(URLEmpty, urlEmpty.New())
	}
	if !HasScheme(raw) {
		suggestion, ok := RepairScheme(raw)
		if !ok {
			suggestion = "https://" + raw
		}
		return Target{}, urlErr(URLNoScheme, urlNoScheme.New("URL", strconv.Quote(raw), "Suggestion", suggestion))
	}
	u, err := url.Parse(raw)
	if err != nil {
		reason := unwrapURLError(err)
		return Target{}, &URLError{Problem: URLInvalid, Msg: urlInvalid.New("URL", strconv.Quote(raw), "Reason", reason.Error()), Err: reason}
	}
	t := Target{URL: u, Host: u.Hostname(), Port: u.Port()}
	switch strings.ToLower(u.Scheme) {
	case "https":
		t.IsHTTP = true
		if t.Port == "" {
			t.Port = "443"
		}
	case "tls":
		if t.Port == "" {
			return Target{}, urlErr(URLNoPort, urlNoPort.New("URL", strconv.Quote(raw)))
		}
	case "http":
		return Target{}, urlErr(URLPlainHTTP, urlPlainHTTP.New("URL", strconv.Quote(raw)))
	default:
		return Target{}, urlErr(URLScheme, urlScheme.New("Scheme", strconv.Quote(u.Scheme)))
	}
	if t.Host == "" {
		return Target{}, urlErr(URLNoHost, urlNoHost.New("URL", strconv.Quote(raw)))
	}
	if n, err := strconv.Atoi(t.Port); err != nil || n < 1 || n > 65535 {
		return Target{}, urlErr(URLPort, urlPort.New("Port", strconv.Quote(t.Port)))
	}
	t.Path = u.RequestURI()
	if t.Path == "" {
		t.Path = "/"
	}
	return t, nil
}

// userinfo finds the user information of a URL as typed ("//user:pass@"),
// for URLs url.Parse refuses.
var userinfo = regexp.MustCompile(`(//[^/?#@]*?):[^/?#]*@`)

// looseUserinfo finds "user:pass@" at the start of an address typed
// without a scheme or with a mistyped one ("https//", "https:/", "https:").
var looseUserinfo = regexp.MustCompile(`^((?i:https?|tls)?[:/]*[^/?#@:]*):[^/?#]*@`)

// RedactURL hides the password of user information in a URL
// ("https://user:xxxxx@host/"), in reports, JSON and error texts.
// cardcheck never sends it: the test is about the certificate, and an
// HTTP Authorization header would make the answer say something else
// (README: URLs with a user name and password).
func RedactURL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	if !HasScheme(raw) { // no scheme, or one mistyped: url.Parse finds no user in it
		return looseUserinfo.ReplaceAllString(raw, "$1:xxxxx@")
	}
	if u, err := url.Parse(raw); err == nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
		return raw
	}
	return userinfo.ReplaceAllString(raw, "$1:xxxxx@")
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// dial connects to the target, through an HTTP proxy with CONNECT when the
// environment names one for this host (HTTPS_PROXY, NO_PROXY); it returns
// the proxy's host, or "" for a direct connection.
func dial(ctx context.Context, t Target, proxyFor func(Target) (*url.URL, error)) (net.Conn, string, error) {
	proxy, err := proxyFor(t)
	if err != nil {
		return nil, "", err
	}
	var d net.Dialer
	if proxy == nil {
		c, err := d.DialContext(ctx, "tcp", t.Addr())
		return c, "", err
	}
	c, err := d.DialContext(ctx, "tcp", proxyAddr(proxy))
	if err != nil {
		return nil, "", &proxyError{m: proxyUnreachable.New("Proxy", proxy.Host, "Reason", err.Error()), err: err}
	}
	if err := connect(ctx, c, proxy, t.Addr()); err != nil {
		c.Close()
		return nil, "", err
	}
	return c, proxy.Host, nil
}

// ProxyFromEnvironment reads HTTPS_PROXY and NO_PROXY anew on every call
// (unlike http.ProxyFromEnvironment, which caches them for the process).
func ProxyFromEnvironment(t Target) (*url.URL, error) {
	u := &url.URL{Scheme: "https", Host: t.Addr()}
	cfg := httpproxy.FromEnvironment()
	if cfg.HTTPSProxy != "" && !validProxy(cfg.HTTPSProxy) {
		// httpproxy ignores a setting it cannot parse and connects
		// directly; say so instead, when the setting applies to this host.
		cfg.HTTPSProxy = "http://proxy.invalid"
		if p, _ := cfg.ProxyFunc()(u); p != nil {
			return nil, &proxyError{m: proxySetting.New()} // not quoted: it may hold a password
		}
		return nil, nil
	}
	p, err := cfg.ProxyFunc()(u)
	if err != nil {
		return nil, &proxyError{m: proxySetting.New(), err: err}
	}
	if p != nil && p.Scheme != "http" && p.Scheme != "" {
		return nil, &proxyError{m: proxyScheme.New("Proxy", p.Redacted())}
	}
	return p, nil
}

// validProxy reports whether httpproxy can use the setting s: a URL with
// a scheme and a host, or a host[:port] it reads as http://s.
func validProxy(s string) bool {
	if !strings.Contains(s, "://") {
		s = "http://" + s // host[:port], as httpproxy reads it
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Hostname() == "" {
		return false // httpproxy would fall back to a host named "http:", or to this computer
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return err == nil && n > 0 && n < 65536
	}
	return true
}

func proxyAddr(p *url.URL) string {
	if p.Port() == "" {
		return net.JoinHostPort(p.Hostname(), "80")
	}
	return p.Host
}

// connect asks an HTTP proxy for a tunnel (RFC 9110 §9.3.6).
func connect(ctx context.Context, c net.Conn, proxy *url.URL, addr string) error {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
		defer c.SetDeadline(timeZero)
	}
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		return &proxyError{m: proxyNoAnswer.New("Proxy", proxy.Host, "Reason", err.Error()), err: err}
	}
	br := bufio.NewReader(c)
	resp, err := readResponse(br, &http.Request{Method: http.MethodConnect})
	var he *headError
	if errors.As(err, &he) {
		return &proxyHeadError{proxy: proxy.Host, head: he}
	}
	if err != nil {
		return &proxyError{m: proxyNoAnswer.New("Proxy", proxy.Host, "Reason", err.Error()), err: err}
	}
	// Not resp.Body.Close: it would read a refusal's body to the end.
	if resp.StatusCode != http.StatusOK {
		return &proxyError{m: proxyRefused.New("Proxy", proxy.Host, "Address", addr, "Status", resp.Status),
			auth: resp.StatusCode == http.StatusProxyAuthRequired}
	}
	if br.Buffered() > 0 {
		return &proxyError{m: proxyEarlyData.New("Proxy", proxy.Host)}
	}
	return nil
}

// proxyError is a failure of the proxy, not of the server, and says so:
// a proxy that refuses must not be taken for a server that does.
type proxyError struct {
	m    msg.Msg
	err  error // the network error behind it, or nil
	auth bool  // the proxy answered 407: it wants credentials
}

func (e *proxyError) Error() string { return msg.English(e.m) }

// Unwrap exposes the network error (a deadline among them).
func (e *proxyError) Unwrap() error { return e.err }

// The proxy's failures, said after "The server was not reached:".
var (
	proxySetting     = msg.Define("probe.proxy.setting", "the proxy setting (HTTPS_PROXY) is not a valid address")
	proxyScheme      = msg.Define("probe.proxy.scheme", "the proxy {{.Proxy}} is not an http:// proxy, and only http:// proxies (with CONNECT) are supported")
	proxyUnreachable = msg.Define("probe.proxy.unreachable", "the proxy {{.Proxy}} could not be reached ({{.Reason}})")
	proxyNoAnswer    = msg.Define("probe.proxy.no_answer", "the proxy {{.Proxy}} did not answer the request for a tunnel ({{.Reason}})")
	proxyRefused     = msg.Define("probe.proxy.refused", "the proxy {{.Proxy}} refused the tunnel to {{.Address}} ({{.Status}})")
	proxyEarlyData   = msg.Define("probe.proxy.early_data", "the proxy {{.Proxy}} sent data before the tunnel was open")
)

// proxyHeadError is a CONNECT answer beyond the bounds of readHead.
type proxyHeadError struct {
	proxy string
	head  *headError
}

func (e *proxyHeadError) Error() string { return msg.English(e.words()) }

// words says what the proxy did, as a message.
func (e *proxyHeadError) words() msg.Msg {
	return proxyHead.New("Proxy", e.proxy, "Limit", e.head.words())
}

var proxyHead = msg.Define("probe.limit.proxy_head", "the proxy {{.Proxy}} sent {{.Limit}} in its answer to CONNECT; cardcheck stopped reading")
