package demo

import (
	"io"
	"path/filepath"

	"github.com/cardcheck/cardcheck/app/serve"
)

// scenarioDef describes a prepared test: the server to start and the
// certificate to test it with. The first one is the default.
type scenarioDef struct {
	name, description string
	cert              string // entry name on the demo token
	expect            string
	tls               string
	server            string // key into the shared servers below
}

// Servers are shared between scenarios that differ only in the
// certificate used.
type serverDef struct {
	tls           string
	clientCA      string // file in the demo directory; "" = no client certificate requested
	crl           bool
	untrustedCert bool
	status        int
}

var servers = map[string]serverDef{
	"accept-1.3":  {tls: "1.3", clientCA: fileClientCA},
	"accept-1.2":  {tls: "1.2", clientCA: fileClientCA},
	"other-ca":    {tls: "auto", clientCA: fileOtherCA},
	"revocation":  {tls: "auto", clientCA: fileClientCA, crl: true},
	"no-cert":     {tls: "auto"},
	"untrusted":   {tls: "auto", clientCA: fileClientCA, untrustedCert: true},
	"application": {tls: "auto", clientCA: fileClientCA, status: 403},
}

var scenarios = []scenarioDef{
	{"accepted-tls13", "A server that trusts the demo CA, in TLS 1.3: the card is accepted; the encrypted handshake messages are decrypted and shown.",
		"rsa", "accepted", "1.3", "accept-1.3"},
	{"accepted-tls12", "The same server in TLS 1.2: compare the ladder with TLS 1.3 — more messages in the clear, ServerKeyExchange, two ChangeCipherSpecs.",
		"ecdsa", "accepted", "1.2", "accept-1.2"},
	{"untrusted-ca", "A server that does not trust the demo CA: it refuses the certificate with the alert unknown_ca.",
		"rsa", "rejected", "auto", "other-ca"},
	{"revoked", "A server that checks revocation: the revoked certificate is refused with certificate_revoked, and the local revocation check finds it in the CRL.",
		"revoked", "rejected", "auto", "revocation"},
	{"expired", "An expired certificate: the server refuses it with certificate_expired.",
		"expired", "rejected", "1.3", "accept-1.3"},
	{"unknown-issuer", "A certificate from a CA the server has never heard of: refused with unknown_ca; the acceptable-CA check explains why.",
		"unknown-ca", "rejected", "1.3", "accept-1.3"},
	{"not-for-client-auth", "A certificate meant for servers only (no TLS client EKU): refused with unsupported_certificate.",
		"no-client-auth", "rejected", "1.3", "accept-1.3"},
	{"no-client-certificate", "A server that asks for no client certificate: the card is never used.",
		"rsa", "not-requested", "auto", "no-cert"},
	{"untrusted-server", "A server whose own certificate this computer does not trust: the test stops before the card's certificate is sent.",
		"rsa", "server-untrusted", "auto", "untrusted"},
	{"denied", "TLS accepts the card, but the application answers 403 Forbidden: the card works, the account lacks access.",
		"rsa", "denied", "auto", "application"},
}

// startServer starts (or reuses) the scenario's server and returns its URL.
func (d *Demo) startServer(sc scenarioDef) (string, error) {
	if d.urls == nil {
		d.urls = map[string]string{}
	}
	if url, ok := d.urls[sc.server]; ok {
		return url, nil
	}
	def := servers[sc.server]
	cfg := serve.Config{Name: "demo " + sc.server, ListenAddr: "127.0.0.1:0", TLS: def.tls,
		CertFile: d.path(fileServer), KeyFile: d.path(fileServerKey), Status: def.status, Log: io.Discard}
	if def.untrustedCert {
		cfg.CertFile, cfg.KeyFile = d.path(fileUntrustedServer), d.path(fileUntrustedKey)
	}
	if def.clientCA != "" {
		cfg.ClientCAFile = d.path(def.clientCA)
	}
	if def.crl {
		cfg.CRLFile = d.path(fileCRL)
	}
	srv, err := serve.New(cfg)
	if err != nil {
		return "", err
	}
	srv.Start()
	d.servers = append(d.servers, srv)
	d.urls[sc.server] = srv.URL()
	return srv.URL(), nil
}

func (d *Demo) path(name string) string { return filepath.Join(d.Dir, name) }

// scenario is the public description of a started scenario.
func (sc scenarioDef) scenario(d *Demo, url string) Scenario {
	caFile := d.path(fileCA)
	if servers[sc.server].untrustedCert {
		caFile = ""
	}
	label := ""
	for _, e := range entries {
		if e.name == sc.cert {
			label = e.label
		}
	}
	return Scenario{Name: sc.name, Description: sc.description, URL: url, CAFile: caFile,
		CertURI: d.TokenURI + ";object=" + label + ";type=cert", Expect: sc.expect, TLS: sc.tls}
}
