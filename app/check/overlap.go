package check

import (
	"context"
	"crypto"
	"crypto/tls"
	"io"
	"time"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// LoginAndRun logs in to the certificate's token and runs the test, after a
// pre-flight that found the server asks for a certificate (opt.Preflight).
//
// With the PIN in hand (typed or piped before: nobody types while the
// server waits) the login runs beside the test's connection, and the
// handshake waits for it at the server's CertificateRequest, before
// anything of the card is sent: the login and the server's first flight
// take about as long, so the test is that much shorter. A PIN pad (the
// server would wait for the user's keys), a card on its final try or a
// locked one, and a test without a pre-flight log in first, as Login.
func LoginAndRun(ctx context.Context, cert *token.Certificate, login token.LoginOptions, opt probe.Options) *probe.Result {
	if !loginBeside(cert, login, opt) {
		p, err := Login(cert, login)
		if err != nil {
			return failedLogin(opt, cert, err)
		}
		defer p.Close()
		return p.Run(ctx, opt)
	}
	start := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	late := &lateCard{ready: make(chan struct{}), pub: cert.X509.PublicKey, schemes: cert.SignatureSchemes()}
	go func() {
		late.p, late.err = Login(cert, login)
		close(late.ready) // before cancel: wait then reports the login's error, not the cancellation
		if late.err != nil {
			cancel() // the test cannot go on: end its connection now
		}
	}()
	env := Environment(start, cert.Token)
	res := probe.Run(rctx, opt, probe.Credential{Leaf: cert.X509, Intermediates: IssuersOnToken(cert),
		Card: late, Ready: late.wait})
	<-late.ready // a server that did not ask again ends the test before the login
	if late.err != nil {
		return failedLogin(opt, cert, late.err)
	}
	defer late.p.Close()
	late.p.fill(res, env)
	res.Timings.TotalMs = ms(time.Since(start)) // the login is inside the test's time, not before it
	return res
}

// loginBeside says whether the login may run beside the test's connection.
func loginBeside(cert *token.Certificate, login token.LoginOptions, opt probe.Options) bool {
	f := cert.Token.Flags
	switch {
	case opt.Preflight == nil || cert.X509 == nil:
		return false
	case !f.LoginRequired:
		return true
	case login.PIN == "":
		return false // the PIN pad: the user types while the server would wait
	case f.UserPINLocked, f.UserPINFinalTry:
		return false // refused before any PIN is sent, or the card's last try: no connection waits on it
	}
	return true
}

// failedLogin is the result of a login that failed after the pre-flight.
func failedLogin(opt probe.Options, cert *token.Certificate, err error) *probe.Result {
	res := Failed(opt.URL, cert, err)
	res.Preflight = opt.Preflight
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// lateCard is the card while its login is still running: it knows the
// public key and the schemes from the token's public objects, and signs
// once the login is done.
type lateCard struct {
	pub     crypto.PublicKey
	schemes []tls.SignatureScheme
	ready   chan struct{} // closed when p or err is set
	p       *Prepared
	err     error
}

// wait blocks until the login is done; its error, or ctx's.
func (c *lateCard) wait(ctx context.Context) error {
	select {
	case <-c.ready:
		return c.err
	case <-ctx.Done():
		select {
		case <-c.ready: // a failed login cancels the test after ready is closed
			return c.err
		default:
			return ctx.Err()
		}
	}
}

func (c *lateCard) Public() crypto.PublicKey                { return c.pub }
func (c *lateCard) SignatureSchemes() []tls.SignatureScheme { return c.schemes }
func (c *lateCard) TLS13Capable() bool                      { return token.TLS13Capable(c.schemes) }

// Sign signs on the card once the login is done.
func (c *lateCard) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	<-c.ready
	if c.err != nil {
		return nil, c.err
	}
	return c.p.Signer.Sign(rand, digest, opts)
}
