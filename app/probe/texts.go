package probe

import (
	"crypto/x509"
	"errors"
	"strconv"
	"strings"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pki"
)

// causes maps TLS alert names (the IANA registry names, RFC 8446 §6) to
// what they mean for the person holding the card, and what to do (with the
// advice's code, see AdviceCodes). Advice names command-line flags; the
// GUI words it by code.
var causes = map[string]struct {
	meaning *msg.Def
	code    string
	advice  *msg.Def
}{
	"unknown_ca": {msg.Define("probe.alert.unknown_ca", "The server does not trust the CA that issued your certificate."), AdviceCheckAcceptableCAs,
		msg.Define("probe.advice.alert.unknown_ca", "Check that you picked the right certificate for this service; ask its administrators which CAs they accept (see \"Acceptable CAs\").")},
	"bad_certificate": {msg.Define("probe.alert.bad_certificate", "The server rejected your certificate as bad: often an issuer it does not trust, a missing intermediate certificate, or a signature it could not verify."), AdviceInstallIntermediate,
		msg.Define("probe.advice.alert.bad_certificate", "Compare your certificate's issuer with the server's acceptable CAs, and ask the administrators to install the intermediate CA.")},
	"certificate_revoked": {msg.Define("probe.alert.certificate_revoked", "Your certificate has been revoked by its issuer."), AdviceNewCertificate,
		msg.Define("probe.advice.alert.certificate_revoked", "Contact your helpdesk or the card issuer for a new certificate.")},
	"certificate_expired": {msg.Define("probe.alert.certificate_expired", "The server says your certificate has expired (or is not valid yet)."), AdviceRenewCertificate,
		msg.Define("probe.advice.alert.certificate_expired", "Renew the certificate with your card issuer; check this computer's date and time too.")},
	"certificate_unknown": {msg.Define("probe.alert.certificate_unknown", "The server could not use your certificate for an unspecified reason."), AdviceAskServerLog,
		msg.Define("probe.advice.alert.certificate_unknown", "Ask the service's administrators to look in the server log for the reason.")},
	"unsupported_certificate": {msg.Define("probe.alert.unsupported_certificate", "The server does not accept this kind of certificate (its key type or intended use)."), AdviceUseClientAuthCert,
		msg.Define("probe.advice.alert.unsupported_certificate", "Use a certificate meant for client authentication (TLS client EKU) with a key type the server supports.")},
	"certificate_required": {msg.Define("probe.alert.certificate_required", "The server requires a client certificate, and none was sent."), AdvicePickCertificate,
		msg.Define("probe.advice.alert.certificate_required", "Pick a certificate on the card and make sure its key is present; if one was chosen, the server may have ignored it because of its issuer.")},
	"handshake_failure": {msg.Define("probe.alert.handshake_failure", "The server ended the handshake (handshake_failure); with client certificates this usually means the certificate was missing or refused."), AdviceCheckIssuerSent,
		msg.Define("probe.advice.alert.handshake_failure", "Check the certificate's issuer against the server's acceptable CAs, and that a certificate was actually sent.")},
	"decrypt_error": {msg.Define("probe.alert.decrypt_error", "The server could not verify the signature your card made (decrypt_error)."), AdviceTryTLS12Signature,
		msg.Define("probe.advice.alert.decrypt_error", "The key on the card may not match the certificate, or the server mishandles this signature algorithm: try TLS 1.2 (--tls 1.2).")},
	"access_denied": {msg.Define("probe.alert.access_denied", "The server recognized your certificate but denies you access."), AdviceAskAccess,
		msg.Define("probe.advice.alert.access_denied", "Your card works; ask the administrators to grant your certificate or account access.")},
	"insufficient_security": {msg.Define("probe.alert.insufficient_security", "The server requires stronger security than was offered."), AdviceAskTLSSettings,
		msg.Define("probe.advice.alert.insufficient_security", "Ask the administrators which TLS settings the service needs.")},
	"protocol_version": {msg.Define("probe.alert.protocol_version", "The server and cardcheck have no TLS version in common."), AdviceTryOtherTLSVersion,
		msg.Define("probe.advice.alert.protocol_version", "Try another TLS version (--tls 1.2 or --tls 1.3).")},
	"illegal_parameter": {msg.Define("probe.alert.illegal_parameter", "The server found a message from this side malformed (illegal_parameter)."), AdviceTryTLS12Report,
		msg.Define("probe.advice.alert.illegal_parameter", "Try TLS 1.2 (--tls 1.2); report this to the service's administrators.")},
	"internal_error": {msg.Define("probe.alert.internal_error", "The server had an internal error during the handshake."), AdviceAskServerLog,
		msg.Define("probe.advice.alert.internal_error", "Ask the service's administrators to check the server log.")},
	"no_renegotiation": {msg.Define("probe.alert.no_renegotiation", "The server refused renegotiation."), AdviceAskRenegotiation,
		msg.Define("probe.advice.alert.no_renegotiation", "Ask the administrators how the service requests client certificates.")},
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
	AdviceFixServerCert       = "fix_server_certificate" // untrusted for another reason than its CA: a CA file will not help
	AdviceUseCertificateHost  = "use_certificate_host"   // the server's certificate names other hosts
	AdviceCheckClock          = "check_clock"            // a certificate out of its validity period: this computer's clock?
	AdviceRetypePIN           = "retype_pin"
	AdviceUnblockPIN          = "unblock_pin"
	AdviceConfirmFinalTry     = "confirm_final_try" // flag: --final-try (GUI: the confirmation box)
	AdviceInsertCard          = "insert_card"
	AdviceCheckReachable      = "check_reachable" // flag: --timeout
	AdviceCheckNetwork        = "check_network"
	AdviceCheckProxy          = "check_proxy" // the proxy failed; names the HTTPS_PROXY setting, no flag
	// AdviceLocalCheckPrefix + the check's name with '-' as '_' (for
	// example "local_check_chain"): a failed local check, its detail
	// quoted. Details may name flags too (chain: --ca FILE).
	AdviceLocalCheckPrefix = "local_check_"

	// Post-handshake authentication (CausePostHandshakeAuth), closes
	// without a word (CauseClosedUnclear, CauseServiceClosed), and failed
	// local checks a server that accepted did not make.
	AdviceTestPostHandshakeTLS12 = "test_post_handshake_tls12" // flag: --tls auto / 1.2 (GUI: test with TLS 1.2)
	AdvicePostHandshakeBrowsers  = "post_handshake_browsers"   // which browsers get the refusal over TLS 1.3
	AdvicePostHandshakeAdmin     = "post_handshake_admin"      // what the administrators can change
	AdviceAskWhichClose          = "ask_which_close"           // closed-unclear: refused, or accepted and the service closed?
	AdviceAskWhyServiceClosed    = "ask_why_service_closed"    // service-closed: the card works, the service closed
	// AdviceUncheckedPrefix + the check's name with '-' as '_' (for
	// example "unchecked_local_check_revocation"): a local check failed,
	// yet this server accepted the certificate. Its detail is quoted and
	// may name flags (chain: --ca FILE). A refusal blamed on a failed
	// check (cause_code "check-<name>") is advised, first, with the code
	// of the alert a server making that check sends (for example
	// AdviceRenewCertificate for the validity check).
	AdviceUncheckedPrefix = "unchecked_local_check_"
)

