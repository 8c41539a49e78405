package testservers

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is a plain crypto/tls mutual-TLS HTTP request, to check the
// test servers independently of cardcheck's probe.
type Request struct {
	URL     string // https://host:port/path (the path and query are sent)
	Version uint16 // tls.VersionTLS12 or tls.VersionTLS13; 0 for both
	// Cert is offered when the server asks; nil sends an empty
	// Certificate message.
	Cert *tls.Certificate
	// RootCAs verifies the server; nil skips server verification.
	RootCAs *x509.CertPool
	// Accept is the Accept header; empty sends none.
	Accept  string
	Timeout time.Duration // whole exchange; 0 means 10 s
}

// Response is what happened.
type Response struct {
	// HandshakeErr is Handshake's error (TLS 1.2 alerts arrive here);
	// Err is the first error of the whole exchange, handshake included
	// (TLS 1.3 alerts arrive on the first read).
	HandshakeErr error
	Err          error
	// Alert is the alert received from the server, when any (AlertOK).
	Alert   uint8
	AlertOK bool
	// CertRequested tells whether the server sent a CertificateRequest;
	// CertRequest is what it asked for.
	CertRequested bool
	CertRequest   *tls.CertificateRequestInfo
	State         tls.ConnectionState
	Status        int // HTTP status, 0 when there was no answer
	Body          string
}

// Fetch makes one HTTPS request over a new connection with an optional
// client certificate, and reports every step. It never fails the test.
func Fetch(req Request) (res Response) {
	timeout := req.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		res.Err = err
		return res
	}
	var mu sync.Mutex
	cfg := &tls.Config{
		ServerName:         "localhost",
		RootCAs:            req.RootCAs,
		InsecureSkipVerify: req.RootCAs == nil,
		MinVersion:         tls.VersionTLS12,
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			mu.Lock()
			res.CertRequested, res.CertRequest = true, cri
			mu.Unlock()
			if req.Cert == nil {
				return &tls.Certificate{}, nil
			}
			return req.Cert, nil
		},
	}
	if req.Version != 0 {
		cfg.MinVersion, cfg.MaxVersion = req.Version, req.Version
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		res.Alert, res.AlertOK = RemoteAlert(res.Err)
	}()
	if err != nil {
		res.HandshakeErr, res.Err = err, err
		return res
	}
	c := nc.(*tls.Conn)
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	res.State = c.ConnectionState()
	path := u.RequestURI()
	hdr := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n"
	if req.Accept != "" {
		hdr += "Accept: " + req.Accept + "\r\n"
	}
	if _, err := io.WriteString(c, hdr+"\r\n"); err != nil {
		res.Err = err
		return res
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	res.Status, res.Body = resp.StatusCode, string(body)
	if err != nil && !strings.Contains(err.Error(), "close_notify") {
		res.Err = fmt.Errorf("read body: %w", err)
	}
	return res
}

// ClientCert builds the tls.Certificate a client offers: leaf, chain
// (intermediates) and key.
func ClientCert(leaf *x509.Certificate, chain []*x509.Certificate, key any) *tls.Certificate {
	c := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}
