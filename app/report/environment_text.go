package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/termsafe"
)

// WriteEnvironmentText prints the header of a check report: when, with
// which cardcheck, on which system, through which module, on which card.
func WriteEnvironmentText(w io.Writer, env *environment.Environment) {
	w = termsafe.Writer(w)
	WriteHostText(w, env.Host)
	if m := env.Module; m != nil {
		fmt.Fprintf(w, "Module:    %s\n", safe(m.Path))
		if lib := joinNonEmpty(" ", m.Description, versionText(m.LibraryVersion)); lib != "" {
			fmt.Fprintf(w, "           %s\n", safe(joinNonEmpty(", ", lib, m.Manufacturer)))
		}
	}
	if t := env.Token; t != nil {
		fmt.Fprintf(w, "Token:     %q %s\n", t.Label, safe(joinNonEmpty(", ", joinNonEmpty(" ", t.Manufacturer, t.Model),
			prefixed("serial ", t.Serial), prefixed("firmware ", t.FirmwareVersion), prefixed("hardware ", t.HardwareVersion))))
	}
}

// WriteHostText prints the time and this program and system (the header
// of `tokens`, and the top of a check report's header).
func WriteHostText(w io.Writer, h environment.Host) {
	w = termsafe.Writer(w)
	fmt.Fprintf(w, "Time:      %s\n", h.Time)
	fmt.Fprintf(w, "cardcheck: %s\n", HostText(h))
}

// HostText is one line about this program and system:
// "0.1.0 on linux/amd64 (Debian GNU/Linux 12 (bookworm)), go1.26.0".
func HostText(h environment.Host) string {
	s := fmt.Sprintf("%s on %s/%s", h.CardcheckVersion, h.OS, h.Arch)
	if h.OSName != "" {
		s += " (" + h.OSName + ")"
	}
	if h.GoVersion != "" {
		s += ", " + h.GoVersion
	}
	return s
}

// Count is "1 byte", "2 bytes", "0 bytes": English plurals for report text.
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func versionText(v string) string { return prefixed("version ", v) }

func prefixed(prefix, v string) string {
	if v == "" {
		return ""
	}
	return prefix + v
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
