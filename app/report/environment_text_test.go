package report

import (
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/probe"
)

func TestCheckTextHeaderSaysWhenAndWhere(t *testing.T) {
	res := &probe.Result{URL: "https://server.example/", Verdict: probe.Accepted, Summary: "Your card works.",
		Environment: &environment.Environment{
			Host: environment.Host{Time: "2026-03-01T10:15:02+01:00", CardcheckVersion: "1.2.3", OS: "linux", Arch: "amd64",
				OSName: "Debian GNU/Linux 12 (bookworm)", GoVersion: "go1.26.0"},
			Module: &environment.Module{Path: "/usr/lib/softhsm/libsofthsm2.so", Description: "Implementation of PKCS11",
				Manufacturer: "SoftHSM", LibraryVersion: "2.6"},
			Token: &environment.Token{Label: "cardcheck-test", Manufacturer: "SoftHSM project", Model: "SoftHSM v2",
				Serial: "1234abcd", FirmwareVersion: "2.6", HardwareVersion: "2.6"},
		}}
	var b strings.Builder
	WriteCheckText(&b, res)
	out := b.String()
	want := "Time:      2026-03-01T10:15:02+01:00\n" +
		"cardcheck: 1.2.3 on linux/amd64 (Debian GNU/Linux 12 (bookworm)), go1.26.0\n" +
		"Module:    /usr/lib/softhsm/libsofthsm2.so\n" +
		"           Implementation of PKCS11 version 2.6, SoftHSM\n" +
		"Token:     \"cardcheck-test\" SoftHSM project SoftHSM v2, serial 1234abcd, firmware 2.6, hardware 2.6\n" +
		"\nVERDICT: ACCEPTED\n"
	if !strings.HasPrefix(out, want) {
		t.Fatalf("header:\n%s\nwant it to start with:\n%s", out, want)
	}
}

func TestCheckTextWithoutCardSaysNoModule(t *testing.T) {
	res := &probe.Result{Verdict: probe.Failed, Environment: &environment.Environment{Host: environment.Host{Time: "t", OS: "linux", Arch: "arm64"}}}
	var b strings.Builder
	WriteCheckText(&b, res)
	if out := b.String(); strings.Contains(out, "Module:") || strings.Contains(out, "Token:") || !strings.Contains(out, "on linux/arm64") {
		t.Fatalf("header:\n%s", out)
	}
}

func TestCountPlurals(t *testing.T) {
	for n, want := range map[int]string{0: "0 bytes", 1: "1 byte", 2: "2 bytes"} {
		if got := Count(n, "byte", "bytes"); got != want {
			t.Errorf("Count(%d) = %q", n, got)
		}
	}
}
