package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/probe"
)

// normalizeURL turns what people type into the URL to test: surrounding
// blanks go, a scheme missing its "://" is mended, and an address without
// a scheme is taken as https (people type "server.example.org" far more
// often than "https://…").
func normalizeURL(s string) string {
	s = strings.TrimSpace(s)
	if fixed, ok := probe.RepairScheme(s); ok {
		s = fixed // "https//host": the colon or a slash was lost
	} else if s != "" && !probe.HasScheme(s) {
		s = "https://" + s
	}
	if rest, ok := strings.CutPrefix(s, "https://"); ok && !strings.ContainsAny(rest, "/?#") {
		s += "/" // the request path of a bare host
	}
	return s
}

// validateURL checks an address for the URL entry (widget.Entry.Validator):
// https://host[:port][/path] or tls://host:port, scheme optional. The one
// parser is probe.ParseTarget, so that the entry accepts exactly what the
// probe can test; the sentences here are the GUI's own, translated.
func validateURL(s string) error {
	_, err := probe.ParseTarget(normalizeURL(s))
	var ue *probe.URLError
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	return errors.New(urlProblem(ue))
}

// urlProblem words ParseTarget's problem for the entry.
func urlProblem(e *probe.URLError) string {
	switch e.Problem {
	case probe.URLEmpty:
		return lang.L("Enter the server's address, for example https://server.example.org/")
	case probe.URLInvalid:
		return lang.L("This is not a valid address. Write it like https://server.example.org/")
	case probe.URLPlainHTTP:
		return lang.L("Plain http:// never uses client certificates: use https://")
	case probe.URLScheme:
		return lang.L("Use an https:// address (or tls://host:port for a service that is not a web server).")
	case probe.URLNoHost:
		return lang.L("The address has no server name.")
	case probe.URLPort:
		return lang.L("The port must be a number from 1 to 65535.")
	case probe.URLNoPort:
		return lang.L("A tls:// address needs a port, for example tls://server.example.org:636")
	}
	return lang.L("This address cannot be tested: {{.Reason}}", map[string]any{"Reason": e.Error()})
}
