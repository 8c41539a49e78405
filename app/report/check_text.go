package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/termsafe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// safe escapes one value that came from a server, a card or a module
// (a subject, a reason phrase, a detail that quotes one) for a line of
// text; termsafe.Writer behind every writer here catches the rest.
var safe = termsafe.String

// WriteCheckText prints a probe result for people: a short header that
// says when and where the test ran (when the result has an environment),
// the verdict, then the message ladder, the server's chain, what the
// server asked for, and the local checks. The GUI's "Copy report" uses the
// same text.
func WriteCheckText(w io.Writer, res *probe.Result) {
	bw := bufio.NewWriter(w) // one write, not one per line (400 system calls on a terminal)
	defer bw.Flush()
	w = termsafe.Writer(bw)
	if res.Environment != nil {
		WriteEnvironmentText(w, res.Environment)
		fmt.Fprintln(w)
	}
	writeVerdict(w, res)
	writeConnection(w, res)
	writePreflight(w, res)
	writeLadder(w, res)
	writeServer(w, res)
	if len(res.Steps) > 0 || res.CertificateRequest != nil {
		writeRequest(w, res) // else no handshake began: the server was never asked
	}
	writeChecks(w, res)
	if t := res.Timings; t != (probe.Timings{}) {
		fmt.Fprintf(w, "\nTimings: login %.1f ms, handshake %.1f ms, card signing %.1f ms, total %.1f ms\n", t.LoginMs, t.HandshakeMs, t.SignMs, t.TotalMs)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "Note: %s\n", safe(n))
	}
}

func writeVerdict(w io.Writer, res *probe.Result) {
	fmt.Fprintf(w, "VERDICT: %s\n%s\n", strings.ToUpper(string(res.Verdict)), safe(res.Summary))
	if res.Cause != "" {
		fmt.Fprintf(w, "Cause: %s\n", safe(res.Cause))
	}
	if res.Error != nil {
		fmt.Fprintf(w, "Error (%s): %s\n", res.Error.Kind, safe(res.Error.Message))
	}
	if len(res.Advice) > 0 {
		fmt.Fprintln(w, "What to do:")
		for _, a := range res.Advice {
			fmt.Fprintf(w, "  - %s\n", safe(a))
		}
	}
}

func writeConnection(w io.Writer, res *probe.Result) {
	fmt.Fprintf(w, "\nURL: %s\n", safe(res.URL))
	if res.TLS.Version != "" {
		fmt.Fprintf(w, "TLS %s, %s\n", res.TLS.Version, res.TLS.CipherSuite)
	}
	if res.TLS.FallbackReason != "" {
		fmt.Fprintf(w, "TLS version: %s\n", res.TLS.FallbackReason)
	}
	if c := res.ClientCertificate; c != nil {
		fmt.Fprintf(w, "Client certificate: %s [%s], issued by %s, valid until %s\n  %s\n", safe(c.Subject), c.Key, safe(c.Issuer), c.NotAfter, safe(c.URI))
	}
	if res.HTTP != nil {
		fmt.Fprintf(w, "HTTP answer: %d %s\n", res.HTTP.Status, safe(res.HTTP.Reason))
	}
	if res.Alert != nil {
		fmt.Fprintf(w, "Alert: %s sent %s %s (%d)\n", res.Alert.From, res.Alert.Level, res.Alert.Name, res.Alert.Code)
	}
}

// writePreflight shows the connection without the card on its own, before
// the test's: two connections, two ladders.
func writePreflight(w io.Writer, res *probe.Result) {
	pf := res.Preflight
	if pf == nil {
		return
	}
	fmt.Fprintf(w, "\nPre-flight without the card (%s, %.1f ms): %s\n", pf.Finding, pf.DurationMs, safe(pf.Summary))
	for _, c := range pf.Fit {
		fmt.Fprintf(w, "  fit %s: %s: %s\n", c.Name, strings.ToUpper(string(c.Status)), safe(c.Detail))
	}
	if len(pf.Steps) > 0 && pf.Result != res {
		fmt.Fprintf(w, "Pre-flight messages (connection 1, no certificate sent, %d):\n", len(pf.Steps))
		writeSteps(w, pf.Steps)
	}
}

func writeLadder(w io.Writer, res *probe.Result) {
	if len(res.Steps) == 0 {
		return
	}
	switch {
	case res.Preflight != nil && res.Preflight.Result == res:
		fmt.Fprintf(w, "\nPre-flight messages (no certificate sent, %d):\n", len(res.Steps))
	case res.Preflight != nil:
		fmt.Fprintf(w, "\nTest messages (connection 2, with the card, %d):\n", len(res.Steps))
	default:
		fmt.Fprintf(w, "\nHandshake messages (%d):\n", len(res.Steps))
	}
	writeSteps(w, res.Steps)
}

func writeSteps(w io.Writer, steps []tlstrace.Step) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range steps {
		dir := "client -> server"
		if s.From == "server" {
			dir = "client <- server"
		}
		enc := ""
		if s.Encrypted {
			enc = "(encrypted)"
		}
		fmt.Fprintf(tw, "  %d\t%7.1f ms\t%s\t%s\t%s\t%s\t%s\n", s.Seq, float64(s.At.Microseconds())/1000, dir, s.Message, enc, Count(s.Bytes, "byte", "bytes"), safe(s.Summary))
	}
	tw.Flush()
}

func writeServer(w io.Writer, res *probe.Result) {
	if len(res.Server.Chain) == 0 {
		return
	}
	if res.Server.Verified {
		fmt.Fprintln(w, "\nServer certificate: verified")
	} else {
		fmt.Fprintf(w, "\nServer certificate: NOT verified: %s\n", safe(derefStr(res.Server.Error)))
	}
	for i, c := range res.Server.Chain {
		fmt.Fprintf(w, "  %d. %s\n     issued by %s, valid until %s\n", i, safe(c.Subject), safe(c.Issuer), c.NotAfter)
	}
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// serverFinished reports whether the server's side of the handshake came
// to its Finished: only then did it have its chance to ask for a
// certificate (in TLS 1.3 the request comes before it, in TLS 1.2 long
// before it).
func serverFinished(res *probe.Result) bool {
	for _, s := range res.Steps {
		if s.From == "server" && s.Message == "Finished" {
			return true
		}
	}
	return false
}

func writeRequest(w io.Writer, res *probe.Result) {
	cr := res.CertificateRequest
	if cr == nil {
		if serverFinished(res) {
			fmt.Fprintln(w, "\nCertificate request: none (the server did not ask for a client certificate)")
		} else {
			fmt.Fprintln(w, "\nCertificate request: none seen (the test ended before the server could ask)")
		}
		return
	}
	fmt.Fprintln(w, "\nCertificate request:")
	if len(cr.AcceptableCAs) == 0 {
		fmt.Fprintln(w, "  Acceptable CAs: none named (any CA the server trusts)")
	} else {
		fmt.Fprintln(w, "  Acceptable CAs:")
		for _, ca := range cr.AcceptableCAs {
			fmt.Fprintf(w, "    - %s\n", safe(ca))
		}
	}
	fmt.Fprintf(w, "  Signature schemes: %s\n", strings.Join(cr.SignatureSchemes, ", "))
}

func writeChecks(w io.Writer, res *probe.Result) {
	if len(res.Checks) == 0 {
		return
	}
	fmt.Fprintln(w, "\nClient certificate checks:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range res.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", strings.ToUpper(string(c.Status)), c.Name, safe(c.Detail))
	}
	tw.Flush()
}
