package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cardcheck/cardcheck/app/termsafe"
	"github.com/cardcheck/cardcheck/token"
)

// WriteTokensText prints the inventory as a readable listing: modules, then
// each token with its PIN state and a table of certificates. loginFailed,
// when not nil, is the token a login to was tried and failed (its error is
// said after the listing).
func WriteTokensText(w io.Writer, inv *token.Inventory, now time.Time, loginFailed *token.Token) {
	bw := bufio.NewWriter(w) // one write, not one per line
	defer bw.Flush()
	w = termsafe.Writer(bw)
	for _, m := range inv.Modules {
		if m.Err != nil {
			fmt.Fprintf(w, "Module %s\n  cannot be used: %s\n\n", safe(m.Path), safe(m.Err.Error()))
			continue
		}
		fmt.Fprintf(w, "Module %s\n  %s, %s, version %s (%s)\n\n", safe(m.Path), safe(m.Info.Description), safe(m.Info.Manufacturer), safe(m.Info.LibraryVersion), m.Source)
	}
	if len(inv.Tokens) == 0 {
		fmt.Fprintln(w, "No tokens found. Insert a smart card or USB token, or give its module with --module PATH.")
		return
	}
	for _, t := range inv.Tokens {
		writeTokenText(w, t, now, t == loginFailed)
	}
}

func writeTokenText(w io.Writer, t *token.Token, now time.Time, loginFailed bool) {
	fmt.Fprintf(w, "Token %q  serial %s  (%s %s, firmware %s)\n", t.Label, safe(t.Serial), safe(t.Manufacturer), safe(t.Model), safe(t.FirmwareVersion))
	fmt.Fprintf(w, "  module %s\n", safe(t.Module.Path))
	fmt.Fprintf(w, "  PIN: %s\n", PINStateText(t.Flags))
	if t.Err != nil {
		fmt.Fprintf(w, "  problem reading the token: %s\n", safe(t.Err.Error()))
	}
	if len(t.Certificates) == 0 {
		fmt.Fprintf(w, "  no certificates\n\n")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  \tSUBJECT\tKEY\tVALIDITY\tID\tPRIVATE KEY\tPROBLEMS\n")
	for _, c := range t.Certificates {
		mark := "ok"
		if !c.Usable() {
			mark = "--"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%x\t%s\t%s\n", mark, safe(certName(c)), c.KeyDescription(),
			ValidityText(c, now), c.ID, tristate(c.HasPrivateKey), problemsText(c.Problems))
	}
	tw.Flush()
	switch {
	case !t.PrivateObjectsVisible && loginFailed:
		fmt.Fprintln(w, "  (private keys are hidden until you log in, and the login did not succeed: see below)")
	case !t.PrivateObjectsVisible:
		fmt.Fprintln(w, "  (private keys are hidden until you log in: run with --pin-stdin to check them)")
	}
	fmt.Fprintln(w)
}

func certName(c *token.Certificate) string {
	if c.X509 == nil {
		return fmt.Sprintf("%q (unreadable: %v)", c.Label, c.ParseError)
	}
	if c.X509.Subject.CommonName != "" {
		return c.X509.Subject.CommonName
	}
	return c.X509.Subject.String()
}

// ValidityText says how long a certificate is (or was) valid, in days.
func ValidityText(c *token.Certificate, now time.Time) string {
	if c.X509 == nil {
		return "-"
	}
	x := c.X509
	switch {
	case now.Before(x.NotBefore):
		return fmt.Sprintf("valid from %s", x.NotBefore.Format("2006-01-02"))
	case now.After(x.NotAfter):
		return fmt.Sprintf("expired %s (%s ago)", x.NotAfter.Format("2006-01-02"), Count(days(now.Sub(x.NotAfter)), "day", "days"))
	}
	return fmt.Sprintf("until %s (%s)", x.NotAfter.Format("2006-01-02"), Count(days(x.NotAfter.Sub(now)), "day", "days"))
}

func days(d time.Duration) int { return int(d.Hours() / 24) }

func tristate(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

func problemsText(ps []token.Problem) string {
	if len(ps) == 0 {
		return ""
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// PINStateText describes the token's PIN state in a few words.
func PINStateText(f token.Flags) string {
	var s string
	switch f.PINState() {
	case token.PINLocked:
		s = "LOCKED - contact your helpdesk"
	case token.PINFinalTry:
		s = "FINAL TRY - one more wrong PIN locks the card"
	case token.PINCountLow:
		s = "count low - a wrong PIN was entered recently"
	default:
		s = "ok"
	}
	if f.ProtectedAuthPath {
		s += "; the reader has a PIN pad"
	}
	if !f.LoginRequired {
		s += "; no login required"
	}
	return s
}
