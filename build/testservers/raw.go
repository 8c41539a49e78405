package testservers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
)

// Serve starts cardcheck's own Go mTLS server (app/serve) in-process on
// 127.0.0.1 (unless cfg.ListenAddr says otherwise); its log is attached to
// the test when it fails.
func Serve(t testing.TB, cfg serve.Config) *Server {
	t.Helper()
	log := &logFile{}
	if cfg.Log != nil {
		cfg.Log = io.MultiWriter(cfg.Log, log)
	} else {
		cfg.Log = log
	}
	srv, err := serve.New(cfg)
	if err != nil {
		t.Fatalf("testservers: serve: %v", err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	s := newServer(srv.Addr(), log.String)
	s.URL, s.TLSURL = srv.URL(), srv.TLSURL()
	attachLog(t, "serve", s)
	return s
}

// Raw starts a TCP server on 127.0.0.1 that runs handler for every
// connection, in its own goroutine, and closes the connection when the
// handler returns. At the end of the test the listener and every open
// connection are closed (so a handler blocked in Read returns) and Raw
// waits for the handlers. The log lists the connections.
func Raw(t testing.TB, handler func(net.Conn)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testservers: listen: %v", err)
	}
	log := &logFile{}
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]struct{}{}
		closed bool
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = struct{}{}
			mu.Unlock()
			fmt.Fprintf(log, "%s accepted %s\n", time.Now().Format("15:04:05.000"), c.RemoteAddr())
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
					fmt.Fprintf(log, "%s closed %s\n", time.Now().Format("15:04:05.000"), c.RemoteAddr())
				}()
				handler(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	s := newServer(ln.Addr().String(), log.String)
	attachLog(t, "raw server", s)
	return s
}

// readRecord reads one TLS record (normally the ClientHello) and returns
// its header and body.
func readRecord(r io.Reader) ([]byte, error) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}

// drain reads and discards until the peer closes or the connection is
// closed under it (end of test).
func drain(c net.Conn) { io.Copy(io.Discard, c) }

// linger ends a connection after an answer without a reset: half-close,
// then read what the client still sends for a moment.
func linger(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	drain(c)
}

// NotTLS answers at once with a plain-text HTTP 400, as a server that does
// not speak TLS on that port would; a TLS client fails with "first record
// does not look like a TLS handshake".
func NotTLS(c net.Conn) {
	io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\nthis is not TLS\n")
	linger(c)
}

// CloseMidHandshake reads the ClientHello and closes the connection: the
// client sees EOF in the middle of the handshake.
func CloseMidHandshake(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	readRecord(c)
}

// Stall accepts and never answers: it reads and discards until the client
// gives up or the test ends.
func Stall(c net.Conn) { drain(c) }

// MalformedRecord answers the ClientHello with a bogus record: a handshake
// record header (type 22, version 0x0303) announcing 65535 bytes, more than
// TLS allows, followed by garbage. A crypto/tls client fails with "tls:
// oversized record received with length 65535".
func MalformedRecord(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := readRecord(c); err != nil {
		return
	}
	garbage := []byte{0x16, 0x03, 0x03, 0xff, 0xff}
	for i := range 64 {
		garbage = append(garbage, byte(0xa5^i*7))
	}
	c.Write(garbage)
	c.SetReadDeadline(time.Time{})
	linger(c)
}

// PlainHTTP is an HTTP/1.1 server without TLS: every request gets 200 and
// "plain HTTP, no TLS"; what is not HTTP (a ClientHello) gets 400, as from
// Go's net/http.
func PlainHTTP(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !isClosed(err) {
				io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request")
				linger(c)
			}
			return
		}
		io.Copy(io.Discard, req.Body)
		body := "plain HTTP, no TLS\n"
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		if req.Close || strings.EqualFold(req.Header.Get("Connection"), "close") {
			linger(c)
			return
		}
	}
}

func isClosed(err error) bool {
	var ne net.Error
	return errors.Is(err, net.ErrClosed) || errors.As(err, &ne) && ne.Timeout()
}
