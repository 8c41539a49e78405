package serve

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// FuzzHandshakeInput feeds what a client may send first — a TLS
// ClientHello, plain HTTP, garbage — to the server's connection handler
// over an in-memory pipe: no panic, and the handler returns once the
// client has sent its bytes and closed.
func FuzzHandshakeInput(f *testing.F) {
	root, err := pki.NewRoot("Fuzz Serve CA", pki.ECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	leaf, err := root.Issue(pki.LeafSpec{CommonName: "localhost", DNSNames: []string{"localhost"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		f.Fatal(err)
	}
	cert := leaf.TLSCertificate()
	s, err := New(Config{Certificate: &cert, ClientCAs: root.RootPool(), HandshakeTimeout: 2 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Add(clientHello(f))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	f.Add([]byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.handle(server)
		}()
		go io.Copy(io.Discard, client) // whatever the server answers
		go func() {
			// The pipe has no buffer: a server that stops reading early
			// leaves this write blocked until the client is closed below.
			client.Write(data)
			client.Close()
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the handler did not return after the client closed")
		}
		client.Close()
	})
}

// clientHello is what a Go client sends first.
func clientHello(f *testing.F) []byte {
	client, server := net.Pipe()
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4096)
		server.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := server.Read(b)
		buf.Write(b[:n])
		server.Close()
	}()
	tls.Client(client, &tls.Config{ServerName: "localhost"}).Handshake()
	<-done
	if buf.Len() == 0 {
		f.Fatal("no ClientHello")
	}
	return buf.Bytes()
}
