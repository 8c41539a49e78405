package ui

import (
	"context"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/check"
	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/memtrim"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// Window sizes.
var (
	// minWindowSize fits a 1024×640 laptop screen with room for a panel.
	minWindowSize = fyne.NewSize(820, 540)
	// initialWindowSize fits a 1024×640 screen: Fyne cannot ask how big
	// the screen is, and a larger window would start partly off it where
	// no window manager moves it back. The size the user gives the window
	// is remembered (windowSize).
	initialWindowSize = fyne.NewSize(1000, 620)
)

// mainWindow is the one window of the application: the token tree on
// the left; on the right the connection bar, the verdict and the tabs
// with the certificate and the parts of the result.
type mainWindow struct {
	app   fyne.App
	win   fyne.Window
	deps  Deps
	do    func(func()) // run on the UI goroutine (fyne.Do; tests queue)
	now   func() time.Time
	prefs settings
	// release gives memory back once the window has settled (releaseSoon);
	// sweep once it has rested longer than Fyne keeps what it no longer
	// draws (sweepCaches).
	release, sweep *time.Timer
	events         *eventLog
	modal          *modalStack // the dialogs on screen

	tokens       *tokenPanel
	empty        *emptyState
	details      *certDetails
	conn         *connectionBar
	banner       *verdictBanner
	result       *resultView
	tabs         *container.AppTabs
	certTab      *container.TabItem
	handshakeTab *container.TabItem
	serverTab    *container.TabItem
	requestTab   *container.TabItem
	lessonTab    *container.TabItem
	optionsTab   *container.TabItem
	demo         *demoPanel // nil outside demo mode
	explainItem  *fyne.MenuItem
	status       *note
	testView     fyne.CanvasObject // certificate, connection and result
	emptyView    fyne.CanvasObject
	split        *container.Split // the card list | the rest
	left         fyne.CanvasObject
	body         *fyne.Container // holds split, or the right side alone when the list is collapsed
	right        fyne.CanvasObject
	panelToggle  *widget.Button   // collapse or show the card list
	diag         *diagnosticsView // Help → Diagnostics…, while open
	lesson       *notDetectedView // the demo's "card not detected" lesson, while open
	lessonShown  bool             // the lesson the demo asked for at start was opened

	inv         *token.Inventory
	listed      bool // the test view has been shown with certificates
	selected    *treeNode
	scanning    bool
	rescan      bool
	watching    bool
	watchCancel context.CancelFunc
	held        *heldCard // a card that stays logged in between tests
	run         *testRun  // the test in progress, nil when idle
	shown       *testRun  // the test whose result is on screen, nil for none
}

// heldCard is a logged-in card kept for the next test of the same
// certificate, so that the PIN is asked once per session, not per test.
type heldCard struct {
	cert   *token.Certificate
	card   desktop.Card
	hasKey *bool // has_private_key as the login made it known
}

// testRun is one press of Test connection, or of Compare TLS 1.2 and
// 1.3 (two tests on one login).
type testRun struct {
	url  string
	cert *token.Certificate
	opts testOptions   // the options it ran with
	res  *probe.Result // its result, once finished
	// pf is the pre-flight's finding (nil until it is in, and for a
	// test on a card that stayed logged in); pfCancel stops it.
	pf       *probe.Preflight
	pfCancel context.CancelFunc
	// deadline ends the card's part of the test (the test after login);
	// set when it starts, so that typing the PIN does not count.
	deadline time.Time
	compare  bool
	login    *loginFlow
	cancel   context.CancelFunc // set once the probe runs
	steps    int
}

// windowOptions are what tests change (the clock and how work gets back
// to the UI goroutine) and the demo, for demo mode.
type windowOptions struct {
	do   func(func())
	now  func() time.Time
	demo *demo.Demo
}

// newMainWindow builds the window's content and starts reading the cards.
func newMainWindow(a fyne.App, w fyne.Window, deps Deps, opt windowOptions) *mainWindow {
	if opt.do == nil {
		opt.do = fyne.Do
	}
	if opt.now == nil {
		opt.now = time.Now
	}
	m := &mainWindow{app: a, win: w, deps: deps, do: opt.do, now: opt.now,
		prefs: settings{a.Preferences()}, events: openEventLog(deps.EventLog)}
	m.modal = &modalStack{events: m.events, closed: m.releaseSoon}
	m.events.snapshot = m.layoutSnapshot
	if opt.demo != nil {
		m.prefs = settings{memoryPrefs{}}
		m.demo = newDemoPanel(opt.demo, m.scenarioSelected, m.guarded(m.showNotDetected))
	}
	m.build()
	m.deps.Backend.SetUserModules(m.prefs.modules())
	if p, ok := m.deps.Backend.(prefetcher); ok {
		if inv, ok := p.Prefetched(); ok {
			m.scanned(inv)
			return m
		}
	}
	m.refresh()
	return m
}

func (m *mainWindow) build() {
	m.tokens = newTokenPanel(m.now, m.chooseModule, m.refresh, m.selectNode)
	var tryDemo func()
	if m.deps.TryDemo != nil && m.demo == nil {
		tryDemo = m.tryDemo
	}
	m.empty = newEmptyState(m.chooseModule, m.refresh, tryDemo)
	m.details = newCertDetails(m.now, m.copyURI, m.exportCertificate, m.removeModule)
	m.conn = newConnectionBar(m.startTest, m.logout, m.chooseCAFile, m.prefs.setOptions)
	m.conn.onEscape = m.cancelTest
	m.conn.onShowOptions = m.showOptions
	m.conn.onEdited = m.checkStale
	m.conn.setOptions(m.prefs.options())
	m.conn.addRow(lang.L("Language"), newLanguageSetting(m.app.Preferences()).content)
	m.conn.setHistory(m.prefs.history())
	m.conn.url.SetText(m.prefs.lastURL())
	m.banner = newVerdictBanner(m.cancelTest, m.copyReport, m.saveReport)
	m.result = newResultView(m.explainChanged, m.startCompare, m.backToOneTest)
	m.result.onMessage = m.messageSelected
	m.certTab = container.NewTabItem(lang.L("Certificate"), m.details.content)
	m.handshakeTab = container.NewTabItem(lang.L("Handshake"), m.result.handshake)
	m.serverTab = container.NewTabItem(lang.L("Server certificate"), container.NewPadded(m.result.server))
	m.requestTab = container.NewTabItem(lang.L("The server's request"), container.NewPadded(m.result.request))
	m.lessonTab = container.NewTabItem(lang.L("Certificate checks"), container.NewPadded(m.result.lesson.content))
	m.optionsTab = container.NewTabItem(lang.L("Options"), m.conn.form)
	m.tabs = container.NewAppTabs(m.certTab, m.handshakeTab, m.serverTab, m.requestTab, m.lessonTab, m.optionsTab)
	m.tabs.OnSelected = m.tabSelected
	m.status = newNote("", theme.SizeNameCaptionText).truncated()
	version := newNote("cardcheck "+config.Version, theme.SizeNameCaptionText)
	version.rt.Wrapping = fyne.TextWrapOff

	m.testView = container.New(&resultColumn{banner: m.banner}, m.conn.content, m.banner.content, m.tabs)
	m.emptyView = m.empty.content
	m.emptyView.Hide()
	right := container.NewPadded(container.NewStack(m.testView, m.emptyView))
	var left, top fyne.CanvasObject = m.tokens.content, nil
	if m.demo != nil {
		scenarios := container.NewVSplit(m.demo.content, m.tokens.content)
		scenarios.Offset = 0.75
		left, top = scenarios, container.NewPadded(m.demo.banner)
	}
	m.left, m.right = container.NewPadded(left), right
	m.split = container.NewHSplit(m.left, m.right)
	m.split.Offset = m.prefs.splitOffset()
	m.body = container.NewStack(m.split)
	m.panelToggle = &widget.Button{Importance: widget.LowImportance, OnTapped: m.togglePanel}
	m.arrangePanel(m.prefs.panelHidden()) // laid out once, when the window gets its content
	statusBar := container.NewBorder(widget.NewSeparator(), nil, m.panelToggle, version, m.status)
	m.win.SetContent(container.New(minSizeLayout{min: minWindowSize}, container.NewBorder(top, statusBar, nil, nil, m.body)))
	m.win.SetMainMenu(m.menu())
	m.win.Canvas().SetOnTypedKey(m.typedKey)
	if m.demo != nil && len(m.demo.d.Scenarios) > 0 {
		m.demo.list.Select(0)
	}
}

// typedKey handles keys typed while no widget has the focus: Enter runs
// the test, Esc cancels it. While a dialog is open the keys are the
// dialog's.
func (m *mainWindow) typedKey(k *fyne.KeyEvent) {
	if m.modal.any() {
		m.modal.typedKey(k)
		return
	}
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		m.startTest()
	case fyne.KeyEscape:
		m.cancelTest()
	}
}

