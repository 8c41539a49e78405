package probe

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// causes maps TLS alert names (the IANA registry names, RFC 8446 §6) to
// what they mean for the person holding the card, and what to do.
var causes = map[string]struct{ meaning, advice string }{
	"unknown_ca": {"The server does not trust the CA that issued your certificate.",
		"Check that you picked the right certificate for this service; ask its administrators which CAs they accept (see \"Acceptable CAs\")."},
	"bad_certificate": {"The server rejected your certificate as bad: often an issuer it does not trust, a missing intermediate certificate, or a signature it could not verify.",
		"Compare your certificate's issuer with the server's acceptable CAs, and ask the administrators to install the intermediate CA."},
	"certificate_revoked": {"Your certificate has been revoked by its issuer.",
		"Contact your helpdesk or the card issuer for a new certificate."},
	"certificate_expired": {"The server says your certificate has expired (or is not valid yet).",
		"Renew the certificate with your card issuer; check this computer's date and time too."},
	"certificate_unknown": {"The server could not use your certificate for an unspecified reason.",
		"Ask the service's administrators to look in the server log for the reason."},
	"unsupported_certificate": {"The server does not accept this kind of certificate (its key type or intended use).",
		"Use a certificate meant for client authentication (TLS client EKU) with a key type the server supports."},
	"certificate_required": {"The server requires a client certificate, and none was sent.",
		"Pick a certificate on the card and make sure its key is present; if one was chosen, the server may have ignored it because of its issuer."},
	"handshake_failure": {"The server ended the handshake (handshake_failure); with client certificates this usually means the certificate was missing or refused.",
		"Check the certificate's issuer against the server's acceptable CAs, and that a certificate was actually sent."},
	"decrypt_error": {"The server could not verify the signature your card made (decrypt_error).",
		"The key on the card may not match the certificate, or the server mishandles this signature algorithm: try TLS 1.2 (--tls 1.2)."},
	"access_denied": {"The server recognized your certificate but denies you access.",
		"Your card works; ask the administrators to grant your certificate or account access."},
	"insufficient_security": {"The server requires stronger security than was offered.", "Ask the administrators which TLS settings the service needs."},
	"protocol_version":      {"The server and cardcheck have no TLS version in common.", "Try another TLS version (--tls 1.2 or 1.3)."},
	"illegal_parameter":     {"The server found a message from this side malformed (illegal_parameter).", "Try TLS 1.2 (--tls 1.2); report this to the service's administrators."},
	"internal_error":        {"The server had an internal error during the handshake.", "Ask the service's administrators to check the server log."},
	"no_renegotiation":      {"The server refused renegotiation.", "Ask the administrators how the service requests client certificates."},
}

// alertMeaning explains an alert name; unknown names are quoted as they are.
func alertMeaning(name string) string {
	if c, ok := causes[name]; ok {
		return c.meaning
	}
	return fmt.Sprintf("The server sent the TLS alert %q.", name)
}

// adviceFor returns what to do about a rejection cause.
func adviceFor(code string) []string {
	if c, ok := causes[code]; ok {
		return []string{c.advice}
	}
	switch code {
	case "no_certificate":
		return []string{causes["certificate_required"].advice}
	case "certificate_error", "http_400":
		return []string{"Look at the local checks below: they usually show which of issuer, validity or revocation the server objects to.",
			"Ask the service's administrators for the reason in the server's error log."}
	case "closed":
		return []string{"Ask the service's administrators for the reason in the server's log; compare your issuer with the acceptable CAs."}
	}
	return nil
}

// serverErrorText explains a failed server verification in plain words.
func serverErrorText(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "the server's certificate was issued by a CA this computer does not trust"
	case errors.As(err, &hn):
		return "the server's certificate is not valid for this host name (" + hn.Host + ")"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "the server's certificate has expired or is not valid yet"
	}
	return strings.TrimPrefix(err.Error(), "x509: ")
}
