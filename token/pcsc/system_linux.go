//go:build linux && cgo

package pcsc

/*
#cgo CFLAGS: -I/usr/include/PCSC -I/usr/local/include/PCSC
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <PCSC/winscard.h>
#include <PCSC/reader.h>

// libpcsclite is loaded at run time (dlopen), so cardcheck starts on a
// system without it and says so; the types come from its headers
// (Debian: libpcsclite-dev).
typedef LONG (*fnEstablish)(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT);
typedef LONG (*fnRelease)(SCARDCONTEXT);
typedef LONG (*fnList)(SCARDCONTEXT, LPCSTR, LPSTR, LPDWORD);
typedef LONG (*fnStatusChange)(SCARDCONTEXT, DWORD, SCARD_READERSTATE *, DWORD);
typedef LONG (*fnCancel)(SCARDCONTEXT);
typedef LONG (*fnConnect)(SCARDCONTEXT, LPCSTR, DWORD, DWORD, LPSCARDHANDLE, LPDWORD);
typedef LONG (*fnDisconnect)(SCARDHANDLE, DWORD);
typedef LONG (*fnControl)(SCARDHANDLE, DWORD, LPCVOID, DWORD, LPVOID, DWORD, LPDWORD);

static struct {
	fnEstablish establish;
	fnRelease release;
	fnList list;
	fnStatusChange statusChange;
	fnCancel cancel;
	fnConnect connect;
	fnDisconnect disconnect;
	fnControl control;
} pcsc;

static int pcsc_load(void) {
	void *h = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) h = dlopen("libpcsclite.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) return -1;
	pcsc.establish = (fnEstablish)dlsym(h, "SCardEstablishContext");
	pcsc.release = (fnRelease)dlsym(h, "SCardReleaseContext");
	pcsc.list = (fnList)dlsym(h, "SCardListReaders");
	pcsc.statusChange = (fnStatusChange)dlsym(h, "SCardGetStatusChange");
	pcsc.cancel = (fnCancel)dlsym(h, "SCardCancel");
	pcsc.connect = (fnConnect)dlsym(h, "SCardConnect");
	pcsc.disconnect = (fnDisconnect)dlsym(h, "SCardDisconnect");
	pcsc.control = (fnControl)dlsym(h, "SCardControl");
	if (!pcsc.establish || !pcsc.release || !pcsc.list || !pcsc.statusChange ||
	    !pcsc.cancel || !pcsc.connect || !pcsc.disconnect || !pcsc.control) return -2;
	return 0;
}

static LONG pcsc_establish(SCARDCONTEXT *ctx) { return pcsc.establish(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx); }
static LONG pcsc_release(SCARDCONTEXT ctx) { return pcsc.release(ctx); }
static LONG pcsc_cancel(SCARDCONTEXT ctx) { return pcsc.cancel(ctx); }
static LONG pcsc_list(SCARDCONTEXT ctx, char *buf, DWORD *len) { return pcsc.list(ctx, NULL, buf, len); }

// pcsc_states asks for the current state of n readers (no waiting).
static LONG pcsc_states(SCARDCONTEXT ctx, char **names, int n, DWORD *states, unsigned char *atrs, DWORD *atrLens) {
	SCARD_READERSTATE *rs = calloc(n, sizeof(SCARD_READERSTATE));
	if (!rs) return SCARD_E_NO_MEMORY;
	for (int i = 0; i < n; i++) {
		rs[i].szReader = names[i];
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	LONG rv = pcsc.statusChange(ctx, 0, rs, n);
	for (int i = 0; i < n; i++) {
		states[i] = rs[i].dwEventState;
		DWORD l = rs[i].cbAtr;
		if (l > MAX_ATR_SIZE) l = MAX_ATR_SIZE;
		memcpy(atrs + i * MAX_ATR_SIZE, rs[i].rgbAtr, l);
		atrLens[i] = l;
	}
	free(rs);
	return rv;
}

// pcsc_wait waits up to timeout ms until a reader's state differs from
// states[i] (as last reported, event counter included), or a reader is
// added or removed (the PnP pseudo-reader, whose current state carries
// the reader count in its upper 16 bits).
static LONG pcsc_wait(SCARDCONTEXT ctx, char **names, int n, DWORD *states, DWORD timeout) {
	SCARD_READERSTATE *rs = calloc(n + 1, sizeof(SCARD_READERSTATE));
	if (!rs) return SCARD_E_NO_MEMORY;
	for (int i = 0; i < n; i++) {
		rs[i].szReader = names[i];
		rs[i].dwCurrentState = states[i];
	}
	rs[n].szReader = "\\\\?PnP?\\Notification";
	rs[n].dwCurrentState = ((DWORD)n) << 16;
	LONG rv = pcsc.statusChange(ctx, timeout, rs, n + 1);
	free(rs);
	return rv;
}

// pcsc_features connects to the reader in direct mode (no card needed,
// the card is not touched) and asks for its PC/SC part 10 features.
static LONG pcsc_features(SCARDCONTEXT ctx, const char *reader, unsigned char *out, DWORD *outLen) {
	SCARDHANDLE h;
	DWORD proto;
	LONG rv = pcsc.connect(ctx, reader, SCARD_SHARE_DIRECT, 0, &h, &proto);
	if (rv != SCARD_S_SUCCESS) return rv;
	DWORD cap = *outLen;
	rv = pcsc.control(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, out, cap, outLen);
	pcsc.disconnect(h, SCARD_LEAVE_CARD);
	return rv;
}

static int pcsc_max_atr(void) { return MAX_ATR_SIZE; }
*/
import "C"

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

