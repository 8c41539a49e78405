package pcsc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
)

// The ATR list is pcsc-tools' smartcard_list.txt (Ludovic Rousseau's list
// of known cards, GPL): an ATR as a regular expression at the start of a
// line ("3B 8F 80 01 80 4F 0C A0 .. .."), then one or more lines starting
// with a tab that describe the card, then an empty line; '#' starts a
// comment. Debian and Ubuntu ship it in pcsc-tools
// (/usr/share/pcsc/smartcard_list.txt); Homebrew's pcsc-tools installs it
// under its share/pcsc. On other systems (Windows, macOS without
// Homebrew) download the current list from
// https://pcsc-tools.apdu.fr/smartcard_list.txt to ~/.cache/smartcard_list.txt,
// where pcsc-tools' own ATR_analysis looks too.

// ATR list bounds: the file (about 0.5 MB today), a line, the entries.
const (
	MaxATRListBytes   = 8 << 20
	maxATRLineBytes   = 64 << 10
	MaxATRListEntries = 100000
	maxNamesPerATR    = 32
)

// ATRList maps ATRs to card names.
type ATRList struct {
	entries []*atrEntry
}

type atrEntry struct {
	pattern string // as in the file, upper case, single spaces
	prefix  string // the literal start of pattern, to skip most entries quickly
	names   []string

	once sync.Once
	re   *regexp.Regexp // nil when the pattern is not a valid expression
}

// Len is the number of ATR patterns in the list.
func (l *ATRList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// ParseATRList reads a list in smartcard_list.txt syntax, up to
// MaxATRListBytes and MaxATRListEntries. A malformed entry is skipped;
// only a read error or a line longer than 64 KiB is an error (with the
// entries read so far).
func ParseATRList(r io.Reader) (*ATRList, error) {
	l := &ATRList{}
	sc := bufio.NewScanner(io.LimitReader(r, MaxATRListBytes))
	sc.Buffer(make([]byte, 4096), maxATRLineBytes)
	var cur *atrEntry
	flush := func() {
		if cur != nil && len(cur.names) > 0 && len(l.entries) < MaxATRListEntries {
			l.entries = append(l.entries, cur)
		}
		cur = nil
	}
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == '\t' || line[0] == ' ':
			if cur != nil && len(cur.names) < maxNamesPerATR {
				if n := strings.TrimSpace(line); n != "" {
					cur.names = append(cur.names, n)
				}
			}
		default:
			flush()
			p := normalizePattern(line)
			cur = &atrEntry{pattern: p, prefix: literalPrefix(p)}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return l, fmt.Errorf("ATR list: %w", err)
	}
	return l, nil
}

// normalizePattern upper-cases the hex digits and collapses blanks.
func normalizePattern(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

// literalPrefix is the part of a pattern before its first metacharacter.
func literalPrefix(p string) string {
	if i := strings.IndexAny(p, `.[]()*+?{}|\^$`); i >= 0 {
		return p[:i]
	}
	return p
}

func (e *atrEntry) matches(atr string) bool {
	if !strings.HasPrefix(atr, e.prefix) {
		return false
	}
	if e.prefix == e.pattern {
		return atr == e.pattern
	}
	e.once.Do(func() {
		// The list's expressions are Perl's, matched whole and case-blind
		// (ATR_analysis); Go's RE2 takes the ones in use and runs in
		// linear time whatever the file holds.
		e.re, _ = regexp.Compile(`^(?i:` + e.pattern + `)$`)
	})
	return e.re != nil && e.re.MatchString(atr)
}

// Lookup returns the descriptions of every entry matching the ATR, in
// the list's order (exact entries and patterns alike).
func (l *ATRList) Lookup(atr []byte) []string {
	if l == nil || len(atr) == 0 {
		return nil
	}
	s := FormatATR(atr)
	var out []string
	for _, e := range l.entries {
		if e.matches(s) {
			out = append(out, e.names...)
		}
	}
	return out
}

// Merge returns a list holding l's entries, then o's (either may be nil).
func (l *ATRList) Merge(o *ATRList) *ATRList {
	out := &ATRList{}
	for _, x := range []*ATRList{l, o} {
		if x == nil {
			continue
		}
		out.entries = append(out.entries, x.entries...)
	}
	return out
}

// ATRListPaths are where the list is looked for, in order: the user's
// copies (as pcsc-tools' ATR_analysis reads them), then the system's.
func ATRListPaths() []string {
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".cache", "smartcard_list.txt"), filepath.Join(home, ".smartcard_list.txt"))
	}
	switch runtime.GOOS {
	case "darwin":
		out = append(out, "/opt/homebrew/share/pcsc/smartcard_list.txt", "/usr/local/share/pcsc/smartcard_list.txt")
	case "windows":
	default:
		out = append(out, "/usr/share/pcsc/smartcard_list.txt", "/usr/local/share/pcsc/smartcard_list.txt")
	}
	return out
}

// LoadATRList reads and merges the lists that exist among paths. It
// returns the files it read; a missing file is not an error.
func LoadATRList(paths []string) (l *ATRList, read []string, err error) {
	l = &ATRList{}
	var errs []error
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		one, perr := ParseATRList(f)
		f.Close()
		if perr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, perr))
		}
		l = l.Merge(one)
		read = append(read, p)
	}
	return l, read, errors.Join(errs...)
}
