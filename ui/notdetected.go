package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/diagnose"
)

// LessonNotDetected is the name of the "card not detected" lesson, for
// demo.Demo.OpenLesson.
const LessonNotDetected = "not-detected"

// notDetectedView is the demo's lesson "Card not detected": the layers
// between a card and cardcheck, one broken per step. Each step shows
// what a person with that problem sees — the window's empty state and
// Help → Diagnostics — from a simulated smart-card service (app/demo),
// worded by app/diagnose as for a real one.
type notDetectedView struct {
	m       *mainWindow
	steps   []demo.LayerStep
	reports []*diagnose.Report
	i       int
	live    bool // the first step is the demo's emulated card, not simulated

	simulated *widget.Label
	heading   *widget.Label
	layer     *widget.Label // what this layer is, and what broke
	empty     *emptyState   // the window as the person sees it
	listed    *widget.Label // instead of the empty state when the card is listed
	report    *widget.Label // Help → Diagnostics, redacted
	tabs      *container.AppTabs
	back      *widget.Button
	next      *widget.Button
	busy      *busyBar
	dlg       *dialog.CustomDialog
}

// showNotDetected opens the lesson at its first step; the reports are
// made off the UI goroutine (they read the ATR list and the system's
// description).
func (m *mainWindow) showNotDetected() {
	v := &notDetectedView{m: m, steps: demo.NotDetectedLesson(m.demo.d.Module),
		heading: &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameSubHeadingText},
		layer:   &widget.Label{Wrapping: fyne.TextWrapWord},
		empty:   newEmptyState(nil, nil, nil),
		listed:  &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.SuccessImportance},
		report:  &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Monospace: true}},
		busy:    newBusyBar(),
	}
	v.empty.addModule.Disable() // a picture of the window: its buttons do nothing here
	v.empty.refresh.Disable()
	v.empty.icon.Hide() // room for the findings in a small window
	v.back = &widget.Button{Text: lang.L("Back"), Icon: theme.NavigateBackIcon(), OnTapped: v.prev}
	v.next = &widget.Button{Text: lang.L("Next"), Icon: theme.NavigateNextIcon(), IconPlacement: widget.ButtonIconTrailingText,
		Importance: widget.HighImportance, OnTapped: v.forward}
	v.back.Disable()
	v.next.Disable()
	v.simulated = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	window := container.NewStack(v.empty.content, container.NewPadded(v.listed))
	v.tabs = container.NewAppTabs(
		container.NewTabItem(lang.L("In the window"), window),
		container.NewTabItem(lang.L("Diagnostics report"), container.NewVScroll(v.report)))
	v.tabs.OnSelected = v.tabSelected
	top := container.NewVBox(v.simulated, v.heading, v.layer, v.busy.box)
	body := container.NewBorder(top, nil, nil, nil, v.tabs)
	var od *openDialog
	v.dlg, od = m.showPanel("not-detected", lang.L("Card not detected: a lesson"), body,
		fyne.NewSize(760, lessonHeight(m.win.Canvas().Size().Height)), false, v.close, v.back, v.next)
	m.lesson = v
	od.closed = func() {
		if m.lesson == v {
			m.lesson = nil
		}
	}
	v.busy.start()
	inv, live := m.inv, m.demo.d.Emulated != nil && m.inv != nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), diagnoseLimit)
		defer cancel()
		reports := make([]*diagnose.Report, len(v.steps))
		for i, s := range v.steps {
			reports[i] = s.Diagnose(ctx)
		}
		if live {
			// The working chain is the real one: the emulated card in
			// its reader, as this window's scan and pcscd see it.
			reports[0] = m.deps.Backend.Diagnose(ctx, inv, false)
		}
		m.do(func() { v.filled(reports, live) })
	}()
}

func (v *notDetectedView) close() { v.dlg.Hide() }

// lessonHeight is the lesson's height in a window that tall: the window
// less room for the dialog's title and buttons, within bounds (the
// report needs the room; a small window must still show the buttons).
func lessonHeight(window float32) float32 { return max(360, min(720, window-170)) }

// tabSelected tells the event log which of the lesson's tabs is shown.
func (v *notDetectedView) tabSelected(item *container.TabItem) {
	name := "lesson-window"
	if item == v.tabs.Items[1] {
		name = "lesson-diagnostics"
	}
	v.m.events.emitAfter(tabSlideTime, "tab", map[string]any{"tab": name})
}

func (v *notDetectedView) filled(reports []*diagnose.Report, live bool) {
	v.busy.stop()
	v.reports, v.live = reports, live
	v.show(0)
}

func (v *notDetectedView) prev() {
	if v.i > 0 {
		v.show(v.i - 1)
	}
}

func (v *notDetectedView) forward() {
	if v.i+1 < len(v.steps) {
		v.show(v.i + 1)
	}
}

