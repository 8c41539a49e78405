package token

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Problem is a short, stable code for something that makes a certificate
// unusable for TLS client authentication. The codes appear in the JSON
// (`problems`); Describe gives the sentence people read.
type Problem string

// Problems a certificate can have.
const (
	ProblemParseError     Problem = "unreadable"
	ProblemExpired        Problem = "expired"
	ProblemNotYetValid    Problem = "not-yet-valid"
	ProblemNoClientAuth   Problem = "no-client-auth"
	ProblemNoDigitalSig   Problem = "no-digital-signature"
	ProblemNoPrivateKey   Problem = "no-private-key"
	ProblemKeyCannotSign  Problem = "key-cannot-sign"
	ProblemCACertificate  Problem = "ca-certificate"
	ProblemUnsupportedKey Problem = "unsupported-key"
)

// Describe returns an English sentence for the problem.
func (p Problem) Describe() string { return msg.English(p.Message()) }

// Message is the sentence for the problem as a message (a GUI shows it
// in its language).
func (p Problem) Message() msg.Msg {
	switch p {
	case ProblemParseError:
		return mProblemUnreadable.New()
	case ProblemExpired:
		return mProblemExpired.New()
	case ProblemNotYetValid:
		return mProblemNotYetValid.New()
	case ProblemNoClientAuth:
		return mProblemNoClientAuth.New()
	case ProblemNoDigitalSig:
		return mProblemNoDigitalSig.New()
	case ProblemNoPrivateKey:
		return mProblemNoPrivateKey.New()
	case ProblemKeyCannotSign:
		return mProblemKeyCannotSign.New()
	case ProblemCACertificate:
		return mProblemCACertificate.New()
	case ProblemUnsupportedKey:
		return mProblemUnsupportedKey.New()
	}
	return msg.Text(string(p))
}

// problemsOf lists what stops c being used for client authentication at
// time now. An unknown private key (before login) is not a problem yet.
func problemsOf(c *Certificate, now time.Time) []Problem {
	if c.X509 == nil {
		return []Problem{ProblemParseError}
	}
	var ps []Problem
	x := c.X509
	if x.IsCA {
		ps = append(ps, ProblemCACertificate)
	}
	if now.After(x.NotAfter) {
		ps = append(ps, ProblemExpired)
	}
	if now.Before(x.NotBefore) {
		ps = append(ps, ProblemNotYetValid)
	}
	if !allowsClientAuth(x) {
		ps = append(ps, ProblemNoClientAuth)
	}
	if x.KeyUsage != 0 && x.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		ps = append(ps, ProblemNoDigitalSig)
	}
	switch x.PublicKey.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		ps = append(ps, ProblemUnsupportedKey)
	}
	if c.HasPrivateKey != nil && !*c.HasPrivateKey {
		ps = append(ps, ProblemNoPrivateKey)
	}
	if c.Key != nil && !c.Key.CanSign {
		ps = append(ps, ProblemKeyCannotSign)
	}
	return ps
}

// allowsClientAuth follows RFC 5280 §4.2.1.12: no EKU extension means any
// use; otherwise clientAuth or anyExtendedKeyUsage must be listed.
func allowsClientAuth(x *x509.Certificate) bool {
	if len(x.ExtKeyUsage) == 0 && len(x.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range x.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// CheckUsable tells, before any PIN is asked, whether logging in for a test
// with c can be of use. It returns a KindCertificate error naming the
// problem when c is known to be unusable: unreadable, without a private key
// (when that is known), with a key that may not sign or of a type cardcheck
// cannot use; with clientAuth also when c is not meant for client
// authentication (no clientAuth EKU, no digitalSignature, a CA
// certificate). Expiry is no reason: how a server answers an expired
// certificate is worth a test. Session.Login applies it through
// LoginOptions.Certificate; front ends call it before asking for the PIN.
func (c *Certificate) CheckUsable(clientAuth bool) error {
	if c == nil {
		return &Error{Kind: KindCertificate, Op: "check certificate", Text: mCertificateNoneChosen.New()}
	}
	blocking := map[Problem]bool{ProblemParseError: true, ProblemNoPrivateKey: true,
		ProblemKeyCannotSign: true, ProblemUnsupportedKey: true}
	if clientAuth {
		blocking[ProblemNoClientAuth], blocking[ProblemNoDigitalSig], blocking[ProblemCACertificate] = true, true, true
	}
	ps := c.Problems
	if c.X509 == nil && len(ps) == 0 {
		ps = []Problem{ProblemParseError}
	}
	for _, p := range ps {
		if blocking[p] {
			return &Error{Kind: KindCertificate, Op: "check certificate",
				Text: mProblemNoPIN.New("Problem", p.Message())}
		}
	}
	return nil
}