// messageSelected tells the event log which message is explained.
func (m *mainWindow) messageSelected(i int, name string) {
	m.events.emitAfterFrame("message", map[string]any{"index": i, "name": name})
}

// windowSize is the size to open the window with: the last one, or one
// that fits a small laptop screen.
func (m *mainWindow) windowSize() fyne.Size {
	if s := m.prefs.windowSize(); s.Width >= minWindowSize.Width && s.Height >= minWindowSize.Height {
		return s
	}
	return initialWindowSize
}

// showOptions shows the Options tab (the Options… button).
func (m *mainWindow) showOptions() { m.tabs.Select(m.optionsTab) }

// togglePanel collapses the card list, or shows it again (the button
// in the status bar, Ctrl+B).
func (m *mainWindow) togglePanel() {
	hidden := !m.prefs.panelHidden()
	if hidden {
		m.prefs.setSplitOffset(m.split.Offset)
	}
	m.prefs.setPanelHidden(hidden)
	m.setPanelHidden(hidden)
	m.events.emitAfterFrame("status", map[string]any{"what": "panel", "hidden": hidden})
}

// setPanelHidden lays the window out with or without the card list.
func (m *mainWindow) setPanelHidden(hidden bool) {
	m.arrangePanel(hidden)
	m.split.Refresh()
	m.body.Refresh()
}

