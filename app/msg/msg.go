// Package msg holds the words cardcheck says to people as data: a message
// is a stable ID and named arguments, and one catalog maps each ID to its
// English template. app/…, token and tlstrace build messages; the CLI and
// the report writer render them in English (func English), the GUI through
// Fyne's lang with the same IDs (assets/translations/*.json), so one
// sentence is translated once, whatever values it carries.
//
// Templates use Go text/template syntax, {{.Name}}, as Fyne's lang.L and
// lang.N do. Arguments are data: a value from a server or a card is put
// into a template, never parsed as one. An argument may itself be a
// message (a cause inside a piece of advice); it is rendered first, in
// the same language.
//
// This package imports no GUI and no other cardcheck package.
package msg

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template"
	"text/template/parse"
)

// Msg is one message: what to say (ID) and the values to say it with.
// The zero Msg says nothing (renders as "").
type Msg struct {
	ID   string         `json:"id"`
	Args map[string]any `json:"args,omitempty"` // string, int, Msg or []Msg values
}

// IsZero reports whether m says nothing.
func (m Msg) IsZero() bool { return m.ID == "" }

// Def is a catalog entry: an ID with its English template, or its two
// English plural forms (then the message needs a Count argument). The
// templates are parsed when first used, not at start-up: a command that
// says three sentences does not parse four hundred (TestCatalogParses
// parses them all).
type Def struct {
	ID    string
	One   string // the singular form; "" unless the entry is plural
	Other string // the template (the plural form of plural entries)

	once sync.Once
	// simple holds the forms whose template is only words and {{.Name}}
	// fields, cut into pieces; tmpl the others, parsed by text/template.
	// Most of the catalog is simple, and cutting is far cheaper than
	// parsing: a `check` renders a few hundred messages.
	simple map[string]pieces
	tmplMu sync.Mutex // guards tmpl after parse: a cut form may be parsed later
	tmpl   map[string]*template.Template
	names  []string
	err    error
}

// pieces is a simple template: words[0] field[0] words[1] … words[n].
type pieces struct {
	words  []string
	fields []string
}

// cut splits a template made of words and {{.Name}} fields only; ok is
// false for anything else ({{if}}, pipes, trim markers, comments, a "{{"
// that is not a field), which text/template then parses.
func cut(text string) (p pieces, ok bool) {
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			p.words = append(p.words, text)
			return p, !strings.Contains(text, "}}")
		}
		j := strings.Index(text[i:], "}}")
		if j < 0 || !isField(text[i+2:i+j]) || strings.Contains(text[:i], "}}") {
			return pieces{}, false
		}
		p.words = append(p.words, text[:i])
		p.fields = append(p.fields, text[i+3:i+j])
		text = text[i+j+2:]
	}
}

