package isolate

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// cacheVersion changes when a newer cardcheck judges modules differently:
// older answers are then ignored.
const cacheVersion = 1

// Bounds of the cache file: one entry is about 300 bytes; a machine has a
// handful of modules, a developer's a few dozen builds of one.
const (
	maxEntries   = 64
	maxCacheFile = 256 << 10
)

// fileID is what makes a module file the same file: a rebuilt, replaced or
// touched module is vetted again.
type fileID struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	CTime int64  `json:"ctime_ns"`
	Inode uint64 `json:"inode"`
	Dev   uint64 `json:"dev"`
}

type entry struct {
	fileID
	Result  Result    `json:"result"`
	Checked time.Time `json:"checked"`
}

type cacheFile struct {
	Version int     `json:"version"`
	Entries []entry `json:"entries"`
}

// cache is the file of answers. A nil cache stores nothing.
type cache struct {
	file string
	mu   sync.Mutex
}

func (c *cache) read() []entry {
	f, err := os.Open(c.file)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil || len(b) > maxCacheFile {
		return nil // a file this big is not ours: start afresh
	}
	var cf cacheFile
	if json.Unmarshal(b, &cf) != nil || cf.Version != cacheVersion {
		return nil
	}
	return cf.Entries
}

func (c *cache) lookup(id fileID, now time.Time) (Result, bool) {
	if c == nil {
		return Result{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.read() {
		if e.fileID != id {
			continue
		}
		if e.Result.Verdict == Hung && now.Sub(e.Checked) > HangRetry {
			return Result{}, false
		}
		return e.Result, true
	}
	return Result{}, false
}

// store adds or replaces id's answer, keeps the newest maxEntries, and
// writes the file atomically (a temporary file renamed over it), so that a
// reader never sees half a file. Errors are ignored: without a cache
// cardcheck is slower, not wrong.
func (c *cache) store(id fileID, r Result, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r.Cached = false
	entries := []entry{{fileID: id, Result: r, Checked: now}}
	for _, e := range c.read() {
		if e.Path != id.Path {
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Checked.After(entries[j].Checked) })
	if len(entries) > maxEntries {
		entries = entries[:maxEntries]
	}
	b, err := json.Marshal(cacheFile{Version: cacheVersion, Entries: entries})
	if err != nil {
		return
	}
	dir := filepath.Dir(c.file)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".modules-*.json")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.file) != nil {
		os.Remove(tmp.Name())
	}
}
