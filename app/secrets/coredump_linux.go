package secrets

import "golang.org/x/sys/unix"

// DisableCoreDumps makes sure a crash of this process writes no core
// dump, which would hold the PIN and the session with the card: the core
// size limit goes to 0 (RLIMIT_CORE, soft and hard, so no child raises
// it), and the process is marked not dumpable (PR_SET_DUMPABLE 0), which
// also covers core handlers such as systemd-coredump and keeps other
// processes of the same user from reading its memory through ptrace or
// /proc/PID/mem. Call it before the first PIN is read; the CLI does in
// tokens and check, and the GUI should at start.
func DisableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