// show shows step i: its layer, the window and the report.
func (v *notDetectedView) show(i int) {
	v.i = i
	s, r := v.steps[i], v.reports[i]
	v.heading.SetText(lang.L("Step {{.N}} of {{.Count}}: {{.Title}}",
		map[string]any{"N": i + 1, "Count": len(v.steps), "Title": layerStepTitle(s.Name)}))
	v.layer.SetText(layerStepText(s.Name))
	v.simulated.Importance = widget.WarningImportance
	v.simulated.SetText(lang.L("Simulated: no real reader, card or smart-card service is used. Each step shows what cardcheck shows a person with that problem."))
	if i == 0 && v.live {
		v.simulated.Importance = widget.SuccessImportance
		v.simulated.SetText(lang.L("Live: the project's emulated PIV card in a virtual reader (pcscd with vsmartcard's vpcd, read through OpenSC), as this window sees it. The other steps are simulated."))
	}
	if label, reader := listedCard(s, r, v.live && i == 0); label != "" {
		v.listed.SetText(lang.L("The card is listed: the token “{{.Token}}” in the reader “{{.Reader}}”, with its certificates, as in the demo's card list. Nothing is missing, so the window shows no advice.",
			map[string]any{"Token": label, "Reader": reader}))
		v.empty.content.Hide()
		v.listed.Show()
	} else {
		v.empty.update(s.Inventory)
		v.empty.setFindings(r.Diagnosis)
		v.listed.Hide()
		v.empty.content.Show()
	}
	var b strings.Builder
	r.WriteTextNaming(&b, true, guiControl)
	v.report.SetText(b.String())
	setEnabled(v.back, i > 0)
	setEnabled(v.next, i+1 < len(v.steps))
	v.m.events.emitAfterFrame("status", map[string]any{"what": "not-detected-step", "name": s.Name, "index": i})
}

// listedCard is the token a step shows in a reader: from the report
// when the step is live, else from the simulated scan; "" when none.
func listedCard(s demo.LayerStep, r *diagnose.Report, live bool) (label, reader string) {
	if live {
		for _, t := range r.Tokens {
			if t.Reader != "" {
				return t.Label, t.Reader
			}
		}
		return "", ""
	}
	if len(s.Inventory.Tokens) > 0 {
		return s.Inventory.Tokens[0].Label, s.Inventory.Tokens[0].SlotDescription
	}
	return "", ""
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// layerStepTitle names a step of the lesson.
func layerStepTitle(name string) string {
	switch name {
	case demo.StepCardListed:
		return lang.L("Everything in place")
	case demo.StepNoReader:
		return lang.L("No reader")
	case demo.StepServiceNotRunning:
		return lang.L("The smart-card service is not running")
	case demo.StepNoModule:
		return lang.L("The card is in the reader, but no module claims it")
	case demo.StepCardInUse:
		return lang.L("Another program holds the card")
	case demo.StepModuleHidesCard:
		return lang.L("A module hides the card (a reader with a PIN pad)")
	}
	return name
}

// layerStepText says which layer a step is about and what broke there.
func layerStepText(name string) string {
	switch name {
	case demo.StepCardListed:
		return lang.L("A card reaches cardcheck through four layers: the reader and its driver, the smart-card service (pcscd on Linux), the PKCS#11 module that knows the card, and the token the module shows. Here all four work: the reader holds a PIV card and OpenSC shows it as a token. The report ties the reader, the card's ATR and the token together.")
	case demo.StepNoReader:
		return lang.L("The bottom layer is the reader. The smart-card service runs but sees no reader: it is not plugged in, or its driver is missing.")
	case demo.StepServiceNotRunning:
		return lang.L("Above the reader is the smart-card service. When it does not run, no program sees any reader, even one that is plugged in.")
	case demo.StepNoModule:
		return lang.L("The service sees the reader and the card, but cardcheck reads cards only through PKCS#11 modules. Here only the demo's SoftHSM module is loaded, and it knows nothing of cards in readers: the card needs its module (for most cards OpenSC).")
	case demo.StepCardInUse:
		return lang.L("A program may open a card for itself alone. Until it lets go, no module can read the card, and cardcheck cannot list it.")
	case demo.StepModuleHidesCard:
		return lang.L("OpenSC sees the card but cannot read its token, so the token list leaves it out. The reader has a PIN pad, which the report flags: some card drivers cannot use a PIN pad; the card issuer's module may be needed.")
	}
	return ""
}

// openStartLesson opens the lesson the demo was started with
// (`cardcheck demo --lesson not-detected`), once, when the cards have
// been read.
func (m *mainWindow) openStartLesson() {
	if m.demo == nil || m.lessonShown || m.demo.d.OpenLesson != LessonNotDetected || m.modal.any() {
		return
	}
	m.lessonShown = true
	m.showNotDetected()
}
