//go:build !linux || !cgo

package memtrim

// Trim does nothing: the C heap is glibc's only on Linux, and reachable
// only with cgo.
func Trim() {}
