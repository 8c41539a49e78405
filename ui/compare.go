package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// compareVersions are the two tests of Compare TLS 1.2 and 1.3, in the
// order they run and are shown (left, right).
var compareVersions = [2]string{"1.2", "1.3"}

// compareView shows two tests of the same certificate side by side, TLS
// 1.2 on the left and TLS 1.3 on the right, each with its counts, and the
// differences in a few sentences above them. The two diagrams scroll
// together, aligned message by message (alignSteps).
type compareView struct {
	caption *widget.Label
	cols    [2]*compareColumn
	pane    *container.Scroll
	content fyne.CanvasObject
}

// compareColumn is one of the two tests.
type compareColumn struct {
	title   *widget.Label
	verdict *badge
	counts  *widget.Label // messages, encrypted, round trips
	info    *note         // time, address; cipher suite
	ladder  *ladder
}

// compareTopMax bounds the height of the text above the two diagrams.
const compareTopMax = 110

func newCompareView() *compareView {
	v := &compareView{caption: &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}}
	var heads, titles, ladders [2]fyne.CanvasObject
	for i, version := range compareVersions {
		c := &compareColumn{
			title:   &widget.Label{Text: tlsLabel(version), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
			verdict: newBadge("", theme.ColorNameForeground),
			counts:  &widget.Label{Wrapping: fyne.TextWrapWord},
			info:    newNote("", theme.SizeNameCaptionText),
			ladder:  newLadder(compactLadder, nil),
		}
		c.verdict.Hide()
		v.cols[i] = c
		heads[i] = container.New(&tightVBox{}, container.NewBorder(nil, nil, nil, c.verdict, c.title), c.counts, c.info)
		titles[i] = newLadderTitles(compactLadder)
		ladders[i] = c.ladder
	}
	twinWith(v.cols[0].ladder, v.cols[1].ladder)
	// The differences and the two heads scroll beyond compareTopMax, so
	// that on a small screen they cannot make the window taller than it.
	head := container.NewVBox(v.caption, container.NewGridWithColumns(2, heads[0], heads[1]))
	top := container.NewVBox(
		container.New(&cappedHeight{body: head, max: func() float32 { return compareTopMax }}, container.NewVScroll(head)),
		container.NewGridWithColumns(2, titles[0], titles[1]),
	)
	v.pane = container.NewVScroll(container.NewGridWithColumns(2, ladders[0], ladders[1]))
	v.content = container.NewBorder(top, nil, nil, nil, v.pane)
	v.content.Hide()
	return v
}

// running empties both sides for a new comparison.
func (v *compareView) running() {
	v.caption.SetText(lang.L("The same test runs twice with the same certificate and the same login: first with TLS 1.2, then with TLS 1.3."))
	for _, c := range v.cols {
		c.ladder.clear()
		c.verdict.Hide()
		c.counts.SetText(lang.L("Waiting…"))
		c.info.SetText("")
	}
	v.pane.ScrollToTop()
}

// started says that test i runs now, against url.
func (v *compareView) started(i int, url string) {
	v.cols[i].counts.SetText(lang.L("Testing {{.URL}}", map[string]any{"URL": url}))
}

// addStep shows a message of test i as it arrives.
func (v *compareView) addStep(i int, s tlstrace.Step) {
	v.cols[i].ladder.add(s)
	v.align()
}

// align puts the same message on the same row on both sides.
func (v *compareView) align() {
	a, b := v.cols[0].ladder, v.cols[1].ladder
	rows := alignSteps(a.steps, b.steps)
	var slots [2][]int
	for _, r := range rows {
		slots[0] = append(slots[0], r[0])
		slots[1] = append(slots[1], r[1])
	}
	a.setSlots(slots[0])
	b.setSlots(slots[1])
}

// show fills both sides in from the two results.
func (v *compareView) show(res [2]*probe.Result) {
	for i, c := range v.cols {
		r := res[i]
		c.ladder.setSteps(r.Steps)
		name, _ := verdictLook(r.Verdict)
		c.verdict.set(verdictShort(r.Verdict), name)
		c.verdict.Show()
		c.counts.SetText(handshakeCounts(r))
		c.info.SetText(compareInfo(r))
	}
	v.align()
	v.caption.SetText(compareText(res[0], res[1]))
	v.pane.Refresh()
}

