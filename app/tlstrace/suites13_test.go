package tlstrace

import (
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// crypto/tls picks TLS_CHACHA20_POLY1305_SHA256 only when the machine has no
// AES hardware (RFC 8446 lets the server choose; Go follows the client's
// preference, which depends on the CPU). GODEBUG=cpu.aes=off must be set when
// the process starts, so the test runs itself again in a child process.
func TestTLS13ChaCha20Loopback(t *testing.T) {
	if os.Getenv("TLSTRACE_CHILD") == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestTLS13ChaCha20Loopback$", "-test.v")
		cmd.Env = append(os.Environ(), "TLSTRACE_CHILD=1", "GODEBUG=cpu.aes=off")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "negotiated TLS_CHACHA20_POLY1305_SHA256") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	p := getPKI()
	o := loopback{server: serverConfig(p.serverEC, tls.VersionTLS13), clientCert: &p.clientRSA}.run(t)
	if o.hsErr != nil || o.readErr != nil || o.serverErr != nil {
		t.Fatalf("handshake %v, read %v, server %v", o.hsErr, o.readErr, o.serverErr)
	}
	if o.state.CipherSuite != tls.TLS_CHACHA20_POLY1305_SHA256 {
		t.Fatalf("negotiated %s; GODEBUG=cpu.aes=off had no effect", tls.CipherSuiteName(o.state.CipherSuite))
	}
	steps := o.tr.Steps()
	wantSequence(t, steps, "server", server13...)
	wantSequence(t, steps, "client", client13...)
	checkCommon13(t, o, steps)
	t.Log("negotiated", tls.CipherSuiteName(o.tr.CipherSuite()))
}
