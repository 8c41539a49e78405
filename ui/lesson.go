package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/certcheck"
)

// lessonChecks are the checks a server makes on a client certificate, in
// the order a lesson goes through them: the signature (key possession),
// the chain to a trusted CA, the validity period, revocation, and the key
// usage the certificate allows.
var lessonChecks = []string{
	certcheck.NameKeyPossession, certcheck.NameChain, certcheck.NameValidity,
	certcheck.NameRevocation, certcheck.NameKeyUsage,
}

// lessonView is "What the server checks": each check a server makes,
// with one sentence on what it means and its outcome in the last test
// (from the client certificate checks cardcheck makes itself). The
// meanings are there before the first test too: the panel is the core
// of a lesson on client certificates.
type lessonView struct {
	heading *widget.Label
	intro   *widget.Label
	rows    []*lessonRow // lessonChecks, in order
	more    *fyne.Container
	content fyne.CanvasObject
}

// lessonRow is one check.
type lessonRow struct {
	name    string
	icon    *widget.Icon
	title   *widget.Label
	outcome *badge
	meaning *widget.Label
	detail  *widget.RichText // "In this test:" and the outcome's detail
	content fyne.CanvasObject
}

func newLessonView() *lessonView {
	v := &lessonView{
		heading: &widget.Label{Text: lang.L("What the server checks"), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
		intro:   &widget.Label{Wrapping: fyne.TextWrapWord},
		more:    container.NewVBox(),
	}
	objs := []fyne.CanvasObject{container.New(&tightVBox{}, v.heading, v.intro)}
	for _, name := range lessonChecks {
		r := newLessonRow(name)
		v.rows = append(v.rows, r)
		objs = append(objs, widget.NewSeparator(), r.content)
	}
	objs = append(objs, v.more)
	v.content = container.NewVScroll(container.NewVBox(objs...))
	v.show(nil)
	return v
}

func newLessonRow(name string) *lessonRow {
	r := &lessonRow{
		name:    name,
		icon:    widget.NewIcon(nil),
		title:   &widget.Label{Text: lessonTitle(name), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		outcome: newBadge("", theme.ColorNameForeground),
		meaning: &widget.Label{Text: lessonMeaning(name), Wrapping: fyne.TextWrapWord},
		detail:  widget.NewRichText(),
	}
	r.detail.Wrapping = fyne.TextWrapWord
	outcome := container.New(layout.NewCustomPaddedLayout(0, 0, 0, 2*theme.Padding()), r.outcome) // clear of the scroll bar
	head := container.NewBorder(nil, nil, nil, outcome, r.title)
	icon := container.NewVBox(container.NewGridWrap(fyne.NewSquareSize(32), r.icon))
	r.content = container.NewBorder(nil, nil, icon, nil, container.New(&tightVBox{}, head, r.meaning, r.detail))
	return r
}

// show fills the outcomes in from a test's checks; nil before any test.
func (v *lessonView) show(checks []certcheck.Check) {
	switch {
	case checks == nil:
		v.intro.SetText(lang.L("A server that asks for a client certificate checks these things before it lets you in. Each line says what the check means; after a test it also says how your certificate did."))
	case len(checks) == 0:
		v.intro.SetText(lang.L("No checks were made: the test stopped before a certificate was used."))
	default:
		v.intro.SetText(lang.L("What a server checks in your certificate, and how your certificate did in this test (cardcheck makes the same checks itself):"))
	}
	byName := map[string]certcheck.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	for _, r := range v.rows {
		c, ok := byName[r.name]
		r.set(c, ok, checks != nil)
		delete(byName, r.name)
	}
	// Checks outside the lesson's list (acceptable-ca, and any added
	// later) follow it, in the order the test made them.
	var more []fyne.CanvasObject
	for _, c := range checks {
		if _, extra := byName[c.Name]; extra {
			r := newLessonRow(c.Name)
			r.set(c, true, true)
			more = append(more, widget.NewSeparator(), r.content)
		}
	}
	v.more.Objects = more
	v.more.Refresh()
}

// set shows a check's outcome: tested is false before any test, ok false
// when the test made no such check.
func (r *lessonRow) set(c certcheck.Check, ok, tested bool) {
	switch {
	case !tested:
		r.icon.SetResource(theme.NewDisabledResource(theme.MoreHorizontalIcon()))
		r.outcome.set(lang.L("not tested yet"), theme.ColorNameForeground)
		r.detail.Hide()
		return
	case !ok:
		c.Status = certcheck.Skipped
		c.Detail = ""
	}
	r.icon.SetResource(checkIcon(c.Status))
	r.outcome.set(checkStatusWord(c.Status), checkColor(c.Status))
	detail := sentence(c.DetailMsg, c.Detail)
	if detail == "" {
		detail = lang.L("Not checked in this test.")
	}
	r.detail.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: lang.L("In this test:") + " ", Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: detail, Style: widget.RichTextStyleInline},
	}
	r.detail.Refresh()
	r.detail.Show()
}

// checkColor is the colour of a check's outcome.
func checkColor(s certcheck.Status) fyne.ThemeColorName {
	switch s {
	case certcheck.Pass:
		return theme.ColorNameSuccess
	case certcheck.Fail:
		return theme.ColorNameError
	case certcheck.Warn:
		return theme.ColorNameWarning
	}
	return theme.ColorNameForeground
}

// lessonTitle names a check the way a lesson does: the check, then what
// passing it means.
func lessonTitle(name string) string {
	switch name {
	case certcheck.NameKeyPossession:
		return lang.L("Signature: the card holds the private key")
	case certcheck.NameChain:
		return lang.L("Chain: issued by a CA the server trusts")
	case certcheck.NameValidity:
		return lang.L("Validity: within its dates")
	case certcheck.NameRevocation:
		return lang.L("Revocation: not withdrawn by its CA")
	case certcheck.NameKeyUsage:
		return lang.L("Key usage: allowed for logging in")
	case certcheck.NameAcceptableCA:
		return lang.L("Acceptable CA: one the server named")
	}
	return checkName(name)
}

// lessonMeaning is one sentence on what a check is for.
func lessonMeaning(name string) string {
	switch name {
	case certcheck.NameKeyPossession:
		return lang.L("The server verifies the signature your card made during the handshake (CertificateVerify) with the public key in your certificate: only the holder of the private key can make it, so a copied certificate is worthless.")
	case certcheck.NameChain:
		return lang.L("The server follows the issuers from your certificate up to a certificate authority (CA) it trusts; a certificate from a CA it does not know is refused, however good it is otherwise.")
	case certcheck.NameValidity:
		return lang.L("A certificate is valid only between its start and end dates; outside them the server refuses it.")
	case certcheck.NameRevocation:
		return lang.L("A CA can withdraw (revoke) a certificate before it expires, for example when a card is lost; a server that checks asks the CA (OCSP) or reads its revocation list (CRL).")
	case certcheck.NameKeyUsage:
		return lang.L("The certificate itself says what its key may be used for; to log in it must allow digital signatures and, when it lists purposes, TLS client authentication.")
	case certcheck.NameAcceptableCA:
		return lang.L("In its certificate request the server names the CAs it accepts; a certificate from another CA is usually refused.")
	}
	return ""
}
