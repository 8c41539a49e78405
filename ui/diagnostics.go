package ui

import (
	"context"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/token"
)

// diagnoseLimit bounds a look below PKCS#11 from the window (a hung
// smart-card service, slow package queries).
const diagnoseLimit = 15 * time.Second

// lookBelow asks, off the UI goroutine, what the layers below PKCS#11
// say about a scan: why a card may not be listed. The empty state shows
// the findings; with certificates listed, a card that no module shows is
// said in the status bar.
func (m *mainWindow) lookBelow(inv *token.Inventory) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), diagnoseLimit)
		defer cancel()
		r := m.deps.Backend.Diagnose(ctx, inv, false)
		m.do(func() { m.lookedBelow(inv, r) })
	}()
}

func (m *mainWindow) lookedBelow(inv *token.Inventory, r *diagnose.Report) {
	if inv != m.inv || r == nil {
		return // a newer scan is on screen
	}
	m.empty.setFindings(r.Diagnosis)
	if m.emptyView.Visible() || !r.CardNotShown() {
		return
	}
	// Not "Help → Diagnostics…": the arrow and the space after it render
	// as "→�" in the window's font (seen under Xvfb, Fyne v2.8.1).
	m.say(lang.L("A card in a reader is not shown by any module: Diagnostics… in the Help menu says why."))
}

// diagnosticsView is Help → Diagnostics…: the whole chain from the
// smart-card service to the certificates, as a report to paste into a
// ticket or a forum. Names, serials and e-mail addresses are replaced by
// placeholders unless the person asks for them.
type diagnosticsView struct {
	m      *mainWindow
	report *diagnose.Report
	text   *widget.Label
	full   *escCheck
	copy   *widget.Button
	save   *widget.Button
	busy   *busyBar
	dlg    *dialog.CustomDialog
}

// showDiagnostics opens the dialog and fills it in off the UI goroutine.
func (m *mainWindow) showDiagnostics() {
	v := &diagnosticsView{m: m,
		// Not selectable: a selectable label keeps the focus and Esc would
		// no longer close the dialog; Copy takes the whole report.
		text: &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Monospace: true}},
		busy: newBusyBar(),
	}
	v.full = newEscCheck(fullLabel(), v.fullChanged, v.close)
	v.copy = &widget.Button{Text: lang.L("Copy"), Icon: theme.ContentCopyIcon(), OnTapped: v.copyReport}
	v.save = &widget.Button{Text: lang.L("Save…"), Icon: theme.DocumentSaveIcon(), OnTapped: v.saveReport}
	v.copy.Disable()
	v.save.Disable()
	v.text.SetText(lang.L("Looking at the smart-card service, the readers, the modules and the cards…"))
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: lang.L("Everything between the card and cardcheck, for a ticket. Names, serial numbers and e-mail addresses are replaced by placeholders, so that you can paste it into a public forum.")}
	body := container.NewBorder(container.NewVBox(intro, v.full, v.busy.box), nil, nil, nil, container.NewVScroll(v.text))
	var od *openDialog
	v.dlg, od = m.showPanel("diagnostics", lang.L("Diagnostics"), body, fyne.NewSize(720, 420), true, v.close, v.save, v.copy)
	m.diag = v
	od.closed = func() {
		if m.diag == v {
			m.diag = nil
		}
	}
	v.busy.start()
	inv := m.inv
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), diagnoseLimit)
		defer cancel()
		r := m.deps.Backend.Diagnose(ctx, inv, true)
		m.do(func() { v.filled(r) })
	}()
}

// close closes the dialog (Close, or Esc in its check box).
func (v *diagnosticsView) close() {
	v.m.win.Canvas().Unfocus() // told before the dialog goes (see openDialog.entries)
	v.dlg.Hide()
}

func (v *diagnosticsView) filled(r *diagnose.Report) {
	v.busy.stop()
	v.report = r
	v.copy.Enable()
	v.save.Enable()
	v.render()
	v.m.events.emitAfterFrame("status", map[string]any{"what": "diagnostics-ready"})
}

func (v *diagnosticsView) fullChanged(bool) {
	if v.report != nil {
		v.render()
	}
}

func (v *diagnosticsView) render() {
	var b strings.Builder
	v.report.WriteTextNaming(&b, !v.full.Checked, guiControl)
	v.text.SetText(b.String())
}

// fullLabel is the check box that shows the full report.
func fullLabel() string { return lang.L("Show names and serial numbers (for your helpdesk only)") }

// guiControl names a control a report refers to the way this window
// shows it (the CLI names its flags instead).
func guiControl(c diagnose.Control) string {
	switch c {
	case diagnose.ControlFull:
		return lang.L("the box “{{.Label}}”", map[string]any{"Label": fullLabel()})
	}
	return string(c)
}

func (v *diagnosticsView) copyReport() {
	var b strings.Builder
	v.report.WriteTextNaming(&b, !v.full.Checked, guiControl)
	v.m.app.Clipboard().SetContent(b.String())
	v.m.say(lang.L("Diagnostics copied. Paste them into your ticket."))
	v.m.events.emit("status", map[string]any{"what": "diagnostics-copied"})
}

func (v *diagnosticsView) saveReport() {
	redact := !v.full.Checked
	name := "cardcheck-diagnostics-" + v.m.now().Format("20060102-1504") + ".txt"
	v.m.saveFile("save-diagnostics", name, []string{".txt", ".json"}, func(w io.Writer, file string) error {
		if strings.HasSuffix(strings.ToLower(file), ".json") {
			return v.report.WriteJSON(w, redact)
		}
		return v.report.WriteTextNaming(w, redact, guiControl)
	}, func(file string) string {
		return lang.L("Diagnostics saved to {{.File}}", map[string]any{"File": file})
	})
}

// minHeight gives its content at least a height (a dialog whose text
// arrives later must not start as a sliver).
// showPanel shows body in a dialog titled title, size.Width wide and at
// least size.Height tall, with Close (closeFn) first and then buttons, as
// the modal name (okOnly as for modalStack.show): the frame the
// diagnostics report and the not-detected lesson share.
func (m *mainWindow) showPanel(name, title string, body fyne.CanvasObject, size fyne.Size, okOnly bool,
	closeFn func(), buttons ...fyne.CanvasObject) (*dialog.CustomDialog, *openDialog) {
	d := dialog.NewCustomWithoutButtons(title,
		container.New(&fixedWidth{width: size.Width}, container.New(&minHeight{height: size.Height}, body)), m.win)
	closeBtn := &widget.Button{Text: lang.L("Close"), Icon: theme.CancelIcon(), OnTapped: closeFn}
	d.SetButtons(append([]fyne.CanvasObject{closeBtn}, buttons...))
	return d, m.modal.show(name, d, okOnly)
}

type minHeight struct{ height float32 }

func (l *minHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *minHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	s.Height = max(s.Height, l.height)
	return s
}
