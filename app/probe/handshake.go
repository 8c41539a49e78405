package probe

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/pki"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// errServerUntrusted aborts the handshake before the client certificate
// is sent when the server fails verification (docs/contract.md, The test).
var errServerUntrusted = errors.New("server certificate not trusted")

// verifyServer checks the server's chain, name and validity against the
// system roots plus --ca. Go calls it while processing the server's
// Certificate, before the client's Certificate is sent in TLS 1.2 and 1.3.
func (r *run) verifyServer(cs tls.ConnectionState) error {
	var err error
	if pf := r.opt.Preflight; pf == nil || !pf.trusts(cs.PeerCertificates, r.target.Host, r.opt.Roots) {
		err = verifyChain(cs.PeerCertificates, r.target.Host, r.opt.Roots, r.opt.Now())
	}
	r.mu.Lock()
	r.serverErr = err
	if err == nil {
		r.trusted = cs.PeerCertificates
	}
	r.mu.Unlock()
	if err != nil && !r.opt.ContinueUntrusted {
		return fmt.Errorf("%w: %v", errServerUntrusted, err)
	}
	return nil
}

// verifyChain verifies against the CA file first, then against the
// system roots; when both fail, the CA file's reason is the one reported
// (the user named that file for this server).
func verifyChain(certs []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now}
	var fileErr error
	if roots != nil {
		if _, fileErr = certs[0].Verify(opts); fileErr == nil {
			return nil
		}
	}
	opts.Roots = systemRoots()
	_, err := certs[0].Verify(opts)
	if err != nil && fileErr != nil {
		return fileErr
	}
	return err
}

// clientCertificate answers the server's CertificateRequest. That it fires
// at all is how we know the server asked. The certificate is always sent
// (Go's automatic selection would silently send none when the issuer is not
// among the acceptable CAs); the acceptable-ca check explains a mismatch.
func (r *run) clientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if err := r.awaitCard(cri.Context()); err != nil {
		return nil, err // the login failed: nothing of the card is sent
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requested, r.cri = true, cri
	r.requestedAt = "handshake"
	if r.handshakeDone {
		r.requestedAt = "renegotiation"
	}
	if r.cred.Card == nil || r.cred.Leaf == nil {
		return &tls.Certificate{}, nil
	}
	schemes := r.cred.Card.SignatureSchemes()
	if !overlap(schemes, cri.SignatureSchemes) {
		r.schemeMismatch = cri.SignatureSchemes
	}
	chain := [][]byte{r.cred.Leaf.Raw}
	for _, c := range r.cred.Intermediates {
		chain = append(chain, c.Raw)
	}
	r.sentCert = true
	return &tls.Certificate{
		Certificate:                  chain,
		PrivateKey:                   &recordingSigner{Card: r.cred.Card, r: r},
		SupportedSignatureAlgorithms: schemes,
		Leaf:                         r.cred.Leaf,
	}, nil
}

// awaitCard waits for the card's login when it runs beside the connection
// (Credential.Ready), and keeps the time waited out of the handshake's.
func (r *run) awaitCard(ctx context.Context) error {
	if r.cred.Ready == nil {
		return nil
	}
	start := time.Now()
	err := r.cred.Ready(ctx)
	r.mu.Lock()
	r.readyWait += time.Since(start)
	if err != nil && ctx.Err() == nil {
		r.readyErr = err // the card failed; a handshake out of time is a time-out, with its checks
	}
	r.mu.Unlock()
	return err
}

// cardFailed reports whether the handshake ended because the card never
// became ready (Credential.Ready failed).
func (r *run) cardFailed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readyErr != nil
}

// waitedForCard is the time the handshake spent in awaitCard.
func (r *run) waitedForCard() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readyWait
}

func overlap(a, b []tls.SignatureScheme) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// recordingSigner keeps what the card signed, so key possession can be
// verified in software without a second signature on the card.
type recordingSigner struct {
	Card
	r *run
}

func (s *recordingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	start := time.Now()
	sig, err := s.Card.Sign(rand, digest, opts)
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.signTime += time.Since(start)
	if err == nil {
		s.r.sigs = append(s.r.sigs, certcheck.SignatureRecord{Digest: append([]byte(nil), digest...), Opts: opts, Signature: sig})
	} else if s.r.signErr == nil {
		s.r.signErr = err
	}
	return sig, err
}

// signError is the card's error of a failed signature, or nil.
func (r *run) signError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.signErr
}

// maxServerChain bounds the server certificates listed in a result: a
// real chain is two to four; a server sending hundreds (a 64 KB
// Certificate message holds about 400 small ones) must not fill the report.
const maxServerChain = 10

// recordTLS copies what the handshake established into the result.
func (r *run) recordTLS(conn *tls.Conn) {
	cs := conn.ConnectionState()
	v, suite := cs.Version, cs.CipherSuite
	if !cs.HandshakeComplete {
		v, suite = r.tracer.Version(), r.tracer.CipherSuite()
	}
	r.res.TLS.Version = versionString(v)
	if suite != 0 {
		r.res.TLS.CipherSuite = tls.CipherSuiteName(suite)
	}
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		for _, der := range r.tracer.ServerCertificates() {
			if c, err := x509.ParseCertificate(der); err == nil {
				certs = append(certs, c)
			}
		}
	}
	if len(certs) > maxServerChain {
		r.note(noteChainCut.New("Count", len(certs), "Shown", maxServerChain))
		certs = certs[:maxServerChain]
	}
	for _, c := range certs {
		fp := sha256.Sum256(c.Raw)
		r.res.Server.Chain = append(r.res.Server.Chain, ChainCert{Subject: c.Subject.String(), Issuer: c.Issuer.String(),
			NotAfter: c.NotAfter.UTC().Format(time.RFC3339), SHA256: hex.EncodeToString(fp[:])})
	}
}

// versionString names a negotiated version.
func versionString(v uint16) TLSVersion {
	switch v {
	case tls.VersionTLS12:
		return TLS12
	case tls.VersionTLS13:
		return TLS13
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS10:
		return "1.0"
	}
	return ""
}

// certificateRequest converts what the server asked for.
func (r *run) certificateRequest() *CertRequest {
	r.mu.Lock()
	cri := r.cri
	r.mu.Unlock()
	if cri == nil {
		if tr := r.tracer.CertificateRequest(); tr != nil {
			return &CertRequest{AcceptableCAs: nonNil(tr.AcceptableCAs), SignatureSchemes: nonNil(tr.SignatureSchemes), rawCAs: tr.RawCAs}
		}
		return nil
	}
	cr := &CertRequest{AcceptableCAs: []string{}, SignatureSchemes: []string{}, rawCAs: cri.AcceptableCAs}
	for _, der := range cri.AcceptableCAs {
		cr.AcceptableCAs = append(cr.AcceptableCAs, pki.DNString(der))
	}
	for _, s := range cri.SignatureSchemes {
		cr.SignatureSchemes = append(cr.SignatureSchemes, tlstrace.SignatureSchemeName(uint16(s)))
	}
	return cr
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// signStats returns what the card signed.
func (r *run) signStats() ([]certcheck.SignatureRecord, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]certcheck.SignatureRecord(nil), r.sigs...), r.signTime
}

// state returns what the handshake callbacks recorded (under r.mu: the
// callbacks run on crypto/tls's goroutine). serverErr is the server
// verification's outcome, not a failure of this call.
func (r *run) state() (requested, sent bool, mismatch []tls.SignatureScheme, serverErr error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requested, r.sentCert, r.schemeMismatch, r.serverErr
}
