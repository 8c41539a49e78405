package diagnose

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/token"
)

// What redaction hides: from the certificates, every name attribute of
// subject and issuer (common name, organisation, unit, given name,
// surname, the subject's serialNumber attribute that national eID cards
// fill with a personal code, e-mail), e-mail addresses in the
// subjectAltName, the serial numbers and SHA-256 fingerprints (each
// finds the certificate, and so the person, in a directory); from the
// tokens, their serial numbers. Each value becomes a placeholder by kind
// (<name-1>, <org-1>, <email-1>, <serial-1>, <fingerprint-1>), the same
// value the same placeholder everywhere in the report, including inside
// other text (a token label or URI that repeats a name or serial).
// Country, locality and validity dates stay: they help and rarely point
// at one person. The user's home directory becomes "~".

type secret struct {
	from, to string
}

// Name attributes and their placeholder kinds (RFC 5280 / X.520 OIDs).
var nameKinds = map[string]string{
	"2.5.4.3":                    "name",   // CN
	"2.5.4.4":                    "name",   // surname
	"2.5.4.42":                   "name",   // givenName
	"2.5.4.43":                   "name",   // initials
	"2.5.4.65":                   "name",   // pseudonym
	"2.5.4.12":                   "name",   // title
	"2.5.4.10":                   "org",    // O
	"2.5.4.11":                   "unit",   // OU
	"2.5.4.5":                    "serial", // serialNumber (personal codes)
	"2.5.4.97":                   "org",    // organizationIdentifier
	"1.2.840.113549.1.9.1":       "email",  // emailAddress
	"0.9.2342.19200300.100.1.1":  "name",   // UID
	"0.9.2342.19200300.100.1.25": "org",    // DC
}

// placeholders numbers values per kind in the order they are first seen.
type placeholders struct {
	byValue map[string]string
	count   map[string]int
	out     *[]secret
}

func (p *placeholders) of(kind, value string) string {
	key := kind + "\x00" + value
	if ph, ok := p.byValue[key]; ok {
		return ph
	}
	p.count[kind]++
	ph := fmt.Sprintf("<%s-%d>", kind, p.count[kind])
	p.byValue[key] = ph
	*p.out = append(*p.out, secret{value, ph})
	return ph
}

func (r *Report) placeholders() *placeholders {
	return &placeholders{byValue: map[string]string{}, count: map[string]int{}, out: &r.secrets}
}

// collectToken notes what redaction must hide in a token and its
// certificates. Called in token order, so numbering is stable.
func (r *Report) collectToken(t *token.Token) {
	if r.ph == nil {
		r.ph = r.placeholders()
	}
	if s := strings.TrimSpace(t.Serial); s != "" {
		r.ph.of("serial", s)
	}
	for _, c := range t.Certificates {
		fp := c.SHA256()
		r.ph.of("fingerprint", hex.EncodeToString(fp[:]))
		if c.X509 != nil {
			r.collectCert(c.X509)
		}
	}
}

func (r *Report) collectCert(x *x509.Certificate) {
	p := r.ph
	for _, n := range []pkix.Name{x.Subject, x.Issuer} {
		redacted := redactName(n, p)
		if s := n.String(); s != "" && s != redacted {
			*p.out = append(*p.out, secret{s, redacted})
		}
	}
	for _, e := range x.EmailAddresses {
		p.of("email", e)
	}
	if x.SerialNumber != nil {
		hexs := x.SerialNumber.Text(16)
		ph := p.of("serial", strings.ToLower(hexs))
		*p.out = append(*p.out, secret{strings.ToUpper(hexs), ph}, secret{x.SerialNumber.String(), ph})
	}
}

// redactName returns the DN string with its personal values replaced,
// and registers each value (raw and as the DN string escapes it).
func redactName(n pkix.Name, p *placeholders) string {
	// The same sequence pkix.Name.String prints: attributes without a
	// field of their own (given name, e-mail, …) first, then the rest.
	var seq pkix.RDNSequence
	if n.ExtraNames == nil {
		for _, atv := range n.Names {
			if t := atv.Type; len(t) == 4 && t[0] == 2 && t[1] == 5 && t[2] == 4 && hasFieldOfItsOwn[t[3]] {
				continue
			}
			seq = append(seq, pkix.RelativeDistinguishedNameSET{atv})
		}
	}
	seq = append(seq, n.ToRDNSequence()...)
	var rdns pkix.RDNSequence
	for _, rdn := range seq {
		var set pkix.RelativeDistinguishedNameSET
		for _, atv := range rdn {
			kind, ok := nameKinds[atv.Type.String()]
			v, isStr := atv.Value.(string)
			if ok && isStr && v != "" {
				ph := p.of(kind, v)
				if esc := escapeDN(v); esc != v {
					*p.out = append(*p.out, secret{esc, ph})
				}
				atv = pkix.AttributeTypeAndValue{Type: atv.Type, Value: ph}
			}
			set = append(set, atv)
		}
		rdns = append(rdns, set)
	}
	// RFC 2253 escapes '<' and '>'; placeholders stay readable.
	return escapedPlaceholder.ReplaceAllString(rdns.String(), "<$1>")
}

var escapedPlaceholder = regexp.MustCompile(`\\<([a-z]+-[0-9]+)\\>`)

// hasFieldOfItsOwn are the 2.5.4.x attributes pkix.Name parses into fields.
var hasFieldOfItsOwn = map[int]bool{3: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 11: true, 17: true}

// escapeDN escapes a value as pkix.RDNSequence.String does (RFC 2253).
func escapeDN(v string) string {
	name := pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: v}}}.String()
	return strings.TrimPrefix(name, "CN=")
}

// Redact returns a copy of the report with the personal values replaced
// (see above). The report itself is unchanged.
func (r *Report) Redact() *Report {
	b, err := json.Marshal(r)
	if err != nil {
		return &Report{Redacted: true}
	}
	var c Report
	if err := json.Unmarshal(b, &c); err != nil {
		return &Report{Redacted: true}
	}
	subs := append([]secret(nil), r.secrets...)
	if home, err := os.UserHomeDir(); err == nil && len(home) > 1 {
		subs = append(subs, secret{home, "~"})
	}
	// Longest first, so a whole DN goes before its parts, and a value
	// that contains another is replaced whole.
	sort.SliceStable(subs, func(i, j int) bool { return len(subs[i].from) > len(subs[j].from) })
	var pairs []string
	for _, s := range subs {
		if len(s.from) >= minRedactLen {
			pairs = append(pairs, s.from, s.to)
		}
	}
	repl := strings.NewReplacer(pairs...)
	exact := map[string]string{}
	for _, s := range subs {
		exact[s.from] = s.to
	}
	walkStrings(reflect.ValueOf(&c).Elem(), func(s string) string {
		if to, ok := exact[s]; ok {
			return to
		}
		return repl.Replace(s)
	})
	c.Redacted = true
	return &c
}

// minRedactLen: shorter values (an OU "IT") are replaced only where they
// are a whole field, not inside other text, which they would garble.
const minRedactLen = 3

// walkStrings applies f to every string reachable from v, the arguments
// of messages included.
func walkStrings(v reflect.Value, f func(string) string) {
	if m, ok := v.Interface().(msg.Msg); ok && v.CanSet() {
		v.Set(reflect.ValueOf(m.MapStrings(f)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), f)
		}
	}
}