// arrangePanel puts the card list in the window or takes it out, without
// laying anything out: while the window is built, a layout here would be
// one more pass over every widget (each text measured, each icon's SVG
// parsed again), about a third of the time building took.
func (m *mainWindow) arrangePanel(hidden bool) {
	if hidden {
		// The split leaves the window; it must not go on laying out the
		// right side, which the window now shows alone.
		m.split.Leading, m.split.Trailing = widget.NewLabel(""), widget.NewLabel("")
		m.body.Objects = []fyne.CanvasObject{m.right}
		m.panelToggle.SetIcon(theme.NavigateNextIcon())
		m.panelToggle.SetText(lang.L("Show cards"))
	} else {
		m.split.Leading, m.split.Trailing = m.left, m.right
		m.split.Offset = m.prefs.splitOffset()
		m.body.Objects = []fyne.CanvasObject{m.split}
		m.panelToggle.SetIcon(theme.NavigateBackIcon())
		m.panelToggle.SetText(lang.L("Hide cards"))
	}
}

// say shows a line in the status bar.
func (m *mainWindow) say(text string) { m.status.SetText(text) }

// close stops the background work and logs out; Run calls it when the
// window has closed.
func (m *mainWindow) close() {
	for _, t := range []*time.Timer{m.release, m.sweep} {
		if t != nil {
			t.Stop()
		}
	}
	if m.watchCancel != nil {
		m.watchCancel()
	}
	if m.run != nil && m.run.cancel != nil {
		m.run.cancel()
	}
	if m.held != nil {
		m.held.card.Close()
		m.held = nil
	}
	if !m.prefs.panelHidden() {
		m.prefs.setSplitOffset(m.split.Offset) // where the user left the divider
	}
	m.prefs.setWindowSize(m.win.Canvas().Size())
	m.events.close()
}

