package emulated_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/cardstack"
	"github.com/cardcheck/cardcheck/token"
)

// engineSO is libp11's OpenSSL 3 engine (Debian libengine-pkcs11-openssl).
const engineSO = "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"

// TestCheckAgainstOpenSSLEngine runs the same mutual-TLS test through the
// emulated card with cardcheck (module load, listing, login, pre-flight,
// handshake, HTTP; in this process) and with `openssl s_client -engine
// pkcs11` (a new process, as a user would run it), against one local
// server, and reports APDUs (counted by the emulator) and wall time as
// ratios.
func TestCheckAgainstOpenSSLEngine(t *testing.T) {
	if _, err := os.Stat(engineSO); err != nil {
		t.Fatalf("%s is missing (Debian package libengine-pkcs11-openssl): run build/deps.sh test", engineSO)
	}
	st := stack(t)
	srv, err := serve.New(serve.Config{Name: "card stack", CertFile: st.PKI.ServerCertFile,
		KeyFile: st.PKI.ServerKeyFile, ClientCAFile: st.PKI.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	dir := t.TempDir()
	certFile := filepath.Join(dir, "auth.pem")
	if err := pki.WriteCerts(certFile, st.PKI.Auth.Cert); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "openssl.cnf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = %s
MODULE_PATH = %s
init = 0
`, engineSO, st.Module)), 0o644); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL())

	const rounds = 3
	var ours, theirs time.Duration
	var ourAPDUs, theirAPDUs int
	for range rounds {
		st.Card.ClearStats()
		start := time.Now()
		m := token.NewManager(token.Options{})
		inv := m.Scan([]token.Candidate{{Path: st.Module, Source: token.SourceExplicit}})
		if len(inv.Tokens) != 1 {
			t.Fatalf("OpenSC shows %d tokens", len(inv.Tokens))
		}
		p, err := check.Login(certByCN(t, inv.Tokens[0], cardstack.AuthCN), token.LoginOptions{PIN: cardstack.PIN})
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res := p.Run(ctx, probe.Options{URL: srv.URL(), TLSVersion: "1.3", Roots: roots(t, st.PKI.CAFile), Timeout: 20 * time.Second})
		cancel()
		p.Close()
		m.Close()
		ours += time.Since(start)
		if res.Verdict != probe.Accepted {
			t.Fatalf("cardcheck: %s (%s)", res.Verdict, res.Summary)
		}
		ourAPDUs += st.Card.Stats().APDUs

		st.Card.ClearStats()
		start = time.Now()
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "openssl", "s_client", "-engine", "pkcs11", "-keyform", "engine",
			"-key", "pkcs11:id=%01;type=private?pin-value="+cardstack.PIN, "-cert", certFile,
			"-CAfile", st.PKI.CAFile, "-connect", u.Host, "-servername", "localhost", "-tls1_3", "-ign_eof", "-quiet")
		cmd.Env = append(append(os.Environ(), st.Env...), "OPENSSL_CONF="+conf)
		cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
		out, err := cmd.CombinedOutput()
		cancel()
		theirs += time.Since(start)
		if err != nil || !strings.Contains(string(out), "HTTP/1.") || !strings.Contains(string(out), " 200 ") {
			t.Fatalf("openssl s_client: %v\n%s", err, out)
		}
		theirAPDUs += st.Card.Stats().APDUs
	}
	t.Logf("TLS 1.3 test through the card — cardcheck: %v, %d APDUs; openssl s_client -engine pkcs11: %v, %d APDUs (means of %d); ratio time %.2f, APDUs %.2f",
		(ours / rounds).Round(time.Millisecond), ourAPDUs/rounds, (theirs / rounds).Round(time.Millisecond), theirAPDUs/rounds, rounds,
		float64(ours)/float64(theirs), float64(ourAPDUs)/float64(theirAPDUs))
}
