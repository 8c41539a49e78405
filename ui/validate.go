package ui

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/probe"
)

// normalizeURL turns what people type into the URL to test: surrounding
// blanks go, and an address without a scheme is taken as https (people
// type "server.example.org" far more often than "https://…").
func normalizeURL(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.Contains(s, "://") {
		s = "https://" + s
	}
	if rest, ok := strings.CutPrefix(s, "https://"); ok && !strings.ContainsAny(rest, "/?#") {
		s += "/" // the request path of a bare host
	}
	return s
}

// validateURL checks an address for the URL entry (widget.Entry.Validator):
// https://host[:port][/path] or tls://host:port, scheme optional. The
// errors are sentences for people, translated; probe.ParseTarget has the
// last word so that the entry accepts exactly what the probe can test.
func validateURL(s string) error {
	s = normalizeURL(s)
	if s == "" {
		return errors.New(lang.L("Enter the server's address, for example https://server.example.org/"))
	}
	if err := explainURL(s); err != nil {
		return err
	}
	if _, err := probe.ParseTarget(s); err != nil {
		return errors.New(lang.L("This address cannot be tested: {{.Reason}}", map[string]any{"Reason": err.Error()}))
	}
	return nil
}

// explainURL catches the common mistakes with a message of our own.
func explainURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New(lang.L("This is not a valid address. Write it like https://server.example.org/"))
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "tls":
	case "http":
		return errors.New(lang.L("Plain http:// never uses client certificates: use https://"))
	default:
		return errors.New(lang.L("Use an https:// address (or tls://host:port for a service that is not a web server)."))
	}
	if u.Hostname() == "" {
		return errors.New(lang.L("The address has no server name."))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New(lang.L("The port must be a number from 1 to 65535."))
		}
	} else if strings.EqualFold(u.Scheme, "tls") {
		return errors.New(lang.L("A tls:// address needs a port, for example tls://server.example.org:636"))
	}
	return nil
}