// refresh reads the cards again off the UI goroutine; a request while a
// scan runs is served by one more scan afterwards.
func (m *mainWindow) refresh() {
	if m.scanning {
		m.rescan = true
		return
	}
	m.scanning = true
	m.tokens.setBusy(true)
	go func() {
		inv := m.deps.Backend.Scan()
		m.do(func() { m.scanned(inv) })
	}()
}

func (m *mainWindow) scanned(inv *token.Inventory) {
	m.scanning = false
	m.tokens.setBusy(false)
	m.showInventory(inv)
	if !m.watching {
		m.watching = true
		m.watch()
	}
	if m.rescan {
		m.rescan = false
		m.refresh()
	}
}

// watch follows cards coming and going (the backend polls about once a
// second) and reads the cards again on every change.
func (m *mainWindow) watch() {
	ctx, cancel := context.WithCancel(context.Background())
	m.watchCancel = cancel
	events := m.deps.Backend.Watch(ctx)
	go func() {
		for ev := range events {
			m.do(func() { m.tokenEvent(ev) })
		}
	}()
}

func (m *mainWindow) tokenEvent(ev token.Event) {
	if ev.Kind == token.Removed && m.held != nil && m.held.cert.Token.Ref() == ev.Token {
		m.logout()
	}
	switch ev.Kind {
	case token.Inserted:
		m.say(lang.L("Card inserted: {{.Label}}", map[string]any{"Label": ev.Token.Label}))
	case token.Removed:
		m.say(lang.L("Card removed: {{.Label}}", map[string]any{"Label": ev.Token.Label}))
	}
	m.refresh()
}

// showInventory shows a scan: the tree (keeping the selection), or the
// empty state when there is no certificate at all.
func (m *mainWindow) showInventory(inv *token.Inventory) {
	m.inv = inv
	sel := m.tokens.setInventory(inv)
	m.showSelection(sel)
	if sel == nil {
		m.autoSelect()
	}
	certs := m.tokens.certificates()
	m.empty.update(inv)
	if len(certs) == 0 {
		m.testView.Hide()
		m.emptyView.Show()
		m.win.Canvas().Unfocus() // no cursor blinking in a hidden field
	} else {
		first := !m.testView.Visible() || !m.listed
		m.emptyView.Hide()
		m.testView.Show()
		if first && m.conn.url.Text == "" && m.run == nil {
			// Type the address right away. Only then: a focused entry's
			// blinking cursor redraws the window many times a second,
			// and with an address filled in Enter alone runs the test.
			m.win.Canvas().Focus(m.conn.url)
		}
		m.listed = true
	}
	m.events.emitAfterFrame("tokens", map[string]any{"tokens": len(inv.Tokens), "certificates": len(certs), "modules": len(inv.Modules)})
	m.openStartLesson()
	m.releaseSoon() // a scan parses every certificate of every module: garbage
	m.lookBelow(inv)
}

// autoSelect selects the certificate used last, or the only usable one;
// in the demo, the certificate of the chosen scenario.
func (m *mainWindow) autoSelect() {
	if m.demo != nil {
		m.selectScenarioCert()
		return
	}
	if last := m.prefs.lastCertificate(); last != "" {
		if m.tokens.selectCert(func(c *token.Certificate) bool { return c.URI == last }) {
			return
		}
	}
	var usable []*token.Certificate
	for _, c := range m.tokens.certificates() {
		if c.Usable() {
			usable = append(usable, c)
		}
	}
	if len(usable) == 1 {
		m.tokens.selectCert(func(c *token.Certificate) bool { return c == usable[0] })
	}
}

