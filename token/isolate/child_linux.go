package isolate

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// PKCS#11 v2.40 declarations for the calls the child makes, written out
// (LP64, natural alignment as on Linux) so that no header is needed.
typedef unsigned long ck_ulong;
typedef ck_ulong ck_rv;
typedef struct { unsigned char major, minor; } ck_version;
typedef struct {
	ck_version cryptoki;
	unsigned char manufacturer[32];
	ck_ulong flags;
	unsigned char description[32];
	ck_version library;
} ck_info;
typedef struct {
	unsigned char label[32], manufacturer[32], model[16], serial[16];
	ck_ulong flags, max_sessions, sessions, max_rw_sessions, rw_sessions,
		max_pin, min_pin, total_public, free_public, total_private, free_private;
	ck_version hardware, firmware;
	unsigned char utc_time[16];
} ck_token_info;
typedef struct {
	void *create_mutex, *destroy_mutex, *lock_mutex, *unlock_mutex;
	ck_ulong flags;
	void *reserved;
} ck_init_args;
typedef struct {
	ck_version version;
	void *fn[68];
} ck_function_list;

typedef ck_rv (*get_function_list_fn)(ck_function_list **);
typedef ck_rv (*initialize_fn)(void *);
typedef ck_rv (*finalize_fn)(void *);
typedef ck_rv (*get_info_fn)(ck_info *);
typedef ck_rv (*get_slot_list_fn)(unsigned char, ck_ulong *, ck_ulong *);
typedef ck_rv (*get_token_info_fn)(ck_ulong, ck_token_info *);

// The Go side names these by index in the function list.
static void *cc_open(const char *path, char **err)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		*err = strdup(e ? e : "dlopen failed");
	}
	return h;
}

static void *cc_sym(void *h, const char *name) { return dlsym(h, name); }

static ck_rv cc_get_function_list(void *fn, ck_function_list **list)
{
	*list = NULL;
	return ((get_function_list_fn)fn)(list);
}

static void *cc_fn(ck_function_list *l, int i) { return l->fn[i]; }

// cc_initialize passes the arguments miekg/pkcs11 passes in the main
// process: OS locking allowed.
static ck_rv cc_initialize(ck_function_list *l)
{
	ck_init_args args;
	memset(&args, 0, sizeof args);
	args.flags = 2; // CKF_OS_LOCKING_OK
	return ((initialize_fn)l->fn[0])(&args);
}

static ck_rv cc_finalize(ck_function_list *l) { return ((finalize_fn)l->fn[1])(NULL); }

static ck_rv cc_get_info(ck_function_list *l, ck_info *info)
{
	memset(info, 0, sizeof *info);
	return ((get_info_fn)l->fn[2])(info);
}

static ck_rv cc_get_slot_list(ck_function_list *l, ck_ulong *list, ck_ulong *count)
{
	return ((get_slot_list_fn)l->fn[4])(1, list, count);
}

static ck_rv cc_get_token_info(ck_function_list *l, ck_ulong slot, ck_token_info *info)
{
	memset(info, 0, sizeof *info);
	return ((get_token_info_fn)l->fn[6])(slot, info);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// needed are the functions of the list the token layer calls, by index in
// CK_FUNCTION_LIST (PKCS#11 v2.40 §5.2): a NULL among them would crash the
// main process the first time it is used.
var needed = []struct {
	index int
	name  string
}{
	{0, "C_Initialize"}, {1, "C_Finalize"}, {2, "C_GetInfo"}, {4, "C_GetSlotList"},
	{5, "C_GetSlotInfo"}, {6, "C_GetTokenInfo"}, {7, "C_GetMechanismList"},
	{12, "C_OpenSession"}, {13, "C_CloseSession"}, {15, "C_GetSessionInfo"},
	{18, "C_Login"}, {19, "C_Logout"}, {24, "C_GetAttributeValue"},
	{26, "C_FindObjectsInit"}, {27, "C_FindObjects"}, {28, "C_FindObjectsFinal"},
	{42, "C_SignInit"}, {43, "C_Sign"},
}

const (
	ckrOK                 = 0
	ckrAlreadyInitialized = 0x191
	ckrBufferTooSmall     = 0x150
)

// Child is the internal command `cardcheck __probe-module PATH`: it loads
// the module in this (short-lived) process, walks the start of the path the
// main process takes (C_GetFunctionList, C_Initialize, C_GetInfo,
// C_GetSlotList, C_GetTokenInfo, C_Finalize) and writes what it found to
// stdout: a "step NAME" line before each call, so that the parent knows
// where a crash or hang happened, and one "result {json}" line at the end.
// The module's own output on stdout is sent to stderr so that it cannot
// forge the answer. It returns the exit status.
func Child(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "usage: cardcheck %s PATH\n", Command)
		return 2
	}
	out := stdout
	if f, ok := stdout.(*os.File); ok && f == os.Stdout {
		// Keep the answer on a private copy of fd 1 and point fd 1 at
		// stderr for whatever the module prints.
		if fd, err := syscall.Dup(1); err == nil {
			if syscall.Dup3(2, 1, 0) == nil {
				out = os.NewFile(uintptr(fd), "answer")
			} else {
				syscall.Close(fd)
			}
		}
	}
	c := child{out: out}
	c.run(args[0])
	c.send("result", c.res)
	return 0
}

