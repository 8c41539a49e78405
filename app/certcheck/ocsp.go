package certcheck

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cardcheck/cardcheck/app/msg"
)

// checkOCSP asks one OCSP responder about leaf and verifies the answer
// against issuer (or a responder that issuer delegated to).
func checkOCSP(ctx context.Context, client *http.Client, u string, leaf, issuer *x509.Certificate, now time.Time) Check {
	// SHA-1 CertIDs are what responders are guaranteed to understand
	// (RFC 5019 §2.1.1); the hash only identifies, it protects nothing.
	req, err := ocsp.CreateRequest(leaf, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return result(NameRevocation, Unknown, ocspNoRequest.New("Reason", err.Error()))
	}
	body, err := askOCSP(ctx, client, u, req)
	if d, ok := isSlow(err); ok {
		return result(NameRevocation, Unknown, ocspSlow.New("URL", u, "Wait", durationText(d)))
	}
	if err != nil {
		return result(NameRevocation, Unknown, ocspUnreached.New("URL", u, "Reason", why(err)))
	}
	resp, err := ocsp.ParseResponseForCert(body, leaf, issuer)
	var refused ocsp.ResponseError
	switch {
	case errors.As(err, &refused):
		return result(NameRevocation, Unknown, ocspRefused.New("URL", u, "Status", refused.Status.String()))
	case err != nil:
		return result(NameRevocation, Unknown, ocspUntrusted.New("URL", u, "Reason", err.Error()))
	}
	if why := checkOCSPResponse(resp, issuer, now); !why.IsZero() {
		return result(NameRevocation, Unknown, ocspUntrusted.New("URL", u, "Reason", why))
	}
	return ocspVerdict(resp, u)
}

func ocspVerdict(resp *ocsp.Response, u string) Check {
	switch resp.Status {
	case ocsp.Good:
		return result(NameRevocation, Pass, ocspGood.New("URL", u))
	case ocsp.Revoked:
		return result(NameRevocation, Fail, ocspRevoked.New("Date", date(resp.RevokedAt), "Reason", reason(resp.RevocationReason), "URL", u))
	}
	return result(NameRevocation, Unknown, ocspUnknownCrt.New("URL", u))
}

// askOCSP POSTs the request (RFC 6960 §A.1) and falls back to GET for
// responders that refuse POST with an HTTP error.
func askOCSP(ctx context.Context, client *http.Client, u string, req []byte) ([]byte, error) {
	body, err := post(ctx, client, u, "application/ocsp-request", req, maxOCSPSize)
	var status *httpStatusError
	if !errors.As(err, &status) {
		return body, err
	}
	get := strings.TrimSuffix(u, "/") + "/" + url.QueryEscape(base64.StdEncoding.EncodeToString(req))
	return fetch(ctx, client, get, maxOCSPSize)
}

// checkOCSPResponse does what ocsp.ParseResponseForCert leaves to the
// caller: a delegated responder must be authorized for OCSP signing
// (RFC 6960 §4.2.2.2) and the answer must be current. It says what is
// wrong, or nothing.
func checkOCSPResponse(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) msg.Msg {
	if rc := resp.Certificate; rc != nil && !rc.Equal(issuer) {
		if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return ocspWhyNotAuthorized.New()
		}
		if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
			return ocspWhySignerInvalid.New()
		}
	}
	if resp.ThisUpdate.After(now.Add(clockSkew)) {
		return ocspWhyFuture.New()
	}
	if !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(now.Add(-clockSkew)) {
		return ocspWhyOutdated.New()
	}
	return msg.Msg{}
}
