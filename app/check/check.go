// Package check is the run both front ends share: the pre-flight without
// the card, the login to the certificate's token (PIN safety is enforced
// by the token layer), the probe with the card's key, and the parts of the
// result that only the token side knows (client certificate, login time,
// environment). Choosing the certificate is the front end's: the CLI by
// URI (app/cli), the GUI by its tree (app/desktop adapts this package to
// the window's terms).
package check

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"

	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/errkind"
	"github.com/cardcheck/cardcheck/token"
)

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
	p.fill(res, env)
	res.Timings.TotalMs += res.Timings.LoginMs
	return res
}

// fill adds what only the token side knows to a test's result.
func (p *Prepared) fill(res *probe.Result, env *environment.Environment) {
	res.ClientCertificate = listing.ClientCertificate(p.Cert)
	res.Timings.LoginMs = ms(p.LoginTime)
	res.Environment = env
}

// Failed builds the result of a test that stopped on the token side
// (no certificate, wrong PIN, locked card, removed card).
func Failed(url string, cert *token.Certificate, err error) *probe.Result {
	kind := errkind.Of(err)
	if kind == "" {
		kind = errkind.Certificate
	}
	res := probe.Failure(url, kind, messageOf(err))
	var tok *token.Token
	if cert != nil {
		res.ClientCertificate = listing.ClientCertificate(cert)
		tok = cert.Token
	}
	res.Environment = Environment(time.Now(), tok)
	return res
}

// messageOf is err's own message when it has one (token errors, the CA
// file's), else its English text.
func messageOf(err error) msg.Msg {
	var m interface{ Message() msg.Msg }
	if errors.As(err, &m) {
		return m.Message()
	}
	return msg.Text(err.Error())
}

// Environment describes when and where a test runs: this program and
// system at time now, and the token t and its module (both null in the
// JSON when t is nil). Both front ends get it in every result from Run,
// Failed and a pre-flight that ends the test.
func Environment(now time.Time, t *token.Token) *environment.Environment {
	env := &environment.Environment{Host: environment.Current(now)}
	if t == nil {
		return env
	}
	b := listing.Bounded
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
	if leaf == nil || leaf.X509 == nil || leaf.Token == nil {
		return nil // an unreadable certificate has no chain
	}
	issuersMemo.Lock()
	defer issuersMemo.Unlock()
	m := &issuersMemo
	if m.leaf != leaf.X509 || m.tok != leaf.Token || m.leaf == nil {
		m.leaf, m.tok, m.chain = leaf.X509, leaf.Token, issuersOnToken(leaf)
	}
	return slices.Clone(m.chain)
}

// issuersMemo is the last chain IssuersOnToken built: the pre-flight, the
// login and the test ask for the same certificate's, and each link costs
// a signature verification.
var issuersMemo struct {
	sync.Mutex
	leaf  *x509.Certificate
	tok   *token.Token
	chain []*x509.Certificate
}

func issuersOnToken(leaf *token.Certificate) []*x509.Certificate {
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

// CandidateOf describes a certificate for the pre-flight: no login needed.
func CandidateOf(cert *token.Certificate) probe.Candidate {
	return probe.Candidate{Leaf: cert.X509, Intermediates: IssuersOnToken(cert), Schemes: cert.SignatureSchemes()}
}

// PreflightAhead is Preflight started before the certificate is chosen
// (probe.RunPreflightAhead): choose finds it while the pre-flight connects.
// When choose fails the pre-flight is abandoned and the result is nil.
func PreflightAhead(ctx context.Context, opt probe.Options, choose func() (*token.Certificate, bool)) *probe.Preflight {
	var cert *token.Certificate
	now := time.Now() // the test's time is its start
	pf := probe.RunPreflightAhead(ctx, opt, func() (probe.Candidate, bool) {
		c, ok := choose()
		if !ok {
			return probe.Candidate{}, false
		}
		cert = c
		if c == nil || c.X509 == nil {
			return probe.Candidate{}, true
		}
		return CandidateOf(c), true
	})
	if pf != nil && pf.Result != nil {
		var tok *token.Token
		if cert != nil {
			tok = cert.Token
			pf.Result.ClientCertificate = listing.ClientCertificate(cert)
		}
		pf.Result.Environment = Environment(now, tok)
	}
	return pf
}

// Preflight runs the handshake without the card for cert (no PIN, no
// login; cert may be nil). When the finding ends the test (NeedsCard
// false), its Result is the complete result to show. Otherwise ask the
// PIN, Login, and pass the Preflight in the options of Prepared.Run.
func Preflight(ctx context.Context, cert *token.Certificate, opt probe.Options) *probe.Preflight {
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
			pf.Result.ClientCertificate = listing.ClientCertificate(cert)
		}
	}
	return pf
}
