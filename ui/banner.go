package ui

import (
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
)

// bannerMaxHeight is the banner's minimum height at most: a taller window
// gives it more (resultColumn), so that the advice is shown whole. Beyond
// what it gets the banner's text scrolls, so that a long list of advice
// cannot push the handshake out of the window. It is small (the title and
// about two lines) because the minimum counts towards the window's: at
// 130 a verdict plus the address's error line made a 1000×620 window grow
// by 46 pixels and the status bar overlap the diagram.
const bannerMaxHeight = 80

// verdictBanner is the answer at the top of the result: a colour and an
// icon for the verdict, one sentence, the cause and what to do. While a
// test runs it shows the progress and the Cancel button instead.
type verdictBanner struct {
	stale    *widget.Label // "from an earlier test", when the choices changed since
	look     fyne.ThemeColorName
	bg       *tint
	icon     *widget.Icon
	title    *widget.Label
	summary  *widget.Label
	cause    *widget.Label
	advice   *widget.Label
	progress *busyBar
	cancel   *widget.Button
	copy     *widget.Button
	save     *widget.Button
	fixBox   *fyne.Container   // the advice's one-click fixes
	text     fyne.CanvasObject // everything that scrolls when the banner is capped
	capped   fyne.CanvasObject
	fixBtns  []*widget.Button
	content  fyne.CanvasObject
}

func newVerdictBanner(onCancel, onCopy, onSave func()) *verdictBanner {
	b := &verdictBanner{
		stale:    &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		bg:       newTint(),
		icon:     widget.NewIcon(nil),
		title:    &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord},
		summary:  &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		cause:    &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		advice:   &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		progress: newBusyBar(),
		cancel:   &widget.Button{Text: lang.L("Cancel"), Icon: theme.CancelIcon(), OnTapped: onCancel},
		copy:     &widget.Button{Text: lang.L("Copy report"), Icon: theme.ContentCopyIcon(), OnTapped: onCopy},
		save:     &widget.Button{Text: lang.L("Save report…"), Icon: theme.DocumentSaveIcon(), OnTapped: onSave},
	}
	b.progress.stop()
	b.stale.Hide()
	b.fixBox = container.NewHBox()
	b.fixBox.Hide()
	text := container.NewVBox(b.stale, container.New(&tightVBox{}, b.title, b.summary), b.progress.box, b.cause, b.advice)
	capped := container.New(&cappedHeight{body: text, max: func() float32 { return bannerMaxHeight }}, container.NewVScroll(text))
	b.text, b.capped = text, capped
	buttons := container.NewVBox(b.cancel, b.copy, b.save)
	iconBox := container.NewVBox(container.NewGridWrap(fyne.NewSquareSize(48), b.icon))
	// The fixes stay in view below the text, which may scroll.
	body := container.NewBorder(nil, b.fixBox, iconBox, buttons, capped)
	b.content = container.NewStack(b.bg, container.NewPadded(container.NewPadded(body)))
	b.content.Hide()
	return b
}

// running shows a test in progress.
func (b *verdictBanner) running(url, stage string) {
	b.setStale("")
	b.setLook(theme.ColorNamePrimary)
	b.icon.SetResource(theme.NewPrimaryThemedResource(theme.MediaPlayIcon()))
	b.title.SetText(lang.L("Testing {{.URL}}", map[string]any{"URL": url}))
	b.summary.SetText(stage)
	b.summary.Show()
	b.progress.start()
	show(b.cancel)
	hide(b.cause, b.advice, b.copy, b.save)
	b.setFixes(nil)
	b.content.Show()
}

// stage updates the line under the title while running.
func (b *verdictBanner) stage(text string) { b.summary.SetText(text) }

// done shows the verdict.
func (b *verdictBanner) done(res *probe.Result) {
	b.progress.stop()
	hide(b.cancel)
	show(b.copy, b.save)
	b.setStale("")
	if canceled(res) {
		b.showCanceled()
		return
	}
	name, icon := verdictLook(res.Verdict)
	b.setLook(name)
	b.icon.SetResource(icon)
	b.title.SetText(verdictHeadline(res.Verdict))
	if m := withoutHeadline(res.SummaryMsg); m.ID != res.SummaryMsg.ID {
		b.summary.SetText(ownSentence(m, text(m))) // a fragment after a colon, now on its own
	} else {
		b.summary.SetText(sentence(res.SummaryMsg, res.Summary))
	}
	b.summary.Hidden = restatesHeadline(res)
	cause := causeText(res)
	setOptional(b.cause, cause, lang.L("Cause: {{.Cause}}", map[string]any{"Cause": cause}))
	var advice []string
	for i, a := range res.Advice {
		code, m := "", msg.Msg{}
		if i < len(res.AdviceCodes) {
			code = res.AdviceCodes[i]
		}
		if i < len(res.AdviceMsgs) {
			m = res.AdviceMsgs[i]
		}
		advice = append(advice, bullet(guiAdvice(code, m, a)))
	}
	setOptional(b.advice, strings.Join(advice, "\n"), lang.L("What to do:")+"\n"+strings.Join(advice, "\n"))
	b.content.Show()
}