// AdviceFlag returns the command-line flag that the advice with this code
// names ("--ca", "--tls", …), or "" when its text names none. A GUI words
// these entries its own way (a control, a button). Details of failed local
// checks (AdviceLocalCheckPrefix, AdviceUncheckedPrefix) may name flags
// too: the chain check's detail names --ca FILE.
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
	case AdviceTryTLS12Signature, AdviceTryOtherTLSVersion, AdviceTryTLS12Report, AdviceTestPostHandshakeTLS12:
		return "--tls"
	}
	return ""
}

// advice is one entry of Result.Advice with its code.
type advice struct {
	code string
	text msg.Msg
}

// alertAdvice is the advice for a rejection by the alert name.
func alertAdvice(name string) advice {
	c := causes[name]
	return advice{c.code, c.advice.New()}
}

// alertMeaning explains an alert name; unknown names are quoted as they are.
func alertMeaning(name string) msg.Msg {
	if c, ok := causes[name]; ok {
		return c.meaning.New()
	}
	return causeUnknownAlert.New("Alert", strconv.Quote(name))
}

var (
	adviceSeeChecks        = msg.Define("probe.advice.see_local_checks", "Look at the local checks below: they usually show which of issuer, validity or revocation the server objects to.")
	adviceErrorLog         = msg.Define("probe.advice.ask_server_error_log", "Ask the service's administrators for the reason in the server's error log.")
	adviceLogAndCAs        = msg.Define("probe.advice.ask_server_log_and_cas", "Ask the service's administrators for the reason in the server's log; compare your issuer with the acceptable CAs.")
	adviceRetypePIN        = msg.Define("probe.advice.retype_pin", "Type the PIN again carefully. cardcheck never retries a wrong PIN by itself.")
	adviceUnblockPIN       = msg.Define("probe.advice.unblock_pin", "Contact your helpdesk to unblock the card with the PUK or an administrator PIN.")
	adviceFinalTry         = msg.Define("probe.advice.confirm_final_try", "One more wrong PIN locks the card. Make sure of the PIN, then confirm the final try explicitly with --final-try.")
	adviceInsertCard       = msg.Define("probe.advice.insert_card", "Insert the card (firmly) and try again.")
	adviceReachable        = msg.Define("probe.advice.check_reachable", "Check that the server is reachable from this network (VPN, proxy, firewall), or allow more time with --timeout (e.g. --timeout 60s).")
	adviceNetwork          = msg.Define("probe.advice.check_network", "Check the address, your network connection, VPN and proxy settings.")
	adviceAskAccess        = msg.Define("probe.advice.ask_access", "Your card is fine. Ask the service's administrators to grant your account access.")
	adviceCheckURL         = msg.Define("probe.advice.check_url", "Check the address: the service may use a different URL or port for smart-card login.")
	adviceNotSetUp         = msg.Define("probe.advice.server_not_set_up", "If this is the right address, the server is not set up for certificate login.")
	adviceCheckProxy       = msg.Define("probe.advice.check_proxy", "Check the proxy setting (the HTTPS_PROXY and NO_PROXY environment variables): a proxy that answers 407 wants a user name and password in it (http://user:password@proxy:port). Your IT department knows which proxy to use.")
	adviceGiveCA           = msg.Define("probe.advice.give_server_ca", "If this is a test or internal server, give its CA certificate with --ca FILE.")
	adviceFixServerCert    = msg.Define("probe.advice.fix_server_certificate", "A CA file will not help here: the server's certificate itself must be replaced. Tell the server's administrators what is wrong with it.")
	adviceServerOldTLS     = msg.Define("probe.advice.server_old_tls", "The server offers neither TLS 1.2 nor TLS 1.3, and older versions are not safe (cardcheck, like current browsers, does not use them): ask the administrators to enable TLS 1.2 or 1.3.")
	meaningNothingInCommon = msg.Define("probe.alert.before_request.handshake_failure", "The server found nothing in common with what this computer offered (cipher suites, key exchange groups or TLS versions).")
	adviceCheckClock       = msg.Define("probe.advice.check_clock", "Check this computer's date and time first: a certificate that seems expired or not valid yet often means a wrong clock here.")
	adviceUseCertHost      = msg.Define("probe.advice.use_certificate_host", "Test the server under the host name its certificate is issued for (an IP address or another alias is often not in it), or ask its administrators to add {{.Host}} to the certificate.")
	adviceContinue         = msg.Define("probe.advice.continue_untrusted", "To test your card anyway, run again with --continue-untrusted; the report will still mark the server as untrusted.")
	adviceAskWhichClose    = msg.Define("probe.advice.ask_which_close", "Ask the service's administrators which it was: the server's log names the reason.")
	adviceTestTLS12PHA     = msg.Define("probe.advice.test_post_handshake_tls12", "Test with --tls auto or --tls 1.2: over TLS 1.2 the server asks by renegotiation.")
	adviceServiceClosed    = msg.Define("probe.advice.ask_why_service_closed", "The card works at the TLS level. Ask the service's administrators why the service behind the TLS server closed (it may be down).")
	adviceUntrustedNote    = msg.Define("probe.advice.server_untrusted_note", "Note: the server's own certificate is not trusted ({{.Reason}}).")
	adviceLocalCheck       = namingCheck(msg.Define("probe.advice.local_check", "Local check \"{{.Check}}\": {{.Detail}}"))
	adviceUncheckedCheck   = namingCheck(msg.Define("probe.advice.unchecked_local_check", "The local {{.Check}} check failed ({{.Detail}}), yet this server accepted the certificate: it does not check this; {{.Where}}. {{.Advice}}"))
)

