package probe

import (
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
)

// Every advice entry has a code beside it, in the same order, so a front
// end can word it its own way; the command-line texts name the flags.
func TestAdviceHasCodes(t *testing.T) {
	untrusted := "the server's certificate was issued by a CA this computer does not trust"
	cases := []struct {
		name  string
		res   Result
		codes []string
		flags []string // each text with a flag must name it
	}{
		{"server untrusted", Result{Verdict: ServerUntrusted, Server: ServerInfo{Error: &untrusted}},
			[]string{AdviceGiveServerCA, AdviceContinueUntrusted}, []string{"--ca FILE", "--continue-untrusted"}},
		{"rejected unknown_ca with a failed check", Result{Verdict: Rejected, CauseCode: "unknown_ca",
			Checks: []certcheck.Check{{Name: "key-usage", Status: certcheck.Fail, Detail: "no clientAuth"}}},
			[]string{AdviceCheckAcceptableCAs, AdviceLocalCheckPrefix + "key_usage"}, nil},
		{"rejected decrypt_error", Result{Verdict: Rejected, CauseCode: "decrypt_error"},
			[]string{AdviceTryTLS12Signature}, []string{"--tls 1.2"}},
		{"rejected http 400", Result{Verdict: Rejected, CauseCode: "http_400"},
			[]string{AdviceSeeLocalChecks, AdviceAskServerLog}, nil},
		{"denied on an untrusted server", Result{Verdict: Denied, HTTP: &HTTPInfo{Status: 403}, Server: ServerInfo{Error: &untrusted}},
			[]string{AdviceAskAccess, AdviceServerUntrustedNote}, nil},
		{"server with another host's certificate", Result{Verdict: ServerUntrusted, Server: ServerInfo{Error: &untrusted,
			ErrorMsg: serverWrongHost.New("Host", "10.0.0.5")}}, []string{AdviceUseCertificateHost, AdviceContinueUntrusted}, nil},
		{"server with an expired certificate", Result{Verdict: ServerUntrusted, Server: ServerInfo{Error: &untrusted,
			ErrorMsg: serverExpired.New()}}, []string{AdviceCheckClock, AdviceFixServerCert, AdviceContinueUntrusted}, nil},
		{"not requested", Result{Verdict: NotRequested}, []string{AdviceCheckURL, AdviceServerNotSetUp}, nil},
		{"final try", Result{Verdict: Failed, Error: &ErrorInfo{Kind: "pin-final-try"}}, []string{AdviceConfirmFinalTry}, []string{"--final-try"}},
		{"timeout", Result{Verdict: Failed, Error: &ErrorInfo{Kind: "timeout"}}, []string{AdviceCheckReachable}, []string{"--timeout"}},
		{"accepted", Result{Verdict: Accepted}, nil, nil},
		// Issue 9: post-handshake authentication, closes without a word,
		// failed local checks named first or reported as unchecked.
		{"post-handshake over TLS 1.3", Result{Verdict: Failed, CauseCode: CausePostHandshakeAuth, Error: &ErrorInfo{Kind: "protocol", Message: "m"}},
			[]string{AdviceTestPostHandshakeTLS12, AdvicePostHandshakeBrowsers, AdvicePostHandshakeAdmin}, []string{"--tls auto", "--tls 1.2"}},
		{"closed, unclear", Result{Verdict: Failed, CauseCode: CauseClosedUnclear, Error: &ErrorInfo{Kind: "protocol", Message: "m"}},
			[]string{AdviceAskWhichClose}, nil},
		{"closed, unclear, with a failed check", Result{Verdict: Failed, CauseCode: CauseClosedUnclear, Error: &ErrorInfo{Kind: "protocol", Message: "m"},
			Checks: []certcheck.Check{{Name: certcheck.NameRevocation, Status: certcheck.Fail, Detail: "revoked"}}},
			[]string{AdviceNewCertificate, AdviceLocalCheckPrefix + "revocation"}, nil},
		{"service closed", Result{Verdict: Accepted, CauseCode: CauseServiceClosed}, []string{AdviceAskWhyServiceClosed}, nil},
		{"denied with a failed check", Result{Verdict: Denied, HTTP: &HTTPInfo{Status: 403},
			Checks: []certcheck.Check{{Name: certcheck.NameValidity, Status: certcheck.Fail, Detail: "expired"}}},
			[]string{AdviceRenewCertificate, AdviceLocalCheckPrefix + "validity"}, nil},
		{"access_denied with a failed check", Result{Verdict: Rejected, CauseCode: "access_denied",
			Checks: []certcheck.Check{{Name: certcheck.NameKeyUsage, Status: certcheck.Fail, Detail: "no clientAuth"}}},
			[]string{AdviceUseClientAuthCert, AdviceAskAccess, AdviceLocalCheckPrefix + "key_usage"}, nil},
		{"accepted with failed checks", Result{Verdict: Accepted,
			Checks: []certcheck.Check{{Name: certcheck.NameRevocation, Status: certcheck.Fail, Detail: "revoked"},
				{Name: certcheck.NameAcceptableCA, Status: certcheck.Fail, Detail: "not named"}}},
			[]string{AdviceUncheckedPrefix + "revocation", AdviceUncheckedPrefix + "acceptable_ca"}, nil},
		{"accepted over TLS 1.2 after post-handshake", Result{Verdict: Accepted}, []string{AdvicePostHandshakeBrowsers, AdvicePostHandshakeAdmin}, nil},
		{"failed over TLS 1.2 after post-handshake", Result{Verdict: Failed, Error: &ErrorInfo{Kind: "timeout", Message: "m"}},
			[]string{AdviceCheckReachable, AdvicePostHandshakeBrowsers, AdvicePostHandshakeAdmin}, []string{"--timeout"}},
		{"not requested over TLS 1.2 after post-handshake", Result{Verdict: NotRequested}, []string{AdviceCheckURL, AdviceServerNotSetUp}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res
			r := &run{res: &res}
			if strings.HasSuffix(tc.name, "after post-handshake") {
				r.pha, r.requested = true, res.Verdict != NotRequested
			}
			r.explain()
			if strings.Join(res.AdviceCodes, ",") != strings.Join(tc.codes, ",") || len(res.Advice) != len(res.AdviceCodes) {
				t.Fatalf("codes %q for advice %q, want %q", res.AdviceCodes, res.Advice, tc.codes)
			}
			all := strings.Join(res.Advice, "\n")
			for _, f := range tc.flags {
				if !strings.Contains(all, f) {
					t.Errorf("advice does not name %s:\n%s", f, all)
				}
			}
		})
	}
}

