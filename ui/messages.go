package ui

import (
	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/token"
)

// text renders a message made elsewhere (a verdict, a cause, advice, a
// message explanation) in the window's language: its ID is the key in
// assets/translations, its English template the fallback. Arguments are
// data, never templates, so a server's words cannot be run as one.
func text(m msg.Msg) string { return msg.Render(m, viaLang, ", ") }

// sentence is m in the window's language; english as it is when the
// result carries no message for it (made by hand, or by an older
// cardcheck).
func sentence(m msg.Msg, english string) string {
	if m.IsZero() {
		return english
	}
	return text(m)
}

// errorText is an error in the window's language: a token error's
// message, any other error's text as it is.
func errorText(err error) string { return text(token.MessageOf(err)) }

func viaLang(d *msg.Def, args map[string]any) string {
	if d.Plural() {
		return lang.XN(d.ID, d.Other, msg.Count(args), args)
	}
	return lang.X(d.ID, d.Other, args)
}
