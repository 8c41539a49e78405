package testservers

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// OpenSSLPath is the openssl binary.
var OpenSSLPath = "openssl"

// SServerConfig describes an `openssl s_server -www`: it answers any GET
// with HTTP/1.0 200 and a status page, one connection at a time, and keeps
// running for any number of connections.
type SServerConfig struct {
	CertFile string // server certificate, then its chain, PEM; required
	KeyFile  string // its key; required
	// CAFile is -CAfile: the CAs client certificates must chain to, and
	// the names in the CertificateRequest.
	CAFile string
	// CRLFile holds PEM CRLs, used with CRLCheck or CRLCheckAll. s_server's
	// -CRL loads only the first CRL of a file, so a file with several is
	// appended to a copy of CAFile instead (OpenSSL loads CRLs found in the
	// -CAfile).
	CRLFile string
	// CRLCheck is -crl_check: the leaf must have a CRL from its issuer
	// that does not list it. CRLCheckAll (-crl_check_all) checks the
	// whole chain and needs a CRL from every CA (the rig's CRLAllFile).
	CRLCheck    bool
	CRLCheckAll bool
	TLS         string // "1.2" (-tls1_2), "1.3" (-tls1_3), or "" for both
	// RequireCert asks for a client certificate and fails the handshake
	// with an alert when it is missing or does not verify
	// (-Verify 4 -verify_return_error). Without it and without
	// RequestCert no certificate is requested.
	RequireCert bool
	// RequestCert asks for a client certificate but lets the handshake
	// complete whatever it is (-verify 4); the status page shows the
	// verification result. Ignored with RequireCert.
	RequestCert bool
	// NoCANames is -no_ca_names: no CA names in the CertificateRequest.
	// In TLS 1.3 OpenSSL 3.0 then sends an empty certificate_authorities
	// extension, which RFC 8446 forbids: crypto/tls clients fail with
	// "error decoding message" (decode_error) before GetClientCertificate.
	NoCANames bool
	// Interactive runs s_server without -www: it echoes data and takes
	// commands on standard input (Server.Command), e.g. "R" to renegotiate
	// asking for a client certificate, as IIS does.
	Interactive bool
	Args        []string // more s_server options
}

// SServer starts `openssl s_server -www` on 127.0.0.1 (port chosen by
// s_server: -accept 127.0.0.1:0, read back from its "ACCEPT" line). Its
// standard output and error are logged to a file in the test's temporary
// directory.
//
// Alerts it sends when RequireCert is set (OpenSSL 3.0): untrusted
// certificate unknown_ca (48); revoked with CRLCheck certificate_revoked
// (44); expired certificate_expired (45); no certificate handshake_failure
// (40) in TLS 1.2 and certificate_required (116) in TLS 1.3.
func SServer(t testing.TB, cfg SServerConfig) *Server {
	t.Helper()
	if _, err := exec.LookPath(OpenSSLPath); err != nil {
		t.Fatalf("testservers: openssl is not installed: %v", err)
	}
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		t.Fatal("testservers: SServerConfig needs CertFile and KeyFile")
	}
	dir := t.TempDir()
	args := []string{"s_server", "-accept", "127.0.0.1:0", "-no_cache", "-no_ticket", "-key", cfg.KeyFile}
	if !cfg.Interactive {
		args = append(args, "-www")
	}
	certArgs, err := splitChain(dir, cfg.CertFile)
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	args = append(args, certArgs...)
	switch {
	case cfg.RequireCert:
		args = append(args, "-Verify", "4", "-verify_return_error")
	case cfg.RequestCert:
		args = append(args, "-verify", "4")
	}
	if cfg.CRLFile != "" {
		crlArgs, err := crlOptions(dir, cfg)
		if err != nil {
			t.Fatalf("testservers: %v", err)
		}
		args = append(args, crlArgs...)
	} else if cfg.CAFile != "" {
		args = append(args, "-CAfile", cfg.CAFile)
	}
	if cfg.CRLCheck {
		args = append(args, "-crl_check")
	}
	if cfg.CRLCheckAll {
		args = append(args, "-crl_check_all")
	}
	switch cfg.TLS {
	case "":
	case "1.2":
		args = append(args, "-tls1_2")
	case "1.3":
		args = append(args, "-tls1_3")
	default:
		t.Fatalf("testservers: invalid TLS version %q", cfg.TLS)
	}
	if cfg.NoCANames {
		args = append(args, "-no_ca_names")
	}
	args = append(args, cfg.Args...)

	log, err := newLogFile(filepath.Join(dir, "s_server.log"))
	if err != nil {
		t.Fatal(err)
	}
	accept := make(chan string, 1)
	log.onLine = func(line string) {
		if a, ok := strings.CutPrefix(line, "ACCEPT "); ok {
			select {
			case accept <- strings.TrimSpace(a):
			default:
			}
		}
	}
	cmd := exec.Command(OpenSSLPath, args...)
	cmd.Stdout, cmd.Stderr = log, log
	var stdin io.WriteCloser
	if cfg.Interactive {
		if stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	cmdline := OpenSSLPath + " " + strings.Join(args, " ")
	p, err := startProcess(t, cmd)
	if err != nil {
		t.Fatalf("testservers: start s_server: %v", err)
	}
	t.Cleanup(log.Close)
	var addr string
	select {
	case addr = <-accept:
	case <-p.exited:
		t.Fatalf("testservers: s_server exited: %v\n%s\n%s", p.err, cmdline, log.String())
	case <-time.After(startTimeout):
		t.Fatalf("testservers: s_server did not start within %v\n%s\n%s", startTimeout, cmdline, log.String())
	}
	s := newServer(addr, func() string { return "$ " + cmdline + "\n" + log.String() })
	s.stdin = stdin
	attachLog(t, "s_server", s) // s_server prints ACCEPT once it listens
	return s
}

// splitChain returns the s_server options for a certificate file that may
// hold a chain: -cert takes the first certificate only, -cert_chain the
// others.
func splitChain(dir, certFile string) ([]string, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	var blocks []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) <= 1 {
		return []string{"-cert", certFile}, nil
	}
	leaf, chain := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "chain.pem")
	if err := os.WriteFile(leaf, pem.EncodeToMemory(blocks[0]), 0o644); err != nil {
		return nil, err
	}
	var rest []byte
	for _, b := range blocks[1:] {
		rest = append(rest, pem.EncodeToMemory(b)...)
	}
	if err := os.WriteFile(chain, rest, 0o644); err != nil {
		return nil, fmt.Errorf("write chain: %w", err)
	}
	return []string{"-cert", leaf, "-cert_chain", chain}, nil
}

// crlOptions returns -CAfile and, for a file with one CRL, -CRL.
func crlOptions(dir string, cfg SServerConfig) ([]string, error) {
	if cfg.CAFile == "" {
		return nil, fmt.Errorf("SServerConfig.CRLFile needs CAFile")
	}
	data, err := os.ReadFile(cfg.CRLFile)
	if err != nil {
		return nil, err
	}
	if n := bytes.Count(data, []byte("-----BEGIN X509 CRL-----")); n <= 1 {
		return []string{"-CAfile", cfg.CAFile, "-CRL", cfg.CRLFile, "-CRLform", "PEM"}, nil
	}
	ca, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	combined := filepath.Join(dir, "ca-and-crls.pem")
	if err := os.WriteFile(combined, append(append(ca, '\n'), data...), 0o644); err != nil {
		return nil, err
	}
	return []string{"-CAfile", combined}, nil
}