type child struct {
	out io.Writer
	res Result
}

func (c *child) step(name string) { fmt.Fprintf(c.out, "step %s\n", name) }

func (c *child) send(kind string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(c.out, "%s %s\n", kind, b)
}

func (c *child) fail(v Verdict, step, detail string, rv uint) {
	c.res.Verdict, c.res.Step, c.res.Detail, c.res.RV = v, step, detail, rv
}

func (c *child) run(path string) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	c.step("dlopen")
	var cerr *C.char
	h := C.cc_open(cpath, &cerr)
	if h == nil {
		c.fail(Unloadable, "dlopen", C.GoString(cerr), 0)
		C.free(unsafe.Pointer(cerr))
		return
	}
	name := C.CString("C_GetFunctionList")
	defer C.free(unsafe.Pointer(name))
	gfl := C.cc_sym(h, name)
	if gfl == nil {
		c.fail(Unloadable, "dlsym", "the library does not export C_GetFunctionList", 0)
		return
	}
	c.step("C_GetFunctionList")
	var list *C.ck_function_list
	if rv := uint(C.cc_get_function_list(gfl, &list)); rv != ckrOK {
		c.fail(Failed, "C_GetFunctionList", "", rv)
		return
	}
	if list == nil {
		c.fail(Broken, "C_GetFunctionList", "C_GetFunctionList returned no function list", 0)
		return
	}
	var missing []string
	for _, n := range needed {
		if C.cc_fn(list, C.int(n.index)) == nil {
			missing = append(missing, n.name)
		}
	}
	if len(missing) > 0 {
		c.fail(Broken, "C_GetFunctionList", "its function list has no "+strings.Join(missing, ", "), 0)
		return
	}
	c.step("C_Initialize")
	if rv := uint(C.cc_initialize(list)); rv != ckrOK && rv != ckrAlreadyInitialized {
		c.fail(Failed, "C_Initialize", "", rv)
		return
	}
	if !c.info(list) || !c.slots(list) {
		return
	}
	c.step("C_Finalize")
	C.cc_finalize(list)
	c.res.Verdict = OK
}

func (c *child) info(list *C.ck_function_list) bool {
	c.step("C_GetInfo")
	var info C.ck_info
	if rv := uint(C.cc_get_info(list, &info)); rv != ckrOK {
		c.fail(Failed, "C_GetInfo", "", rv)
		return false
	}
	c.res.Info = ModuleInfo{
		Description:     fixed(info.description[:]),
		Manufacturer:    fixed(info.manufacturer[:]),
		LibraryVersion:  fmt.Sprintf("%d.%d", info.library.major, info.library.minor),
		CryptokiVersion: fmt.Sprintf("%d.%d", info.cryptoki.major, info.cryptoki.minor),
	}
	return true
}

func (c *child) slots(list *C.ck_function_list) bool {
	c.step("C_GetSlotList")
	var count C.ck_ulong
	if rv := uint(C.cc_get_slot_list(list, nil, &count)); rv != ckrOK {
		c.fail(Failed, "C_GetSlotList", "", rv)
		return false
	}
	var slots []C.ck_ulong
	for try := 0; ; try++ {
		if uint64(count) > MaxSlots {
			c.fail(Broken, "C_GetSlotList", fmt.Sprintf("it claims %d slots", uint64(count)), 0)
			return false
		}
		slots = make([]C.ck_ulong, int(count)+1) // +1: never a zero-length buffer
		n := count
		rv := uint(C.cc_get_slot_list(list, &slots[0], &n))
		if rv == ckrBufferTooSmall && try < 2 {
			count = n // a card was inserted between the two calls
			continue
		}
		if rv != ckrOK {
			c.fail(Failed, "C_GetSlotList", "", rv)
			return false
		}
		if n > count {
			c.fail(Broken, "C_GetSlotList", fmt.Sprintf("it wrote %d slots into room for %d", uint64(n), uint64(count)), 0)
			return false
		}
		slots = slots[:n]
		break
	}
	c.res.Slots = len(slots)
	c.step("C_GetTokenInfo")
	for _, s := range slots {
		var ti C.ck_token_info
		if rv := uint(C.cc_get_token_info(list, s, &ti)); rv == ckrOK && ti.flags&0x400 != 0 { // CKF_TOKEN_INITIALIZED
			c.res.Tokens++
		}
	}
	return true
}

// fixed turns a blank-padded CK_UTF8CHAR array into a string.
func fixed(b []C.uchar) string {
	out := make([]byte, len(b))
	for i, x := range b {
		out[i] = byte(x)
	}
	return strings.TrimRight(string(out), " \x00")
}
