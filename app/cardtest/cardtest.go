// Package cardtest is the use case both front ends share: choose the
// certificate, log in to its token (PIN safety is enforced by the token
// layer), hand the key to the probe, and fill in the parts of the result
// that only the token side knows (client certificate, login time).
package cardtest

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/report"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// Select returns the certificate the URI names, or, without a URI, the
// only usable one. Errors list the candidates with their URIs so the user
// can copy one into --cert.
func Select(inv *token.Inventory, uri string) (*token.Certificate, error) {
	var filter *token.URIFilter
	if uri != "" {
		f, err := token.ParseURI(uri)
		if err != nil {
			return nil, err
		}
		filter = f
	}
	var matches []*token.Certificate
	for _, t := range inv.Tokens {
		for _, c := range t.Certificates {
			if filter != nil && filter.Match(c) || filter == nil && c.Usable() && c.X509 != nil {
				matches = append(matches, c)
			}
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) == 0 && filter != nil:
		return nil, fmt.Errorf("no certificate matches %s%s", uri, candidates(inv, nil))
	case len(matches) == 0:
		return nil, fmt.Errorf("no usable certificate was found on any token%s", candidates(inv, nil))
	case filter != nil:
		return nil, fmt.Errorf("%d certificates match %s; make the URI more precise (add id= or serial=)%s", len(matches), uri, candidates(inv, matches))
	}
	return nil, fmt.Errorf("%d usable certificates were found; choose one with --cert URI%s", len(matches), candidates(inv, matches))
}

// candidates lists certificates with their URIs for an error message.
func candidates(inv *token.Inventory, only []*token.Certificate) string {
	var b strings.Builder
	list := only
	if list == nil {
		for _, t := range inv.Tokens {
			list = append(list, t.Certificates...)
		}
	}
	if len(list) == 0 {
		return ". No token with certificates was found: insert the card, or give its module with --module PATH."
	}
	b.WriteString(":")
	for i, c := range list {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more (see cardcheck tokens)", len(list)-20)
			break
		}
		name := c.Label
		if c.X509 != nil {
			name = c.X509.Subject.CommonName
		}
		state := "usable"
		if !c.Usable() {
			state = strings.Join(problemCodes(c.Problems), ", ")
		}
		fmt.Fprintf(&b, "\n  %s [%s] (%s)\n    %s", name, c.KeyDescription(), state, c.URI)
	}
	return b.String()
}

