package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/token"
)

// RunDemo opens the main window in demo mode and blocks until it is
// closed: the demo's scenarios on the left, the demo token selected, the
// first scenario filled in and the demo PIN shown and filled in, so that
// a test is Test connection and OK. The demo must be prepared and started
// (demo.Prepare, Demo.Start) and deps.Backend must read the demo's
// module. Settings stay in memory: the demo does not touch the user's.
func RunDemo(a fyne.App, w fyne.Window, deps Deps, d *demo.Demo) int {
	return run(a, w, deps, d)
}

// demoPanel is the demo's part of the window: a banner that says this is
// the demo and what its PIN is, and the prepared scenarios, each with the
// verdict it should give. Choosing a scenario fills the test in.
type demoPanel struct {
	d        *demo.Demo
	banner   fyne.CanvasObject // across the top of the window
	pin      *widget.Label
	list     *widget.List
	title    *widget.Label // the chosen scenario, in full below the list
	expect   *badge
	desc     *widget.Label
	outcome  *widget.Label
	results  map[string]probe.Verdict // the last verdict of each scenario
	selected int                      // -1: none
	// notDetected opens the lesson "card not detected" (the layers
	// below the token list, simulated).
	notDetected *widget.Button
	content     fyne.CanvasObject // the scenarios, for the left column
}

// demoChosenMaxHeight bounds the chosen scenario's text under the list.
const demoChosenMaxHeight = 150

func newDemoPanel(d *demo.Demo, onSelect func(int), onNotDetected func()) *demoPanel {
	p := &demoPanel{
		d:        d,
		pin:      &widget.Label{Text: lang.L("Demo PIN: {{.PIN}}", map[string]any{"PIN": d.PIN}), TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText},
		title:    &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		expect:   newBadge("", theme.ColorNameForeground),
		desc:     &widget.Label{Wrapping: fyne.TextWrapWord},
		outcome:  &widget.Label{Wrapping: fyne.TextWrapWord},
		results:  map[string]probe.Verdict{},
		selected: -1,
	}
	p.list = &widget.List{
		Length:     p.length,
		CreateItem: p.createItem,
		UpdateItem: p.updateItem,
		OnSelected: onSelect,
	}
	p.list.ExtendBaseWidget(p.list)
	p.notDetected = &widget.Button{Text: lang.L("Card not detected…"), Icon: theme.QuestionIcon(), OnTapped: onNotDetected}
	p.outcome.Hide()

	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L("Demo: the card “{{.Token}}” and the servers run on this computer. Pick a scenario, then Test connection.", map[string]any{"Token": demo.TokenLabel})}
	icon := container.NewVBox(container.NewGridWrap(fyne.NewSquareSize(32), widget.NewIcon(theme.NewPrimaryThemedResource(theme.InfoIcon()))))
	bg := newTint()
	p.banner = container.NewStack(bg, container.NewPadded(container.NewBorder(nil, nil, icon, container.NewCenter(p.pin), intro)))

	heading := &widget.Label{Text: lang.L("Demo scenarios"), TextStyle: fyne.TextStyle{Bold: true}}
	chosen := container.NewVBox(widget.NewSeparator(),
		container.New(&tightVBox{}, p.title, container.NewHBox(container.New(layout.NewCustomPaddedLayout(theme.Padding(), theme.Padding()*2, theme.InnerPadding(), 0), p.expect)), p.desc, p.outcome))
	// The chosen scenario's text scrolls beyond a few lines, so that the
	// list keeps room for several scenarios in a small window.
	capped := container.New(&cappedHeight{body: chosen, max: func() float32 { return demoChosenMaxHeight }}, container.NewVScroll(chosen))
	p.content = container.NewBorder(heading, container.NewVBox(capped, p.notDetected), nil, nil, p.list)
	return p
}

func (p *demoPanel) length() int { return len(p.d.Scenarios) }

func (p *demoPanel) createItem() fyne.CanvasObject { return newScenarioRow() }

func (p *demoPanel) updateItem(i widget.ListItemID, o fyne.CanvasObject) {
	s := p.d.Scenarios[i]
	v, ran := p.results[s.Name]
	o.(*scenarioRow).set(s, v, ran)
}

// scenario returns the chosen scenario (false when none is).
func (p *demoPanel) scenario() (demo.Scenario, bool) {
	if p.selected < 0 || p.selected >= len(p.d.Scenarios) {
		return demo.Scenario{}, false
	}
	return p.d.Scenarios[p.selected], true
}

// show shows scenario i in full below the list.
func (p *demoPanel) show(i int) {
	p.selected = i
	s := p.d.Scenarios[i]
	p.title.SetText(scenarioTitle(s))
	name, _ := verdictLook(probe.Verdict(s.Expect))
	p.expect.set(lang.L("expected: {{.Verdict}}", map[string]any{"Verdict": verdictShort(probe.Verdict(s.Expect))}), name)
	p.desc.SetText(scenarioDescription(s))
	p.showOutcome()
}

