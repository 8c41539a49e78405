// Package serve is cardcheck's local mutual-TLS test server (docs/contract.md
// `serve`): a real crypto/tls server that asks for a client certificate,
// checks it the way a strict server does, and either rejects it with the
// TLS alert such a server sends (unknown_ca, certificate_revoked,
// certificate_expired, unsupported_certificate, certificate_required…) or
// answers every HTTP request with a short report of what it saw: TLS
// version, cipher suite, SNI, the client certificate and the result of the
// chain check, as text or JSON.
//
// It is a library: `cardcheck serve`, the tests and the offline demo (which
// runs several servers in one process) all use it.
//
//	srv, err := serve.New(serve.Config{CertFile: "server.pem", KeyFile: "key.pem",
//		ClientCAFile: "ca.pem", Log: os.Stderr})
//	if err != nil { ... }
//	srv.Start()
//	defer srv.Close()
//	fmt.Println(srv.URL())
//
// crypto/tls sends bad_certificate (42) for every error a verification
// callback returns. To send the alert a real server would, this package
// writes that alert itself on the connection before crypto/tls aborts the
// handshake, and drops crypto/tls's own bad_certificate (see alert.go).
package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults.
const (
	DefaultListenAddr       = "127.0.0.1:0"
	DefaultHandshakeTimeout = 10 * time.Second
	// requestTimeout bounds reading a request and writing the answer.
	requestTimeout = 30 * time.Second
	// shutdownGrace is how long Close waits for requests in progress.
	shutdownGrace = 3 * time.Second
)

// Config describes one server. Files and in-memory values are
// alternatives: when both are set the in-memory value wins.
type Config struct {
	// Name labels the server in log lines and reports (for example a demo
	// scenario); optional.
	Name string
	// ListenAddr is host:port; empty means 127.0.0.1 on a free port.
	ListenAddr string

	// Server certificate: Certificate, or CertFile (PEM, leaf first, then
	// intermediates) with KeyFile (PEM private key).
	Certificate *tls.Certificate
	CertFile    string
	KeyFile     string

	// Client CAs, the roots a client certificate must chain to: ClientCAs,
	// or ClientCAFile (PEM). When both are empty the server asks for no
	// client certificate at all.
	ClientCAs    *x509.CertPool
	ClientCAFile string

	// CRLs (optional): a client certificate listed in a CRL issued by a CA
	// of its chain is rejected with certificate_revoked. CRLFile holds PEM
	// or DER CRLs.
	CRLs    []*x509.RevocationList
	CRLFile string

	// TLS is "auto" (or empty: TLS 1.2 and 1.3), "1.2" or "1.3".
	TLS string

	// OmitCANames sends an empty certificate_authorities list in the
	// CertificateRequest instead of the client CAs' names. The client
	// certificate is still checked against the client CAs.
	OmitCANames bool

	// Optional asks for a client certificate and checks it, but never
	// rejects the connection: the result is only reported over HTTP.
	Optional bool

	// Status is the HTTP status of every answer; 0 means 200. A server
	// that accepts the certificate and answers 403 plays a server whose
	// application denies the user.
	Status int

	// HandshakeTimeout bounds the TLS handshake; 0 means 10 s.
	HandshakeTimeout time.Duration

	// Log receives one line per connection; nil discards them.
	Log io.Writer

	// Now is the clock used to check certificates; nil means time.Now.
	Now func() time.Time
}

// Server is a running (or ready to run) test server. It is listening as
// soon as New returns.
type Server struct {
	cfg         Config
	tlsConf     *tls.Config
	clientCAs   *x509.CertPool
	caNames     []string // subjects of the client CAs, when known
	crls        []*x509.RevocationList
	requestCert bool
	serverCert  *x509.Certificate

	ln    net.Listener
	queue *connQueue
	http  *http.Server

	ctx    context.Context // cancelled by Close or Serve's context
	cancel context.CancelFunc
	conns  sync.WaitGroup // connection goroutines

	started   atomic.Bool
	serveDone chan struct{}

	logMu sync.Mutex
}