// showCanceled is a test the person canceled: neither good nor bad news,
// so no verdict colour and no advice.
func (b *verdictBanner) showCanceled() {
	b.setLook(theme.ColorNameDisabled)
	b.icon.SetResource(theme.InfoIcon())
	b.title.SetText(lang.L("Test canceled"))
	b.summary.Show()
	b.summary.SetText(lang.L("You canceled the test before it finished, so it says nothing about your card. The messages exchanged until then are below."))
	hide(b.cause, b.advice)
	b.content.Show()
}

// fullHeight is the height the banner needs to show everything without
// scrolling (its minimum is capped at bannerMaxHeight).
func (b *verdictBanner) fullHeight() float32 {
	return b.content.MinSize().Height - b.capped.MinSize().Height + b.text.MinSize().Height
}

// setLook colours the banner.
func (b *verdictBanner) setLook(name fyne.ThemeColorName) {
	b.look = name
	b.bg.setColor(name)
}

// setStale marks the verdict as no longer matching the certificate,
// address or options now chosen (why says what changed), or, with "",
// as current. A screenshot of a stale verdict must not tell a false
// story, so it loses its colour too.
func (b *verdictBanner) setStale(why string) {
	if why == "" {
		if b.stale.Visible() {
			b.stale.Hide()
			b.bg.setColor(b.look)
		}
		return
	}
	b.stale.SetText(why)
	b.stale.Show()
	b.bg.setColor(theme.ColorNameDisabled)
}

// causeText is the cause the banner shows under the summary, with the
// error's message when the cause does not hold it already; "" when the
// summary says it all. What repeats what is decided on the English, which
// every result has.
func causeText(res *probe.Result) string {
	english, shown := res.Cause, sentence(res.CauseMsg, res.Cause)
	if res.Error != nil && res.Error.Message != "" && !strings.Contains(english, res.Error.Message) {
		if english != "" {
			english += "\n"
			shown += "\n"
		}
		english += res.Error.Message
		shown += sentence(res.Error.MessageMsg, res.Error.Message)
	}
	if strings.Contains(res.Summary, res.Cause) && strings.Contains(res.Summary, strings.TrimSpace(english)) ||
		res.Verdict == probe.Denied && strings.HasPrefix(res.CauseCode, "http_") {
		return "" // the summary says it already
	}
	return shown
}

// restatesHeadline says whether the summary only repeats the verdict's
// headline ("Rejected: the server refused your certificate" over "The
// server refused your certificate."), so that the banner says it once.
func restatesHeadline(res *probe.Result) bool {
	switch res.Verdict {
	case probe.Accepted:
		return summaryIs(res, probe.SummaryAccepted)
	case probe.Rejected:
		return summaryIs(res, probe.SummaryRejected)
	}
	return false
}

// withoutHeadline is a summary without the words the headline says
// already: "The test could not be completed: X" is X under the headline
// "The test could not be completed".
func withoutHeadline(m msg.Msg) msg.Msg {
	if m.ID == probe.SummaryFailedBecause {
		if e, ok := m.Args["Error"].(msg.Msg); ok && !e.IsZero() {
			return e
		}
	}
	return m
}

// ownSentence is shown, the window's words for m, as a sentence of its
// own. Only an English fragment whose first word is the template's (not a
// value such as a host name) gets a capital: the translations capitalize
// their own, and a value keeps its case.
func ownSentence(m msg.Msg, shown string) string {
	d := msg.Lookup(m.ID)
	if d == nil || strings.HasPrefix(d.Other, "{{") || shown != msg.English(m) {
		return shown
	}
	return upperFirst(shown)
}

// upperFirst starts s with a capital letter (scripts without case are
// left as they are).
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// summaryIs says whether res's summary is the message id (by its English
// when the result carries no message).
func summaryIs(res *probe.Result, id string) bool {
	if res.SummaryMsg.IsZero() {
		return res.Summary == msg.English(msg.Msg{ID: id})
	}
	return res.SummaryMsg.ID == id
}

