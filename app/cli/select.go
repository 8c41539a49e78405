package cli

import (
	"fmt"
	"strings"

	"github.com/cardcheck/cardcheck/token"
)

// selectCert returns the certificate the URI names, or, without a URI, the
// only usable one. Errors list the candidates with their URIs so the user
// can copy one into --cert.
func selectCert(inv *token.Inventory, uri string) (*token.Certificate, error) {
	var filter *token.URIFilter
	if uri != "" {
		f, err := token.ParseURI(uri)
		if err != nil {
			return nil, err
		}
		filter = f
	}
	var matches []*token.Certificate
	for _, t := range inv.Tokens {
		for _, c := range t.Certificates {
			if filter != nil && filter.Match(c) || filter == nil && c.Usable() && c.X509 != nil {
				matches = append(matches, c)
			}
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) == 0 && filter != nil:
		return nil, fmt.Errorf("no certificate matches %s%s", uri, candidates(inv, nil))
	case len(matches) == 0:
		return nil, fmt.Errorf("no usable certificate was found on any token%s", candidates(inv, nil))
	case filter != nil:
		return nil, fmt.Errorf("%d certificates match %s; make the URI more precise (add id= or serial=)%s", len(matches), uri, candidates(inv, matches))
	}
	return nil, fmt.Errorf("%d usable certificates were found; choose one with --cert URI%s", len(matches), candidates(inv, matches))
}

// candidates lists certificates with their URIs for an error message.
func candidates(inv *token.Inventory, only []*token.Certificate) string {
	var b strings.Builder
	list := only
	if list == nil {
		for _, t := range inv.Tokens {
			list = append(list, t.Certificates...)
		}
	}
	if len(list) == 0 {
		return ". No token with certificates was found: insert the card, or give its module with --module PATH."
	}
	b.WriteString(":")
	for i, c := range list {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more (see cardcheck tokens)", len(list)-20)
			break
		}
		name := c.Label
		if c.X509 != nil {
			name = c.X509.Subject.CommonName
		}
		state := "usable"
		if !c.Usable() {
			state = strings.Join(problemCodes(c.Problems), ", ")
		}
		fmt.Fprintf(&b, "\n  %s [%s] (%s)\n    %s", name, c.KeyDescription(), state, c.URI)
	}
	return b.String()
}

func problemCodes(ps []token.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}
