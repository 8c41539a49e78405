package desktop

import (
	"testing"

	"github.com/cardcheck/cardcheck/token"
)

// missing is a module path that does not exist: scanning it is quick and
// reports the module with its error.
const missing = "/nonexistent/cardcheck-test-module.so"

func paths(inv *token.Inventory) []string {
	var out []string
	for _, m := range inv.Modules {
		out = append(out, m.Path)
	}
	return out
}

func TestPrefetchedScanIsTakenOnce(t *testing.T) {
	b := New([]string{missing})
	defer b.Close()
	b.Prefetch()
	first := b.Scan()
	if got := paths(first); len(got) != 1 || got[0] != missing {
		t.Fatalf("prefetched scan lists %v, want [%s]", got, missing)
	}
	if b.early != nil {
		t.Fatal("the prefetched scan is still pending after Scan")
	}
	if second := b.Scan(); second == first {
		t.Fatal("a second Scan returned the prefetched inventory again")
	}
}

// prefetched stands in for a finished Prefetch with b's modules of now.
func prefetched(b *Backend) *token.Inventory {
	sentinel := &token.Inventory{}
	b.early = &earlyScan{opt: b.options(), done: make(chan *token.Inventory, 1)}
	b.early.done <- sentinel
	return sentinel
}

func TestScanUsesPrefetchWhenModulesUnchanged(t *testing.T) {
	b := New(nil)
	defer b.Close()
	sentinel := prefetched(b)
	b.SetUserModules(nil) // the same (no) user modules
	if got := b.Scan(); got != sentinel {
		t.Fatal("Scan did not return the prefetched inventory")
	}
}

func TestScanRereadsWhenUserModulesChanged(t *testing.T) {
	b := New(nil)
	defer b.Close()
	sentinel := prefetched(b)
	b.SetUserModules([]string{missing}) // added after the prefetch started
	got := b.Scan()
	if got == sentinel {
		t.Fatal("Scan returned a prefetched inventory that misses the user's module")
	}
	found := false
	for _, p := range paths(got) {
		found = found || p == missing
	}
	if !found {
		t.Fatalf("the new scan lists %v, without the user's module %s", paths(got), missing)
	}
}

func TestPrefetchedDoesNotWait(t *testing.T) {
	b := New(nil)
	defer b.Close()
	if _, ok := b.Prefetched(); ok {
		t.Fatal("Prefetched answered without a Prefetch")
	}
	b.early = &earlyScan{opt: b.options(), done: make(chan *token.Inventory, 1)} // still running
	if _, ok := b.Prefetched(); ok {
		t.Fatal("Prefetched answered before the scan finished")
	}
	sentinel := &token.Inventory{}
	b.early.done <- sentinel
	b.SetUserModules([]string{missing})
	if _, ok := b.Prefetched(); ok {
		t.Fatal("Prefetched returned a scan without the user's module")
	}
	b.SetUserModules(nil)
	if got, ok := b.Prefetched(); !ok || got != sentinel {
		t.Fatal("Prefetched did not return the finished scan")
	}
	if b.early != nil {
		t.Fatal("the scan is still pending after Prefetched took it")
	}
}