// setOptional shows text on l when value is set, else hides l.
func setOptional(l *widget.Label, value, text string) {
	if value == "" {
		l.Hide()
		return
	}
	l.SetText(text)
	l.Show()
}

// verdictLook is the colour and icon of a verdict: green for accepted,
// the warning colour when the certificate itself was not the problem
// (denied, not requested, untrusted server), red for rejected and errors.
func verdictLook(v probe.Verdict) (fyne.ThemeColorName, fyne.Resource) {
	switch v {
	case probe.Accepted:
		return theme.ColorNameSuccess, theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case probe.Denied, probe.NotRequested, probe.ServerUntrusted:
		return theme.ColorNameWarning, theme.NewWarningThemedResource(theme.WarningIcon())
	case probe.Rejected:
		return theme.ColorNameError, theme.NewErrorThemedResource(theme.CancelIcon())
	}
	return theme.ColorNameError, theme.NewErrorThemedResource(theme.ErrorIcon())
}

// verdictHeadline is the verdict in a few words.
func verdictHeadline(v probe.Verdict) string {
	switch v {
	case probe.Accepted:
		return lang.L("Accepted: your card works with this server")
	case probe.Denied:
		return lang.L("Certificate accepted, but access denied")
	case probe.Rejected:
		return lang.L("Rejected: the server refused your certificate")
	case probe.NotRequested:
		return lang.L("The server did not ask for a certificate")
	case probe.ServerUntrusted:
		return lang.L("Stopped: the server is not trusted")
	}
	return lang.L("The test could not be completed")
}

func show(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Show()
	}
}

func hide(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Hide()
	}
}

// tint is a background in a theme colour: a light wash with a solid bar
// on the leading edge. The colour is looked up on every refresh, so it
// follows a switch between the light and the dark theme.
type tint struct {
	widget.BaseWidget
	color fyne.ThemeColorName
}

func newTint() *tint {
	t := &tint{color: theme.ColorNamePrimary}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tint) setColor(c fyne.ThemeColorName) {
	t.color = c
	t.Refresh()
}

func (t *tint) CreateRenderer() fyne.WidgetRenderer {
	r := &tintRenderer{t: t, wash: canvas.NewRectangle(color.Transparent), bar: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type tintRenderer struct {
	t         *tint
	wash, bar *canvas.Rectangle
}

func (r *tintRenderer) Destroy() {}

func (r *tintRenderer) Layout(s fyne.Size) {
	r.wash.Resize(s)
	r.bar.Resize(fyne.NewSize(6, s.Height))
}

func (r *tintRenderer) MinSize() fyne.Size { return fyne.NewSize(0, 0) }

func (r *tintRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.wash, r.bar} }

func (r *tintRenderer) Refresh() {
	th := r.t.Theme()
	c := th.Color(r.t.color, fyne.CurrentApp().Settings().ThemeVariant())
	r.bar.FillColor = c
	r.wash.FillColor = withAlpha(c, 0x2e)
	r.wash.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.wash.Refresh()
	r.bar.Refresh()
}

// withAlpha returns c at the given opacity (0-255).
func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// cappedHeight gives its single child (a scroll around body) the height
// body needs, but no more than max.
type cappedHeight struct {
	body fyne.CanvasObject
	max  func() float32
}

func (l *cappedHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *cappedHeight) MinSize([]fyne.CanvasObject) fyne.Size {
	m := l.body.MinSize()
	return fyne.NewSize(m.Width, min(m.Height, l.max()))
}

// fixes are the buttons offering the advice's one-click fixes.
func (b *verdictBanner) fixes() []*widget.Button { return b.fixBtns }

// setFixes shows a button per fix (none hides the row).
func (b *verdictBanner) setFixes(fs []fix) {
	b.fixBtns = nil
	b.fixBox.Objects = nil
	for _, f := range fs {
		btn := &widget.Button{Text: f.label, OnTapped: f.action}
		b.fixBtns = append(b.fixBtns, btn)
		b.fixBox.Objects = append(b.fixBox.Objects, btn)
	}
	b.fixBox.Hidden = len(fs) == 0
	b.fixBox.Refresh()
}

// clear hides the banner (a canceled login leaves nothing to say).
func (b *verdictBanner) clear() {
	b.progress.stop()
	b.content.Hide()
}
