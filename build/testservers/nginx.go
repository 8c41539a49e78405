package testservers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NginxPath is the nginx binary (Debian's nginx-light).
var NginxPath = "/usr/sbin/nginx"

// NginxConfig describes an nginx HTTPS server. Its locations:
//
//	/            200, a few lines: "client verify: SUCCESS|FAILED:…|NONE",
//	             "client subject: …", "protocol: …", "cipher: …"
//	/forbidden   403
//	/login       401 with WWW-Authenticate
//
// With ssl_verify_client on, nginx completes the handshake for a missing,
// untrusted or revoked client certificate and answers HTTP 400 ("No
// required SSL certificate was sent" / "The SSL certificate error").
type NginxConfig struct {
	CertFile string // server certificate (and chain), PEM; required
	KeyFile  string // its key; required
	// ClientCAFile is ssl_client_certificate: the CAs client certificates
	// must chain to, named in the CertificateRequest.
	ClientCAFile string
	// CRLFile is ssl_crl. nginx checks the whole chain, so it needs a CRL
	// from every CA (use the rig's CRLAllFile).
	CRLFile string
	TLS     string // "1.2", "1.3", or "" for both
	// VerifyClient is ssl_verify_client: "on", "optional",
	// "optional_no_ca" or "off"; "" means "on" with a ClientCAFile, else
	// "off".
	VerifyClient string
	VerifyDepth  int // ssl_verify_depth; 0 means 4
	// Extra holds more directives for the server block, e.g. a location.
	Extra string
}

// Nginx starts nginx in the foreground as a single process (daemon off,
// master_process off) with a configuration written to a temporary
// directory that also holds its pid file, logs and temporary paths.
//
// nginx binds the port itself: Nginx picks a free port and starts over on
// another one when nginx reports it is taken. (Handing nginx a socket bound
// here, through the NGINX variable it inherits sockets with, crashes nginx
// 1.22 when master_process is off.) Running as root needs no `user`
// directive: a single nginx process never changes its user.
func Nginx(t testing.TB, cfg NginxConfig) *Server {
	t.Helper()
	if _, err := os.Stat(NginxPath); err != nil {
		t.Fatalf("testservers: nginx is not installed (%v); `make test` installs nginx-light", err)
	}
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		t.Fatal("testservers: NginxConfig needs CertFile and KeyFile")
	}
	verify := cfg.VerifyClient
	if verify == "" {
		verify = "off"
		if cfg.ClientCAFile != "" {
			verify = "on"
		}
	}
	switch verify {
	case "on", "optional":
		if cfg.ClientCAFile == "" {
			t.Fatalf("testservers: ssl_verify_client %s needs ClientCAFile", verify)
		}
	case "off", "optional_no_ca":
	default:
		t.Fatalf("testservers: invalid VerifyClient %q", cfg.VerifyClient)
	}
	protocols, err := nginxProtocols(cfg.TLS)
	if err != nil {
		t.Fatal(err)
	}
	return startRetrying(t, "nginx", func() (*Server, bool, string) { return startNginx(t, cfg, verify, protocols) })
}

// startNginx makes one attempt on a free port. It returns the server, or
// whether to try another port and the log.
func startNginx(t testing.TB, cfg NginxConfig, verify, protocols string) (*Server, bool, string) {
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", itoa(FreePort(t)))
	conf := nginxConf(dir, addr, verify, protocols, cfg)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, err := newLogFile(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	errorLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(NginxPath, "-p", dir, "-c", confPath, "-e", errorLog)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	s := newServer(addr, func() string {
		var b strings.Builder
		for _, name := range []string{"error.log", "access.log"} {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			fmt.Fprintf(&b, "--- %s\n%s", name, data)
		}
		fmt.Fprintf(&b, "--- stderr\n%s--- nginx.conf\n%s", stderr.String(), conf)
		return b.String()
	})
	p, err := startProcess(t, cmd)
	if err != nil {
		t.Fatalf("testservers: start nginx: %v", err)
	}
	t.Cleanup(stderr.Close) // runs after the process stopped (last in, first out)
	if err := p.waitTLS(addr); err != nil {
		log := err.Error() + "\n" + s.Log()
		return nil, strings.Contains(log, "Address already in use"), log
	}
	attachLog(t, "nginx", s)
	return s, false, ""
}

func nginxProtocols(v string) (string, error) {
	switch v {
	case "":
		return "TLSv1.2 TLSv1.3", nil
	case "1.2":
		return "TLSv1.2", nil
	case "1.3":
		return "TLSv1.3", nil
	}
	return "", fmt.Errorf("testservers: invalid TLS version %q (use \"1.2\", \"1.3\" or \"\")", v)
}

// q quotes a value for nginx.conf.
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func nginxConf(dir, addr, verify, protocols string, cfg NginxConfig) string {
	p := func(name string) string { return q(filepath.Join(dir, name)) }
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# generated by build/testservers")
	w("daemon off;")
	w("master_process off;")
	w("worker_processes 1;")
	w("pid %s;", p("nginx.pid"))
	w("error_log %s info;", p("error.log"))
	w("events { worker_connections 256; }")
	w("http {")
	w("  access_log %s;", p("access.log"))
	for _, tp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w("  %s_temp_path %s;", tp, p("tmp_"+tp))
	}
	w("  default_type text/plain;")
	w("  server {")
	w("    listen %s ssl;", addr)
	w("    server_name localhost;")
	w("    ssl_certificate %s;", q(cfg.CertFile))
	w("    ssl_certificate_key %s;", q(cfg.KeyFile))
	w("    ssl_protocols %s;", protocols)
	w("    ssl_session_tickets off;")
	w("    ssl_session_cache off;")
	if cfg.ClientCAFile != "" {
		w("    ssl_client_certificate %s;", q(cfg.ClientCAFile))
	}
	if cfg.CRLFile != "" {
		w("    ssl_crl %s;", q(cfg.CRLFile))
	}
	depth := cfg.VerifyDepth
	if depth == 0 {
		depth = 4
	}
	w("    ssl_verify_client %s;", verify)
	w("    ssl_verify_depth %d;", depth)
	w(`    location / { return 200 "cardcheck nginx test server: OK\nclient verify: $ssl_client_verify\nclient subject: $ssl_client_s_dn\nprotocol: $ssl_protocol\ncipher: $ssl_cipher\n"; }`)
	w(`    location = /forbidden { return 403 "forbidden\n"; }`)
	w(`    location = /login { add_header WWW-Authenticate 'Basic realm="cardcheck"' always; return 401 "unauthorized\n"; }`)
	if cfg.Extra != "" {
		w("    %s", cfg.Extra)
	}
	w("  }")
	w("}")
	return b.String()
}