// isField reports whether s is ".Name" (a Go identifier after the dot).
func isField(s string) bool {
	if len(s) < 2 || s[0] != '.' {
		return false
	}
	for i, c := range s[1:] {
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// errUnusual is render's answer to an argument whose printing it leaves
// to text/template (pointers, structs, funcs: nothing the catalog passes).
var errUnusual = errors.New("msg: an argument of an unusual type")

// render fills the fields in, as text/template prints them: strings,
// numbers and booleans as fmt does. A missing argument is an error
// (missingkey=error); an argument of another type is errUnusual.
func (p pieces) render(args map[string]any) (string, error) {
	var b strings.Builder
	for i, w := range p.words {
		b.WriteString(w)
		if i == len(p.fields) {
			break
		}
		v, ok := args[p.fields[i]]
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool:
			fmt.Fprint(&b, v)
		case nil:
			if !ok {
				return "", errors.New("msg: missing argument " + p.fields[i])
			}
			b.WriteString("<no value>")
		default:
			return "", errUnusual
		}
	}
	return b.String(), nil
}

// template is the text/template of form, parsed on first use for a form
// that was cut (an argument render leaves to text/template).
func (d *Def) template(form string) (*template.Template, error) {
	d.tmplMu.Lock()
	defer d.tmplMu.Unlock()
	if t, ok := d.tmpl[form]; ok {
		return t, nil
	}
	text := d.Other
	if form == "one" {
		text = d.One
	}
	t, err := template.New(d.ID).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	d.tmpl[form] = t
	return t, nil
}

// Plural reports whether the entry has one and other forms.
func (d *Def) Plural() bool { return d.One != "" }

var (
	mu      sync.RWMutex
	catalog = map[string]*Def{}
)

// Define adds an English template to the catalog under id. IDs are
// stable: reports carry them and translations are keyed by them. Define
// panics on a duplicate ID, at start-up; Err reports a template that does
// not parse.
func Define(id, english string) *Def { return define(id, "", english) }

// DefinePlural adds a message whose words depend on its Count argument
// (lang.N's form: one and other).
func DefinePlural(id, one, other string) *Def { return define(id, one, other) }

func define(id, one, other string) *Def {
	d := &Def{ID: id, One: one, Other: other}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := catalog[id]; dup {
		panic("msg: duplicate ID " + id)
	}
	catalog[id] = d
	return d
}

// parse parses the templates and collects their argument names, once.
func (d *Def) parse() {
	d.once.Do(func() {
		d.tmpl, d.simple = map[string]*template.Template{}, map[string]pieces{}
		names := map[string]bool{}
		for form, text := range map[string]string{"one": d.One, "other": d.Other} {
			if form == "one" && !d.Plural() {
				continue
			}
			if p, ok := cut(text); ok {
				d.simple[form] = p
				for _, n := range p.fields {
					names[n] = true
				}
				continue
			}
			t, err := template.New(d.ID).Option("missingkey=error").Parse(text)
			if err != nil {
				d.err = fmt.Errorf("msg %s: %w", d.ID, err)
				return
			}
			d.tmpl[form] = t
			for _, n := range Placeholders(t.Tree) {
				names[n] = true
			}
		}
		if d.Plural() && !names["Count"] {
			d.err = fmt.Errorf("msg %s: a plural without {{.Count}}", d.ID)
		}
		if d.Plural() {
			names["Count"] = true // the count picks the form, shown or not
		}
		for n := range names {
			d.names = append(d.names, n)
		}
		sort.Strings(d.names)
	})
}

// Names are the arguments the entry's templates use, sorted.
func (d *Def) Names() []string {
	d.parse()
	return d.names
}

// Err reports a template that does not parse, or a plural entry whose
// templates do not use Count.
func (d *Def) Err() error {
	d.parse()
	return d.err
}

// Placeholders lists the field names ({{.Name}}) a parsed template uses.
func Placeholders(tree *parse.Tree) []string {
	var out []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, n.Ident[0])
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(tree.Root)
	return out
}

// New makes a message from pairs of argument name and value:
// d.New("Status", 403, "Reason", "Forbidden"). Under `go test` a name
// the template does not use, or a missing one, panics, so every test that
// builds a message checks its arguments against the catalog (a program
// never pays for the check, and a wrong argument there renders as the
// template's own words rather than stopping anything).
func (d *Def) New(pairs ...any) Msg {
	m := Msg{ID: d.ID}
	if len(pairs) > 0 {
		m.Args = make(map[string]any, len(pairs)/2)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		v := pairs[i+1]
		if sub, ok := v.(Msg); ok && sub.IsZero() {
			v = "" // a part left out, "" in every language
		}
		m.Args[pairs[i].(string)] = v
	}
	if testing.Testing() {
		if err := d.check(m, len(pairs)); err != nil {
			panic(err)
		}
	}
	return m
}

func (d *Def) check(m Msg, npairs int) error {
	if npairs%2 != 0 {
		return fmt.Errorf("msg %s: odd number of arguments", d.ID)
	}
	var got []string
	for k := range m.Args {
		got = append(got, k)
	}
	sort.Strings(got)
	if err := d.Err(); err != nil {
		return err
	}
	if !slices.Equal(got, d.Names()) {
		return fmt.Errorf("msg %s: arguments %v, template uses %v", d.ID, got, d.Names())
	}
	return nil
}

// Lookup returns the catalog entry of id, or nil.
func Lookup(id string) *Def {
	mu.RLock()
	defer mu.RUnlock()
	return catalog[id]
}

