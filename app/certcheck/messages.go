package certcheck

import (
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
)

// The checks' details as catalog entries (package msg). Rules for the
// words: one plain-language sentence for end users, lower case (a GUI
// shows it after the check's name); names of certificates in “quotes”;
// flags only where the fix is one (--ca FILE).

var (
	noCertificate = msg.Define("certcheck.no_certificate", "no certificate was chosen")

	acaNotAsked   = msg.Define("certcheck.acceptable_ca.not_asked", "the server did not ask for a client certificate")
	acaNoneNamed  = msg.Define("certcheck.acceptable_ca.none_named", "the server did not name acceptable CAs; any CA may do")
	acaInChain    = msg.Define("certcheck.acceptable_ca.in_chain", "the server accepts certificates from {{.Name}}, which is in your certificate's chain")
	acaNotInChain = msg.Define("certcheck.acceptable_ca.not_in_chain", "the server accepts certificates from {{.Names}}; yours is issued by {{.Issuer}}")
	acaMore       = msg.Define("certcheck.acceptable_ca.more", "and {{.Count}} more")
	unreadable    = msg.Define("certcheck.name.unreadable", "(an unreadable name)")

	chainNotCA         = msg.Define("certcheck.chain.not_ca", "the certificate {{.Name}} in the chain is not a CA certificate, so it cannot vouch for another certificate")
	chainDownload      = msg.Define("certcheck.chain.download_failed", "could not download the CA certificate {{.Issuer}} that issued {{.Subject}} from {{.URL}} ({{.Reason}})")
	chainRootUntrusted = msg.Define("certcheck.chain.root_untrusted", "your certificate chains to the root CA {{.Root}}, which this computer does not trust; give its certificate as the CA file (--ca FILE) to check the chain")
	chainRootNotInFile = msg.Define("certcheck.chain.root_not_in_file", "your certificate chains to the root CA {{.Root}}, which is not in the CA file")
	chainCAUntrusted   = msg.Define("certcheck.chain.ca_untrusted", "the CA certificate {{.Issuer}} that issued {{.Subject}} is not on the card and not trusted by this computer; give the CA certificates as the CA file (--ca FILE) to check the chain")
	chainCAMissing     = msg.Define("certcheck.chain.ca_missing", "the CA certificate {{.Issuer}} that issued {{.Subject}} is missing: it is not on the card or in the CA file, and could not be downloaded")
	chainThrough       = msg.Define("certcheck.chain.through", "your certificate chains through {{.Intermediates}} to the root CA {{.Root}}, trusted by {{.Trust}}{{.Note}}")
	chainTo            = msg.Define("certcheck.chain.to", "your certificate chains to the CA {{.Root}}, trusted by {{.Trust}}{{.Note}}")
	trustFile          = msg.Define("certcheck.chain.trust_file", "the CA file")
	trustSystem        = msg.Define("certcheck.chain.trust_system", "this computer")
	judgedToday        = msg.Define("certcheck.chain.judged_today", " (judged today; your certificate's own validity period is left to the validity check)")
	insecureAlgorithm  = msg.Define("certcheck.chain.insecure_algorithm", "a certificate in the chain is signed with {{.Algorithm}}, an algorithm that is no longer accepted")
	criticalExtension  = msg.Define("certcheck.chain.critical_extension", "a certificate in the chain has a critical extension that cannot be processed")
	doesNotVerify      = msg.Define("certcheck.chain.does_not_verify", "the chain does not verify: {{.Reason}}")
	whoCA              = msg.Define("certcheck.chain.who_a_ca", "a CA certificate in the chain")
	whoYours           = msg.Define("certcheck.chain.who_yours", "your certificate")
	whoNamed           = msg.Define("certcheck.chain.who_named", "the CA certificate {{.Name}}")
	outsidePeriod      = msg.Define("certcheck.chain.outside_period", "{{.Who}} is outside its validity period ({{.From}} to {{.Until}})")
	expiredOrNotYet    = msg.Define("certcheck.chain.expired_or_not_yet", "{{.Who}} has expired or is not yet valid")
	whoNotCA           = msg.Define("certcheck.chain.who_not_ca", "{{.Who}} is not a CA certificate, so it cannot vouch for another certificate")
	nameConstraints    = msg.Define("certcheck.chain.name_constraints", "the name constraints of a CA in the chain do not allow the names in your certificate")
	tooComplex         = msg.Define("certcheck.chain.too_complex", "the chain is longer or more complex than a CA in it allows")
	caNotForClientAuth = msg.Define("certcheck.chain.ca_not_for_client_auth", "a CA in the chain is not allowed to issue certificates for client authentication (extended key usage)")

	crlSlow       = msg.Define("certcheck.crl.slow", "the CA's CRL server at {{.URL}} did not answer within {{.Wait}}")
	crlUnreached  = msg.Define("certcheck.crl.unreached", "could not reach the CRL at {{.URL}} ({{.Reason}})")
	crlWrongCA    = msg.Define("certcheck.crl.wrong_issuer", "the CRL at {{.URL}} is not signed by {{.Issuer}}, the CA that issued your certificate, so it cannot be trusted")
	crlUnreadable = msg.Define("certcheck.crl.unreadable", "the CRL at {{.URL}} cannot be read ({{.Reason}})")
	crlRevoked    = msg.Define("certcheck.crl.revoked", "the certificate was revoked on {{.Date}} ({{.Reason}}), says the CRL at {{.URL}}")
	crlOutOfDate  = msg.Define("certcheck.crl.out_of_date", "the CRL at {{.URL}} does not list the certificate, but it is out of date since {{.Date}}, so servers that check it may refuse any certificate")
	crlGood       = msg.Define("certcheck.crl.not_revoked", "the CRL at {{.URL}} does not list the certificate as revoked")

	ocspNoRequest = msg.Define("certcheck.ocsp.no_request", "could not build an OCSP request for the certificate ({{.Reason}})")
	ocspSlow      = msg.Define("certcheck.ocsp.slow", "the CA's OCSP responder at {{.URL}} did not answer within {{.Wait}}")
	ocspUnreached = msg.Define("certcheck.ocsp.unreached", "could not reach the OCSP responder at {{.URL}} ({{.Reason}})")
	ocspRefused   = msg.Define("certcheck.ocsp.refused", "the OCSP responder at {{.URL}} gave no status but answered “{{.Status}}”")
	ocspUntrusted = msg.Define("certcheck.ocsp.untrusted", "the answer of the OCSP responder at {{.URL}} cannot be trusted ({{.Reason}})")
	// Why an OCSP answer that verifies is still not trusted.
	ocspWhyNotAuthorized = msg.Define("certcheck.ocsp.why_not_authorized", "its signer is not authorized to answer for the CA")
	ocspWhySignerInvalid = msg.Define("certcheck.ocsp.why_signer_invalid", "its signer's certificate is outside its validity period")
	ocspWhyFuture        = msg.Define("certcheck.ocsp.why_future", "it is dated in the future")
	ocspWhyOutdated      = msg.Define("certcheck.ocsp.why_outdated", "it is out of date")
	ocspGood             = msg.Define("certcheck.ocsp.not_revoked", "the OCSP responder at {{.URL}} says the certificate is not revoked")
	ocspRevoked          = msg.Define("certcheck.ocsp.revoked", "the certificate was revoked on {{.Date}} ({{.Reason}}), says the OCSP responder at {{.URL}}")
	ocspUnknownCrt       = msg.Define("certcheck.ocsp.unknown", "the OCSP responder at {{.URL}} does not know this certificate")

	revNotHTTP    = msg.Define("certcheck.revocation.not_http", "the certificate names revocation servers cardcheck cannot use (only HTTP is supported)")
	revNoServers  = msg.Define("certcheck.revocation.no_servers", "the certificate names no OCSP responder or CRL, so its revocation status cannot be checked")
	revNoIssuer   = msg.Define("certcheck.revocation.no_issuer", "the CA certificate that issued yours is missing, so its revocation status cannot be checked")
	revReasonCode = msg.Define("certcheck.revocation.reason_code", "reason code {{.Code}}")

	kuNoSignature  = msg.Define("certcheck.key_usage.no_signature", "the certificate's key usage does not allow digital signatures, which a client must make to log in with TLS")
	kuOnlyFor      = msg.Define("certcheck.key_usage.only_for", "the certificate is meant only for {{.Usages}}, not for client authentication (extended key usage)")
	kuUnlimited    = msg.Define("certcheck.key_usage.unlimited", "the certificate does not limit its usage, so it may be used for client authentication")
	kuClientAuthOK = msg.Define("certcheck.key_usage.client_auth", "the certificate may be used for client authentication")

	kpNoSignature   = msg.Define("certcheck.key_possession.no_signature", "the card made no signature during this test, so its key could not be compared with the certificate")
	kpChallengeFail = msg.Define("certcheck.key_possession.challenge_failed", "the card could not sign a test challenge with this certificate's key ({{.Reason}})")
	kpChallengeOK   = msg.Define("certcheck.key_possession.challenge_signed", "the card signed a test challenge with the key that matches the certificate")
	kpSignedOK      = msg.Define("certcheck.key_possession.signed", "the card signed with the key that matches the certificate")
	kpUnsupported   = msg.Define("certcheck.key_possession.unsupported_key", "cardcheck cannot verify signatures made with this kind of key ({{.Reason}})")
	kpMismatch      = msg.Define("certcheck.key_possession.mismatch", "the card's signature does not verify with the certificate's public key, so the key on the card does not belong to this certificate")

	valNotYet   = msg.Define("certcheck.validity.not_yet", "the certificate is not valid until {{.Date}} ({{.Span}} from now); check the computer's clock or wait")
	valExpired  = msg.Define("certcheck.validity.expired", "the certificate expired {{.Span}} ago (on {{.Date}}); it needs to be renewed")
	valExpiring = msg.Define("certcheck.validity.expiring", "the certificate expires in {{.Span}} (on {{.Date}}); ask for a new one soon")
	valValid    = msg.Define("certcheck.validity.valid", "the certificate is valid until {{.Date}}")
	spanDays    = msg.DefinePlural("certcheck.span.days", "{{.Count}} day", "{{.Count}} days")
	spanHours   = msg.DefinePlural("certcheck.span.hours", "{{.Count}} hour", "{{.Count}} hours")
	spanMinutes = msg.DefinePlural("certcheck.span.minutes", "{{.Count}} minute", "{{.Count}} minutes")
	spanMoment  = msg.Define("certcheck.span.moment", "a moment")

	whyTimeout  = msg.Define("certcheck.why.timeout", "no answer in time")
	whyCanceled = msg.Define("certcheck.why.canceled", "the test was canceled")
	whyRefused  = msg.Define("certcheck.why.refused", "connection refused")
	whyClosed   = msg.Define("certcheck.why.closed", "the connection was closed")
	whyNoHost   = msg.Define("certcheck.why.host_not_found", "host name not found")
	whyStatus   = msg.Define("certcheck.why.http_status", "the server answered {{.Status}}")
	whyTooLarge = msg.Define("certcheck.why.too_large", "the answer is larger than {{.Limit}}, cardcheck's limit for it")
	whyNoAnswer = msg.Define("certcheck.why.no_answer_within", "no answer within {{.Wait}}")
)

// The checks' names as messages, for sentences that name a check ("the
// local key-possession check failed"): in English the name itself, so
// that the English text of such a sentence is what it always was.
var nameDefs = func() map[string]*msg.Def {
	out := map[string]*msg.Def{}
	for _, n := range []string{NameKeyPossession, NameValidity, NameChain, NameRevocation, NameKeyUsage, NameAcceptableCA} {
		out[n] = msg.Define("certcheck.check_name."+strings.ReplaceAll(n, "-", "_"), n)
	}
	return out
}()

// NameMessage is a check's name as a message; a name this package does
// not define is shown as it is.
func NameMessage(name string) msg.Msg {
	if d, ok := nameDefs[name]; ok {
		return d.New()
	}
	return msg.Text(name)
}
