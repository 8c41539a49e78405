//go:build unix && !linux

package secrets

import "golang.org/x/sys/unix"

// DisableCoreDumps sets the core size limit to 0 where the system has
// one (see the Linux version, which also marks the process not dumpable).
func DisableCoreDumps() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
}