func TestFailureHasAdviceCodes(t *testing.T) {
	for _, kind := range []ErrorKind{"pin-incorrect", "pin-locked", "pin-final-try", "token-removed", "network", "timeout", "protocol"} {
		res := Failure("https://x/", kind, msg.Text("m"))
		if res.AdviceCodes == nil || len(res.AdviceCodes) != len(res.Advice) {
			t.Errorf("%s: codes %q, advice %q", kind, res.AdviceCodes, res.Advice)
		}
	}
}

// AdviceFlag knows exactly the advice whose text names a flag, so the GUI
// can reword every one of them.
func TestAdviceFlagMatchesTheTexts(t *testing.T) {
	var all []advice
	for name := range causes {
		all = append(all, adviceFor(name)...)
	}
	all = append(all, phaAdvice()...)
	for _, code := range []string{"no_certificate", "certificate_error", "closed"} {
		all = append(all, adviceFor(code)...)
	}
	for _, kind := range []ErrorKind{"pin-incorrect", "pin-locked", "pin-final-try", "token-removed", "timeout", "network"} {
		all = append(all, adviceForError(&ErrorInfo{Kind: kind})...)
	}
	untrusted := "x"
	results := []Result{
		{Verdict: Failed, CauseCode: CausePostHandshakeAuth, Error: &ErrorInfo{Kind: "protocol"}},
		{Verdict: Failed, CauseCode: CauseClosedUnclear, Error: &ErrorInfo{Kind: "protocol"}},
		{Verdict: Accepted, CauseCode: CauseServiceClosed},
	}
	for _, v := range []Verdict{Denied, NotRequested, ServerUntrusted} {
		results = append(results, Result{Verdict: v, HTTP: &HTTPInfo{Status: 403}, Server: ServerInfo{Error: &untrusted}})
	}
	for _, res := range results {
		(&run{res: &res}).explain()
		for i := range res.Advice {
			all = append(all, advice{res.AdviceCodes[i], res.AdviceMsgs[i]})
			if msg.English(res.AdviceMsgs[i]) != res.Advice[i] {
				t.Errorf("advice %d: %q is not the English of its message", i, res.Advice[i])
			}
		}
	}
	for _, a := range all {
		flag, text := AdviceFlag(a.code), msg.English(a.text)
		if err := msg.Check(a.text); err != nil {
			t.Error(err)
		}
		if strings.Contains(text, "--") != (flag != "") || flag != "" && !strings.Contains(text, flag) {
			t.Errorf("%s: AdviceFlag %q for %q", a.code, flag, text)
		}
	}
}
