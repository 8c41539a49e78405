package probe

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// causes maps TLS alert names (the IANA registry names, RFC 8446 §6) to
// what they mean for the person holding the card, and what to do (with the
// advice's code, see AdviceCodes). Advice names command-line flags; the
// GUI words it by code.
var causes = map[string]struct{ meaning, code, advice string }{
	"unknown_ca": {"The server does not trust the CA that issued your certificate.", AdviceCheckAcceptableCAs,
		"Check that you picked the right certificate for this service; ask its administrators which CAs they accept (see \"Acceptable CAs\")."},
	"bad_certificate": {"The server rejected your certificate as bad: often an issuer it does not trust, a missing intermediate certificate, or a signature it could not verify.", AdviceInstallIntermediate,
		"Compare your certificate's issuer with the server's acceptable CAs, and ask the administrators to install the intermediate CA."},
	"certificate_revoked": {"Your certificate has been revoked by its issuer.", AdviceNewCertificate,
		"Contact your helpdesk or the card issuer for a new certificate."},
	"certificate_expired": {"The server says your certificate has expired (or is not valid yet).", AdviceRenewCertificate,
		"Renew the certificate with your card issuer; check this computer's date and time too."},
	"certificate_unknown": {"The server could not use your certificate for an unspecified reason.", AdviceAskServerLog,
		"Ask the service's administrators to look in the server log for the reason."},
	"unsupported_certificate": {"The server does not accept this kind of certificate (its key type or intended use).", AdviceUseClientAuthCert,
		"Use a certificate meant for client authentication (TLS client EKU) with a key type the server supports."},
	"certificate_required": {"The server requires a client certificate, and none was sent.", AdvicePickCertificate,
		"Pick a certificate on the card and make sure its key is present; if one was chosen, the server may have ignored it because of its issuer."},
	"handshake_failure": {"The server ended the handshake (handshake_failure); with client certificates this usually means the certificate was missing or refused.", AdviceCheckIssuerSent,
		"Check the certificate's issuer against the server's acceptable CAs, and that a certificate was actually sent."},
	"decrypt_error": {"The server could not verify the signature your card made (decrypt_error).", AdviceTryTLS12Signature,
		"The key on the card may not match the certificate, or the server mishandles this signature algorithm: try TLS 1.2 (--tls 1.2)."},
	"access_denied": {"The server recognized your certificate but denies you access.", AdviceAskAccess,
		"Your card works; ask the administrators to grant your certificate or account access."},
	"insufficient_security": {"The server requires stronger security than was offered.", AdviceAskTLSSettings,
		"Ask the administrators which TLS settings the service needs."},
	"protocol_version": {"The server and cardcheck have no TLS version in common.", AdviceTryOtherTLSVersion,
		"Try another TLS version (--tls 1.2 or --tls 1.3)."},
	"illegal_parameter": {"The server found a message from this side malformed (illegal_parameter).", AdviceTryTLS12Report,
		"Try TLS 1.2 (--tls 1.2); report this to the service's administrators."},
	"internal_error": {"The server had an internal error during the handshake.", AdviceAskServerLog,
		"Ask the service's administrators to check the server log."},
	"no_renegotiation": {"The server refused renegotiation.", AdviceAskRenegotiation,
		"Ask the administrators how the service requests client certificates."},
}

// Advice codes: Result.AdviceCodes[i] names Result.Advice[i]. They are
// stable (reports and the GUI depend on them); the texts may change.
// Codes marked "flag" stand for advice whose text names a command-line
// flag; a GUI shows its own wording (a control, a button) instead.
const (
	AdviceCheckAcceptableCAs  = "check_acceptable_cas"
	AdviceInstallIntermediate = "install_intermediate"
	AdviceNewCertificate      = "get_new_certificate"
	AdviceRenewCertificate    = "renew_certificate"
	AdviceAskServerLog        = "ask_server_log"
	AdviceUseClientAuthCert   = "use_client_auth_certificate"
	AdvicePickCertificate     = "pick_certificate"
	AdviceCheckIssuerSent     = "check_issuer_and_sent"
	AdviceTryTLS12Signature   = "try_tls12_signature"   // flag: --tls 1.2
	AdviceAskAccess           = "ask_access"            // the card works; the account lacks access
	AdviceAskTLSSettings      = "ask_tls_settings"      //
	AdviceTryOtherTLSVersion  = "try_other_tls_version" // flag: --tls 1.2 / 1.3
	AdviceTryTLS12Report      = "try_tls12_report"      // flag: --tls 1.2
	AdviceAskRenegotiation    = "ask_renegotiation"
	AdviceSeeLocalChecks      = "see_local_checks"
	AdviceAskServerLogAndCAs  = "ask_server_log_and_cas"
	AdviceCheckURL            = "check_url"
	AdviceServerNotSetUp      = "server_not_set_up"
	AdviceGiveServerCA        = "give_server_ca"     // flag: --ca FILE (GUI: the CA file control)
	AdviceContinueUntrusted   = "continue_untrusted" // flag: --continue-untrusted (GUI: test anyway)
	AdviceServerUntrustedNote = "server_untrusted_note"
	AdviceRetypePIN           = "retype_pin"
	AdviceUnblockPIN          = "unblock_pin"
	AdviceConfirmFinalTry     = "confirm_final_try" // flag: --final-try (GUI: the confirmation box)
	AdviceInsertCard          = "insert_card"
	AdviceCheckReachable      = "check_reachable" // flag: --timeout
	AdviceCheckNetwork        = "check_network"
	// AdviceLocalCheckPrefix + the check's name with '-' as '_' (for
	// example "local_check_chain"): a failed local check, its detail
	// quoted. Details may name flags too (chain: --ca FILE).
	AdviceLocalCheckPrefix = "local_check_"
)

// AdviceFlag returns the command-line flag that the advice with this code
// names ("--ca", "--tls", …), or "" when its text names none. A GUI words
// these entries its own way (a control, a button). Details of failed local
// checks (AdviceLocalCheckPrefix) may name flags too: the chain check's
// detail names --ca FILE.
func AdviceFlag(code string) string {
	switch code {
	case AdviceGiveServerCA:
		return "--ca"
	case AdviceContinueUntrusted:
		return "--continue-untrusted"
	case AdviceConfirmFinalTry:
		return "--final-try"
	case AdviceCheckReachable:
		return "--timeout"
	case AdviceTryTLS12Signature, AdviceTryOtherTLSVersion, AdviceTryTLS12Report:
		return "--tls"
	}
	return ""
}

// advice is one entry of Result.Advice with its code.
type advice struct{ code, text string }

// alertMeaning explains an alert name; unknown names are quoted as they are.
func alertMeaning(name string) string {
	if c, ok := causes[name]; ok {
		return c.meaning
	}
	return fmt.Sprintf("The server sent the TLS alert %q.", name)
}

// adviceFor returns what to do about a rejection cause.
func adviceFor(code string) []advice {
	if c, ok := causes[code]; ok {
		return []advice{{c.code, c.advice}}
	}
	switch code {
	case "no_certificate":
		c := causes["certificate_required"]
		return []advice{{c.code, c.advice}}
	case "certificate_error", "http_400":
		return []advice{{AdviceSeeLocalChecks, "Look at the local checks below: they usually show which of issuer, validity or revocation the server objects to."},
			{AdviceAskServerLog, "Ask the service's administrators for the reason in the server's error log."}}
	case "closed":
		return []advice{{AdviceAskServerLogAndCAs, "Ask the service's administrators for the reason in the server's log; compare your issuer with the acceptable CAs."}}
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