// New checks the configuration, loads the files and starts listening. It
// does not accept connections until Serve or Start. Errors name the file or
// setting at fault.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, serveDone: make(chan struct{})}
	if s.cfg.ListenAddr == "" {
		s.cfg.ListenAddr = DefaultListenAddr
	}
	if s.cfg.HandshakeTimeout <= 0 {
		s.cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if s.cfg.Status == 0 {
		s.cfg.Status = http.StatusOK
	}
	if s.cfg.Status < 100 || s.cfg.Status > 999 {
		return nil, fmt.Errorf("invalid HTTP status %d", s.cfg.Status)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", s.cfg.ListenAddr, listenCause(err))
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.queue = newConnQueue(ln.Addr())
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: requestTimeout,
		ReadTimeout:       requestTimeout,
		WriteTimeout:      requestTimeout,
		IdleTimeout:       requestTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnContext:       connContext,
		ErrorLog:          discardLogger(),
	}
	return s, nil
}

// listenCause shortens the common "address already in use" error.
func listenCause(err error) error {
	if strings.Contains(err.Error(), "address already in use") {
		return errors.New("the address is already in use (another server is listening there)")
	}
	return err
}

// load reads certificates, keys, CAs and CRLs and builds the TLS config.
func (s *Server) load() error {
	cert, err := loadServerCert(s.cfg)
	if err != nil {
		return err
	}
	s.serverCert = cert.Leaf
	minVersion, maxVersion, err := tlsVersions(s.cfg.TLS)
	if err != nil {
		return err
	}
	if s.clientCAs, s.caNames, err = loadClientCAs(s.cfg); err != nil {
		return err
	}
	s.requestCert = s.clientCAs != nil
	if s.crls, err = loadCRLs(s.cfg); err != nil {
		return err
	}
	if len(s.crls) > 0 && !s.requestCert {
		return errors.New("a CRL needs client CAs: without them no client certificate is requested")
	}
	if s.cfg.Optional && !s.requestCert {
		return errors.New("an optional client certificate needs client CAs")
	}
	c := &tls.Config{
		Certificates: []tls.Certificate{*cert},
		MinVersion:   minVersion,
		MaxVersion:   maxVersion,
		NextProtos:   []string{"http/1.1"},
		ClientAuth:   tls.NoClientCert,
		// Tickets are sent, as the servers people run send them (and a
		// TLS 1.3 client takes one as the sign that its certificate was
		// accepted), but never taken back: every connection makes a full
		// handshake, so the client sees the real CertificateRequest and
		// its certificate is checked each time.
		UnwrapSession: func([]byte, tls.ConnectionState) (*tls.SessionState, error) { return nil, nil },
	}
	if s.requestCert {
		// The chain is verified in VerifyConnection so that the server
		// chooses the alert. RequireAnyClientCert makes crypto/tls send
		// certificate_required (1.3) or handshake_failure (1.2) for a
		// missing certificate, as OpenSSL does.
		c.ClientAuth = tls.RequireAnyClientCert
		if s.cfg.Optional {
			c.ClientAuth = tls.RequestClientCert
		}
		if !s.cfg.OmitCANames {
			// Only used for the CertificateRequest's CA names, since
			// crypto/tls does not verify with RequireAnyClientCert.
			c.ClientCAs = s.clientCAs
		}
	}
	s.tlsConf = c
	return nil
}

func tlsVersions(v string) (uint16, uint16, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "auto":
		return tls.VersionTLS12, tls.VersionTLS13, nil
	case "1.2", "tls1.2":
		return tls.VersionTLS12, tls.VersionTLS12, nil
	case "1.3", "tls1.3":
		return tls.VersionTLS13, tls.VersionTLS13, nil
	}
	return 0, 0, fmt.Errorf("invalid TLS version %q (use auto, 1.2 or 1.3)", v)
}

// Addr is the address the server listens on, host:port, with the real port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is https://HOST:PORT/ for the listening address; an unspecified host
// (0.0.0.0, ::) becomes localhost.
func (s *Server) URL() string { return "https://" + s.hostPort() + "/" }

