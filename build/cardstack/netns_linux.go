package cardstack

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// dialInNetns connects to addr from inside the network namespace at nsPath
// (e.g. /proc/PID/ns/net). A socket belongs to the namespace it was
// created in, so only the dial runs on a thread moved into the namespace;
// the connection is then used from anywhere in the process. If the thread
// cannot be moved back, it stays locked and the runtime retires it when
// the goroutine ends.
func dialInNetns(ctx context.Context, nsPath, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		conn, restored, err := dialOnThisThread(ctx, nsPath, addr)
		if restored {
			runtime.UnlockOSThread()
		}
		ch <- result{conn, err}
	}()
	r := <-ch
	return r.conn, r.err
}

func dialOnThisThread(ctx context.Context, nsPath, addr string) (conn net.Conn, restored bool, err error) {
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return nil, true, err
	}
	defer orig.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		return nil, true, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("enter the network namespace of pcscd: %w", err)
	}
	var d net.Dialer
	conn, err = d.DialContext(ctx, "tcp", addr)
	restored = unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil
	return conn, restored, err
}