// selectNode shows what was selected in the tree.
func (m *mainWindow) selectNode(n *treeNode) {
	m.showSelection(n)
	if n != nil {
		m.tabs.Select(m.certTab) // the person picked it: show it
	}
}

// showSelection shows a tree node's details without changing the tab: a
// rescan (hot plug, Look for cards again) keeps the selection and must
// not take the person away from a result.
func (m *mainWindow) showSelection(n *treeNode) {
	m.selected = n
	kind := "none"
	if n != nil {
		kind = n.kind.String()
	}
	m.events.emitAfterFrame("selected", map[string]any{"kind": kind})
	m.checkStale()
	m.details.show(n)
	if n != nil && n.kind == nodeCert && m.held != nil && sameCert(m.held.cert, n.cert) {
		m.details.setPrivateKey(m.held.hasKey)
	}
}

func (m *mainWindow) selectedCert() *token.Certificate {
	if m.selected == nil || m.selected.kind != nodeCert {
		return nil
	}
	return m.selected.cert
}

// sameCert says whether two snapshots are the same certificate object.
func sameCert(a, b *token.Certificate) bool {
	return a != nil && b != nil && a.URI == b.URI && a.Token != nil && b.Token != nil &&
		a.Token.Ref() == b.Token.Ref() && a.SHA256() == b.SHA256()
}

// startTest is Test connection (or Enter): log in if needed, then run the
// probe with live steps.
func (m *mainWindow) startTest() { m.begin(false) }

// startCompare is Compare TLS 1.2 and 1.3: the same test twice on one
// login, shown side by side.
func (m *mainWindow) startCompare() { m.begin(true) }

// begin starts a test or a comparison.
func (m *mainWindow) begin(compare bool) {
	if m.run != nil {
		return
	}
	if err := validateURL(m.conn.url.Text); err != nil {
		m.conn.say(err.Error(), widget.DangerImportance)
		m.win.Canvas().Focus(m.conn.url)
		return
	}
	cert := m.selectedCert()
	if cert == nil {
		m.conn.say(lang.L("Select a certificate on the left first."), widget.WarningImportance)
		return
	}
	url := normalizeURL(m.conn.url.Text)
	if url != m.conn.url.Text {
		m.conn.url.SetText(url)
	}
	m.conn.say("", widget.MediumImportance)
	m.say("")                                                    // no "Test finished: …" of the last test while this one runs
	m.win.Canvas().Unfocus()                                     // Esc reaches the window (see esc.go), and no cursor blinks
	m.conn.setHistory(m.prefs.rememberURL(probe.RedactURL(url))) // no password in the history file
	m.prefs.setLastCertificate(cert.URI)

	run := &testRun{url: url, cert: cert, compare: compare, opts: m.conn.currentOptions()}
	m.run = run
	m.setRunning(true)
	m.result.reset()
	m.result.waiting()
	if compare {
		m.result.compare.running()
		m.result.showCompare()
	}
	m.banner.running(url, lang.L("Logging in to the card…"))
	m.tabs.Select(m.handshakeTab)
	m.events.emitAfterFrame("test-started", map[string]any{"compare": compare})
	if m.held != nil && sameCert(m.held.cert, cert) {
		m.probe(run, m.held.card)
		return
	}
	m.logout()
	if err := cert.CheckUsable(false); err != nil {
		// Known unusable (unreadable, no key, a key that cannot sign):
		// no PIN for a test that cannot work.
		m.finished(run, check.Failed(run.url, run.cert, err))
		return
	}
	m.preflight(run)
	run.login = &loginFlow{
		win: m.win, do: m.do, modal: m.modal, backend: m.deps.Backend, pins: m.deps.PINs, events: m.events, cert: cert,
		prefill:  m.demoPIN(cert),
		done:     func(card desktop.Card) { m.probe(run, card) },
		failed:   func(err error) { m.finished(run, check.Failed(run.url, run.cert, err)) },
		canceled: func() { m.loginCanceled(run) },
		noted:    m.say,
		waiting:  m.waitingForPIN,
	}
	run.login.start()
}

