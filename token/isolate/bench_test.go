package isolate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/isolate"
)

// BenchmarkStart measures what isolation adds to loading one module:
// in-process (C_Initialize + C_GetInfo + C_Finalize), isolated cold (a
// child process vets it first, no cache) and isolated cached (the answer
// read from the cache file by a new Vetter, as at the next start). The
// child is this test binary; CARDCHECK_BENCH_EXE names another (the real
// cardcheck, which links Fyne and so starts slower).
//
//	go test -run XXX -bench Start ./token/isolate/
func BenchmarkStart(b *testing.B) {
	rig := testrig.Shared(b)
	exe := os.Getenv("CARDCHECK_BENCH_EXE")
	for _, mod := range []struct{ name, path string }{{"softhsm", rig.Module}, {"opensc", openSC}} {
		load := func(b *testing.B, opt token.Options) {
			m := token.NewManager(opt)
			if _, err := m.Load(mod.path); err != nil {
				b.Fatal(err)
			}
			m.Close()
		}
		b.Run(mod.name+"/in-process", func(b *testing.B) {
			for b.Loop() {
				load(b, token.Options{})
			}
		})
		b.Run(mod.name+"/isolated-cold", func(b *testing.B) {
			for b.Loop() {
				v := isolate.New(isolate.Options{Exe: exe, NoCache: true})
				load(b, token.Options{Vet: v.Vet})
			}
		})
		b.Run(mod.name+"/isolated-cached", func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "modules.json")
			if r := isolate.New(isolate.Options{Exe: exe, CacheFile: file}).Check(context.Background(), mod.path); r.Verdict != isolate.OK {
				b.Fatalf("%+v", r)
			}
			for b.Loop() {
				v := isolate.New(isolate.Options{Exe: exe, CacheFile: file})
				load(b, token.Options{Vet: v.Vet})
			}
		})
	}
}
