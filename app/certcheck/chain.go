package certcheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"slices"
	"time"
)

// Chain-building limits: real client chains are two to four CAs deep, so
// four AIA downloads complete any of them, and a path longer than maxDepth
// is a loop or an attack.
const (
	maxAIAFetches = 4
	maxDepth      = 8
)

// BuildChain returns the chain a client should send with leaf: the leaf
// followed by the intermediates up to the root (self-signed roots left
// out: the server must have its own). Intermediates missing from
// intermediates are downloaded from the AIA caIssuers URLs (at most four
// downloads). err is nil when the chain verifies against roots (nil = the
// system's trust store) for client authentication; otherwise the chain is
// the best one found and err says what is missing. client nil means a
// client with DefaultTimeout.
func BuildChain(ctx context.Context, leaf *x509.Certificate, intermediates []*x509.Certificate,
	roots *x509.CertPool, client *http.Client) ([]*x509.Certificate, error) {
	if leaf == nil {
		return nil, errors.New("certcheck: no certificate")
	}
	if client == nil {
		client = defaultClient(DefaultTimeout)
	}
	r := buildChain(ctx, leaf, intermediates, roots, client, time.Now())
	return sendable(r.path), r.err
}

// Chain checks that leaf chains to roots (nil = the system's trust store)
// and returns the path it found: the leaf first, up to the root when it is
// known. Problems of the leaf itself (validity, extended key usage) are
// left to their own checks, so that this one tells whether the CAs trust
// the certificate.
func Chain(ctx context.Context, leaf *x509.Certificate, intermediates []*x509.Certificate,
	roots *x509.CertPool, client *http.Client, now time.Time) (Check, []*x509.Certificate) {
	if leaf == nil {
		return result(NameChain, Skipped, noCertificate.New()), nil
	}
	if client == nil {
		client = defaultClient(DefaultTimeout)
	}
	r := buildChain(ctx, leaf, intermediates, roots, client, now)
	return chainCheck(r), r.path
}

// chainResult is what buildChain found.
type chainResult struct {
	path        []*x509.Certificate // leaf first; ends with the root when verified
	err         error               // nil when verified
	systemRoots bool                // verified against the system's trust store
	leafOutside bool                // the leaf is outside its validity period now: left to the validity check
	fetchURL    string              // the last AIA download that failed
	fetchErr    error
}

type chainBuilder struct {
	ctx    context.Context
	client *http.Client
	opts   x509.VerifyOptions
	known  []*x509.Certificate // every candidate intermediate, fetched ones too
	tried  map[string]bool     // AIA URLs already downloaded
	res    chainResult
}

func buildChain(ctx context.Context, leaf *x509.Certificate, intermediates []*x509.Certificate,
	roots *x509.CertPool, client *http.Client, now time.Time) chainResult {
	b := &chainBuilder{ctx: ctx, client: client, tried: map[string]bool{}}
	b.res.systemRoots = roots == nil
	if roots == nil {
		roots = systemRoots()
	}
	subject := leaf
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		subject, b.res.leafOutside = judgedNow(leaf, now), true
	}
	b.opts = x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), CurrentTime: now,
		KeyUsages: chainUsages(leaf)}
	for _, c := range intermediates {
		b.add(c)
	}
	for {
		chains, err := subject.Verify(b.opts)
		if err == nil {
			b.res.path, b.res.err = append([]*x509.Certificate{leaf}, chains[0][1:]...), nil
			return b.res
		}
		b.res.path, b.res.err = linkPath(leaf, b.known), err
		if !b.fetchIssuer(b.res.path[len(b.res.path)-1], err) {
			return b.res
		}
	}
}

// systemRoots falls back to an empty pool where the platform has none:
// the chain is then "unknown", which is true.
func systemRoots() *x509.CertPool {
	if pool, err := x509.SystemCertPool(); err == nil {
		return pool
	}
	return x509.NewCertPool()
}