// preflight runs the handshake without the card, off the UI goroutine,
// while the login flow reads the PIN state and opens the dialog (docs/contract.md, The test:
// pre-flight, then PIN, then the test).
func (m *mainWindow) preflight(run *testRun) {
	ctx, cancel := context.WithCancel(context.Background())
	run.pfCancel = cancel
	opts := m.testOptions(run)
	go func() {
		pf := m.deps.Backend.Preflight(ctx, run.cert, opts)
		m.do(func() { m.preflightDone(run, pf) })
	}()
}

// preflightDone lets the login go on when the server asks for a
// certificate, and otherwise ends the test with what the pre-flight found
// (the PIN dialog closes with nothing typed).
func (m *mainWindow) preflightDone(run *testRun, pf *probe.Preflight) {
	run.pfCancel()
	if m.run != run || run.login == nil || run.login.stopped {
		pf.Close() // no test follows: stop the certificate checks it started
		return
	}
	run.pf = pf
	if !pf.NeedsCard && pf.Result != nil {
		run.login.abort()
		m.finished(run, pf.Result)
		return
	}
	run.login.serverChecked(preflightNote(pf))
}

// waitingForPIN stops the banner's progress while the PIN dialog waits
// for the person (nothing is working then, and an animation behind a
// dialog redraws the whole window on every frame), and starts it again
// when the card checks the PIN.
func (m *mainWindow) waitingForPIN(waiting bool) {
	if waiting {
		m.banner.progress.stop()
		m.banner.stage(lang.L("Waiting for the PIN…"))
		return
	}
	m.banner.progress.start()
	m.banner.stage(lang.L("Logging in to the card…"))
}

// probe runs the test with a logged-in card, off the UI goroutine.
func (m *mainWindow) probe(run *testRun, card desktop.Card) {
	if m.run != run {
		go card.Close()
		return
	}
	if m.held == nil || m.held.card != card {
		m.held = &heldCard{cert: run.cert, card: card}
	}
	m.conn.setLoggedIn(run.cert.Token.Label)
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	if run.compare {
		m.compareProbe(ctx, cancel, run, card)
		return
	}
	run.deadline = time.Now().Add(run.opts.Timeout) // real time, not the window's clock
	opts := m.testOptions(run)
	opts.Preflight = run.pf
	opts.OnStep = func(s tlstrace.Step) { m.do(func() { m.stepArrived(run, s) }) }
	opts.OnProgress = func(p probe.Progress) { m.do(func() { m.progressed(run, p) }) }
	m.banner.stage(lang.L("Connecting to the server…"))
	go func() {
		res := card.Test(ctx, opts)
		cancel()
		m.do(func() { m.finished(run, res) })
	}()
}

// progressed shows what the probe is waiting for: after the handshake a
// server may still refuse the certificate (TLS 1.3 sends that verdict
// late, a server checking revocation may take seconds).
func (m *mainWindow) progressed(run *testRun, p probe.Progress) {
	if m.run != run {
		return
	}
	switch {
	case p.Stage == probe.StageLateAlertWait && !p.Done:
		m.banner.stage(lang.L("Waiting for the server's verdict on your certificate… {{.Elapsed}} of at most {{.Limit}} s",
			map[string]any{"Elapsed": int(p.Elapsed.Seconds()), "Limit": int(p.Limit.Seconds())}))
	case p.Stage == probe.StageConnect && p.Connection == probe.ConnTestTLS12:
		m.banner.stage(lang.L("The server asks for a certificate only after the request: testing again with TLS 1.2…"))
	}
}

