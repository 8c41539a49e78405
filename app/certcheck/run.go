package certcheck

import (
	"context"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// DefaultTimeout bounds all network fetches of one Run together when
// Input.Timeout is zero. Revocation servers that take longer than this are
// too slow for a TLS server too, which usually gives up after a few seconds.
const DefaultTimeout = 5 * time.Second

// Input is everything the checks look at.
type Input struct {
	// Leaf is the client certificate. Without it every check is skipped.
	Leaf *x509.Certificate
	// Intermediates are CA certificates that may complete the chain: found
	// on the token, sent as hints by the server, or fetched earlier by
	// BuildChain (pass them back so they are not downloaded again).
	Intermediates []*x509.Certificate
	// AcceptableCAs are the raw DER distinguished names of the server's
	// CertificateRequest; empty when the request named none.
	AcceptableCAs [][]byte
	// Requested reports that the server sent a CertificateRequest.
	Requested bool
	// Roots are the trusted roots from the CA file; nil means the
	// system's trust store.
	Roots *x509.CertPool
	// Signatures are what the card signed during the handshake.
	Signatures []SignatureRecord
	// Challenge signs a random challenge on the card (see SignChallenge).
	// It is called only when Signatures is empty, at most once.
	Challenge func() (SignatureRecord, error)
	// Now is the time the checks judge validity at; zero means time.Now().
	Now time.Time
	// HTTPClient fetches AIA, OCSP and CRL data; nil means a client with
	// a DefaultTimeout timeout.
	HTTPClient *http.Client
	// Timeout bounds all network fetches together; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Early are the chain and revocation checks started before the
	// handshake (StartEarly); Run uses them when they are For this input,
	// and runs both itself otherwise.
	Early *Early
}

func (in Input) withDefaults() Input {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Timeout <= 0 {
		in.Timeout = DefaultTimeout
	}
	if in.HTTPClient == nil {
		in.HTTPClient = defaultClient(in.Timeout)
	}
	return in
}

// defaultClient uses the default transport (proxy from the environment,
// connection reuse) with an overall timeout as a second safety net behind
// the context deadline.
func defaultClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}

// Run performs all checks and returns them in a fixed order: key-possession,
// validity, chain, revocation, key-usage, acceptable-ca. Network fetches
// share one deadline of in.Timeout; ctx cancels everything.
func Run(ctx context.Context, in Input) []Check {
	in = in.withDefaults()
	if in.Leaf == nil {
		return skippedAll(noCertificate.New())
	}
	budget := in.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl)
	}
	ctx, cancel := context.WithTimeout(withBudget(ctx, budget), budget)
	defer cancel()
	possession := KeyPossession(in.Leaf, in.Signatures, in.Challenge)
	chainCheck, path, revocation := networkChecks(ctx, in)
	return []Check{
		possession,
		Validity(in.Leaf, in.Now),
		chainCheck,
		revocation,
		KeyUsage(in.Leaf),
		AcceptableCA(in.Requested, in.AcceptableCAs, path),
	}
}

// networkChecks are the chain and the revocation checks: the early ones
// when they check the same input, else run here.
func networkChecks(ctx context.Context, in Input) (Check, []*x509.Certificate, Check) {
	if in.Early.For(in) {
		if chain, path, rev, ok := in.Early.wait(ctx); ok {
			return chain, path, rev
		}
	}
	chain, path := Chain(ctx, in.Leaf, in.Intermediates, in.Roots, in.HTTPClient, in.Now)
	return chain, path, Revocation(ctx, in.Leaf, issuerIn(in.Leaf, path), in.HTTPClient, in.Now)
}

func skippedAll(why msg.Msg) []Check {
	names := []string{NameKeyPossession, NameValidity, NameChain, NameRevocation, NameKeyUsage, NameAcceptableCA}
	out := make([]Check, len(names))
	for i, n := range names {
		out[i] = result(n, Skipped, why)
	}
	return out
}