// TLSURL is tls://HOST:PORT, the same server as a TLS service.
func (s *Server) TLSURL() string { return "tls://" + s.hostPort() }

func (s *Server) hostPort() string {
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return s.Addr()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// RequestsClientCert tells whether the server asks for a client certificate.
func (s *Server) RequestsClientCert() bool { return s.requestCert }

// ClientCANames lists the subjects of the client CAs loaded from a file;
// nil when none were given or only a pool.
func (s *Server) ClientCANames() []string { return append([]string(nil), s.caNames...) }

// Describe says in a few words what the server checks, for a start-up line:
// "client CA: CN=…", "no client certificate requested".
func (s *Server) Describe() string {
	if !s.requestCert {
		return "no client certificate requested"
	}
	var parts []string
	switch {
	case len(s.caNames) > 0:
		parts = append(parts, "client CA: "+strings.Join(s.caNames, "; "))
	default:
		parts = append(parts, "client CA: (certificate pool)")
	}
	if len(s.crls) > 0 {
		parts = append(parts, fmt.Sprintf("%d CRL", len(s.crls)))
		if len(s.crls) != 1 {
			parts[len(parts)-1] += "s"
		}
	}
	if s.cfg.OmitCANames {
		parts = append(parts, "no CA names sent")
	}
	if s.cfg.Optional {
		parts = append(parts, "certificate optional")
	}
	return strings.Join(parts, ", ")
}

// Start serves in the background until Close.
func (s *Server) Start() {
	ready := make(chan struct{})
	go func() {
		s.serve(context.Background(), ready)
	}()
	<-ready
}

// Serve accepts connections until ctx is cancelled or Close is called, then
// shuts down gracefully (requests in progress get a few seconds) and
// returns nil. It returns an error only when accepting fails for another
// reason, or when the server is already serving.
func (s *Server) Serve(ctx context.Context) error {
	return s.serve(ctx, nil)
}

func (s *Server) serve(ctx context.Context, ready chan struct{}) error {
	if !s.started.CompareAndSwap(false, true) {
		if ready != nil {
			close(ready)
		}
		return errors.New("serve: server already started")
	}
	defer close(s.serveDone)
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	// Closing the listener ends the accept loop.
	go func() {
		<-s.ctx.Done()
		s.ln.Close()
		s.queue.Close()
	}()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		s.http.Serve(s.queue)
	}()
	if ready != nil {
		close(ready)
	}
	err := s.acceptLoop()
	s.cancel()

	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if s.http.Shutdown(sctx) != nil {
		s.http.Close()
	}
	<-httpDone
	s.conns.Wait()
	return err
}

func (s *Server) acceptLoop() error {
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-s.ctx.Done():
					return nil
				}
				continue
			}
			return fmt.Errorf("serve: accept: %w", err)
		}
		backoff = 0
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(c)
		}()
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// Close stops the server: no new connections, requests in progress get a
// few seconds, handshakes in progress are cut. It waits until everything
// has stopped. Close is safe to call more than once.
func (s *Server) Close() error {
	s.cancel()
	if s.started.Load() {
		<-s.serveDone
	} else {
		s.ln.Close()
	}
	return nil
}

// logf writes one log line.
func (s *Server) logf(format string, a ...any) {
	if s.cfg.Log == nil {
		return
	}
	line := time.Now().Format("15:04:05.000") + " "
	if s.cfg.Name != "" {
		line += "[" + s.cfg.Name + "] "
	}
	line += fmt.Sprintf(format, a...)
	line = strings.ReplaceAll(line, "\n", " ") + "\n"
	s.logMu.Lock()
	defer s.logMu.Unlock()
	io.WriteString(s.cfg.Log, line)
}

// connQueue is the listener the HTTP server reads: connections whose TLS
// handshake is done.
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{}), addr: addr}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// put hands a connection to the HTTP server; false when it is closed.
func (q *connQueue) put(c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