// testOptions are the options a run was started with.
func (m *mainWindow) testOptions(run *testRun) desktop.Options {
	o := run.opts
	return desktop.Options{URL: run.url, TLSVersion: o.TLSVersion, CAFile: o.CAFile,
		ContinueUntrusted: o.ContinueUntrusted, Timeout: o.Timeout, Deadline: run.deadline}
}

func (m *mainWindow) stepArrived(run *testRun, s tlstrace.Step) {
	if m.run != run {
		return
	}
	run.steps++
	m.result.addStep(s)
	m.banner.stage(lang.N("{{.Count}} messages so far…", run.steps, map[string]any{"Count": run.steps}))
}

// pinDialog is the PIN dialog of the test in progress, or nil.
func (m *mainWindow) pinDialog() *pinDialog {
	if m.run == nil || m.run.login == nil {
		return nil
	}
	return m.run.login.dialog
}

// cancelTest is the Cancel button (or Esc): it stops the probe, or the
// login while it waits.
func (m *mainWindow) cancelTest() {
	run := m.run
	switch {
	case run == nil:
	case run.cancel != nil:
		m.banner.stage(lang.L("Canceling…"))
		run.cancel() // the probe returns a canceled result: finished
	case run.login != nil:
		run.login.cancel()
	}
}

func (m *mainWindow) loginCanceled(run *testRun) {
	run.pf.Close() // no test follows: stop the certificate checks it started
	if m.run != run {
		return
	}
	m.run = nil
	m.setRunning(false)
	m.restoreShown() // nothing was tested: the last result stays
	m.say(lang.L("Test canceled."))
	m.events.emitAfterFrame("test-canceled", map[string]any{"stage": "login"})
}

// restoreShown shows the last result again after a test that never ran
// (its PIN dialog canceled), or nothing when there was none.
func (m *mainWindow) restoreShown() {
	if m.shown == nil || m.shown.res == nil {
		m.banner.clear()
		m.result.reset()
		return
	}
	m.banner.done(m.shown.res)
	m.banner.setFixes(m.fixesFor(m.shown.res))
	m.result.show(m.shown.res)
	m.result.explainFirst()
	m.checkStale()
}

// checkStale marks the verdict on screen when the certificate, the
// address or the options chosen now are not the ones it was found with.
func (m *mainWindow) checkStale() {
	if m.run != nil || m.shown == nil || m.shown.res == nil {
		return
	}
	var changed []string
	if !sameCert(m.selectedCert(), m.shown.cert) {
		changed = append(changed, lang.L("the certificate"))
	}
	if normalizeURL(m.conn.url.Text) != m.shown.url {
		changed = append(changed, lang.L("the server address"))
	}
	if m.conn.currentOptions() != m.shown.opts {
		changed = append(changed, lang.L("the options"))
	}
	why := ""
	if len(changed) > 0 {
		why = lang.L("From an earlier test: {{.What}} changed since. Press Test connection to test what is chosen now.",
			map[string]any{"What": strings.Join(changed, ", ")})
	}
	m.banner.setStale(why)
}

// finished shows a result.
func (m *mainWindow) finished(run *testRun, res *probe.Result) {
	run.pf.Close() // checks the test did not take over (a failed login, Compare)
	if m.run != run {
		return
	}
	m.run = nil
	run.res = res
	m.shown = run
	m.setRunning(false)
	m.banner.done(res)
	m.banner.setFixes(m.fixesFor(res))
	m.result.show(res)
	if m.demo != nil {
		m.demo.recordResult(run.url, run.cert, res.Verdict)
	}
	// The verdict changes the heights above the diagram: lay the view out
	// now, so that it scrolls to the message it explains with its real size.
	m.testView.Refresh()
	m.result.explainFirst()
	if endsSession(res) {
		m.logout() // the session is gone or unusable
	}
	if c := res.ClientCertificate; c != nil && m.held != nil && sameCert(m.held.cert, run.cert) {
		m.held.hasKey = c.HasPrivateKey
		if sameCert(m.selectedCert(), run.cert) {
			m.details.setPrivateKey(c.HasPrivateKey)
		}
	}
	// Nothing keeps the focus after a test: Enter runs it again, and an
	// entry's blinking cursor would redraw the resting window.
	m.win.Canvas().Unfocus()
	m.releaseSoon()
	if canceled(res) {
		m.say(lang.L("Test canceled."))
		m.events.emitAfterFrame("test-canceled", map[string]any{"stage": "probe", "steps": len(res.Steps)})
		return
	}
	m.say(lang.L("Test finished: {{.Verdict}}", map[string]any{"Verdict": verdictHeadline(res.Verdict)}))
	m.events.emitAfterFrame("result", map[string]any{"verdict": string(res.Verdict), "steps": len(res.Steps)})
}

