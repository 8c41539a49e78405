package msg

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var (
	testCause  = Define("test.cause", "The server sent {{.Alert}}.")
	testAdvice = Define("test.advice", "Because {{.Cause}}: ask {{.Who}}.")
	testDays   = DefinePlural("test.days", "{{.Count}} day left", "{{.Count}} days left")
	testList   = Define("test.list", "Checks: {{.Items}}")
	bad        = Define("test.broken", "{{.Open")
	noCount    = DefinePlural("test.no_count", "one thing", "things")
)

func TestEnglishRendersNestedMessages(t *testing.T) {
	m := testAdvice.New("Cause", testCause.New("Alert", "unknown_ca"), "Who", "the administrators")
	if got, want := English(m), "Because The server sent unknown_ca.: ask the administrators."; got != want {
		t.Errorf("English = %q, want %q", got, want)
	}
	if err := Check(m); err != nil {
		t.Error(err)
	}
	l := testList.New("Items", []Msg{testCause.New("Alert", "a"), testCause.New("Alert", "b")})
	if got := English(l); got != "Checks: The server sent a., The server sent b." {
		t.Errorf("list = %q", got)
	}
}

func TestServerDataIsNeverATemplate(t *testing.T) {
	m := testCause.New("Alert", "{{.Alert}}{{printf \"%s\" 1}}")
	if got := English(m); got != "The server sent {{.Alert}}{{printf \"%s\" 1}}." {
		t.Errorf("English = %q", got)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{1: "1 day left", 2: "2 days left", 0: "0 days left"} {
		if got := English(testDays.New("Count", n)); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestWrongArgumentsPanicInTests(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a missing argument did not panic")
		}
	}()
	testAdvice.New("Cause", "x")
}

func TestCheckFindsUnknownAndMismatched(t *testing.T) {
	if Check(Msg{ID: "no.such"}) == nil {
		t.Error("unknown ID passed")
	}
	if Check(Msg{ID: testCause.ID, Args: map[string]any{"Other": 1}}) == nil {
		t.Error("wrong argument passed")
	}
	bad := Msg{ID: testAdvice.ID, Args: map[string]any{"Cause": Msg{ID: "no.such"}, "Who": "x"}}
	if Check(bad) == nil {
		t.Error("unknown nested ID passed")
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(testAdvice.New("Cause", testCause.New("Alert", "x"), "Who", "y"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"test.advice","args":{"Cause":{"id":"test.cause","args":{"Alert":"x"}},"Who":"y"}}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	if z, _ := json.Marshal(Msg{}); !strings.Contains(string(z), `"id":""`) {
		t.Errorf("zero %s", z)
	}
}

func TestDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate ID accepted")
		}
	}()
	Define("test.cause", "again")
}

func TestCatalogSortedWithNames(t *testing.T) {
	var ids []string
	for _, d := range Catalog() {
		if !strings.HasPrefix(d.ID, "test.") {
			continue // the external test links the packages that define the rest
		}
		ids = append(ids, d.ID)
		if d.ID == testDays.ID && strings.Join(d.Names(), ",") != "Count" {
			t.Errorf("names %v", d.Names())
		}
	}
	if strings.Join(ids, " ") != "test.advice test.broken test.cause test.days test.list test.no_count" {
		t.Errorf("catalog %v", ids)
	}
}

// A message read back from a report renders as it did, nested messages,
// lists and counts included.
func TestJSONRoundTrip(t *testing.T) {
	for _, m := range []Msg{
		testAdvice.New("Cause", testCause.New("Alert", "x"), "Who", "y"),
		testDays.New("Count", 1),
		testList.New("Items", []Msg{testCause.New("Alert", "a"), testCause.New("Alert", "b")}),
		{},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Msg
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if English(back) != English(m) || Check(back) != nil {
			t.Errorf("%s: back %q, was %q (%v)", b, English(back), English(m), Check(back))
		}
	}
}

func TestMapStringsReachesNestedArguments(t *testing.T) {
	m := testList.New("Items", []Msg{testCause.New("Alert", "secret")})
	m = testAdvice.New("Cause", m, "Who", "secret")
	got := English(m.MapStrings(func(s string) string { return strings.ReplaceAll(s, "secret", "<x>") }))
	if strings.Contains(got, "secret") || !strings.Contains(got, "<x>") {
		t.Errorf("%q", got)
	}
	if !strings.Contains(English(m), "secret") {
		t.Error("MapStrings changed the message itself")
	}
}

// A template that does not parse, or a plural without its count, is
// reported by Err (TestCatalogParses runs it over the whole catalog) and
// renders as its own words.
func TestBrokenTemplatesAreReported(t *testing.T) {
	for _, d := range []*Def{bad, noCount} {
		if d.Err() == nil {
			t.Errorf("%s: no error", d.ID)
		}
	}
	if got := English(Msg{ID: bad.ID}); got != "{{.Open" {
		t.Errorf("broken template rendered %q", got)
	}
}

func TestCutOnlySimpleTemplates(t *testing.T) {
	for text, want := range map[string]bool{
		"":                         true,
		"plain words":              true,
		"{{.A}} and {{.B_2}}.":     true,
		"{{.A}}{{.B}}":             true,
		"{{ .A }}":                 false, // spaces: text/template's
		"{{if .A}}x{{end}}":        false,
		"{{.A | printf \"%q\"}}":   false,
		"{{- .A}}":                 false,
		"{{/* c */}}":              false,
		"{{.A.B}}":                 false,
		"{{.2A}}":                  false,
		"open {{.A":                false,
		"stray }} here":            false,
		"{{.A}} then {{printf 1}}": false,
	} {
		if _, got := cut(text); got != want {
			t.Errorf("cut(%q) ok = %v, want %v", text, got, want)
		}
	}
}

func TestCutMissingArgumentGivesTheTemplate(t *testing.T) {
	m := Msg{ID: testAdvice.ID, Args: map[string]any{"Cause": "x"}} // Who missing
	if got := English(m); got != testAdvice.Other {
		t.Errorf("English = %q, want the template's own words", got)
	}
	n := Msg{ID: testAdvice.ID, Args: map[string]any{"Cause": 3, "Who": nil}}
	if got := English(n); got != "Because 3: ask <no value>." {
		t.Errorf("English = %q", got)
	}
}

// Arguments of every kind render as text/template renders them: the
// common ones by the cutter, the unusual ones by text/template itself.
func TestCutArgumentKindsAsTemplate(t *testing.T) {
	n := 5
	type pair struct{ A, B string }
	for name, v := range map[string]any{
		"string": "x", "int": 42, "negative": -3, "uint8": uint8(7), "float": 1.5, "bool": true, "nil": nil,
		"pointer to int": &n, "pointer to struct": &pair{"a", "b"}, "struct": pair{"a", "b"}, "slice": []string{"a", "b"},
		"func": func() {}, "error": errors.New("boom"),
	} {
		args := map[string]any{"Alert": v}
		want, err := ByTemplate(testCause, "other", args)
		if err != nil {
			want = testCause.Other // text/template refuses: the template's own words
		}
		if got := English(Msg{ID: testCause.ID, Args: args}); got != want {
			t.Errorf("%s: %q, text/template says %q", name, got, want)
		}
	}
}
