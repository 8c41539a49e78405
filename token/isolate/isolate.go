// Package isolate keeps PKCS#11 modules that crash, hang or answer nonsense
// out of cardcheck's process. Before the token layer loads a module, a
// short-lived child process — the same binary, run as the internal command
// `cardcheck __probe-module PATH` — loads it and walks the start of the
// path the main process takes: C_GetFunctionList, C_Initialize, C_GetInfo,
// C_GetSlotList, C_GetTokenInfo. A module that kills the child (a signal),
// does not answer within the deadline (the child's process group is
// killed), ends it, or returns nonsense (a NULL function list, a NULL
// function, millions of slots) is refused with the reason, and is never
// loaded into the main process; the other modules keep working.
//
// Results are cached by the module file's identity (path, size,
// modification and change time, inode) in the user's cache folder, so only
// a new or changed module costs a child process at start-up. A hang is
// tried again after HangRetry; a module whose calls merely return an error
// code is not cached and is loaded, so that the token layer reports the
// code in its usual words.
//
// Wiring: token.Options{Vet: isolate.New(isolate.Options{}).Vet}, and the
// binary must answer the internal command: main (through the CLI's command
// switch) and every test binary whose tests reach a Vetter call Hook first.
package isolate

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/token"
)

// Command is the internal command the child runs.
const Command = "__probe-module"

// DefaultTimeout is how long a child may take: SoftHSM starts in about
// 4 ms, OpenSC with a few readers in tens of milliseconds; a module that
// needs seconds to start is already one people notice.
const DefaultTimeout = 5 * time.Second

// MaxSlots is the most slots a module may report: PC/SC allows a few dozen
// readers and OpenSC shows at most a handful of slots per reader. More is
// nonsense (a wrong count, or uninitialised memory).
const MaxSlots = 1024

// HangRetry is how long a module that did not answer stays refused without
// a new try: a hang may be passing (a reader busy with another program),
// but trying at every start would cost DefaultTimeout each time.
const HangRetry = time.Hour

// Verdict is what became of the module in the child.
type Verdict string

// Verdicts. OK and Failed modules are loaded by the main process; the
// others are refused.
const (
	OK         Verdict = "ok"         // it started and listed its slots
	Failed     Verdict = "failed"     // a call returned an error code (the main process reports it)
	Unloadable Verdict = "unloadable" // the dynamic loader refused it
	Broken     Verdict = "broken"     // it answered nonsense
	Crashed    Verdict = "crashed"    // the child died of a signal
	Exited     Verdict = "exited"     // the module ended the child
	Hung       Verdict = "hung"       // no answer within the deadline
)

// ModuleInfo is C_GetInfo as the child saw it.
type ModuleInfo struct {
	Description     string `json:"description,omitempty"`
	Manufacturer    string `json:"manufacturer,omitempty"`
	LibraryVersion  string `json:"library_version,omitempty"`
	CryptokiVersion string `json:"cryptoki_version,omitempty"`
}

// Result is the child's answer, completed by the parent.
type Result struct {
	Verdict Verdict    `json:"verdict"`
	Step    string     `json:"step,omitempty"`   // the call it was in (C_Initialize, …)
	Detail  string     `json:"detail,omitempty"` // what was wrong
	RV      uint       `json:"rv,omitempty"`     // the CKR_ code of a Failed call
	Signal  string     `json:"signal,omitempty"` // SIGSEGV, … for Crashed
	Status  int        `json:"status,omitempty"` // exit status for Exited
	Info    ModuleInfo `json:"info"`
	Slots   int        `json:"slots"`  // slots with a token present
	Tokens  int        `json:"tokens"` // of which initialized
	// Timeout is the deadline a Hung module missed.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Cached is true when the answer came from the cache.
	Cached bool `json:"-"`
}

// Refused reports whether the module must not be loaded.
func (r Result) Refused() bool { return r.Verdict != OK && r.Verdict != Failed && r.Verdict != "" }

// Err is the error the token layer lists the module with, nil when it may
// be loaded.
func (r Result) Err() error {
	if !r.Refused() {
		return nil
	}
	when := phase(r.Step)
	switch r.Verdict {
	case Unloadable:
		return &token.Error{Kind: token.KindModule, Op: "load", Text: mUnloadable.New("Detail", r.Detail)}
	case Crashed:
		return &token.Error{Kind: token.KindModule, Op: "load", Text: mCrashed.New("Signal", r.Signal, "When", when)}
	case Exited:
		return &token.Error{Kind: token.KindModule, Op: "load", Text: mExited.New("Status", r.Status, "When", when)}
	case Hung:
		return &token.Error{Kind: token.KindModuleTimeout, Op: "load", Text: mHung.New("Limit", seconds(r.Timeout), "When", when)}
	}
	return &token.Error{Kind: token.KindModule, Op: "load", Text: mNonsense.New("When", when, "Detail", r.Detail)}
}

