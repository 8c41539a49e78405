//go:build linux && cgo

package memtrim

/*
#include <malloc.h>
*/
import "C"

// Trim gives the C heap's free memory back to the system: glibc keeps
// what the GL driver frees (textures, shader compilation) for its next
// allocations, and returns only the top of its main heap by itself.
func Trim() { C.malloc_trim(0) }