var loadLib = sync.OnceValue(func() error {
	if C.pcsc_load() != 0 {
		return ErrNoLibrary
	}
	return nil
})

// maxReaderList bounds the reader list libpcsclite may return.
const maxReaderList = 64 << 10

// System connects to the system's PC/SC service through libpcsclite.
func System(ctx context.Context) (Client, error) {
	if err := loadLib(); err != nil {
		return nil, &Error{Op: "load libpcsclite", Err: err}
	}
	c := &libClient{}
	var hctx C.SCARDCONTEXT
	err := c.do(ctx, "establish context", func() C.LONG { return C.pcsc_establish(&hctx) })
	if err != nil {
		return nil, err
	}
	c.hctx = hctx
	return c, nil
}

// libClient is a PC/SC context of libpcsclite. A call that runs past its
// deadline is left to finish on its own goroutine (a C call cannot be
// interrupted; SCardCancel ends a waiting SCardGetStatusChange) and the
// client refuses further calls.
type libClient struct {
	hctx  C.SCARDCONTEXT
	stuck atomic.Bool
	mu    sync.Mutex // one call at a time per context
}

// closeTimeout bounds releasing a context.
const closeTimeout = time.Second

// do runs fn (a C call that allocates and frees its own memory) on a
// goroutine and waits for it or ctx. fn's results may be read only when
// do returned nil.
func (c *libClient) do(ctx context.Context, op string, fn func() C.LONG) error {
	if c.stuck.Load() {
		return &Error{Op: op, Err: ErrStuck}
	}
	done := make(chan C.LONG, 1)
	go func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		done <- fn()
	}()
	select {
	case rv := <-done:
		if rv != C.SCARD_S_SUCCESS {
			return &Error{Op: op, Err: Code(uint32(rv))}
		}
		return nil
	case <-ctx.Done():
		c.stuck.Store(true)
		if h := c.hctx; h != 0 {
			go func() { C.pcsc_cancel(h) }() // ends a waiting SCardGetStatusChange; may itself block on a hung pcscd
		}
		return &Error{Op: op, Err: ctx.Err()}
	}
}