// showOutcome says how the chosen scenario's last test compares with
// the verdict the scenario expects.
func (p *demoPanel) showOutcome() {
	s, ok := p.scenario()
	v, ran := p.results[s.Name]
	if !ok || !ran {
		p.outcome.Hide()
		return
	}
	args := map[string]any{"Verdict": verdictShort(v), "Expected": verdictShort(probe.Verdict(s.Expect))}
	if string(v) == s.Expect {
		p.outcome.Importance = widget.SuccessImportance
		p.outcome.SetText(lang.L("Last test: {{.Verdict}}, as this scenario expects.", args))
	} else {
		p.outcome.Importance = widget.WarningImportance
		p.outcome.SetText(lang.L("Last test: {{.Verdict}}, but this scenario expects {{.Expected}}. Check the certificate and the options.", args))
	}
	p.outcome.Show()
}

// scenarioFor finds the scenario a test was: its address and certificate.
func (p *demoPanel) scenarioFor(url string, cert *token.Certificate) (demo.Scenario, bool) {
	for _, s := range p.d.Scenarios {
		if s.URL == url && scenarioCert(s, cert) {
			return s, true
		}
	}
	return demo.Scenario{}, false
}

// recordResult remembers the verdict of a test that was a scenario.
func (p *demoPanel) recordResult(url string, cert *token.Certificate, v probe.Verdict) {
	s, ok := p.scenarioFor(url, cert)
	if !ok {
		return
	}
	p.results[s.Name] = v
	p.list.Refresh()
	p.showOutcome()
}

// compareURL is the address to test with a TLS version when a scenario
// is compared. The demo runs its servers that accept the demo card with
// one TLS version each ("accepted-tls13", "accepted-tls12"), so for the
// other version the comparison goes to the demo's server for that
// version that trusts the same CA, preferring the one whose scenario
// expects the same verdict: the same card, the same login, the same
// lesson. Addresses that are no scenario of this certificate, and
// servers that speak both versions, are tested as they are.
func (p *demoPanel) compareURL(url string, cert *token.Certificate, version string) string {
	from, ok := p.scenarioFor(url, cert)
	if !ok || from.TLS == "auto" || from.TLS == version {
		return url
	}
	best := ""
	for _, s := range p.d.Scenarios {
		if s.TLS != version || s.CAFile != from.CAFile {
			continue
		}
		if s.Expect == from.Expect {
			return s.URL
		}
		if best == "" {
			best = s.URL
		}
	}
	if best == "" {
		return url
	}
	return best
}

// scenarioCert says whether a certificate is the one a scenario uses.
func scenarioCert(s demo.Scenario, c *token.Certificate) bool {
	f, err := token.ParseURI(s.CertURI)
	return err == nil && c != nil && c.Token != nil && c.Token.Module != nil && f.Match(c)
}

// isDemoToken says whether a certificate is on the demo token, whose PIN
// is public. A real card plugged in during the demo never gets it.
func isDemoToken(c *token.Certificate) bool {
	return c != nil && c.Token != nil && c.Token.Label == demo.TokenLabel
}

// scenarioTitle is a scenario's name in a few words.
func scenarioTitle(s demo.Scenario) string {
	switch s.Name {
	case "accepted-tls13":
		return lang.L("Accepted with TLS 1.3")
	case "accepted-tls12":
		return lang.L("Accepted with TLS 1.2")
	case "untrusted-ca":
		return lang.L("Server does not trust the CA")
	case "revoked":
		return lang.L("Revoked certificate")
	case "expired":
		return lang.L("Expired certificate")
	case "unknown-issuer":
		return lang.L("Certificate from an unknown CA")
	case "not-for-client-auth":
		return lang.L("Certificate not meant for logging in")
	case "no-client-certificate":
		return lang.L("Server asks for no certificate")
	case "untrusted-server":
		return lang.L("Server not trusted")
	case "denied":
		return lang.L("Card accepted, access denied")
	}
	return s.Name
}

// scenarioDescription is a scenario's description in the user's
// language: the demo's English sentence is the translation key (en.json
// holds them all; the smoke test checks they still match the demo).
func scenarioDescription(s demo.Scenario) string { return tr(s.Description) }

// scenarioRow is one line of the scenario list: the title with the
// expected verdict, whether the last test gave it, and the description.
type scenarioRow struct {
	widget.BaseWidget
	title  *widget.Label
	expect *badge
	result *widget.Icon
	desc   *note
}

func newScenarioRow() *scenarioRow {
	r := &scenarioRow{
		title:  &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis},
		expect: newBadge("", theme.ColorNameForeground),
		result: widget.NewIcon(nil),
		desc:   newNote("", theme.SizeNameCaptionText).truncated(),
	}
	r.result.Hide()
	r.ExtendBaseWidget(r)
	return r
}

func (r *scenarioRow) set(s demo.Scenario, last probe.Verdict, ran bool) {
	r.title.SetText(scenarioTitle(s))
	name, _ := verdictLook(probe.Verdict(s.Expect))
	r.expect.set(verdictShort(probe.Verdict(s.Expect)), name)
	r.desc.SetText(scenarioDescription(s))
	switch {
	case !ran:
		r.result.Hide()
	case string(last) == s.Expect:
		r.result.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		r.result.Show()
	default:
		r.result.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
		r.result.Show()
	}
}

func (r *scenarioRow) CreateRenderer() fyne.WidgetRenderer {
	gap := canvas.NewRectangle(color.Transparent) // keeps the badge clear of the list's scroll bar
	gap.SetMinSize(fyne.NewSize(theme.Padding(), 1))
	right := container.NewHBox(r.result, r.expect, gap)
	head := container.NewBorder(nil, nil, nil, right, r.title)
	return widget.NewSimpleRenderer(container.New(&tightVBox{}, head, r.desc))
}
