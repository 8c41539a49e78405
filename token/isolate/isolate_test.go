package isolate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token"
	"github.com/cardcheck/cardcheck/token/isolate"
	"github.com/cardcheck/cardcheck/token/tokentest"
)

// TestMain lets this test binary answer the internal command, so that the
// tests run the real child: this binary, re-executed.
func TestMain(m *testing.M) {
	isolate.Hook()
	testrig.Main(m)
}

const openSC = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

func vetter(t testing.TB, timeout time.Duration) (*isolate.Vetter, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "modules.json")
	return isolate.New(isolate.Options{Timeout: timeout, CacheFile: file}), file
}

// Every broken module is refused with its reason, within the deadline.
func TestBrokenModulesAreRefusedWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		b       tokentest.Broken
		verdict isolate.Verdict
		kind    token.Kind
		msg     string
	}{
		{tokentest.NullFunctionList, isolate.Broken, token.KindModule,
			"The module answered nonsense while starting (in C_GetFunctionList): C_GetFunctionList returned no function list; cardcheck did not load it."},
		{tokentest.NullInitialize, isolate.Broken, token.KindModule,
			"The module answered nonsense while starting (in C_GetFunctionList): its function list has no C_Initialize; cardcheck did not load it."},
		{tokentest.CrashInInit, isolate.Crashed, token.KindModule,
			"The module crashed (SIGSEGV) while starting (in C_Initialize); cardcheck did not load it."},
		{tokentest.HangInSlotList, isolate.Hung, token.KindModuleTimeout,
			"The module did not answer within 2 s while listing its slots (in C_GetSlotList); cardcheck did not load it."},
		{tokentest.Nonsense, isolate.Broken, token.KindModule,
			"The module answered nonsense while listing its slots (in C_GetSlotList): it claims 1099511627776 slots; cardcheck did not load it."},
	} {
		t.Run(string(tc.b), func(t *testing.T) {
			t.Parallel()
			// The hang meets a 2 s deadline; the others must not need one
			// (a loaded machine starts a -race child slowly).
			deadline := 20 * time.Second
			if tc.verdict == isolate.Hung {
				deadline = 2 * time.Second
			}
			v, _ := vetter(t, deadline)
			mod := tokentest.BuildBroken(t, tc.b)
			start := time.Now()
			r := v.Check(context.Background(), mod)
			if took := time.Since(start); tc.verdict == isolate.Hung && took > deadline+2*time.Second {
				t.Errorf("the check took %v with a %v deadline", took, deadline)
			}
			err := r.Err()
			if r.Verdict != tc.verdict || !errors.Is(err, tc.kind) || err.Error() != tc.msg {
				t.Errorf("verdict %s, error %v; want %s, %s %q", r.Verdict, err, tc.verdict, tc.kind, tc.msg)
			}
		})
	}
}

// Real modules and the well-behaved test module pass, with what they found.
func TestGoodModulesPass(t *testing.T) {
	rig := testrig.Shared(t)
	t.Setenv("SOFTHSM2_CONF", rig.Conf)
	v, _ := vetter(t, 20*time.Second) // no hang here: only a bound
	for _, path := range []string{rig.Module, openSC, tokentest.BuildBroken(t, tokentest.WellBehaved)} {
		r := v.Check(context.Background(), path)
		if r.Verdict != isolate.OK || r.Err() != nil || r.Info.CryptokiVersion == "" {
			t.Errorf("%s: %+v", path, r)
		}
	}
	if r := v.Check(context.Background(), rig.Module); r.Tokens < 2 {
		t.Errorf("SoftHSM: %d initialized tokens, want the rig's two", r.Tokens)
	}
}

// An answer is cached by the file's identity: a second Vetter (the next
// start) does not run the child, a changed file is vetted again, and the
// cache file stays small.
func TestAnswersAreCachedByFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "modules.json")
	mod := tokentest.BuildBroken(t, tokentest.CrashInInit)
	first := isolate.New(isolate.Options{CacheFile: file}).Check(context.Background(), mod)
	if first.Cached || first.Verdict != isolate.Crashed {
		t.Fatalf("first check: %+v", first)
	}
	second := isolate.New(isolate.Options{CacheFile: file}).Check(context.Background(), mod)
	if !second.Cached || second.Verdict != isolate.Crashed || second.Err().Error() != first.Err().Error() {
		t.Fatalf("second check: %+v", second)
	}
	good := tokentest.BuildBroken(t, tokentest.WellBehaved)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod, b, 0o755); err != nil { // the vendor fixed it
		t.Fatal(err)
	}
	if third := isolate.New(isolate.Options{CacheFile: file}).Check(context.Background(), mod); third.Cached || third.Verdict != isolate.OK {
		t.Fatalf("after the module changed: %+v", third)
	}
	for i := range 100 { // more modules than the cache keeps
		isolate.StoreForTest(file, filepath.Join(dir, fmt.Sprintf("m%03d.so", i)), mod)
	}
	if again := isolate.New(isolate.Options{CacheFile: file}).Check(context.Background(), mod); !again.Cached || again.Verdict != isolate.OK {
		t.Errorf("the newest answer was dropped: %+v", again)
	}
	if st, err := os.Stat(file); err != nil || st.Size() > 64<<10 {
		t.Errorf("cache file: %v, %d bytes", err, st.Size())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".modules-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// Through the token layer: the broken module is listed with its reason and
// never loaded; SoftHSM next to it is listed as usual.
func TestManagerListsBrokenModulesAndKeepsTheOthers(t *testing.T) {
	rig := testrig.Shared(t)
	t.Setenv("SOFTHSM2_CONF", rig.Conf)
	v, _ := vetter(t, 2*time.Second)
	loaded := map[string]bool{}
	loader := func(path string) (token.Backend, error) {
		loaded[path] = true
		return token.LoadLibrary(path)
	}
	m := token.NewManager(token.Options{Vet: v.Vet, Loader: loader})
	defer m.Close()
	var cands []token.Candidate
	for _, b := range []tokentest.Broken{tokentest.NullFunctionList, tokentest.NullInitialize, tokentest.CrashInInit, tokentest.HangInSlotList, tokentest.Nonsense} {
		cands = append(cands, token.Candidate{Path: tokentest.BuildBroken(t, b)})
	}
	cands = append(cands, token.Candidate{Path: rig.Module})
	start := time.Now()
	inv := m.Scan(cands)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the scan took %v with a 2 s deadline", took)
	}
	for _, ms := range inv.Modules[:5] {
		if ms.Err == nil || !strings.Contains(ms.Err.Error(), "cardcheck did not load it") || loaded[ms.Path] {
			t.Errorf("%s: %v (loaded: %v)", filepath.Base(ms.Path), ms.Err, loaded[ms.Path])
		}
	}
	if inv.Modules[5].Err != nil || len(inv.Tokens) < 2 {
		t.Errorf("SoftHSM: %v, %d tokens", inv.Modules[5].Err, len(inv.Tokens))
	}
}
