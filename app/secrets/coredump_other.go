//go:build !unix

package secrets

// DisableCoreDumps does nothing where there are no core dumps to disable.
func DisableCoreDumps() error { return nil }
