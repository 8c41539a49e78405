package probe

import (
	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
)

// Cause codes added beside the TLS alert names (JSON `cause_code`); the
// values are stable.
const (
	// CausePostHandshakeAuth: over TLS 1.3 the server asks for the
	// certificate only after the request, which Go cannot answer.
	CausePostHandshakeAuth = "post-handshake-auth"
	// CauseServiceClosed: TLS accepted the certificate, then the service
	// closed without a word.
	CauseServiceClosed = "service-closed"
	// CauseClosedUnclear: closed after our certificate in TLS 1.3, with
	// nothing that tells refused from accepted-then-closed.
	CauseClosedUnclear = "closed-unclear"
	// CauseCheckPrefix + a check name ("check-revocation"): the server
	// refused access and that local check failed — the likely cause.
	CauseCheckPrefix = "check-"
)

// Rules for these words as in messages.go: what happened, then what to do.

// phaCause is the cause of CausePostHandshakeAuth (causePHA).
const phaCause = "Over TLS 1.3 this server asks for a client certificate only after it has seen the request, for this address alone (TLS 1.3 post-handshake authentication). " +
	"Firefox and curl support that; Chrome, Edge, Safari and Go programs such as cardcheck do not, and get a refusal instead."

var (
	advicePHABrowsers = msg.Define("probe.advice.post_handshake_browsers", "Over TLS 1.3, Chrome, Edge and Safari get a refusal from this site whatever the certificate; Firefox and curl are asked for the certificate and can log in.")
	advicePHAAdmin    = msg.Define("probe.advice.post_handshake_admin", "Administrator: ask for the client certificate at connection level (Apache: SSLVerifyClient in the virtual host rather than in <Location> or <Directory>), or allow TLS 1.2 for this site, where the server asks by renegotiation.")
)

func phaAdvice() []advice {
	return []advice{{AdvicePostHandshakeBrowsers, advicePHABrowsers.New()}, {AdvicePostHandshakeAdmin, advicePHAAdmin.New()}}
}

// phaFailed ends a TLS 1.3 test that met post-handshake authentication:
// the card was not tested, and nothing may say it is fine.
func (r *run) phaFailed() {
	r.fail(KindProtocol, errPHA.New())
	r.res.CauseCode = CausePostHandshakeAuth
	r.cause(causePHA.New())
}

// explainPostHandshake adds the post-handshake story to a test that ran
// over TLS 1.2 because TLS 1.3 showed the pattern.
func (r *run) explainPostHandshake() {
	res := r.res
	requested, _, _, _ := r.state()
	switch {
	case res.Verdict == NotRequested || !requested && res.Verdict != Failed:
		r.note(noteNoRequestTLS12.New())
		return
	case res.Verdict == Accepted:
		res.CauseCode = CausePostHandshakeAuth
		r.cause(causePHA.New())
		r.summary(sumPHAAccepted.New())
	case res.Verdict == Failed && res.CauseCode == "":
		res.CauseCode = CausePostHandshakeAuth
		r.cause(causePHA.New())
	}
	r.adviseAll(phaAdvice())
}

// checkWords says, for each local check, what its failure means for a
// server and what to do: the advice (with its code) of the alert a server
// that makes the check sends.
var checkWords = map[string]struct {
	cause     *msg.Def
	alert     string // the causes entry whose advice applies
	unchecked *msg.Def
}{
	certcheck.NameValidity: {msg.Define("probe.check_cause.validity", "your certificate is outside its validity period"), "certificate_expired",
		msg.Define("probe.unchecked.validity", "a server that checks the validity period refuses it (certificate_expired)")},
	certcheck.NameChain: {msg.Define("probe.check_cause.chain", "your certificate does not chain to a CA that is trusted here"), "unknown_ca",
		msg.Define("probe.unchecked.chain", "a server that checks the chain refuses it (unknown_ca)")},
	certcheck.NameRevocation: {msg.Define("probe.check_cause.revocation", "your certificate has been revoked"), "certificate_revoked",
		msg.Define("probe.unchecked.revocation", "a server that checks revocation (CRL or OCSP) refuses it (certificate_revoked)")},
	certcheck.NameKeyUsage: {msg.Define("probe.check_cause.key_usage", "your certificate is not meant for client authentication (key usage)"), "unsupported_certificate",
		msg.Define("probe.unchecked.key_usage", "a server that checks the key usage refuses it (unsupported_certificate)")},
	certcheck.NameAcceptableCA: {msg.Define("probe.check_cause.acceptable_ca", "your certificate is not from a CA the server names as acceptable"), "unknown_ca",
		msg.Define("probe.unchecked.acceptable_ca", "a server that holds to its acceptable CAs refuses it (unknown_ca)")},
}

// failedCheck returns the first failed local check a server could refuse
// the certificate for (key possession failing is a card problem and has
// its own words).
func (r *run) failedCheck() *certcheck.Check {
	for i, c := range r.res.Checks {
		if _, ok := checkWords[c.Name]; ok && c.Status == certcheck.Fail {
			return &r.res.Checks[i]
		}
	}
	return nil
}

// blameCheck makes a failed local check the likely cause of a refusal
// that gave no reason of its own (401/403, access_denied, a close).
func (r *run) blameCheck(c *certcheck.Check, refusal msg.Msg) {
	w := checkWords[c.Name]
	res := r.res
	res.CauseCode = CauseCheckPrefix + c.Name
	r.cause(causeBlamed.New("Reason", w.cause.New(), "Check", c.Name, "Detail", c.DetailMessage()))
	r.summary(sumBlamed.New("Refusal", refusal, "Reason", w.cause.New()))
	a := alertAdvice(w.alert) // named first, with its code
	res.Advice = append([]string{msg.English(a.text)}, res.Advice...)
	res.AdviceCodes = append([]string{a.code}, res.AdviceCodes...)
	res.AdviceMsgs = append([]msg.Msg{a.text}, res.AdviceMsgs...)
}

// uncheckedWarnings tells, after an acceptance, which failed checks the
// server did not make and what happens where one does.
func (r *run) uncheckedWarnings() {
	for _, c := range r.res.Checks {
		w, ok := checkWords[c.Name]
		if !ok || c.Status != certcheck.Fail {
			continue
		}
		r.advise(AdviceUncheckedPrefix+adviceName(c.Name), adviceUncheckedCheck.New("Check", c.Name, "Detail", c.DetailMessage(),
			"Where", w.unchecked.New(), "Advice", alertAdvice(w.alert).text))
	}
}
