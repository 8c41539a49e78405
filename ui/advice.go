package ui

import (
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
)

// The probe's advice is written for the command line and names flags
// (--ca FILE). The window says the same with its own controls, found by
// the advice's code, and offers the fix as a button when it is one
// click away.

// guiAdvice is the window's wording of one piece of advice: by its code
// when the probe's words name a flag, else its message (m, or the English
// when there is none) with any flag a quoted detail names replaced.
func guiAdvice(code string, m msg.Msg, english string) string {
	switch code {
	case probe.AdviceGiveServerCA:
		return lang.L("If this is a test or internal server, choose its CA certificate with Server CA file under Options (or press Choose CA file…), then test again.")
	case probe.AdviceContinueUntrusted:
		return lang.L("To test your card anyway, press Test anyway (or tick \"Continue if the server is untrusted\" under Options); the report will still mark the server as untrusted.")
	case probe.AdviceConfirmFinalTry:
		return lang.L("One more wrong PIN locks the card. Make sure of the PIN, then tick the confirmation in the PIN dialog.")
	case probe.AdviceCheckReachable:
		return lang.L("Check that the server is reachable from this network (VPN, proxy, firewall), or allow more time with Timeout under Options.")
	case probe.AdviceTryTLS12Signature:
		return lang.L("The key on the card may not match the certificate, or the server mishandles this signature algorithm: press Test with TLS 1.2 (or choose TLS 1.2 under Options).")
	case probe.AdviceTryOtherTLSVersion:
		return lang.L("Try another TLS version with TLS version under Options.")
	case probe.AdviceTryTLS12Report:
		return lang.L("Press Test with TLS 1.2 (or choose TLS 1.2 under Options); report this to the service's administrators.")
	case probe.AdviceTestPostHandshakeTLS12:
		return lang.L("Press Test with TLS 1.2 (or choose Automatic or TLS 1.2 with TLS version under Options): over TLS 1.2 the server asks by renegotiation.")
	}
	return withoutFlags(sentence(m, english))
}

// withoutFlags replaces the flags a detail may still name (a local
// check's text) by the control that does the same.
func withoutFlags(s string) string {
	return strings.NewReplacer(
		"--ca FILE", lang.L("a CA file (Server CA file, under Options)"),
		"--continue-untrusted", lang.L("\"Continue if the server is untrusted\" (Options)"),
		"--final-try", lang.L("the confirmation in the PIN dialog"),
	).Replace(s)
}

// fix is a button on the banner that does what a piece of advice says.
type fix struct {
	label  string
	action func()
}

// fixesFor offers the one-click fixes of a result's advice.
func (m *mainWindow) fixesFor(res *probe.Result) []fix {
	var out []fix
	seen := map[string]bool{}
	add := func(key string, f fix) {
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	for _, code := range res.AdviceCodes {
		switch code {
		case probe.AdviceGiveServerCA:
			add(code, fix{lang.L("Choose CA file…"), m.chooseCAFile})
		case probe.AdviceContinueUntrusted:
			add(code, fix{lang.L("Test anyway"), m.testAnyway})
		case probe.AdviceTryTLS12Signature, probe.AdviceTryTLS12Report, probe.AdviceTestPostHandshakeTLS12:
			add("tls12", fix{lang.L("Test with TLS 1.2"), m.testWithTLS12})
		}
	}
	return out
}

// testAnyway ticks "Continue if the server is untrusted" and tests again.
func (m *mainWindow) testAnyway() {
	m.conn.cont.SetChecked(true)
	m.startTest()
}

// testWithTLS12 chooses TLS 1.2 and tests again.
func (m *mainWindow) testWithTLS12() {
	m.conn.tlsVersion.SetSelected(tlsLabel("1.2"))
	m.startTest()
}

// preflightNote is what the PIN dialog says about the server once the
// pre-flight found that it asks for a certificate: that it does, and
// whether the chosen certificate fits what it asked for.
func preflightNote(pf *probe.Preflight) string {
	if pf.Finding == probe.FindingPostHandshakeAuth {
		return lang.L("The server asks for a certificate only after the request (post-handshake authentication); cardcheck will test with TLS 1.2.")
	}
	fits, misfit := true, ""
	for _, c := range pf.Fit {
		if c.Status == "fail" {
			fits, misfit = false, text(c.DetailMessage())
		}
	}
	if !fits {
		return lang.L("The server asks for a certificate, but yours may not fit: {{.Why}}", map[string]any{"Why": misfit})
	}
	return lang.L("The server asks for a certificate, and yours fits what it asked for.")
}
