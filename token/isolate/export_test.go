package isolate

import (
	"os"
	"time"
)

// StoreForTest stores an OK answer for path with the identity of the file
// like, without running a child.
func StoreForTest(file, path, like string) {
	st, err := os.Stat(like)
	if err != nil {
		panic(err)
	}
	id := identify(path, st)
	(&cache{file: file}).store(id, Result{Verdict: OK}, time.Now().Add(-time.Hour))
}