// checkNaming is a message that names a local check: its Check argument,
// given as the check's name (key-possession), is said as a message
// (certcheck.NameMessage), the same words in English and the check's
// name in other languages.
type checkNaming struct{ d *msg.Def }

func namingCheck(d *msg.Def) checkNaming { return checkNaming{d} }

// New is msg.Def.New with the Check argument turned into a message.
func (c checkNaming) New(pairs ...any) msg.Msg {
	for i := 0; i+1 < len(pairs); i += 2 {
		if name, ok := pairs[i+1].(string); ok && pairs[i] == "Check" {
			pairs[i+1] = certcheck.NameMessage(name)
		}
	}
	return c.d.New(pairs...)
}

// adviceFor returns what to do about a rejection cause.
func adviceFor(code string) []advice {
	if _, ok := causes[code]; ok {
		return []advice{alertAdvice(code)}
	}
	switch code {
	case "no_certificate":
		return []advice{alertAdvice("certificate_required")}
	case "certificate_error", "http_400":
		return []advice{{AdviceSeeLocalChecks, adviceSeeChecks.New()}, {AdviceAskServerLog, adviceErrorLog.New()}}
	case "closed":
		return []advice{{AdviceAskServerLogAndCAs, adviceLogAndCAs.New()}}
	}
	return nil
}

// serverErrorText explains a failed server verification in plain words.
func serverErrorText(err error) msg.Msg {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua) && pki.WeaklySigned(ua.Cert):
		// crypto/x509 reports a trusted CA's SHA-1 signature as an unknown
		// authority: the CA may well be trusted, the algorithm is not.
		return serverWeakSignature.New("Algorithm", ua.Cert.SignatureAlgorithm.String())
	case errors.As(err, &ua):
		return serverNotTrustedCA.New()
	case errors.As(err, &hn):
		return serverWrongHost.New("Host", hn.Host)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return serverExpired.New()
	case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
		return serverWrongUsage.New()
	}
	return serverNotVerified.New("Reason", strings.TrimPrefix(err.Error(), "x509: "))
}
