package ui

// Rules for the words on screen (for end users, helpdesks and trainers):
// say what happened and what to do, in everyday words, without blaming the
// user; technical names (CKR_…, alert names) only after the plain words.
// Labels go through lang.L with the English text as the key; sentences
// made in app/… and token arrive as messages (package msg) and are shown
// with text(), their catalog ID as the key. Either way a translation is a
// new file in assets/translations and no code change.

import (
	"crypto/x509"
	"encoding/hex"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/listing"
	"github.com/cardcheck/cardcheck/token"
)

// tr translates a fixed English sentence made elsewhere that is not a
// message (the demo scenarios' descriptions), by the whole string.
// Without a translation the English sentence is shown. Text that looks
// like a template is shown as it is, so that data can never be run as one.
func tr(s string) string {
	if s == "" || strings.Contains(s, "{{") {
		return s
	}
	return lang.L(s)
}

// certName is the name people know a certificate by.
func certName(c *token.Certificate) string {
	switch {
	case c.X509 != nil && c.X509.Subject.CommonName != "":
		return c.X509.Subject.CommonName
	case c.X509 != nil && len(c.X509.Subject.String()) > 0:
		return c.X509.Subject.String()
	case c.Label != "":
		return c.Label
	}
	return lang.L("Certificate without a name")
}

// daysBetween counts whole days from a to b (negative when b is earlier).
func daysBetween(a, b time.Time) int {
	return int(math.Floor(b.Sub(a).Hours() / 24))
}

// expiryWarningDays is when an expiry date starts to be highlighted.
const expiryWarningDays = 30

// validityText says how long the certificate stays valid, and how urgent
// that is: warning colour in the last 30 days, error colour when expired
// or not valid yet.
func validityText(x *x509.Certificate, now time.Time) (string, widget.Importance) {
	switch {
	case now.Before(x.NotBefore):
		n := daysBetween(now, x.NotBefore) + 1
		return lang.N("not valid yet: starts in {{.Count}} days", n, map[string]any{"Count": n}), widget.DangerImportance
	case now.After(x.NotAfter):
		n := daysBetween(x.NotAfter, now)
		if n == 0 {
			return lang.L("expired today"), widget.DangerImportance
		}
		return lang.N("expired {{.Count}} days ago", n, map[string]any{"Count": n}), widget.DangerImportance
	}
	n := daysBetween(now, x.NotAfter)
	if n == 0 {
		return lang.L("expires today"), widget.DangerImportance
	}
	text := lang.N("expires in {{.Count}} days", n, map[string]any{"Count": n})
	if n < expiryWarningDays {
		return text, widget.WarningImportance
	}
	return text, widget.SuccessImportance
}

// formatDate shows a certificate date.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

// fingerprint formats a SHA-256 fingerprint as colon-separated pairs, in
// two rows of 16 bytes: in the proportional text font a wrap anywhere
// would split a pair.
func fingerprint(sum [32]byte) string {
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		switch {
		case i == len(h)/2:
			b.WriteByte('\n')
		case i > 0:
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// usageNames lists key usage and extended key usage in words, translated.
func usageNames(x *x509.Certificate) (ku, eku string) {
	return namesIn(listing.KeyUsageNames(x), lang.L("no key usage restriction")),
		namesIn(listing.ExtKeyUsageNames(x), lang.L("no extended key usage restriction (any use)"))
}

func namesIn(codes []string, none string) string {
	if len(codes) == 0 {
		return none
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = usageWords(c)
	}
	return strings.Join(out, ", ")
}

// usageWords turns an RFC 5280 usage name into words.
func usageWords(code string) string {
	switch code {
	case "digitalSignature":
		return lang.L("digital signature")
	case "nonRepudiation":
		return lang.L("non-repudiation")
	case "keyEncipherment":
		return lang.L("key encipherment")
	case "dataEncipherment":
		return lang.L("data encipherment")
	case "keyAgreement":
		return lang.L("key agreement")
	case "keyCertSign":
		return lang.L("certificate signing")
	case "cRLSign":
		return lang.L("CRL signing")
	case "clientAuth":
		return lang.L("TLS client authentication")
	case "serverAuth":
		return lang.L("TLS server authentication")
	case "emailProtection":
		return lang.L("e-mail protection")
	case "codeSigning":
		return lang.L("code signing")
	case "any":
		return lang.L("any use")
	}
	return code
}

// privateKeyText says whether the card holds the certificate's key.
func privateKeyText(has *bool) (string, widget.Importance) {
	switch {
	case has == nil:
		return lang.L("unknown until you log in (the card hides its keys until the PIN is entered)"), widget.MediumImportance
	case *has:
		return lang.L("yes, on the card"), widget.SuccessImportance
	}
	return lang.L("no: the card has no private key for this certificate"), widget.DangerImportance
}

// pinStateText describes a token's PIN state for the tree and the dialog.
func pinStateText(f token.Flags) (string, widget.Importance) {
	switch f.PINState() {
	case token.PINLocked:
		return lang.L("PIN locked: the PIN was entered wrongly too often. Contact your helpdesk to unblock the card."), widget.DangerImportance
	case token.PINFinalTry:
		return lang.L("Final try: one more wrong PIN locks the card."), widget.DangerImportance
	case token.PINCountLow:
		return lang.L("PIN count low: a wrong PIN was entered recently. Type carefully."), widget.WarningImportance
	}
	if !f.LoginRequired {
		return lang.L("No PIN needed"), widget.MediumImportance
	}
	return lang.L("PIN ready"), widget.MediumImportance
}

// pinStateShort is the few words the tree shows next to a token.
func pinStateShort(f token.Flags) string {
	switch f.PINState() {
	case token.PINLocked:
		return lang.L("PIN locked")
	case token.PINFinalTry:
		return lang.L("final PIN try")
	case token.PINCountLow:
		return lang.L("PIN count low")
	}
	return ""
}

// checkName names a client certificate check in words.
func checkName(name string) string {
	switch name {
	case certcheck.NameKeyPossession:
		return lang.L("The card holds the key")
	case certcheck.NameValidity:
		return lang.L("Validity period")
	case certcheck.NameChain:
		return lang.L("Chain to a trusted CA")
	case certcheck.NameRevocation:
		return lang.L("Not revoked")
	case certcheck.NameKeyUsage:
		return lang.L("Allowed for client authentication")
	case certcheck.NameAcceptableCA:
		return lang.L("Issued by a CA the server accepts")
	}
	return name
}

// bullet is an item of a list in a label. The bullet is a translation:
// Fyne wraps lines only at spaces, so in Chinese a space after the bullet
// left it alone on a line, with the sentence starting on the next.
func bullet(item string) string {
	return lang.L("• {{.Item}}", map[string]any{"Item": item})
}

// yesNo says yes or no.
func yesNo(b bool) string {
	if b {
		return lang.L("yes")
	}
	return lang.L("no")
}
