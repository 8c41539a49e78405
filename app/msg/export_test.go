package msg

import (
	"strings"
	"text/template"
)

// ByTemplate renders d's form with text/template alone, as every entry
// was rendered before simple templates were cut (TestCutRendersAsTemplate).
func ByTemplate(d *Def, form string, args map[string]any) (string, error) {
	text := d.Other
	if form == "one" {
		text = d.One
	}
	t, err := template.New(d.ID).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, args)
	return b.String(), err
}

// IsCut reports whether d's forms are rendered without text/template.
func IsCut(d *Def) bool {
	d.parse()
	return len(d.tmpl) == 0
}
