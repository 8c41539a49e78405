//go:build !linux

package pivemu

import "net"

func setLowLatency(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
}

func quickAck(net.Conn) {}
