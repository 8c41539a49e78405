package token

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	pkcs11uri "github.com/stefanberger/go-pkcs11uri"
)

// certURI builds the RFC 7512 URI that identifies a certificate object:
// the token by model, manufacturer, serial and label, the object by id and
// label. (The module is not part of it; add module-path when needed.)
func certURI(tok *Token, c *Certificate) string {
	// go-pkcs11uri keeps attributes in a map, so Format's order varies from
	// run to run; encode each attribute with the library and join them in
	// a fixed order so URIs are stable in reports and scripts.
	parts := []string{}
	add := func(k string, v []byte) {
		if len(v) == 0 {
			return
		}
		u := pkcs11uri.New()
		u.AddPathAttributeUnencoded(k, v)
		if s, err := u.Format(); err == nil {
			parts = append(parts, strings.TrimPrefix(s, "pkcs11:"))
		}
	}
	add("model", []byte(tok.Model))
	add("manufacturer", []byte(tok.Manufacturer))
	add("serial", []byte(tok.Serial))
	add("token", []byte(tok.Label))
	add("id", c.ID)
	add("object", []byte(c.Label))
	// The type is a constant that needs no encoding; the library would
	// check it with a regular expression compiled on every call (15 % of a
	// token scan, measured).
	parts = append(parts, "type=cert")
	return "pkcs11:" + strings.Join(parts, ";")
}

// errPINInURI refuses a URI that carries a PIN, without repeating it.
var errPINInURI = errors.New("the PKCS#11 URI contains a PIN (pin-value or pin-source); give the PIN on standard input with --pin-stdin instead")

// URIFilter selects certificates by the attributes of an RFC 7512 URI.
type URIFilter struct {
	attrs      map[string][]byte // path attributes, decoded
	ModulePath string            // module-path query attribute, if any
}

// ParseURI parses a pkcs11: URI for selecting a certificate. A URI carrying
// a PIN (pin-value, pin-source) is refused: cardcheck takes PINs only from
// standard input or a PIN pad, so they never sit in shell history.
func ParseURI(s string) (*URIFilter, error) {
	// Nothing of s is repeated in these errors: what was typed where a
	// URI belongs may be a PIN, and a URI refused here may carry one.
	const scheme = "pkcs11:"
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return nil, errors.New("this is not a PKCS#11 URI: it must start with \"pkcs11:\"")
	}
	s = scheme + s[len(scheme):] // the scheme is case-insensitive (RFC 3986 §3.1)
	if lower := strings.ToLower(s); strings.Contains(lower, "pin-value") || strings.Contains(lower, "pin-source") {
		return nil, errPINInURI
	}
	u := pkcs11uri.New()
	if err := u.Parse(s); err != nil {
		// The library's reason names at most the bad escape ("%zz").
		return nil, fmt.Errorf("the PKCS#11 URI is malformed (%s)", strings.TrimPrefix(err.Error(), "Malformed pkcs11 URI: "))
	}
	if u.HasPIN() {
		return nil, errPINInURI
	}
	f := &URIFilter{attrs: map[string][]byte{}}
	for _, k := range []string{"token", "manufacturer", "serial", "model", "id", "object", "type",
		"library-manufacturer", "library-description"} {
		if v, ok := u.GetPathAttribute(k, false); ok {
			f.attrs[k] = []byte(v)
		}
	}
	if t, ok := f.attrs["type"]; ok && string(t) != "cert" {
		return nil, fmt.Errorf("the PKCS#11 URI selects type=%s; cardcheck needs the certificate (type=cert, or leave type out)", t)
	}
	f.ModulePath, _ = u.GetQueryAttribute("module-path", false)
	return f, nil
}

// Match reports whether the certificate has every attribute the URI names.
func (f *URIFilter) Match(c *Certificate) bool {
	return f.match(c.Token, map[string][]byte{"id": c.ID, "object": []byte(c.Label), "type": []byte("cert")})
}

// MatchToken reports whether the token has the token and library
// attributes the URI names (object attributes are not looked at).
func (f *URIFilter) MatchToken(t *Token) bool { return f.match(t, nil) }

func (f *URIFilter) match(t *Token, object map[string][]byte) bool {
	have := map[string][]byte{
		"token": []byte(t.Label), "manufacturer": []byte(t.Manufacturer),
		"serial": []byte(t.Serial), "model": []byte(t.Model),
		"library-manufacturer": []byte(t.Module.Info.Manufacturer),
		"library-description":  []byte(t.Module.Info.Description),
	}
	for k, want := range f.attrs {
		v, isObject := object[k]
		switch {
		case isObject && !bytes.Equal(v, want):
			return false
		case !isObject && object == nil && (k == "id" || k == "object" || k == "type"):
			continue // object attributes: not judged at token level
		case !isObject && !bytes.Equal(have[k], want):
			return false
		}
	}
	return true
}