// The parent's words about a module it refused to load.
var (
	mUnloadable   = msg.Define("isolate.unloadable", "The module could not be loaded: {{.Detail}}.")
	mCrashed      = msg.Define("isolate.crashed", "The module crashed ({{.Signal}}) {{.When}}; cardcheck did not load it.")
	mExited       = msg.Define("isolate.exited", "The module ended the program (exit status {{.Status}}) {{.When}}; cardcheck did not load it.")
	mHung         = msg.Define("isolate.hung", "The module did not answer within {{.Limit}} {{.When}}; cardcheck did not load it.")
	mNonsense     = msg.Define("isolate.nonsense", "The module answered nonsense {{.When}}: {{.Detail}}; cardcheck did not load it.")
	mWhileLoading = msg.Define("isolate.while_loading", "while loading")
	mWhileStart   = msg.Define("isolate.while_starting", "while starting (in {{.Call}})")
	mWhileStop    = msg.Define("isolate.while_stopping", "while stopping (in C_Finalize)")
	mWhileSlots   = msg.Define("isolate.while_listing_slots", "while listing its slots (in {{.Call}})")
)

// phase says, in words, where the module was when it failed.
func phase(step string) msg.Msg {
	switch step {
	case "", "dlopen", "dlsym":
		return mWhileLoading.New()
	case "C_GetFunctionList", "C_Initialize":
		return mWhileStart.New("Call", step)
	case "C_Finalize":
		return mWhileStop.New()
	}
	return mWhileSlots.New("Call", step)
}

// seconds prints a deadline as "5 s" or "1.5 s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", int(d/time.Second))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// Options configure a Vetter; the zero value is what cardcheck uses.
type Options struct {
	// Exe is the binary that answers Command (default: os.Executable()).
	Exe string
	// Timeout bounds one child (default DefaultTimeout).
	Timeout time.Duration
	// CacheFile holds the answers (default: modules.json in the user's
	// cache folder under cardcheck/). NoCache turns the cache off.
	CacheFile string
	NoCache   bool
}

// Vetter checks modules in child processes.
type Vetter struct {
	opt   Options
	cache *cache
	mu    sync.Mutex
	seen  map[fileID]Result // this process's answers
}

// New returns a Vetter.
func New(opt Options) *Vetter {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	v := &Vetter{opt: opt, seen: map[fileID]Result{}}
	if !opt.NoCache {
		if opt.CacheFile == "" {
			if dir, err := os.UserCacheDir(); err == nil {
				opt.CacheFile = dir + "/cardcheck/modules.json"
			}
		}
		if opt.CacheFile != "" {
			v.cache = &cache{file: opt.CacheFile}
		}
	}
	v.opt = opt
	return v
}

// Vet is token.Options.Vet: nil when the module may be loaded.
func (v *Vetter) Vet(path string) error { return v.Check(context.Background(), path).Err() }

// Check vets the module at path: from this process's memory, the cache,
// or a child process.
func (v *Vetter) Check(ctx context.Context, path string) Result {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return Result{} // the token layer explains a missing file, a folder, a FIFO
	}
	id := identify(path, st)
	v.mu.Lock()
	if r, ok := v.seen[id]; ok {
		v.mu.Unlock()
		return r
	}
	v.mu.Unlock()
	// A cached answer is for this very file (device, inode, size, time),
	// which was a library when it was vetted: the loader reads its symbols
	// once more anyway.
	if r, ok := v.cache.lookup(id, time.Now()); ok {
		r.Cached = true
		v.remember(id, r)
		return r
	}
	if token.CheckLibraryFile(path) != nil {
		return Result{} // the token layer explains a text file, a program, a non-PKCS#11 library
	}
	r := v.spawn(ctx, path)
	v.remember(id, r)
	if r.Verdict != Failed && r.Verdict != "" {
		v.cache.store(id, r, time.Now())
	}
	return r
}

func (v *Vetter) remember(id fileID, r Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen[id] = r
}