func (c *libClient) ListReaders(ctx context.Context) ([]string, error) {
	var out []byte
	err := c.do(ctx, "list readers", func() C.LONG {
		var n C.DWORD
		if rv := C.pcsc_list(c.hctx, nil, &n); rv != C.SCARD_S_SUCCESS {
			return rv
		}
		if n == 0 || n > maxReaderList {
			n = maxReaderList
		}
		buf := (*C.char)(C.malloc(C.size_t(n)))
		defer C.free(unsafe.Pointer(buf))
		rv := C.pcsc_list(c.hctx, buf, &n)
		if rv == C.SCARD_S_SUCCESS {
			out = C.GoBytes(unsafe.Pointer(buf), C.int(min(n, maxReaderList)))
		}
		return rv
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range bytes.Split(out, []byte{0}) {
		if len(n) > 0 {
			names = append(names, string(n))
		}
	}
	return names, nil
}

func (c *libClient) States(ctx context.Context, readers []string) ([]RawState, error) {
	if len(readers) == 0 {
		return nil, nil
	}
	if len(readers) > MaxReaders {
		readers = readers[:MaxReaders]
	}
	n := len(readers)
	maxATR := int(C.pcsc_max_atr())
	var res []RawState
	err := c.do(ctx, "get reader states", func() C.LONG {
		names := (*[MaxReaders]*C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		states := (*[MaxReaders]C.DWORD)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.DWORD(0)))))
		lens := (*[MaxReaders]C.DWORD)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.DWORD(0)))))
		atrs := (*C.uchar)(C.malloc(C.size_t(n * maxATR)))
		for i, r := range readers {
			names[i] = C.CString(r)
		}
		defer func() {
			for i := range n {
				C.free(unsafe.Pointer(names[i]))
			}
			C.free(unsafe.Pointer(names))
			C.free(unsafe.Pointer(states))
			C.free(unsafe.Pointer(lens))
			C.free(unsafe.Pointer(atrs))
		}()
		rv := C.pcsc_states(c.hctx, &names[0], C.int(n), &states[0], atrs, &lens[0])
		if rv == C.SCARD_S_SUCCESS || Code(uint32(rv)) == ErrTimeout {
			all := C.GoBytes(unsafe.Pointer(atrs), C.int(n*maxATR))
			for i, r := range readers {
				l := min(int(lens[i]), maxATR)
				res = append(res, RawState{Reader: r, State: uint32(states[i]),
					ATR: append([]byte(nil), all[i*maxATR:i*maxATR+l]...)})
			}
			rv = C.SCARD_S_SUCCESS
		}
		return rv
	})
	return res, err
}

func (c *libClient) Features(ctx context.Context, reader string) ([]byte, error) {
	var out []byte
	err := c.do(ctx, "ask the reader for its features", func() C.LONG {
		const capacity = 256
		buf := (*C.uchar)(C.malloc(capacity))
		defer C.free(unsafe.Pointer(buf))
		name := C.CString(reader)
		defer C.free(unsafe.Pointer(name))
		n := C.DWORD(capacity)
		rv := C.pcsc_features(c.hctx, name, buf, &n)
		if rv == C.SCARD_S_SUCCESS {
			out = C.GoBytes(unsafe.Pointer(buf), C.int(min(n, capacity)))
		}
		return rv
	})
	return out, err
}

func (c *libClient) WaitChange(ctx context.Context, known []RawState, timeout time.Duration) error {
	if len(known) > MaxReaders {
		known = known[:MaxReaders]
	}
	n := len(known)
	ms := C.DWORD(max(timeout.Milliseconds(), 1))
	// The call ends by itself at timeout; ctx (timeout plus a margin) only
	// catches a hung service.
	ctx, cancel := context.WithTimeout(ctx, timeout+2*time.Second)
	defer cancel()
	err := c.do(ctx, "wait for a reader change", func() C.LONG {
		names := (*[MaxReaders + 1]*C.char)(C.malloc(C.size_t(n+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		states := (*[MaxReaders + 1]C.DWORD)(C.malloc(C.size_t(n+1) * C.size_t(unsafe.Sizeof(C.DWORD(0)))))
		for i, k := range known {
			names[i] = C.CString(k.Reader)
			states[i] = C.DWORD(k.State)
		}
		defer func() {
			for i := range n {
				C.free(unsafe.Pointer(names[i]))
			}
			C.free(unsafe.Pointer(names))
			C.free(unsafe.Pointer(states))
		}()
		return C.pcsc_wait(c.hctx, &names[0], C.int(n), &states[0], ms)
	})
	if errors.Is(err, ErrTimeout) {
		return nil // nothing changed: the caller looks again
	}
	return err
}

// Close releases the context, waiting at most a second for a hung
// service.
func (c *libClient) Close() error {
	if c.stuck.Load() {
		return nil // the release would queue behind the stuck call
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return c.do(ctx, "release context", func() C.LONG { return C.pcsc_release(c.hctx) })
}
