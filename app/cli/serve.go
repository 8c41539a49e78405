package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
)

// serveCmd runs `cardcheck serve` until SIGINT or SIGTERM.
func serveCmd(args []string, io IO) exitCode {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveWithContext(ctx, args, io)
}

// serveWithContext is `cardcheck serve`, stopped by ctx: a local mTLS test
// server that reports the client certificate it saw (docs/contract.md). Setup
// problems (flags, files, address) exit 2; a clean stop exits 0.
func serveWithContext(ctx context.Context, args []string, io IO) exitCode {
	fs := newFlags("serve")
	listen := fs.String("listen", "", "`ADDR` to listen on, host:port (e.g. 127.0.0.1:8443, :8443)")
	certFile := fs.String("cert", "", "server certificate `FILE`, PEM (leaf first, then intermediates)")
	keyFile := fs.String("key", "", "server private key `FILE`, PEM")
	clientCA := fs.String("client-ca", "", "`FILE` of CA certificates (PEM) a client certificate must chain to")
	crlFile := fs.String("crl", "", "CRL `FILE` (PEM or DER): revoked client certificates are rejected")
	version := fs.String("tls", "auto", "TLS `VERSION`: auto, 1.2 or 1.3")
	noCANames := fs.Bool("no-ca-names", false, "send no CA names in the CertificateRequest (the certificate is still checked)")
	optional := fs.Bool("optional", false, "ask for a client certificate but accept the connection whatever it is; report the check over HTTP")
	noClientCert := fs.Bool("no-client-cert", false, "ask for no client certificate at all (instead of --client-ca)")
	if err := parse(fs, args); err != nil {
		return exitCode{ExitUsage, err}
	}
	var missing []string
	for _, f := range []struct {
		name string
		val  string
	}{{"--listen ADDR", *listen}, {"--cert FILE", *certFile}, {"--key FILE", *keyFile}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if *clientCA == "" && !*noClientCert {
		missing = append(missing, "--client-ca FILE")
	}
	if len(missing) > 0 {
		return exitCode{ExitUsage, usagef("serve needs %s (see cardcheck serve --help)", strings.Join(missing, ", "))}
	}
	if *noClientCert && (*clientCA != "" || *crlFile != "" || *noCANames || *optional) {
		return exitCode{ExitUsage, usagef("--no-client-cert cannot be combined with --client-ca, --crl, --no-ca-names or --optional")}
	}
	if _, ok := probe.ParseTLSVersion(*version); !ok {
		return exitCode{ExitUsage, usagef("--tls must be auto, 1.2 or 1.3, not %q", *version)}
	}

	srv, err := serve.New(serve.Config{
		ListenAddr:   *listen,
		CertFile:     *certFile,
		KeyFile:      *keyFile,
		ClientCAFile: *clientCA,
		CRLFile:      *crlFile,
		TLS:          *version,
		OmitCANames:  *noCANames,
		Optional:     *optional,
		Log:          io.Stderr,
	})
	if err != nil {
		return exitCode{ExitUsage, usagef("serve: %v", err)}
	}
	fmt.Fprintf(io.Stdout, "Listening on %s (%s)\n", strings.TrimSuffix(srv.URL(), "/"), srv.Describe())
	fmt.Fprintln(io.Stdout, "Every request is answered with a report of the client certificate (add ?format=json for JSON). Stop with Ctrl+C.")
	if err := srv.Serve(ctx); err != nil {
		return exitCode{ExitFail, err}
	}
	fmt.Fprintln(io.Stderr, "cardcheck serve: stopped")
	return exitCode{ExitOK, nil}
}
