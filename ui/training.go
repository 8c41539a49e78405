package ui

import (
	"context"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

// The window's training aids: demo scenarios, inline explanations, and
// TLS 1.2 and 1.3 side by side.

// setRunning switches the controls between idle and a test in progress.
func (m *mainWindow) setRunning(running bool) {
	m.conn.setRunning(running)
	if running {
		m.result.compareBtn.Disable()
	} else {
		m.result.compareBtn.Enable()
	}
}

// scenarioSelected fills a demo scenario in: its certificate, its
// address, its CA file and automatic TLS, so that Test connection is all
// that is left to do. A test in progress keeps its scenario.
func (m *mainWindow) scenarioSelected(i int) {
	if m.run != nil {
		m.demo.list.Select(m.demo.selected)
		return
	}
	m.demo.show(i)
	s := m.demo.d.Scenarios[i]
	m.conn.url.SetText(s.URL)
	o := m.conn.currentOptions()
	o.TLSVersion, o.CAFile, o.ContinueUntrusted = probe.TLSAuto, s.CAFile, false
	m.conn.setOptions(o)
	m.conn.say("", widget.MediumImportance)
	m.selectScenarioCert()
	m.banner.content.Hide()
	m.result.reset()
	m.say(lang.L("Scenario: {{.Title}}", map[string]any{"Title": scenarioTitle(s)}))
}

// selectScenarioCert selects the chosen scenario's certificate in the
// tree (once the cards have been read).
func (m *mainWindow) selectScenarioCert() {
	if s, ok := m.demo.scenario(); ok {
		m.tokens.selectCert(func(c *token.Certificate) bool { return scenarioCert(s, c) })
	}
}

// demoPIN is the PIN to fill in for a certificate: the demo token's own,
// in demo mode; nothing for any other card.
func (m *mainWindow) demoPIN(c *token.Certificate) string {
	if m.demo == nil || !isDemoToken(c) {
		return ""
	}
	return m.demo.d.PIN
}

// tabSlideTime is how long the tabs' underline takes to move (Fyne's
// standard animation), plus a few frames.
const tabSlideTime = canvas.DurationStandard + settleTime

// tabSelected tells the event log which tab is shown (for the smoke
// test's screenshots).
func (m *mainWindow) tabSelected(item *container.TabItem) {
	names := map[*container.TabItem]string{m.certTab: "certificate", m.handshakeTab: "handshake",
		m.serverTab: "server", m.requestTab: "request", m.lessonTab: "lesson", m.optionsTab: "options"}
	m.events.emitAfter(tabSlideTime, "tab", map[string]any{"tab": names[item]})
}

// tryDemo is Try the demo: the demo starts in a new process (see
// Deps.TryDemo) and this window closes.
func (m *mainWindow) tryDemo() {
	if err := m.deps.TryDemo(); err != nil {
		m.showError(err)
		return
	}
	m.app.Quit()
}

// explainChanged is the Explain box: explanations inline in the diagram.
func (m *mainWindow) explainChanged(on bool) {
	m.result.setExplain(on)
	if m.explainItem != nil {
		m.explainItem.Checked = on
		m.win.MainMenu().Refresh()
	}
	m.events.emitAfterFrame("explain", map[string]any{"on": on})
	m.releaseSoon() // the diagram was laid out again
}

// toggleExplain is the menu item (and its shortcut) for the Explain box.
func (m *mainWindow) toggleExplain() {
	m.tabs.Select(m.handshakeTab)
	m.result.explain.SetChecked(!m.result.explain.Checked)
}

// compareProbe runs the comparison off the UI goroutine: the test with
// TLS 1.2, then with TLS 1.3, on the same logged-in card (one login,
// one PIN). A canceled test, or a card that went away, stops it.
func (m *mainWindow) compareProbe(ctx context.Context, cancel context.CancelFunc, run *testRun, card desktop.Card) {
	o := m.conn.currentOptions()
	var opts [2]desktop.Options
	for i, version := range compareVersions {
		url := run.url
		if m.demo != nil {
			url = m.demo.compareURL(run.url, run.cert, string(version))
		}
		opts[i] = desktop.Options{URL: url, TLSVersion: version, CAFile: o.CAFile,
			ContinueUntrusted: o.ContinueUntrusted, Timeout: o.Timeout,
			OnStep: func(s tlstrace.Step) { m.do(func() { m.compareStep(run, i, s) }) }}
	}
	m.banner.stage(lang.L("Connecting to the server…"))
	go func() {
		var res [2]*probe.Result
		for i := range opts {
			m.do(func() { m.compareStarted(run, i, opts[i].URL) })
			res[i] = card.Test(ctx, opts[i])
			if ctx.Err() != nil || stopsComparison(res[i]) {
				break
			}
		}
		cancel()
		m.do(func() { m.compared(run, res) })
	}()
}

// backToOneTest leaves a comparison for its last test (TLS 1.3) and its
// verdict.
func (m *mainWindow) backToOneTest() {
	m.result.showSingle()
	if m.result.res != nil && m.run == nil {
		m.banner.content.Show()
	}
}

// stopsComparison: errors after which the second test cannot run.
func stopsComparison(r *probe.Result) bool {
	return endsSession(r) || canceled(r)
}

func (m *mainWindow) compareStarted(run *testRun, i int, url string) {
	if m.run != run {
		return
	}
	run.steps = 0
	m.result.compare.started(i, url)
}

func (m *mainWindow) compareStep(run *testRun, i int, s tlstrace.Step) {
	if m.run != run {
		return
	}
	run.steps++
	m.result.compare.addStep(i, s)
	m.banner.stage(lang.N("TLS {{.Version}}: {{.Count}} messages so far…", run.steps, map[string]any{"Version": compareVersions[i], "Count": run.steps}))
}

// compared shows a finished comparison: the two tests side by side, and
// the TLS 1.3 test (the one "automatic" would pick) as the result. When
// the first test stopped the comparison, it is the result.
func (m *mainWindow) compared(run *testRun, res [2]*probe.Result) {
	if m.run != run {
		return
	}
	if res[1] == nil || stopsComparison(res[1]) {
		last := res[1]
		if last == nil {
			last = res[0]
		}
		m.result.showSingle()
		m.finished(run, last)
		return
	}
	m.finished(run, res[1])
	m.result.compare.show(res)
	m.result.showCompare()
	m.banner.content.Hide() // each side shows its verdict; the diagrams need the room
	m.events.emitAfterFrame("compare", map[string]any{
		"verdict_12": string(res[0].Verdict), "verdict_13": string(res[1].Verdict),
		"steps_12": len(res[0].Steps), "steps_13": len(res[1].Steps),
		"messages_12": len(handshakeSteps(res[0].Steps)), "messages_13": len(handshakeSteps(res[1].Steps))})
}