// Catalog returns every entry, sorted by ID.
func Catalog() []*Def {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Def, 0, len(catalog))
	for _, d := range catalog {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Check reports whether m (and every message among its arguments) is in
// the catalog with exactly the arguments its template uses.
func Check(m Msg) error {
	if m.IsZero() {
		return nil
	}
	d := Lookup(m.ID)
	if d == nil {
		return fmt.Errorf("msg %s: not in the catalog", m.ID)
	}
	if err := d.check(m, 2*len(m.Args)); err != nil {
		return err
	}
	for _, v := range m.Args {
		for _, sub := range subMessages(v) {
			if err := Check(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func subMessages(v any) []Msg {
	switch v := v.(type) {
	case Msg:
		return []Msg{v}
	case []Msg:
		return v
	}
	return nil
}

// Renderer turns one catalog entry with its arguments (messages among
// them already rendered) into text: English here, lang in the GUI.
type Renderer func(d *Def, args map[string]any) string

// Render renders m with r, messages among the arguments first; a list of
// messages becomes its rendered texts joined by sep.
func Render(m Msg, r Renderer, sep string) string {
	if m.IsZero() {
		return ""
	}
	d := Lookup(m.ID)
	if d == nil {
		return m.ID
	}
	args := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		switch v := v.(type) {
		case Msg:
			args[k] = Render(v, r, sep)
		case []Msg:
			parts := make([]string, len(v))
			for i, s := range v {
				parts[i] = Render(s, r, sep)
			}
			args[k] = strings.Join(parts, sep)
		default:
			args[k] = v
		}
	}
	return r(d, args)
}

// English renders m in English, the language of the CLI, the reports and
// the JSON text fields.
func English(m Msg) string { return Render(m, english, ", ") }

func english(d *Def, args map[string]any) string {
	if d.Err() != nil {
		return d.Other
	}
	form := "other"
	if d.Plural() && Count(args) == 1 {
		form = "one"
	}
	if p, ok := d.simple[form]; ok {
		s, err := p.render(args)
		switch {
		case err == nil:
			return s
		case !errors.Is(err, errUnusual):
			return d.Other // a missing argument, as below
		}
	}
	t, err := d.template(form)
	if err != nil {
		return d.Other
	}
	var b strings.Builder
	if err := t.Execute(&b, args); err != nil {
		return d.Other // a missing argument: the template's own words rather than half a sentence
	}
	return b.String()
}

// Count is the Count argument of a plural message as an int.
func Count(args map[string]any) int {
	switch c := args["Count"].(type) {
	case int:
		return c
	case int64:
		return int(c)
	case float64:
		return int(c)
	}
	return 0
}

// JSONValue is the entry as a translation file holds it: the template, or
// {"one": …, "other": …} for a plural entry.
func (d *Def) JSONValue() any {
	if d.Plural() {
		return map[string]any{"one": d.One, "other": d.Other}
	}
	return d.Other
}

// plain carries words made outside the catalog (an operating system's or
// a library's error text) as a message; they are shown as they are.
var plain = Define("text", "{{.Text}}")

// Text is a message of words that have no catalog entry of their own
// (a Go error's text, a name): every language shows them unchanged.
func Text(s string) Msg {
	if s == "" {
		return Msg{}
	}
	return plain.New("Text", s)
}

// MapStrings returns a copy of m whose string arguments, in m and in
// every message among them, are f of what they were: a report's
// redaction reaches the values a sentence was said with.
func (m Msg) MapStrings(f func(string) string) Msg {
	if m.Args == nil {
		return m
	}
	out := Msg{ID: m.ID, Args: make(map[string]any, len(m.Args))}
	for k, v := range m.Args {
		switch v := v.(type) {
		case string:
			out.Args[k] = f(v)
		case Msg:
			out.Args[k] = v.MapStrings(f)
		case []Msg:
			list := make([]Msg, len(v))
			for i, s := range v {
				list[i] = s.MapStrings(f)
			}
			out.Args[k] = list
		default:
			out.Args[k] = v
		}
	}
	return out
}

// UnmarshalJSON reads a message back from a report: arguments that are
// messages (objects with an "id") become Msg again, lists of them []Msg,
// whole numbers int, so that the message renders as it did.
func (m *Msg) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID   string                     `json:"id"`
		Args map[string]json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Msg{ID: raw.ID}
	if raw.Args != nil {
		m.Args = make(map[string]any, len(raw.Args))
	}
	for k, v := range raw.Args {
		a, err := argFromJSON(v)
		if err != nil {
			return fmt.Errorf("msg %s: argument %s: %w", raw.ID, k, err)
		}
		m.Args[k] = a
	}
	return nil
}

func argFromJSON(v json.RawMessage) (any, error) {
	var s string
	var n json.Number
	var sub Msg
	var list []Msg
	switch t := strings.TrimSpace(string(v)); {
	case strings.HasPrefix(t, `"`):
		return s, json.Unmarshal(v, &s)
	case strings.HasPrefix(t, "{"):
		return sub, json.Unmarshal(v, &sub)
	case strings.HasPrefix(t, "["):
		return list, json.Unmarshal(v, &list)
	}
	if err := json.Unmarshal(v, &n); err != nil {
		return nil, err
	}
	if i, err := n.Int64(); err == nil {
		return int(i), nil
	}
	return n.Float64()
}
