package ui

import (
	"slices"
	"strings"
	"testing"
)

// TestCompareInfo: the cipher suite, one long word, gets a line of its
// own under the time and address, so that a narrow column wraps the
// address rather than cutting the suite.
func TestCompareInfo(t *testing.T) {
	got := strings.Split(compareInfo(tls12Result(testURL)), "\n")
	want := []string{"handshake 8.1 ms · " + testURL, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
	if !slices.Equal(got, want) {
		t.Errorf("compareInfo = %q, want %q", got, want)
	}
}
