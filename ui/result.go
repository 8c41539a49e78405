package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/report"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/errkind"
)

// resultView shows one test: the handshake as a ladder with the selected
// message's fields and explanation (or, after Compare, two tests side by
// side), the server's chain, what the server asked for, and what the
// server checks in a client certificate with this test's outcomes.
type resultView struct {
	explain     *widget.Check // explanations inline in the diagram
	compareBtn  *widget.Button
	backBtn     *widget.Button // from a comparison back to one test
	connection  *note          // TLS version, suite, HTTP answer, timings
	noSteps     *note
	noStepsBox  *fyne.Container // lays noSteps out again when its text changes
	ladder      *ladder
	ladderPane  *container.Scroll
	message     *messageView
	single      fyne.CanvasObject // the diagram of one test and its message
	compare     *compareView
	handshake   fyne.CanvasObject
	serverState *widget.Label
	serverChain *fyne.Container
	server      fyne.CanvasObject
	reqState    *widget.Label
	reqCAs      *widget.Label
	reqSchemes  *widget.Label
	request     fyne.CanvasObject
	lesson      *lessonView
	res         *probe.Result
	onMessage   func(i int, name string) // a message was selected (the event log)
}

// connectionMaxHeight is about two lines of the connection line.
const connectionMaxHeight = 56

// newResultView builds the view; onExplain is the Explain box changing,
// onCompare the Compare TLS 1.2 and 1.3 button, onBack Back to one test.
func newResultView(onExplain func(bool), onCompare, onBack func()) *resultView {
	v := &resultView{
		explain:     &widget.Check{Text: lang.L("Explain each message in the diagram"), OnChanged: onExplain},
		compareBtn:  &widget.Button{Text: lang.L("Compare TLS 1.2 and 1.3"), Icon: theme.ViewRefreshIcon(), OnTapped: onCompare},
		backBtn:     &widget.Button{Text: lang.L("Back to one test"), Icon: theme.NavigateBackIcon(), OnTapped: onBack},
		connection:  newNote("", theme.SizeNameText),
		noSteps:     newNote(lang.L("The handshake appears here, message by message, when you test a connection."), theme.SizeNameText).centered(),
		message:     newMessageView(),
		serverState: &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		serverChain: container.NewVBox(),
		reqState:    &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		reqCAs:      valueLabel(),
		reqSchemes:  valueLabel(),
		lesson:      newLessonView(),
	}
	v.explain.ExtendBaseWidget(v.explain)
	v.compareBtn.ExtendBaseWidget(v.compareBtn)
	v.backBtn.ExtendBaseWidget(v.backBtn)
	v.ladder = newLadder(fullLadder, v.selectStep)
	v.ladderPane = container.NewVScroll(v.ladder)
	diagram := container.NewBorder(newLadderTitles(fullLadder), nil, nil, nil, v.ladderPane)
	v.noStepsBox = container.New(&centeredBlock{width: 360}, v.noSteps)
	split := container.NewHSplit(container.NewStack(diagram, v.noStepsBox), v.message.content)
	split.Offset = 0.58
	// The connection line grows with notes (fallback, pre-flight,
	// renegotiation); beyond two lines it scrolls, so that the diagram
	// keeps its height on a small screen.
	connection := container.New(&cappedHeight{body: v.connection, max: func() float32 { return connectionMaxHeight }}, container.NewVScroll(v.connection))
	v.single = container.NewBorder(connection, nil, nil, nil, split)
	v.compare = newCompareView()
	toolbar := container.NewBorder(nil, nil, v.explain, container.NewHBox(v.backBtn, v.compareBtn))
	v.handshake = container.NewBorder(toolbar, nil, nil, nil, container.NewStack(v.single, v.compare.content))
	v.server = container.NewVScroll(container.NewVBox(v.serverState, v.serverChain))
	v.request = container.NewVScroll(container.New(layout.NewFormLayout(),
		keyLabel(lang.L("Asked for a certificate")), v.reqState,
		keyLabel(lang.L("Acceptable CAs")), v.reqCAs,
		keyLabel(lang.L("Signature algorithms")), v.reqSchemes))
	v.reset()
	return v
}

// setExplain shows or hides the explanations in the diagrams.
func (v *resultView) setExplain(on bool) {
	v.ladder.setExplain(on)
	v.compare.setExplain(on)
	v.ladderPane.Refresh()
	if i := v.ladder.selected; i >= 0 {
		v.scrollToStep(i)
	}
}

