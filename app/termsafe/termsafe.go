// Package termsafe keeps text that came from a server, a card or a module
// from driving the terminal it is printed on. A certificate subject, an
// HTTP reason phrase or a token label may hold an escape sequence that
// retitles the terminal, moves the cursor or repaints a line: written raw
// it could forge the verdict line. Every text writer of cardcheck goes
// through this package — the report's text (app/report), the CLI's
// messages on stderr — so the rule lives in one place.
//
// The rule: control characters (C0 except where a layout allows them,
// DEL, C1), bidirectional and other invisible format characters, and
// bytes that are not UTF-8 are shown escaped, as \x1b, \u202e or \xff.
// Printable text, including any script, passes unchanged. Escaping is
// idempotent: what it writes contains no character it would escape.
// JSON needs none of this: encoding/json escapes control characters.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with every character escaped that a terminal could
// take as a command, newlines and tabs too: for one value inside a line
// (a subject, a label, a reason phrase), where a newline from the other
// side could start a forged line of our own.
func String(s string) string {
	if clean(s, false) {
		return s
	}
	var b strings.Builder
	escape(&b, s, false)
	return b.String()
}

// Text is String for multi-line text of our own making that embeds
// values from elsewhere: newlines and tabs stay, the rest is escaped.
func Text(s string) string {
	if clean(s, true) {
		return s
	}
	var b strings.Builder
	escape(&b, s, true)
	return b.String()
}

// clean reports whether s needs no escaping.
func clean(s string, layout bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return cleanSlow(s[i:], layout)
		}
	}
	return true
}

func cleanSlow(s string, layout bool) bool {
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size <= 1 || unsafe(r, layout) {
			return false
		}
		s = s[size:]
	}
	return true
}

// unsafe reports whether r must be shown escaped. layout allows newline
// and tab.
func unsafe(r rune, layout bool) bool {
	switch {
	case layout && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	}
	// Cf: bidirectional overrides (U+202E can reverse what follows),
	// zero-width characters, soft hyphens — invisible, yet they change
	// what a reader sees. U+2028/2029 break lines in some terminals.
	return unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029
}

func escape(b *strings.Builder, s string, layout bool) {
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(b, `\x%02x`, s[0])
		case r < 0x80 && unsafe(r, layout):
			fmt.Fprintf(b, `\x%02x`, r)
		case unsafe(r, layout):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
}

// Writer returns a writer that passes everything written through Text
// before w: the last line of defence for text output, catching what no
// writer escaped itself. A UTF-8 sequence split across two writes is
// kept until it is whole.
func Writer(w io.Writer) io.Writer {
	if _, ok := w.(*writer); ok {
		return w
	}
	return &writer{w: w}
}

type writer struct {
	w       io.Writer
	pending []byte // the start of a UTF-8 sequence cut by the last write
}

func (w *writer) Write(p []byte) (int, error) {
	buf := append(w.pending, p...)
	w.pending = nil
	cut := incompleteTail(buf)
	if cut < len(buf) {
		w.pending = append([]byte(nil), buf[cut:]...)
		buf = buf[:cut]
	}
	if _, err := io.WriteString(w.w, Text(string(buf))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// incompleteTail returns where a UTF-8 sequence that is cut off at the end
// of b starts (len(b) when none is).
func incompleteTail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xc0 { // a leading byte: is its sequence whole?
			if !utf8.FullRune(b[i:]) {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}
