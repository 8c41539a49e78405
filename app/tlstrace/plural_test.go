package tlstrace

import (
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"
)

func TestSummariesUseRightPlurals(t *testing.T) {
	for got, want := range map[string]string{
		byteCount(1):                      "1 byte",
		byteCount(2):                      "2 bytes",
		byteCount(0):                      "0 bytes",
		msg.English(lifetimeField(86400)): "86400 s (1 day)",
		msg.English(lifetimeField(7200)):  "7200 s (2 hours)",
		msg.English(lifetimeField(3600)):  "3600 s (1 hour)",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	var one, two decoded
	describeCerts(&one, [][]byte{{0x30}})
	describeCerts(&two, [][]byte{{0x30}, {0x30}})
	if !strings.HasPrefix(msg.English(one.summary), "1 certificate: ") || !strings.HasPrefix(msg.English(two.summary), "2 certificates: ") {
		t.Errorf("summaries %q, %q", msg.English(one.summary), msg.English(two.summary))
	}
}