func problemCodes(ps []token.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// Prepared is a card logged in and ready for a test.
type Prepared struct {
	Session       *token.Session
	Signer        *token.Signer
	Cert          *token.Certificate
	Intermediates []*x509.Certificate
	LoginTime     time.Duration
}

// Login opens a session on the certificate's token and logs in once
// (tokens that need no login, such as some HSMs, are used as they are).
func Login(cert *token.Certificate, opt token.LoginOptions) (*Prepared, error) {
	if err := cert.CheckUsable(opt.RequireClientAuth); err != nil {
		return nil, err // known unusable: no PIN is sent
	}
	if opt.Certificate == nil {
		opt.Certificate = cert
	}
	s, err := cert.Token.Module.Open(cert.Token.Ref())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if cert.Token.Flags.LoginRequired {
		if err := s.Login(opt); err != nil {
			s.Close()
			return nil, err
		}
	}
	p := &Prepared{Session: s, Cert: cert, LoginTime: time.Since(start)}
	if p.Signer, err = s.Signer(cert); err != nil {
		s.Close()
		return nil, err
	}
	p.Cert = p.Signer.Certificate() // the fresh snapshot: has_private_key is now definite
	p.Intermediates = IssuersOnToken(p.Cert)
	return p, nil
}

// NeedsLogin reports whether the certificate's token needs a PIN.
func NeedsLogin(cert *token.Certificate) bool { return cert.Token.Flags.LoginRequired }

// Close logs out (by closing the session) and forgets the PIN.
func (p *Prepared) Close() { p.Session.Close() }

// Run runs the probe with the card's key.
func (p *Prepared) Run(ctx context.Context, opt probe.Options) *probe.Result {
	env := Environment(time.Now(), p.Cert.Token)
	res := probe.Run(ctx, opt, probe.Credential{Leaf: p.Cert.X509, Intermediates: p.Intermediates, Card: p.Signer})
	res.ClientCertificate = report.FromCertificate(p.Cert)
	res.Timings.LoginMs = float64(p.LoginTime.Microseconds()) / 1000
	res.Timings.TotalMs += res.Timings.LoginMs
	res.Environment = env
	return res
}

// Failed builds the result of a test that stopped on the token side
// (no certificate, wrong PIN, locked card, removed card).
func Failed(url string, cert *token.Certificate, err error) *probe.Result {
	kind := string(token.KindOf(err))
	if kind == "" {
		kind = string(probe.KindCertificate)
	}
	res := probe.Failure(url, kind, token.MessageOf(err))
	var tok *token.Token
	if cert != nil {
		res.ClientCertificate = report.FromCertificate(cert)
		tok = cert.Token
	}
	res.Environment = Environment(time.Now(), tok)
	return res
}

// Environment describes when and where a test runs: this program and
// system at time now, and the token t and its module (both null in the
// JSON when t is nil). Both front ends get it in every result from Run,
// Test, Failed and a pre-flight that ends the test.
func Environment(now time.Time, t *token.Token) *environment.Environment {
	env := &environment.Environment{Host: environment.Current(now)}
	if t == nil {
		return env
	}
	b := report.Bounded
	env.Token = &environment.Token{Label: b(t.Label), Manufacturer: b(t.Manufacturer), Model: b(t.Model),
		Serial: b(t.Serial), HardwareVersion: t.HardwareVersion, FirmwareVersion: t.FirmwareVersion}
	if m := t.Module; m != nil {
		env.Module = &environment.Module{Path: m.Path, Description: b(m.Info.Description), Manufacturer: b(m.Info.Manufacturer),
			LibraryVersion: b(m.Info.LibraryVersion), CryptokiVersion: m.Info.CryptokiVersion}
	}
	return env
}

// IssuersOnToken returns the chain above the leaf built from the CA
// certificates stored on the same token (cards usually carry their
// intermediates; servers usually trust only the root). Self-signed roots
// are left out: the server has its own copy.
func IssuersOnToken(leaf *token.Certificate) []*x509.Certificate {
	var cas []*x509.Certificate
	for _, c := range leaf.Token.Certificates {
		if c.X509 != nil && c.X509.IsCA {
			cas = append(cas, c.X509)
		}
	}
	var chain []*x509.Certificate
	cur := leaf.X509
	for len(chain) < 8 {
		next := issuerOf(cur, cas)
		if next == nil || isSelfSigned(next) {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

func issuerOf(c *x509.Certificate, cas []*x509.Certificate) *x509.Certificate {
	for _, ca := range cas {
		if string(ca.RawSubject) == string(c.RawIssuer) && c.CheckSignatureFrom(ca) == nil {
			return ca
		}
	}
	return nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

// Card is a logged-in certificate as the front ends use it.
type Card interface {
	// Test runs one test; it always returns a result.
	Test(ctx context.Context, opt Options) *probe.Result
	// Close logs out and forgets the PIN.
	Close()
}

// Options are the user's test settings in the terms of the GUI: a CA file
// path rather than a certificate pool.
type Options struct {
	URL               string
	TLSVersion        string // auto, 1.2, 1.3
	CAFile            string
	ContinueUntrusted bool
	Timeout           time.Duration
	// Deadline, when set, ends the whole test (pre-flight and test share
	// it; see probe.Options.Deadline). Zero: Timeout for each part.
	Deadline      time.Time
	LateAlertWait time.Duration        // 0: probe.DefaultLateAlertWait
	OnStep        func(tlstrace.Step)  // called from the test's goroutine
	OnProgress    func(probe.Progress) // connections and waits, from the test's goroutines
	// Preflight is the pre-flight's finding for these options (from
	// Preflight); the test reports it and uses what it learned.
	Preflight *probe.Preflight
}

var caFileUnusable = msg.Define("cardtest.ca_file_unusable", "The CA file cannot be used: {{.Reason}}")

// probeOptions turns the GUI's terms into the probe's.
func (o Options) probeOptions() (probe.Options, error) {
	roots, err := probe.LoadRoots(o.CAFile)
	if err != nil {
		return probe.Options{}, &token.Error{Kind: token.KindCertificate, Op: "load CA file",
			Text: caFileUnusable.New("Reason", err.Error())}
	}
	return probe.Options{URL: o.URL, TLSVersion: o.TLSVersion, Roots: roots, ContinueUntrusted: o.ContinueUntrusted,
		Timeout: o.Timeout, Deadline: o.Deadline, LateAlertWait: o.LateAlertWait, OnStep: o.OnStep, OnProgress: o.OnProgress, Preflight: o.Preflight}, nil
}

// CandidateOf describes a certificate for the pre-flight: no login needed.
func CandidateOf(cert *token.Certificate) probe.Candidate {
	return probe.Candidate{Leaf: cert.X509, Intermediates: IssuersOnToken(cert), Schemes: cert.SignatureSchemes()}
}

// Preflight runs the handshake without the card for cert (no PIN, no
// login; cert may be nil). When the finding ends the test (NeedsCard
// false), its Result is the complete result to show. Otherwise ask the
// PIN, Login, and pass the Preflight in Options to Prepared.Test.
func Preflight(ctx context.Context, cert *token.Certificate, o Options) *probe.Preflight {
	opt, err := o.probeOptions()
	if err != nil {
		return &probe.Preflight{Finding: probe.FindingFailed, Summary: err.Error(), Result: Failed(o.URL, cert, err)}
	}
	return PreflightProbe(ctx, cert, opt)
}

// PreflightProbe is Preflight with the probe's options (the CLI's terms).
func PreflightProbe(ctx context.Context, cert *token.Certificate, opt probe.Options) *probe.Preflight {
	var cand probe.Candidate
	if cert != nil && cert.X509 != nil {
		cand = CandidateOf(cert)
	}
	var tok *token.Token
	if cert != nil {
		tok = cert.Token
	}
	env := Environment(time.Now(), tok)
	pf := probe.RunPreflight(ctx, opt, cand)
	if pf.Result != nil {
		pf.Result.Environment = env // a result ended by the pre-flight says when and where too
		if cert != nil {
			pf.Result.ClientCertificate = report.FromCertificate(cert)
		}
	}
	return pf
}

// Test loads the CA file and runs the probe.
func (p *Prepared) Test(ctx context.Context, o Options) *probe.Result {
	opt, err := o.probeOptions()
	if err != nil {
		return Failed(o.URL, p.Cert, err)
	}
	return p.Run(ctx, opt)
}
