package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/assets"
)

// Every catalog entry renders through lang exactly as the CLI renders it
// in English: en.json holds the very templates, lang fills them the same
// way (plural forms included), and a message inside a message is rendered
// first.
func TestMessagesRenderThroughLangAsInEnglish(t *testing.T) {
	test.NewTempApp(t)
	if err := assets.LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	inner := msg.Text("{{.Count}} from a server")
	for _, d := range msg.Catalog() {
		for _, n := range []int{1, 2} {
			args := map[string]any{}
			for _, name := range d.Names() {
				args[name] = inner
			}
			if d.Plural() {
				args["Count"] = n
			}
			m := msg.Msg{ID: d.ID, Args: args}
			if err := msg.Check(m); err != nil {
				t.Fatal(err)
			}
			if got, want := text(m), msg.English(m); got != want {
				t.Errorf("%s (count %d): lang %q, English %q", d.ID, n, got, want)
			}
		}
	}
}
