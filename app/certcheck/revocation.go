package certcheck

import (
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// clockSkew is how far the times in OCSP answers may be off this
// computer's clock before the answer counts as out of date.
const clockSkew = 5 * time.Minute

// Revocation asks whether the leaf was revoked: its OCSP responders first
// (AIA, RFC 6960), then its CRL distribution points (RFC 5280 §4.2.1.13).
// The first clear answer (good or revoked) wins; otherwise the most useful
// of the unclear ones is returned. issuer is the CA certificate that issued
// leaf (see Chain); without it no answer can be verified. Every download
// uses ctx, so its deadline bounds the whole check.
func Revocation(ctx context.Context, leaf, issuer *x509.Certificate, client *http.Client, now time.Time) Check {
	if leaf == nil {
		return result(NameRevocation, Skipped, noCertificate.New())
	}
	if client == nil {
		client = defaultClient(DefaultTimeout)
	}
	ocspURLs, crlURLs := httpURLs(leaf.OCSPServer), httpURLs(leaf.CRLDistributionPoints)
	switch {
	case len(ocspURLs)+len(crlURLs) == 0 && len(leaf.OCSPServer)+len(leaf.CRLDistributionPoints) > 0:
		return result(NameRevocation, Unknown, revNotHTTP.New())
	case len(ocspURLs)+len(crlURLs) == 0:
		return result(NameRevocation, Unknown, revNoServers.New())
	case issuer == nil:
		return result(NameRevocation, Unknown, revNoIssuer.New())
	}
	var answers []Check
	for _, u := range ocspURLs {
		if decisive(answers) {
			break
		}
		answers = append(answers, checkOCSP(ctx, client, u, leaf, issuer, now))
	}
	for _, u := range crlURLs {
		if decisive(answers) {
			break
		}
		answers = append(answers, checkCRL(ctx, client, u, leaf, issuer, now))
	}
	return best(answers)
}

func httpURLs(urls []string) []string {
	var out []string
	for _, u := range urls {
		if fetchable(u) {
			out = append(out, u)
		}
	}
	return out
}

func decisive(answers []Check) bool {
	for _, a := range answers {
		if a.Status == Pass || a.Status == Fail {
			return true
		}
	}
	return false
}

// best picks the answer to report: a clear one, else a warning, else the
// first (the OCSP responder's, when there is one) with the reasons of the
// others after it, so that a CRL that was too large or too slow is not
// hidden behind an OCSP responder that was down.
func best(answers []Check) Check {
	for _, a := range answers {
		if a.Status == Pass || a.Status == Fail {
			return a
		}
	}
	for _, a := range answers {
		if a.Status == Warn {
			return a
		}
	}
	m := answers[0].DetailMessage()
	for _, a := range answers[1:] {
		m = unclearToo.New("First", m, "Then", a.DetailMessage())
	}
	return NewCheck(NameRevocation, answers[0].Status, m)
}

// unclearToo joins the reasons of several unclear revocation answers.
var unclearToo = msg.Define("certcheck.revocation.unclear_too", "{{.First}}; {{.Then}}")

// reasonWords are the CRLReason codes of RFC 5280 §5.3.1, which OCSP
// shares (RFC 6960 §4.2.1).
var reasonWords = map[int]*msg.Def{
	0:  msg.Define("certcheck.reason.unspecified", "no reason given"),
	1:  msg.Define("certcheck.reason.key_compromise", "key compromise"),
	2:  msg.Define("certcheck.reason.ca_compromise", "CA compromise"),
	3:  msg.Define("certcheck.reason.affiliation_changed", "affiliation changed"),
	4:  msg.Define("certcheck.reason.superseded", "superseded"),
	5:  msg.Define("certcheck.reason.cessation_of_operation", "cessation of operation"),
	6:  msg.Define("certcheck.reason.certificate_hold", "certificate on hold"),
	8:  msg.Define("certcheck.reason.remove_from_crl", "removed from CRL"),
	9:  msg.Define("certcheck.reason.privilege_withdrawn", "privilege withdrawn"),
	10: msg.Define("certcheck.reason.aa_compromise", "attribute authority compromise"),
}

func reason(code int) msg.Msg {
	if w, ok := reasonWords[code]; ok {
		return w.New()
	}
	return revReasonCode.New("Code", strconv.Itoa(code))
}