// judgedNow returns a copy of leaf whose validity period includes now,
// so the chain is judged today — the CAs as they are now — while the
// leaf's own dates are the validity check's business. The copy keeps the
// signed bytes, so every signature in the chain is still verified.
func judgedNow(leaf *x509.Certificate, now time.Time) *x509.Certificate {
	c := *leaf
	c.NotBefore, c.NotAfter = now.Add(-time.Minute), now.Add(time.Minute)
	return &c
}

// chainUsages asks for clientAuth along the chain, unless the leaf itself
// rules it out: then the key-usage check reports that, and this check
// still tells whether the CAs are trusted.
func chainUsages(leaf *x509.Certificate) []x509.ExtKeyUsage {
	if allowsClientAuth(leaf) {
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
}

func (b *chainBuilder) add(c *x509.Certificate) bool {
	if c == nil || slices.ContainsFunc(b.known, c.Equal) {
		return false
	}
	b.known = append(b.known, c)
	b.opts.Intermediates.AddCert(c)
	return true
}

// fetchIssuer downloads the issuer of top from its AIA caIssuers URLs when
// the chain failed for want of it. It reports whether it found the issuer.
func (b *chainBuilder) fetchIssuer(top *x509.Certificate, verifyErr error) bool {
	// A failed download matters only while it is what leaves this top
	// without an issuer.
	b.res.fetchURL, b.res.fetchErr = "", nil
	if !errors.As(verifyErr, new(x509.UnknownAuthorityError)) || isSelfSigned(top) {
		return false
	}
	for _, u := range top.IssuingCertificateURL {
		if len(b.tried) >= maxAIAFetches || b.tried[u] || !fetchable(u) {
			continue
		}
		b.tried[u] = true
		certs, err := b.download(u)
		if err != nil {
			b.res.fetchURL, b.res.fetchErr = u, err
			continue
		}
		found := false
		for _, c := range certs {
			if b.add(c) && issues(c, top) {
				found = true
			}
		}
		if found {
			b.res.fetchURL, b.res.fetchErr = "", nil
			return true
		}
	}
	return false
}

func (b *chainBuilder) download(u string) ([]*x509.Certificate, error) {
	data, err := fetch(b.ctx, b.client, u, maxCertSize)
	if err != nil {
		return nil, err
	}
	return parseCerts(data)
}

// linkPath follows issuers from leaf through candidates by name and
// signature, for reporting when verification failed.
func linkPath(leaf *x509.Certificate, candidates []*x509.Certificate) []*x509.Certificate {
	path := []*x509.Certificate{leaf}
	for len(path) < maxDepth {
		top := path[len(path)-1]
		if isSelfSigned(top) {
			break
		}
		next := findIssuer(top, candidates)
		if next == nil || slices.ContainsFunc(path, next.Equal) {
			break
		}
		path = append(path, next)
	}
	return path
}

func findIssuer(c *x509.Certificate, candidates []*x509.Certificate) *x509.Certificate {
	for _, p := range candidates {
		if issues(p, c) {
			return p
		}
	}
	return nil
}

// issues reports whether ca signed c. It does not ask whether ca may sign
// certificates (CheckSignatureFrom would): a path through a certificate
// that is no CA must still be found, to say so.
func issues(ca, c *x509.Certificate) bool {
	return bytes.Equal(ca.RawSubject, c.RawIssuer) &&
		ca.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// issuerIn returns the certificate in path that issued leaf (path as
// returned by Chain: leaf first, then its issuer).
func issuerIn(leaf *x509.Certificate, path []*x509.Certificate) *x509.Certificate {
	if len(path) > 1 && issues(path[1], leaf) {
		return path[1]
	}
	return nil
}

// sendable drops a self-signed root from the end of path.
func sendable(path []*x509.Certificate) []*x509.Certificate {
	if n := len(path); n > 1 && isSelfSigned(path[n-1]) {
		return path[:n-1]
	}
	return path
}
