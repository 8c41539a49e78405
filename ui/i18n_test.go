package ui

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"
	_ "github.com/cardcheck/cardcheck/app/msg/catalog" // every package that defines messages
	"github.com/cardcheck/cardcheck/assets"
	cctoken "github.com/cardcheck/cardcheck/token"
)

var updateTranslations = flag.Bool("update-translations", false, "rewrite assets/translations/en.json from the strings in the code")

const enJSON = "../assets/translations/en.json"

// allProblems lists the certificate problems, whose sentences the UI
// translates (Problem.Describe is English).
var allProblems = []cctoken.Problem{
	cctoken.ProblemParseError, cctoken.ProblemExpired, cctoken.ProblemNotYetValid, cctoken.ProblemNoClientAuth,
	cctoken.ProblemNoDigitalSig, cctoken.ProblemNoPrivateKey, cctoken.ProblemKeyCannotSign,
	cctoken.ProblemCACertificate, cctoken.ProblemUnsupportedKey,
}

// usedStrings collects the literal keys of lang.L and lang.N calls in the
// package's source (tests excluded); plural reports which were lang.N.
func usedStrings(t *testing.T) (keys map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys = map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "tr" {
				fd.Body = nil // tr translates sentences made elsewhere, on purpose
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok || pkg.Name != "lang" || (sel.Sel.Name != "L" && sel.Sel.Name != "N") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: lang.%s with a key that is not a literal", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			keys[s] = keys[s] || sel.Sel.Name == "N"
			return true
		})
	}
	for _, s := range loadDemoScenarios(t) {
		keys[s.Description] = false // shown with tr (scenarioDescription)
	}
	return keys
}

// TestTranslationsComplete checks that en.json holds every string the UI
// shows, with both plural forms where needed, and nothing stale: it is
// the template translators copy. Run with -update-translations after
// adding strings, then review the singular forms.
func TestTranslationsComplete(t *testing.T) {
	keys := usedStrings(t)
	data, err := os.ReadFile(enJSON)
	if err != nil {
		t.Fatal(err)
	}
	var have map[string]any
	if err := json.Unmarshal(data, &have); err != nil {
		t.Fatalf("en.json: %v", err)
	}
	catalog := catalogEntries()
	if *updateTranslations {
		writeEnglish(t, keys, catalog, have)
		return
	}
	for k, plural := range keys {
		v, ok := have[k]
		switch {
		case !ok:
			t.Errorf("en.json lacks %q (run go test ./ui -run TestTranslationsComplete -update-translations)", k)
		case plural:
			forms, _ := v.(map[string]any)
			if forms["one"] == nil || forms["other"] == nil {
				t.Errorf("en.json: %q needs the plural forms one and other", k)
			}
		}
	}
	for k := range have {
		if _, ok := keys[k]; !ok && catalog[k] == nil && k != "cardcheck" {
			t.Errorf("en.json has %q, which the code no longer uses", k)
		}
	}
	if _, err := assets.TranslationFile("en.json"); err != nil {
		t.Errorf("en.json is not embedded: %v", err)
	}
}

// catalogEntries are the message catalog's entries as en.json holds them
// (app/msg checks that en.json has them, with these very templates).
func catalogEntries() map[string]any {
	out := map[string]any{}
	for _, d := range msg.Catalog() {
		out[d.ID] = d.JSONValue()
	}
	return out
}

// writeEnglish rewrites en.json: keys sorted, existing entries of the
// lang.L strings kept, catalog entries as the catalog has them.
func writeEnglish(t *testing.T, keys map[string]bool, catalog, have map[string]any) {
	out := map[string]any{"cardcheck": "cardcheck"}
	for k, v := range catalog {
		out[k] = v
	}
	for k, plural := range keys {
		switch v, ok := have[k]; {
		case ok:
			out[k] = v
		case plural:
			out[k] = map[string]string{"one": singular(k), "other": k}
		default:
			out[k] = k
		}
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, k := range names {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(out[k])
		b.WriteString("  " + string(kb) + ": " + string(vb))
		if i < len(names)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	var check map[string]any
	if err := json.Unmarshal(b.Bytes(), &check); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enJSON, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s with %d strings", enJSON, len(names))
}

// singular guesses the English singular of a plural message.
func singular(s string) string {
	for _, w := range []string{"days", "minutes", "seconds", "messages", "bytes"} {
		s = strings.ReplaceAll(s, w, strings.TrimSuffix(w, "s"))
	}
	return s
}

func TestTranslationsLoad(t *testing.T) {
	if err := assets.LoadTranslations(); err != nil {
		t.Fatalf("go-i18n rejects the translation files: %v", err)
	}
	if !slices.Contains(allProblems, cctoken.ProblemExpired) {
		t.Fatal("problem list")
	}
}
