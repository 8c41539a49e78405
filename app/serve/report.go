package serve

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Report is the JSON body the server answers with (?format=json or an
// Accept header asking for JSON).
type Report struct {
	Server                     string        `json:"server"`
	Name                       string        `json:"name,omitempty"`
	Status                     int           `json:"status"`
	TLS                        ReportTLS     `json:"tls"`
	ClientCertificateRequested bool          `json:"client_certificate_requested"`
	ClientCertificate          *ReportCert   `json:"client_certificate"`
	ChainVerification          ReportChain   `json:"chain_verification"`
	Request                    ReportRequest `json:"request"`
}

// ReportTLS describes the connection.
type ReportTLS struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	SNI         string `json:"sni"`
	ALPN        string `json:"alpn"`
}

// ReportCert describes the client certificate (the leaf).
type ReportCert struct {
	Subject   string `json:"subject"`
	Issuer    string `json:"issuer"`
	Serial    string `json:"serial"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
	SHA256    string `json:"sha256"`
	// ChainSent counts the certificates the client sent, leaf included.
	ChainSent int `json:"chain_sent"`
}

// ReportChain is the result of the server's check of the client
// certificate: Result is "ok", "failed", "no-certificate" or
// "not-requested"; Alert names the alert a strict server sends when
// failed (only reported when the certificate is optional: otherwise the
// connection was refused).
type ReportChain struct {
	Result string   `json:"result"`
	Error  string   `json:"error,omitempty"`
	Alert  string   `json:"alert,omitempty"`
	Chain  []string `json:"chain,omitempty"` // verified chain, leaf to root
}

// ReportRequest echoes the HTTP request.
type ReportRequest struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	RemoteAddr string `json:"remote_addr"`
}

// ServerName is the Report.Server value.
const ServerName = "cardcheck test server"

type wireKey struct{}

// connContext makes the connection's wireConn available to the handler.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		if w, ok := tc.NetConn().(*wireConn); ok {
			return context.WithValue(ctx, wireKey{}, w)
		}
	}
	return ctx
}

func (s *Server) report(r *http.Request) *Report {
	rep := &Report{
		Server: ServerName, Name: s.cfg.Name, Status: s.cfg.Status,
		ClientCertificateRequested: s.requestCert,
		Request:                    ReportRequest{Method: r.Method, Path: r.URL.RequestURI(), RemoteAddr: r.RemoteAddr},
	}
	if cs := r.TLS; cs != nil {
		rep.TLS = ReportTLS{Version: tls.VersionName(cs.Version), CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
			SNI: cs.ServerName, ALPN: cs.NegotiatedProtocol}
	}
	v := &verdict{requested: s.requestCert}
	if w, ok := r.Context().Value(wireKey{}).(*wireConn); ok {
		v = w.getVerdict(s.requestCert)
	}
	if len(v.peer) > 0 {
		rep.ClientCertificate = certReport(v.peer[0])
		rep.ClientCertificate.ChainSent = len(v.peer)
	}
	rep.ChainVerification.Result = v.result()
	if v.checked && !v.ok {
		rep.ChainVerification.Alert = AlertName(v.alert)
		if v.err != nil {
			rep.ChainVerification.Error = v.err.Error()
		}
	}
	for _, c := range v.chain {
		rep.ChainVerification.Chain = append(rep.ChainVerification.Chain, c.Subject.String())
	}
	return rep
}

func certReport(c *x509.Certificate) *ReportCert {
	fp := sha256.Sum256(c.Raw)
	return &ReportCert{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: serialHex(c),
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		SHA256: hex.EncodeToString(fp[:]),
	}
}

// wantsJSON: ?format=json wins, then ?format=text, then the Accept header.
func wantsJSON(r *http.Request) bool {
	switch strings.ToLower(r.URL.Query().Get("format")) {
	case "json":
		return true
	case "text", "txt", "plain":
		return false
	}
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "json")
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rep := s.report(r)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Accept")
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.cfg.Status)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(s.cfg.Status)
	fmt.Fprint(w, rep.Text())
}

// Text renders the report as plain text.
func (rep *Report) Text() string {
	var b strings.Builder
	title := rep.Server
	if rep.Name != "" {
		title += " (" + rep.Name + ")"
	}
	fmt.Fprintf(&b, "%s: %s\n\n", title, rep.headline())
	line := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&b, "%-20s %s\n", k+":", v)
	}
	line("TLS version", rep.TLS.Version)
	line("Cipher suite", rep.TLS.CipherSuite)
	line("Server name (SNI)", rep.TLS.SNI)
	if c := rep.ClientCertificate; c != nil {
		b.WriteString("Client certificate:\n")
		line("  Subject", c.Subject)
		line("  Issuer", c.Issuer)
		line("  Serial", c.Serial)
		line("  Not before", c.NotBefore)
		line("  Not after", c.NotAfter)
		line("  SHA-256", c.SHA256)
		line("  Certificates sent", fmt.Sprint(c.ChainSent))
	}
	cv := rep.ChainVerification
	switch cv.Result {
	case "ok":
		line("Chain verification", "ok: "+strings.Join(cv.Chain, " <- "))
	case "failed":
		line("Chain verification", fmt.Sprintf("failed (%s): %s", cv.Alert, cv.Error))
	case "no-certificate":
		line("Chain verification", "no client certificate was sent")
	default:
		line("Chain verification", "no client certificate was requested")
	}
	line("Request", rep.Request.Method+" "+rep.Request.Path)
	line("HTTP status", fmt.Sprintf("%d %s", rep.Status, http.StatusText(rep.Status)))
	return b.String()
}

func (rep *Report) headline() string {
	switch rep.ChainVerification.Result {
	case "ok":
		return "client certificate accepted"
	case "failed":
		return "client certificate failed verification (allowed: optional)"
	case "no-certificate":
		return "no client certificate"
	}
	return "no client certificate requested"
}
