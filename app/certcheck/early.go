package certcheck

import (
	"context"
	"crypto/x509"
	"slices"
	"time"
)

// Early holds the checks that need only the certificate and the network:
// the chain (with its AIA downloads) and revocation (OCSP, CRL). A test
// starts them before its handshake so that they run beside it rather than
// after it; Run takes their results through Input.Early. The other checks
// need the handshake (key possession, the acceptable CAs) or no network
// (validity, key usage) and stay in Run.
type Early struct {
	leaf          *x509.Certificate
	intermediates []*x509.Certificate
	roots         *x509.CertPool
	done          chan struct{}
	stop          context.CancelFunc
	chain         Check
	path          []*x509.Certificate
	revocation    Check
}

// StartEarly starts the chain and revocation checks of in in the
// background. They have in.Timeout for the network (as in Run), until
// ctx's deadline at most; ctx's cancellation does not reach them, Stop
// does (call it when the test ends, used or not).
func StartEarly(ctx context.Context, in Input) *Early {
	in = in.withDefaults()
	e := &Early{leaf: in.Leaf, intermediates: in.Intermediates, roots: in.Roots, done: make(chan struct{})}
	budget := in.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl)
	}
	cctx, cancel := context.WithTimeout(withBudget(context.WithoutCancel(ctx), budget), budget)
	e.stop = cancel
	go func() {
		defer close(e.done)
		if in.Leaf == nil {
			return
		}
		e.chain, e.path = Chain(cctx, in.Leaf, in.Intermediates, in.Roots, in.HTTPClient, in.Now)
		e.revocation = Revocation(cctx, in.Leaf, issuerIn(in.Leaf, e.path), in.HTTPClient, in.Now)
	}()
	return e
}

// Stop cancels what is still running; the results are then those of a
// timeout. Safe on nil and more than once.
func (e *Early) Stop() {
	if e != nil {
		e.stop()
	}
}

// For reports whether e checks the same certificate, intermediates and
// roots as in, so that its results may stand in for Run's.
func (e *Early) For(in Input) bool {
	return e != nil && e.leaf != nil && in.Leaf != nil && e.leaf.Equal(in.Leaf) && e.roots == in.Roots &&
		slices.EqualFunc(e.intermediates, in.Intermediates, (*x509.Certificate).Equal)
}

// wait returns the results once both checks are done; ctx bounds the wait
// (a canceled test does not wait for a slow revocation server).
func (e *Early) wait(ctx context.Context) (Check, []*x509.Certificate, Check, bool) {
	select {
	case <-e.done:
		return e.chain, e.path, e.revocation, true
	case <-ctx.Done():
		return Check{}, nil, Check{}, false
	}
}
