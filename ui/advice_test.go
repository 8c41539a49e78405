package ui

import (
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
)

// Every advice code whose command-line text names a flag has the window's
// own wording, which names none.
func TestGUIAdviceNamesNoFlag(t *testing.T) {
	for _, code := range []string{probe.AdviceGiveServerCA, probe.AdviceContinueUntrusted, probe.AdviceConfirmFinalTry,
		probe.AdviceCheckReachable, probe.AdviceTryTLS12Signature, probe.AdviceTryOtherTLSVersion,
		probe.AdviceTryTLS12Report, probe.AdviceTestPostHandshakeTLS12} {
		if probe.AdviceFlag(code) == "" {
			t.Errorf("%s: AdviceFlag names no flag", code)
		}
		if s := guiAdvice(code, msg.Msg{}, "the command line's "+probe.AdviceFlag(code)); strings.Contains(s, "--") {
			t.Errorf("%s: %q", code, s)
		}
	}
}
