package cli_test

import (
	"strings"
	"testing"
)

// TestSecretsAreNotEchoed: a PIN typed as an argument, in a PKCS#11 URI
// (any case of scheme and attribute) or a password in the URL never
// reaches the output.
func TestSecretsAreNotEchoed(t *testing.T) {
	const pin = "k7x9q2"
	cases := [][]string{
		{"check", "--url", "https://127.0.0.1:1/", pin},
		{"tokens", pin},
		{"check", "--url", "https://127.0.0.1:1/", "--timeout", pin},
		{"check", "--url", "https://127.0.0.1:1/", "--cert", "pkcs11:token=x;object=y?pin-value=" + pin},
		{"check", "--url", "https://127.0.0.1:1/", "--cert", "PKCS11:token=x?PIN-VALUE=" + pin},
		{"check", "--url", "https://127.0.0.1:1/", "--cert", "pkcs11:token=x?Pin-Source=file:" + pin},
		{"check", "--url", "https://user:" + pin + "@bad host/"},
		{"check", "--url", "https://user:" + pin + "@127.0.0.1:0/"},
		{pin},
	}
	for _, args := range cases {
		code, out, errb := run(t, "", args...)
		if code != 2 || strings.Contains(out+errb, pin) {
			t.Errorf("%q: exit %d, output %q", args, code, out+errb)
		}
	}
	_, _, errb := run(t, "", "check", "--url", "https://127.0.0.1:1/", "--cert", "PKCS11:token=x?pin-value="+pin)
	if !strings.Contains(errb, "holds a PIN") {
		t.Errorf("no reason given: %q", errb)
	}
}