// releaseMemory gives the memory a finished test no longer uses back to
// the system: Go's collector returns it only slowly, and a window left
// open all day should rest at the size it started with.
func releaseMemory() {
	debug.SetGCPercent(idleGCPercent)
	debug.SetMemoryLimit(math.MaxInt64)
	debug.FreeOSMemory()
	memtrim.Trim()
}

// startWithoutGC stops the collector until the first releaseMemory, a
// second after the first scan is on screen: the window allocates about
// 40 MB while it starts, nearly all of it garbage by then, and the
// collector ran eight times before the first frame (at 4, 6, 10… MB),
// taking about a fifth of the start's CPU on two cores. The memory
// limit bounds the heap in the meantime (a module that takes its time
// to answer: the collector then runs at the limit).
func startWithoutGC() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(startMemoryLimit)
}

// startMemoryLimit is the Go heap the start may reach without a
// collection: twice what it allocates.
const startMemoryLimit = 96 << 20

// releaseSoon releases memory once the window has drawn what changed (a
// scan, a result, a comparison, Explain, a dialog closed): much of the
// garbage is made laying out and painting the next frames, after the
// handler that caused them (after Compare, a release a second later gave
// back about 4 MB more than the one in the handler). A new call within
// the delay postpones it: one release per burst, none while the window
// rests.
func (m *mainWindow) releaseSoon() {
	if m.release != nil {
		m.release.Stop()
	}
	m.release = time.AfterFunc(releaseDelay, releaseMemory)
	if m.sweep != nil {
		m.sweep.Stop()
	}
	m.sweep = time.AfterFunc(sweepDelay, func() { m.do(m.sweepCaches) })
}

// sweepCaches draws the window once more after it has rested for longer
// than Fyne keeps what it no longer draws, then releases memory. Fyne
// keeps the textures of texts and images (in the GL driver's memory) and
// the renderers of widgets (with the widgets they hold: earlier results,
// closed dialogs) for a minute after they were last drawn, and frees them
// only while it draws a frame; a resting window draws none, so it kept
// every view of its last busy minute for good (measured: the C heap of
// the GL driver 42 MB with the card list, 52 MB after a test, a
// comparison and a canceled test). One frame a minute after the last
// activity lets it go.
func (m *mainWindow) sweepCaches() {
	canvas.Refresh(m.win.Content())
	m.release = time.AfterFunc(releaseDelay, releaseMemory)
}

// sweepDelay is Fyne's cache life (a minute, fyne.io/fyne/v2/internal/cache
// ValidDuration) and a margin.
const sweepDelay = time.Minute + 5*time.Second

// releaseDelay is long enough for a view to be laid out and painted.
const releaseDelay = time.Second

// idleGCPercent keeps the heap close to what is live: the default (100)
// lets a window that rests all day hold twice its live data.
const idleGCPercent = 50

// logout closes the held card (off the UI goroutine: it talks to it).
func (m *mainWindow) logout() {
	if m.held == nil {
		return
	}
	card := m.held.card
	m.held = nil
	m.conn.setLoggedIn("")
	go card.Close()
}
