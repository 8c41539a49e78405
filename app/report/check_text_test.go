package report

import (
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

func TestCheckTextPutsTheVerdictFirst(t *testing.T) {
	errText := "the server's certificate was issued by a CA this computer does not trust"
	res := &probe.Result{
		URL: "https://server.example/", Verdict: probe.Rejected, Summary: "The server refused your certificate.",
		Cause: "The server does not trust the CA that issued your certificate.", Advice: []string{"Ask the administrators."},
		TLS:                probe.TLSInfo{Version: "1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"},
		CertificateRequest: &probe.CertRequest{AcceptableCAs: []string{"CN=Root"}, SignatureSchemes: []string{"ecdsa_secp256r1_sha256"}},
		Checks:             []certcheck.Check{{Name: "chain", Status: certcheck.Fail, Detail: "no path to CN=Root"}},
		Server:             probe.ServerInfo{Verified: false, Error: &errText, Chain: []probe.ChainCert{{Subject: "CN=server", Issuer: "CN=CA"}}},
		Steps: []tlstrace.Step{
			{Seq: 1, From: "client", Message: "ClientHello", At: time.Millisecond, Bytes: 300},
			{Seq: 2, From: "server", Message: "Alert", Encrypted: true, Bytes: 2, Summary: "fatal unknown_ca"},
		},
		Alert: &tlstrace.Alert{From: "server", Level: "fatal", Code: 48, Name: "unknown_ca"},
	}
	var b strings.Builder
	WriteCheckText(&b, res)
	out := b.String()
	if !strings.HasPrefix(out, "VERDICT: REJECTED\n") {
		t.Fatalf("the verdict is not first:\n%s", out)
	}
	for _, want := range []string{"Cause: The server does not trust", "  - Ask the administrators.", "TLS 1.3, TLS_AES_128_GCM_SHA256",
		"client -> server", "client <- server", "(encrypted)", "Alert: server sent fatal unknown_ca (48)",
		"NOT verified: " + errText, "    - CN=Root", "FAIL  chain"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "Handshake messages") > strings.Index(out, "Server certificate") {
		t.Error("the ladder must come before the server chain")
	}
}

// A test that stopped before any handshake (wrong PIN, canceled prompt,
// network) does not claim the server asked for nothing.
func TestCheckTextWithoutHandshake(t *testing.T) {
	res := &probe.Result{Verdict: probe.Failed, Summary: "The test could not be completed.",
		Error: &probe.ErrorInfo{Kind: "pin-incorrect", Message: "The PIN is wrong."}}
	var b strings.Builder
	WriteCheckText(&b, res)
	if out := b.String(); strings.Contains(out, "Certificate request") || strings.Contains(out, "Timings") {
		t.Errorf("a test without a handshake:\n%s", out)
	}
}

// TestCheckTextEscapesHostileNames: a server's names, reason phrase and
// a card's subject reach the report escaped — no escape sequence, and no
// newline that could forge a verdict line.
func TestCheckTextEscapesHostileNames(t *testing.T) {
	evil := "CN=x\x1b]0;owned\x07\nVERDICT: ACCEPTED\u202e"
	res := &probe.Result{
		URL: "https://server.example/", Verdict: probe.Rejected, Summary: "s", Cause: evil,
		CertificateRequest: &probe.CertRequest{AcceptableCAs: []string{evil}},
		Server:             probe.ServerInfo{Chain: []probe.ChainCert{{Subject: evil, Issuer: evil}}},
		HTTP:               &probe.HTTPInfo{Status: 400, Reason: "Bad\x1b[2J"},
		Checks:             []certcheck.Check{{Name: "chain", Status: certcheck.Fail, Detail: evil}},
		Steps:              []tlstrace.Step{{Seq: 1, From: "server", Message: "Certificate", Summary: evil}},
		Notes:              []string{evil},
		ClientCertificate:  &listing.Certificate{Subject: evil, Issuer: evil},
	}
	var b strings.Builder
	WriteCheckText(&b, res)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("control characters in the report:\n%s", out)
	}
	if n := strings.Count("\n"+out, "\nVERDICT:"); n != 1 {
		t.Fatalf("%d verdict lines:\n%s", n, out)
	}
	if !strings.Contains(out, `CN=x\x1b]0;owned\x07\x0aVERDICT: ACCEPTED\u202e`) {
		t.Fatalf("hostile name not shown escaped:\n%s", out)
	}
}

// The report says the server did not ask only when it had its chance:
// a handshake that ended before the server's Finished shows none seen.
func TestCheckTextCertificateRequestNoneSeen(t *testing.T) {
	hello := tlstrace.Step{Seq: 1, From: "client", Message: "ClientHello", Bytes: 300}
	for name, tc := range map[string]struct {
		steps []tlstrace.Step
		want  string
	}{
		"ended at the version": {[]tlstrace.Step{hello, {Seq: 2, From: "server", Message: "Alert", Bytes: 2}}, "none seen (the test ended before the server could ask)"},
		"never asked":          {[]tlstrace.Step{hello, {Seq: 2, From: "server", Message: "Finished", Bytes: 36}}, "none (the server did not ask for a client certificate)"},
	} {
		res := &probe.Result{Verdict: probe.Failed, Summary: "The test could not be completed.", TLS: probe.TLSInfo{Version: "1.3"},
			Error: &probe.ErrorInfo{Kind: "protocol", Message: "m"}, Steps: tc.steps}
		var b strings.Builder
		WriteCheckText(&b, res)
		if !strings.Contains(b.String(), "Certificate request: "+tc.want) {
			t.Errorf("%s:\n%s", name, b.String())
		}
	}
}
