package diagnose

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cardcheck/cardcheck/app/termsafe"
)

// WriteJSON writes the report as indented JSON, redacted when redact is
// true.
func (r *Report) WriteJSON(w io.Writer, redact bool) error {
	if redact {
		r = r.Redact()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Control names something the reader of a report can use to change it:
// a flag in the CLI, a control in the GUI. The report names it by code
// and the caller words it (WriteTextNaming), so that the same report
// says "--full" in a terminal and names the check box in a window.
type Control string

// Controls a report refers to.
const (
	ControlFull Control = "full" // show names and serials (CLI: --full)
)

// CLIControl names a control as the CLI's flag.
func CLIControl(c Control) string {
	switch c {
	case ControlFull:
		return "--full"
	}
	return string(c)
}

// WriteText writes the report as readable text for a ticket or a forum,
// redacted when redact is true: findings first, then each layer from the
// system up to the certificates. It names the CLI's flags.
func (r *Report) WriteText(w io.Writer, redact bool) error {
	return r.WriteTextNaming(w, redact, CLIControl)
}

// WriteTextNaming is WriteText with the controls named by name (a GUI
// names its own).
func (r *Report) WriteTextNaming(w io.Writer, redact bool, name func(Control) string) error {
	if redact {
		r = r.Redact()
	}
	bw := bufio.NewWriter(w)                 // one write, not one per line
	ew := &errWriter{w: termsafe.Writer(bw)} // names and labels come from cards and modules
	r.writeText(ew, name)
	if err := bw.Flush(); ew.err == nil {
		ew.err = err
	}
	return ew.err
}

func (r *Report) writeText(w io.Writer, name func(Control) string) {
	h := r.Environment
	fmt.Fprintf(w, "cardcheck diagnostics — %s\n", h.Time)
	if r.Redacted {
		fmt.Fprintf(w, "(redacted: names, e-mail addresses and serial numbers are replaced by placeholders; %s shows them)\n", name(ControlFull))
	}
	fmt.Fprintln(w)
	r.writeFindings(w)

	fmt.Fprintln(w, "System")
	osName := h.OSName
	if osName == "" {
		osName = h.OS
	}
	fmt.Fprintf(w, "  %s (%s/%s), cardcheck %s, %s\n", osName, h.OS, h.Arch, h.CardcheckVersion, h.GoVersion)
	for _, c := range r.Versions {
		fmt.Fprintf(w, "  %s %s (%s)\n", c.Name, c.Version, c.Source)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Smart-card service: %s", r.Service.State)
	if r.Service.Error != nil {
		fmt.Fprintf(w, " (%s)", *r.Service.Error)
	}
	fmt.Fprintln(w)
	if len(r.ATRList.Files) == 0 {
		fmt.Fprintln(w, "ATR list: none installed (Debian/Ubuntu: pcsc-tools), card names unknown")
	} else {
		fmt.Fprintf(w, "ATR list: %s (%d entries)\n", strings.Join(r.ATRList.Files, ", "), r.ATRList.Entries)
	}
	fmt.Fprintln(w)

	r.writeReaders(w)
	r.writeModules(w)
	r.writeTokens(w)
}

func (r *Report) writeFindings(w io.Writer) {
	if len(r.Diagnosis) == 0 {
		fmt.Fprint(w, "Diagnosis: no problem found below the token list.\n\n")
		return
	}
	fmt.Fprintln(w, "Diagnosis")
	WriteFindings(w, r.Diagnosis, "  ")
	fmt.Fprintln(w)
}

// WriteFindings writes findings as a list with their advice, each line
// starting with indent (the `tokens` listing uses it too).
func WriteFindings(w io.Writer, fs []Finding, indent string) {
	for _, f := range fs {
		fmt.Fprintf(w, "%s- %s [%s]\n", indent, f.Message, f.Code)
		for _, a := range f.Advice {
			fmt.Fprintf(w, "%s    %s\n", indent, a)
		}
	}
}

func (r *Report) writeReaders(w io.Writer) {
	fmt.Fprintf(w, "Readers (%d)\n", len(r.Readers))
	for _, rd := range r.Readers {
		var marks []string
		if rd.PINPad.Present() {
			marks = append(marks, "PIN pad")
		}
		if rd.Unavailable {
			marks = append(marks, "unavailable")
		}
		m := ""
		if len(marks) > 0 {
			m = " [" + strings.Join(marks, ", ") + "]"
		}
		fmt.Fprintf(w, "  %s%s\n", rd.Name, m)
		if !rd.CardPresent {
			fmt.Fprintln(w, "    no card")
			continue
		}
		name := strings.Join(rd.CardNames, "; ")
		if name == "" {
			name = "not in the ATR list"
			if rd.CardType != "" {
				name += ", announces " + rd.CardType
			}
		}
		fmt.Fprintf(w, "    card: ATR %s (%s)\n", rd.ATR, name)
		switch {
		case rd.Exclusive:
			fmt.Fprintln(w, "    held exclusively by another program")
		case rd.Mute:
			fmt.Fprintln(w, "    the card does not answer")
		}
		if len(rd.Tokens) == 0 {
			fmt.Fprintln(w, "    no PKCS#11 module shows this reader")
		}
		for _, t := range rd.Tokens {
			state := "listed"
			switch {
			case t.Error != nil:
				state = "error: " + *t.Error
			case !t.Initialized:
				state = "not initialized"
			case !t.Listed:
				state = "not listed"
			}
			fmt.Fprintf(w, "    token %q serial %s via %s (slot %d): %s\n", t.Label, t.Serial, t.Module, t.Slot, state)
		}
	}
	fmt.Fprintln(w)
}

func (r *Report) writeModules(w io.Writer) {
	fmt.Fprintf(w, "PKCS#11 modules (%d)\n", len(r.Modules))
	for _, m := range r.Modules {
		if m.Error != nil {
			fmt.Fprintf(w, "  %s (%s): cannot be used: %s\n", m.Path, m.Source, *m.Error)
			continue
		}
		fmt.Fprintf(w, "  %s (%s): %s %s, version %s\n", m.Path, m.Source, m.Manufacturer, m.Description, m.LibraryVersion)
	}
	fmt.Fprintln(w)
}

func (r *Report) writeTokens(w io.Writer) {
	fmt.Fprintf(w, "Tokens (%d)\n", len(r.Tokens))
	for _, t := range r.Tokens {
		where := t.Reader
		if where == "" {
			where = "no reader (software token or unmatched slot: " + t.SlotDescription + ")"
		}
		fmt.Fprintf(w, "  %q serial %s, %s %s, PIN %s%s\n", t.Label, t.Serial, t.Manufacturer, t.Model, t.PINState, pinPadNote(t))
		fmt.Fprintf(w, "    module %s, reader %s\n", t.Module, where)
		if t.Error != nil {
			fmt.Fprintf(w, "    problem reading the token: %s\n", *t.Error)
		}
		if len(t.Certificates) == 0 {
			fmt.Fprintln(w, "    no certificates")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range t.Certificates {
			problems := "ok"
			if len(c.Problems) > 0 {
				problems = strings.Join(c.Problems, ", ")
			}
			if c.ParseError != nil {
				problems = "unreadable: " + *c.ParseError
			}
			fmt.Fprintf(tw, "    cert\t%s\t%s\tissuer %s\tserial %s\tuntil %s\t%s\n", c.Subject, c.Key, c.Issuer, c.Serial, c.NotAfter, problems)
		}
		tw.Flush()
	}
}

func pinPadNote(t Token) string {
	if t.Flags.ProtectedAuthPath {
		return " (PIN pad)"
	}
	return ""
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}
