package msg_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/msg"

	_ "github.com/cardcheck/cardcheck/app/msg/catalog" // every package that defines messages
)

// TestEnglishFileHasTheCatalog checks that assets/translations/en.json
// holds every catalog entry with its English template: a message without
// an entry, or with a changed template, fails here (regenerate with
// go test ./ui -run TestTranslationsComplete -update-translations).
func TestEnglishFileHasTheCatalog(t *testing.T) {
	data, err := os.ReadFile("../../assets/translations/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var have map[string]any
	if err := json.Unmarshal(data, &have); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range msg.Catalog() {
		if strings.HasPrefix(d.ID, "test.") {
			continue // this package's own tests
		}
		n++
		if got, ok := have[d.ID]; !ok {
			t.Errorf("en.json lacks %s (run go test ./ui -run TestTranslationsComplete -update-translations)", d.ID)
		} else if !reflect.DeepEqual(got, d.JSONValue()) {
			t.Errorf("en.json has %s = %v, the catalog %v", d.ID, got, d.JSONValue())
		}
	}
	t.Logf("%d catalog entries", n)
}

// TestCatalogParses parses every template of the catalog (the program
// parses each only when it first says it) and checks that plural entries
// use their count.
func TestCatalogParses(t *testing.T) {
	for _, d := range msg.Catalog() {
		if strings.HasPrefix(d.ID, "test.") {
			continue // this package's own tests, some broken on purpose
		}
		if err := d.Err(); err != nil {
			t.Error(err)
		}
	}
}

// TestCutRendersAsTemplate renders every catalog entry with made-up
// arguments both ways: the simple templates, cut into words and fields,
// must come out exactly as text/template makes them.
func TestCutRendersAsTemplate(t *testing.T) {
	cut := 0
	for _, d := range msg.Catalog() {
		if strings.HasPrefix(d.ID, "test.") {
			continue
		}
		if msg.IsCut(d) {
			cut++
		}
		for _, count := range []int{0, 1, 2} {
			args := map[string]any{}
			for i, n := range d.Names() {
				args[n] = fmt.Sprintf("<%s %d>", n, i)
			}
			if d.Plural() {
				args["Count"] = count
			}
			form := "other"
			if d.Plural() && count == 1 {
				form = "one"
			}
			want, err := msg.ByTemplate(d, form, args)
			if err != nil {
				t.Fatal(err)
			}
			if got := msg.English(msg.Msg{ID: d.ID, Args: args}); got != want {
				t.Errorf("%s with %v: %q, text/template says %q", d.ID, args, got, want)
			}
		}
	}
	if cut < 400 {
		t.Errorf("only %d entries are cut; the catalog's simple templates are about 440", cut)
	}
}