// setExplain writes the explanations into both diagrams, or removes them.
func (v *compareView) setExplain(on bool) {
	for _, c := range v.cols {
		c.ladder.setExplain(on)
	}
	v.pane.Refresh()
}

// compareInfo is the text under a side's counts: the handshake time and
// the address tested, then the cipher suite whole on a line of its own
// (a column is narrow, and a suite's name is one long word).
func compareInfo(r *probe.Result) string {
	var parts []string
	if len(r.Steps) > 0 {
		parts = append(parts, lang.L("handshake {{.Ms}} ms", map[string]any{"Ms": fmt.Sprintf("%.1f", r.Timings.HandshakeMs)}))
	}
	parts = append(parts, r.URL)
	info := strings.Join(parts, " · ")
	if r.TLS.CipherSuite != "" {
		info += "\n" + r.TLS.CipherSuite
	}
	return info
}

// alignRow is one row of a comparison: the index of a message in each
// handshake, -1 on the side that has no such message (a gap).
type alignRow [2]int

// alignSteps lines two handshakes up so that the same message — the same
// name sent by the same side — sits on the same row, in each handshake's
// order, with a gap on the side that lacks a message: the longest common
// subsequence of (sender, message) keys, every other message on a row of
// its own. A TLS 1.2 and a TLS 1.3 handshake share ClientHello,
// ServerHello, the server's Certificate and the client's Certificate,
// CertificateVerify and Finished; ServerKeyExchange, ServerHelloDone and
// ClientKeyExchange are TLS 1.2's, EncryptedExtensions is TLS 1.3's, and
// the server's Finished comes at a different place in each.
//
// Where two alignments are equally long, b's unmatched messages come
// first: that keeps a TLS 1.3 server's flight (EncryptedExtensions,
// CertificateRequest) above its Certificate, which then matches TLS
// 1.2's, rather than matching the CertificateRequest that the two
// versions send in a different order.
func alignSteps(a, b []tlstrace.Step) []alignRow {
	key := func(s tlstrace.Step) string { return s.From + "\x00" + s.Message }
	// common[i][j]: length of the longest common subsequence of a[i:], b[j:].
	common := make([][]int, len(a)+1)
	for i := range common {
		common[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if key(a[i]) == key(b[j]) {
				common[i][j] = common[i+1][j+1] + 1
			} else {
				common[i][j] = max(common[i+1][j], common[i][j+1])
			}
		}
	}
	rows := make([]alignRow, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && key(a[i]) == key(b[j]):
			rows = append(rows, alignRow{i, j})
			i++
			j++
		case j < len(b) && (i == len(a) || common[i][j+1] >= common[i+1][j]):
			rows = append(rows, alignRow{-1, j})
			j++
		default:
			rows = append(rows, alignRow{i, -1})
			i++
		}
	}
	return rows
}

// compareText says in a few sentences how the two handshakes differ:
// which messages were encrypted, which messages only one of them has,
// what that means for the certificates on the wire, and whether the
// verdicts differ. (The counts are above each diagram: handshakeCounts.)
func compareText(a, b *probe.Result) string {
	var lines []string
	complete := a.Error == nil && b.Error == nil
	ha, hb := handshakeSteps(a.Steps), handshakeSteps(b.Steps)
	if complete && len(ha) > 0 && len(hb) > 0 {
		var enc []string
		for i, hs := range [][]tlstrace.Step{ha, hb} {
			names := encryptedNames(hs)
			if len(names) == 0 {
				enc = append(enc, lang.L("Nothing is encrypted in TLS {{.Version}}.", map[string]any{"Version": compareVersions[i]}))
				continue
			}
			enc = append(enc, lang.L("Encrypted in TLS {{.Version}}: {{.Messages}}.", map[string]any{"Version": compareVersions[i], "Messages": strings.Join(names, ", ")}))
		}
		lines = append(lines, strings.Join(enc, " "))
		var only []string
		for i, d := range [][]string{missingFrom(ha, hb), missingFrom(hb, ha)} {
			if len(d) > 0 {
				only = append(only, lang.L("Only in TLS {{.Version}}: {{.Messages}}.", map[string]any{"Version": compareVersions[i], "Messages": strings.Join(d, ", ")}))
			}
		}
		if len(only) > 0 {
			lines = append(lines, strings.Join(only, " "))
		}
		if encA, encB := clientCertEncrypted(ha), clientCertEncrypted(hb); encA != nil && encB != nil && !*encA && *encB {
			lines = append(lines, lang.L("In TLS 1.3 the certificates travel encrypted; in TLS 1.2 anyone on the network can read them, your name included."))
		}
	}
	if a.Verdict != b.Verdict {
		lines = append(lines, lang.L("The verdicts differ: TLS 1.2 {{.A}}, TLS 1.3 {{.B}}.", map[string]any{"A": verdictShort(a.Verdict), "B": verdictShort(b.Verdict)}))
	}
	return strings.Join(lines, "\n")
}