// showSingle shows the diagram of one test (the last one).
func (v *resultView) showSingle() {
	v.compare.content.Hide()
	v.backBtn.Hide()
	v.single.Show()
}

// showCompare shows the two tests of a comparison side by side.
func (v *resultView) showCompare() {
	v.single.Hide()
	v.backBtn.Show()
	v.compare.content.Show()
}

// reset empties the view for a new test.
func (v *resultView) reset() {
	v.res = nil
	v.ladder.clear()
	v.setNoSteps(lang.L("The handshake appears here, message by message, when you test a connection."))
	v.noSteps.Show()
	v.message.show(nil)
	v.connection.SetText("")
	v.connection.Hide()
	v.serverState.Importance = widget.MediumImportance
	v.serverState.SetText(lang.L("No test yet."))
	v.serverChain.Objects = nil
	v.serverChain.Refresh()
	v.reqState.SetText(lang.L("No test yet."))
	v.reqCAs.SetText("—")
	v.reqSchemes.SetText("—")
	v.lesson.show(nil)
	v.showSingle()
	v.ladderPane.Refresh()
}

// setNoSteps changes the note over the empty diagram, and its height.
func (v *resultView) setNoSteps(text string) {
	v.noSteps.SetText(text)
	v.noStepsBox.Refresh()
}

// waiting says that a test started and no message came yet.
func (v *resultView) waiting() {
	v.setNoSteps(lang.L("Waiting for the first message…"))
}

// addStep shows a message as soon as the probe reports it.
func (v *resultView) addStep(s tlstrace.Step) {
	v.noSteps.Hide()
	v.ladder.add(s)
	v.scrollToStep(len(v.ladder.steps) - 1)
}

// show fills every part in from a finished test.
func (v *resultView) show(res *probe.Result) {
	v.res = res
	v.ladder.setSteps(res.Steps)
	v.noSteps.Hidden = len(res.Steps) > 0
	if len(res.Steps) == 0 {
		v.setNoSteps(lang.L("No TLS message was exchanged."))
	}
	v.noSteps.Refresh()
	v.connection.SetText(connectionLine(res))
	v.connection.Show()
	v.showServer(res)
	v.showRequest(res.CertificateRequest)
	checks := res.Checks
	if checks == nil {
		checks = []certcheck.Check{} // tested, but no check was made
	}
	v.lesson.show(checks)
	v.ladderPane.Refresh()
}

// explainFirst selects the message worth explaining first (unless the
// user picked one while the test ran) and scrolls to it.
func (v *resultView) explainFirst() {
	if v.ladder.selected < 0 && len(v.ladder.steps) > 0 {
		v.ladder.Select(firstInteresting(v.ladder.steps))
	} else {
		v.selectStep(v.ladder.selected)
	}
}

// firstInteresting picks the message to explain first: the alert when
// there is one, else the server's CertificateRequest, else the first.
func firstInteresting(steps []tlstrace.Step) int {
	for i, s := range steps {
		if isProblemAlert(s) {
			return i
		}
	}
	for i, s := range steps {
		if s.Message == "CertificateRequest" {
			return i
		}
	}
	return 0
}

func (v *resultView) selectStep(i int) {
	if i < 0 || i >= len(v.ladder.steps) {
		v.message.show(nil)
		return
	}
	s := v.ladder.steps[i]
	v.message.show(&s)
	v.scrollToStep(i)
	if v.onMessage != nil {
		v.onMessage(i, s.Message)
	}
}

// scrollToStep scrolls the diagram so that message i is in view. The
// diagram is first given its new height: the scroll container would do
// that only at its next layout, and it cannot scroll past the old one.
func (v *resultView) scrollToStep(i int) {
	view := v.ladderPane.Size()
	v.ladder.Resize(fyne.NewSize(max(view.Width, v.ladder.geo.minWidth), view.Height)) // grows to its rows
	content := v.ladder.Size()
	y := v.ladderPane.Offset.Y
	top, bottom := v.ladder.rowTop(i), v.ladder.rowTop(i)+v.ladder.rowHeight(i)
	y = max(y, bottom-view.Height)         // below the view
	y = min(y, top)                        // above the view
	y = min(y, content.Height-view.Height) // not past the end
	v.ladderPane.ScrollToOffset(fyne.NewPos(0, max(y, 0)))
}

