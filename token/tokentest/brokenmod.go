package tokentest

import (
	"context"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

//go:embed brokenmod/brokenmod.c
var brokenModuleSource []byte

// Broken is a way for a PKCS#11 module to misbehave (see brokenmod.c).
type Broken string

// The broken modules the tests build.
const (
	NullFunctionList Broken = "NULL_LIST"     // C_GetFunctionList gives a NULL list
	NullInitialize   Broken = "NULL_INIT"     // the list has no C_Initialize
	CrashInInit      Broken = "CRASH_INIT"    // SIGSEGV in C_Initialize
	HangInSlotList   Broken = "HANG_SLOTLIST" // C_GetSlotList never returns
	SlowSlotList     Broken = "SLOW_SLOTLIST" // C_GetSlotList takes 20 s
	Nonsense         Broken = "NONSENSE"      // C_GetSlotList claims 2^40 slots
	WellBehaved      Broken = ""              // one slot, no token: the control
)

// ArmEnv names the file whose existence arms the slot-list faults
// (HangInSlotList, SlowSlotList, Nonsense) when set in the environment.
const ArmEnv = "BROKENMOD_ARM"

// BuildBroken compiles the module variant b with gcc into a temporary
// folder and returns its path. It fails the test, naming build/deps.sh,
// when gcc is missing.
func BuildBroken(t testing.TB, b Broken) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatalf("gcc is missing (%v): run build/deps.sh run (package gcc)", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "brokenmod.c")
	if err := os.WriteFile(src, brokenModuleSource, 0o600); err != nil {
		t.Fatal(err)
	}
	name := "libbroken"
	args := []string{"-shared", "-fPIC", "-O1", "-o"}
	if b != WellBehaved {
		name += "-" + string(b)
	}
	out := filepath.Join(dir, name+".so")
	args = append(args, out, src)
	if b != WellBehaved {
		args = append(args, "-D"+string(b))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, msg)
	}
	return out
}
