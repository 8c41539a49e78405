package pivemu

import (
	"net"
	"syscall"
)

// setLowLatency turns off Nagle's algorithm and delayed ACKs: vpcd writes
// a message's length and its bytes separately, and with both on each APDU
// costs about 40 ms (docs/design.md, Field notes).
func setLowLatency(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	quickAck(c)
}

// quickAck sets TCP_QUICKACK, which the kernel clears again on its own,
// so it is renewed after every read.
func quickAck(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