// connectionLine sums the connection up in one line.
func connectionLine(res *probe.Result) string {
	var parts []string
	if res.TLS.Version != "" {
		parts = append(parts, "TLS "+string(res.TLS.Version), res.TLS.CipherSuite)
	}
	if res.HTTP != nil {
		parts = append(parts, lang.L("HTTP answer {{.Status}} {{.Reason}}", map[string]any{"Status": res.HTTP.Status, "Reason": res.HTTP.Reason}))
	}
	if res.Alert != nil {
		parts = append(parts, lang.L("alert {{.Name}} ({{.Code}}) from the {{.From}}", map[string]any{"Name": res.Alert.Name, "Code": res.Alert.Code, "From": partyName(res.Alert.From)}))
	}
	t := res.Timings
	switch {
	case canceled(res):
		parts = append(parts, lang.L("canceled before the end"))
	case len(res.Steps) == 0:
		parts = append(parts, lang.L("no TLS handshake took place"))
	default:
		parts = append(parts, lang.L("handshake {{.Handshake}} ms, total {{.Total}} ms", map[string]any{
			"Handshake": fmt.Sprintf("%.1f", t.HandshakeMs), "Total": fmt.Sprintf("%.1f", t.TotalMs)}))
	}
	line := strings.Join(parts, " · ")
	if pf := res.Preflight; pf != nil && pf.Result != res {
		// The first connection, made without the card before the PIN was
		// asked; its messages are in the report, apart from the test's.
		line += "\n" + lang.N("Checked first without the card ({{.Count}} messages, in the report): {{.Summary}}", len(pf.Steps),
			map[string]any{"Count": len(pf.Steps), "Summary": sentence(pf.SummaryMsg, pf.Summary)})
	}
	if res.TLS.FallbackReason != "" {
		line += "\n" + sentence(res.TLS.FallbackReasonMsg, res.TLS.FallbackReason)
	}
	for i, n := range res.Notes {
		m := msg.Msg{}
		if len(res.NoteMsgs) == len(res.Notes) {
			m = res.NoteMsgs[i]
		}
		line += "\n" + sentence(m, n)
	}
	return line
}

// canceled says whether the person canceled the test.
func canceled(res *probe.Result) bool {
	return res != nil && res.Error != nil && res.Error.Kind == errkind.Canceled
}

// endsSession says whether the test ended the login it ran with (the
// card left, or the PIN failed): the window logs out, and a comparison
// cannot run its second test.
func endsSession(res *probe.Result) bool {
	return res != nil && res.Error != nil && res.Error.Kind.EndsSession()
}

func partyName(from string) string {
	if from == "client" {
		return lang.L("client")
	}
	return lang.L("server")
}

func (v *resultView) showServer(res *probe.Result) {
	s := res.Server
	switch {
	case len(s.Chain) == 0:
		v.serverState.Importance = widget.MediumImportance
		v.serverState.SetText(lang.L("The server sent no certificate (the connection ended before)."))
	case s.Verified:
		v.serverState.Importance = widget.SuccessImportance
		v.serverState.SetText(lang.L("The server's certificate is trusted: it was verified for this address."))
	default:
		reason := ""
		if s.Error != nil {
			reason = sentence(s.ErrorMsg, *s.Error)
		}
		v.serverState.Importance = widget.DangerImportance
		v.serverState.SetText(lang.L("The server's certificate is NOT trusted: {{.Reason}}", map[string]any{"Reason": reason}))
	}
	var objs []fyne.CanvasObject
	for i, c := range s.Chain {
		head := &widget.Label{Text: chainTitle(i, len(s.Chain), c), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, Selectable: true}
		body := &widget.Label{Wrapping: fyne.TextWrapBreak, Selectable: true, Text: formText([][2]string{
			{lang.L("Issued by"), c.Issuer},
			{lang.L("Valid until"), c.NotAfter},
			{lang.L("SHA-256"), c.SHA256},
		})}
		objs = append(objs, widget.NewSeparator(), head, body)
	}
	v.serverChain.Objects = objs
	v.serverChain.Refresh()
}

func chainTitle(i, n int, c probe.ChainCert) string {
	role := lang.L("CA certificate")
	if i == 0 {
		role = lang.L("Server certificate")
	}
	return fmt.Sprintf("%d/%d  %s: %s", i+1, n, role, c.Subject)
}

func (v *resultView) showRequest(cr *probe.CertRequest) {
	if cr == nil {
		v.reqState.Importance = widget.WarningImportance
		v.reqState.SetText(lang.L("No: the server did not ask for a client certificate."))
		v.reqCAs.SetText("—")
		v.reqSchemes.SetText("—")
		return
	}
	v.reqState.Importance = widget.SuccessImportance
	v.reqState.SetText(lang.L("Yes"))
	if len(cr.AcceptableCAs) == 0 {
		v.reqCAs.SetText(lang.L("none named: any CA the server trusts"))
	} else {
		v.reqCAs.SetText("• " + strings.Join(cr.AcceptableCAs, "\n• "))
	}
	v.reqSchemes.SetText(strings.Join(cr.SignatureSchemes, ", "))
}

