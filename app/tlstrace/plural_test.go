package tlstrace

import (
	"strings"
	"testing"
)

func TestSummariesUseRightPlurals(t *testing.T) {
	for got, want := range map[string]string{
		byteCount(1):         "1 byte",
		byteCount(2):         "2 bytes",
		byteCount(0):         "0 bytes",
		lifetimeField(86400): "86400 s (1 day)",
		lifetimeField(7200):  "7200 s (2 hours)",
		lifetimeField(3600):  "3600 s (1 hour)",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	var one, two decoded
	describeCerts(&one, [][]byte{{0x30}})
	describeCerts(&two, [][]byte{{0x30}, {0x30}})
	if !strings.HasPrefix(one.summary, "1 certificate: ") || !strings.HasPrefix(two.summary, "2 certificates: ") {
		t.Errorf("summaries %q, %q", one.summary, two.summary)
	}
}