// handshakeCounts sums one handshake up: how many messages before the
// request (handshakeSteps), how many of them encrypted, how many round
// trips; or why the test did not complete.
func handshakeCounts(r *probe.Result) string {
	hs := handshakeSteps(r.Steps)
	if r.Error != nil || len(hs) == 0 {
		reason := sentence(r.SummaryMsg, r.Summary)
		if r.Error != nil && r.Error.Message != "" {
			reason = sentence(r.Error.MessageMsg, r.Error.Message)
		}
		return lang.L("The test did not complete: {{.Reason}}", map[string]any{"Reason": reason})
	}
	n := 0
	for _, s := range hs {
		if s.Encrypted {
			n++
		}
	}
	rt := roundTrips(r.Steps)
	return strings.Join([]string{
		lang.N("{{.Count}} handshake messages", len(hs), map[string]any{"Count": len(hs)}),
		lang.N("{{.Count}} encrypted", n, map[string]any{"Count": n}),
		lang.N("{{.Count}} round trips", rt, map[string]any{"Count": rt}),
	}, " · ")
}

// encryptedNames lists the messages that were encrypted, once each.
func encryptedNames(hs []tlstrace.Step) []string {
	var out []string
	for _, s := range hs {
		if s.Encrypted && !slices.Contains(out, s.Message) {
			out = append(out, s.Message)
		}
	}
	return out
}

// handshakeSteps are the messages until the client sends its request
// (its first application data): the handshake the two versions differ
// in. Alerts and tickets sent after the handshake are left out.
func handshakeSteps(steps []tlstrace.Step) []tlstrace.Step {
	var out []tlstrace.Step
	for _, s := range steps {
		if s.Message == "ApplicationData" && s.From == "client" {
			break
		}
		switch s.Message {
		case "ApplicationData", "Alert", "Heartbeat":
			continue
		}
		out = append(out, s)
	}
	return out
}

// roundTrips counts how often the client waits for the server before it
// can send its request: every flight of server messages that comes
// before the request is one round trip (TLS 1.2: two, TLS 1.3: one, or
// two after a HelloRetryRequest). Session tickets do not make the
// client wait.
func roundTrips(steps []tlstrace.Step) int {
	n, prev := 0, ""
	for _, s := range handshakeSteps(steps) {
		if s.Message == "NewSessionTicket" {
			continue
		}
		if s.From == "server" && prev != "server" {
			n++
		}
		prev = s.From
	}
	return n
}

// missingFrom lists the message names in a that b does not have, once
// each, in a's order.
func missingFrom(a, b []tlstrace.Step) []string {
	var out []string
	for _, s := range a {
		found := slices.ContainsFunc(b, func(t tlstrace.Step) bool { return t.Message == s.Message })
		if !found && !slices.Contains(out, s.Message) {
			out = append(out, s.Message)
		}
	}
	return out
}

// clientCertEncrypted says whether the client's Certificate message was
// encrypted on the wire; nil when the client sent none.
func clientCertEncrypted(steps []tlstrace.Step) *bool {
	for _, s := range steps {
		if s.From == "client" && s.Message == "Certificate" {
			enc := s.Encrypted
			return &enc
		}
	}
	return nil
}

// verdictShort is a verdict in a word or two, for badges.
func verdictShort(v probe.Verdict) string {
	switch v {
	case probe.Accepted:
		return lang.L("accepted")
	case probe.Denied:
		return lang.L("access denied")
	case probe.Rejected:
		return lang.L("rejected")
	case probe.NotRequested:
		return lang.L("not requested")
	case probe.ServerUntrusted:
		return lang.L("server untrusted")
	}
	return lang.L("error")
}
