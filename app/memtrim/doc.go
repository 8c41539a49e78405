// Package memtrim gives memory that C code freed back to the system. The
// desktop window calls it when it settles: most of its memory is the GL
// driver's (Mesa's llvmpipe under software rendering), allocated with
// malloc, which Go's debug.FreeOSMemory does not reach.
package memtrim