func checkIcon(s certcheck.Status) fyne.Resource {
	switch s {
	case certcheck.Pass:
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case certcheck.Fail:
		return theme.NewErrorThemedResource(theme.CancelIcon())
	case certcheck.Warn:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	case certcheck.Unknown:
		return theme.NewThemedResource(theme.QuestionIcon())
	}
	return theme.NewDisabledResource(theme.MoreHorizontalIcon())
}

func checkStatusWord(s certcheck.Status) string {
	switch s {
	case certcheck.Pass:
		return lang.L("passed")
	case certcheck.Fail:
		return lang.L("failed")
	case certcheck.Warn:
		return lang.L("warning")
	case certcheck.Unknown:
		return lang.L("unknown")
	}
	return lang.L("skipped")
}

// messageView shows the selected handshake message.
type messageView struct {
	placeholder *note
	title       *widget.Label
	meta        *note
	summary     *widget.Label
	explain     *widget.Label
	fields      *fyne.Container // name above value, rebuilt per message
	names       []*widget.Label // the field names shown, in order
	body        fyne.CanvasObject
	scroll      *container.Scroll // scrolled to the top for each message
	content     fyne.CanvasObject
}

func newMessageView() *messageView {
	m := &messageView{
		placeholder: newNote(lang.L("Select a message in the diagram to see what it says and what it is for."), theme.SizeNameText),
		title:       &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord},
		meta:        newNote("", theme.SizeNameText),
		summary:     &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		explain:     &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		fields:      container.NewVBox(),
	}
	m.body = container.NewVBox(m.title, m.meta, m.summary, widget.NewSeparator(), m.explain, widget.NewSeparator(), m.fields)
	m.scroll = container.NewVScroll(container.NewVBox(m.placeholder, m.body))
	m.content = m.scroll
	return m
}

// show displays a step (nil: the placeholder), from its title: a pane
// left scrolled down for the previous message would hide the new one's.
func (m *messageView) show(s *tlstrace.Step) {
	defer m.scroll.ScrollToTop()
	if s == nil {
		m.placeholder.Show()
		m.body.Hide()
		return
	}
	m.placeholder.Hide()
	m.body.Show()
	m.title.SetText(fmt.Sprintf("%d. %s", s.Seq, s.Message))
	if isProblemAlert(*s) {
		m.title.Importance = widget.DangerImportance
	} else {
		m.title.Importance = widget.MediumImportance
	}
	m.title.Refresh()
	dir := lang.L("from the client to the server")
	if s.From == "server" {
		dir = lang.L("from the server to the client")
	}
	meta := dir + " · " + formatOffset(s.At) + " · " + lang.N("{{.Count}} bytes", s.Bytes, map[string]any{"Count": s.Bytes})
	if s.Encrypted {
		meta += " · " + lang.L("encrypted on the wire")
	}
	m.meta.SetText(meta)
	m.summary.SetText(sentence(s.SummaryMsg, s.Summary))
	explain := sentence(s.ExplainMsg, s.Explain)
	if explain == "" {
		explain = lang.L("No explanation for this message.")
	}
	m.explain.SetText(explain)
	var objs []fyne.CanvasObject
	m.names = nil
	for _, f := range s.Fields {
		name := keyLabel(sentence(f.NameMsg, f.Name))
		m.names = append(m.names, name)
		value := &widget.Label{Text: sentence(f.ValueMsg, f.Value), Wrapping: fyne.TextWrapWord, Selectable: true}
		objs = append(objs, container.New(&tightVBox{}, name, value))
	}
	m.fields.Objects = objs
	m.fields.Refresh()
}

// writeReport writes a result for Save report…: JSON (as `check --json`)
// when the file name ends in .json, else the text of Copy report.
func writeReport(w io.Writer, fileName string, res *probe.Result) error {
	if strings.HasSuffix(strings.ToLower(fileName), ".json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	var b strings.Builder
	report.WriteCheckText(&b, res)
	_, err := io.WriteString(w, b.String())
	return err
}

// reportText is the text Copy report puts on the clipboard.
func reportText(res *probe.Result) string {
	var b strings.Builder
	report.WriteCheckText(&b, res)
	return b.String()
}
