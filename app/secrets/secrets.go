// Package secrets keeps the PIN out of places it could leak to after it
// was typed: core dumps, and buffers left in memory.
package secrets

// Clear overwrites b with zeros. Use it on every buffer that held a PIN
// once the PIN has been handed on. (A Go string made from the PIN cannot
// be cleared; the token layer takes one, so keep that copy's life short.)
func Clear(b []byte) {
	clear(b)
}
