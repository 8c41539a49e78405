package token

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzURI feeds PKCS#11 URIs and certificate attributes (from a card,
// so anything) to ParseURI, URIFilter.Match and certURI: no panic, and
// the URI cardcheck prints for a certificate selects that certificate.
func FuzzURI(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=cardcheck-test;object=ec256",
		"pkcs11:token=A;id=%01%02;type=cert?module-path=/usr/lib/softhsm/libsofthsm2.so",
		"pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=1;token=t;id=%02;object=o;type=cert",
		"pkcs11:object=%E5%BC%A0%E4%B8%89;type=private",
		"pkcs11:token=x?pin-value=1234", "PKCS11:token=x?PIN-VALUE=1234", "1234", "pkcs11:token=%zz", "pkcs11:", "pkcs11:;;;=", "PKCS11:token=x",
	} {
		f.Add(s, "label", []byte{1}, "token", "serial")
	}
	f.Fuzz(func(t *testing.T, uri, label string, id []byte, tokLabel, serial string) {
		tok := &Token{Module: &Module{}, Label: tokLabel, Serial: serial, Model: "model", Manufacturer: "maker"}
		c := &Certificate{Token: tok, Label: label, ID: id}
		if filter, err := ParseURI(uri); err == nil {
			filter.Match(c)
			filter.MatchToken(tok)
		} else if lower := strings.ToLower(uri); (strings.Contains(lower, "pin-value=") || strings.Contains(lower, "pin-source=")) &&
			(strings.Contains(strings.ToLower(err.Error()), "pin-value=") || strings.Contains(strings.ToLower(err.Error()), "pin-source=")) {
			t.Fatalf("the error quotes the PIN: %v", err)
		}
		if !utf8.ValidString(label) || !utf8.ValidString(tokLabel) || !utf8.ValidString(serial) {
			return // cards hand UTF-8 (CK_UTF8CHAR); the URI library works on strings
		}
		own := certURI(tok, c)
		filter, err := ParseURI(own)
		if err != nil {
			t.Fatalf("ParseURI(certURI) = %v for %q", err, own)
		}
		if !filter.Match(c) {
			t.Fatalf("%q does not select its own certificate", own)
		}
	})
}

// FuzzModuleFile feeds p11-kit .module files (anyone with write access
// to ~/.config/pkcs11/modules writes them) to parseModuleFile.
func FuzzModuleFile(f *testing.F) {
	for _, s := range []string{
		"module: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so\n",
		"# comment\nmodule: p11-kit-trust.so\ntrust-policy: yes\n",
		"module: /opt/x.so\ndisable-in: firefox, cardcheck\n",
		"module: /opt/x.so\nenable-in: p11-kit-proxy\n",
		"module:\n", ":::\n", "module: relative.so\n", "\x00module: /x.so",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "fuzz.module")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got := parseModuleFile(file)
		if got != "" && !filepath.IsAbs(got) {
			t.Fatalf("relative module path %q", got)
		}
	})
}
