//go:build seedgen

package tlstrace

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFuzzSeeds writes the seed corpus from real handshakes. It is
// built only with the seedgen tag: after changing the scenarios run
//
//	go test -tags seedgen -run TestWriteFuzzSeeds ./app/tlstrace
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := map[string][]event{"rfc8448": rfc8448Events()}
	for name, l := range seedScenarios() {
		seeds[name] = l.run(t).rec.events
	}
	for name, evs := range openSSLSeeds(t) {
		seeds[name] = evs
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, evs := range seeds {
		c, s, k, sch := script(evs)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%+q)\n[]byte(%+q)\n[]byte(%+q)\n[]byte(%+q)\n", c, s, k, sch)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
