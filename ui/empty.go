package ui

import (
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/diagnose"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/assets"
	"github.com/cardcheck/cardcheck/token"
)

// emptyState replaces the details and the test when no certificate was
// found: it says what to do, where cardcheck looked, and offers the
// actions that help (and the demo, when the caller provides one).
type emptyState struct {
	title     *widget.Label
	findings  *widget.Label // why the card is not listed, layer by layer
	steps     *widget.Label
	where     *note
	modules   *note
	addModule *widget.Button
	refresh   *widget.Button
	demo      *widget.Button // nil without a demo
	content   fyne.CanvasObject
}

// newEmptyState builds the panel; onDemo may be nil (no demo button).
func newEmptyState(onAdd, onRefresh, onDemo func()) *emptyState {
	e := &emptyState{
		title:     &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
		findings:  &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance, Selectable: true},
		steps:     &widget.Label{Wrapping: fyne.TextWrapWord},
		where:     newNote("", theme.SizeNameCaptionText),
		modules:   newNote("", theme.SizeNameCaptionText),
		addModule: &widget.Button{Text: lang.L("Add module…"), Icon: theme.ContentAddIcon(), OnTapped: onAdd},
		refresh:   &widget.Button{Text: lang.L("Look again"), Icon: theme.ViewRefreshIcon(), OnTapped: onRefresh, Importance: widget.HighImportance},
	}
	e.where.SetText(whereModulesText())
	e.findings.Hide()
	buttons := []fyne.CanvasObject{e.refresh, e.addModule}
	if onDemo != nil {
		e.demo = &widget.Button{Text: lang.L("Try the demo"), Icon: theme.MediaPlayIcon(), OnTapped: onDemo}
		buttons = append(buttons, e.demo)
	}
	icon := widget.NewIcon(theme.NewDisabledResource(assets.CardIcon))
	iconBox := container.NewCenter(container.NewGridWrap(fyne.NewSize(96, 96), icon))
	body := container.NewVBox(
		iconBox,
		e.title,
		e.findings,
		e.steps,
		container.NewCenter(container.NewHBox(buttons...)),
		widget.NewSeparator(),
		e.where,
		e.modules,
	)
	e.content = container.NewVScroll(container.NewPadded(container.New(&maxWidth{width: 620}, body)))
	return e
}

// update fills the panel in from a scan.
func (e *emptyState) update(inv *token.Inventory) {
	if len(inv.Tokens) == 0 {
		e.title.SetText(lang.L("No smart card found"))
		e.steps.SetText(strings.Join([]string{
			lang.L("1. Insert your smart card into the reader, or plug in your USB token. cardcheck notices it by itself within a few seconds."),
			lang.L("2. If the card sits in a reader, check that the reader is connected (its light is usually on) and that the card is inserted the right way round."),
			lang.L("3. If your card needs its vendor's software, install it and add its PKCS#11 module with “Add module…” (for example opensc-pkcs11.so, libeTPkcs11.so or libykcs11.so)."),
		}, "\n"))
	} else {
		e.title.SetText(lang.L("No certificates on your card"))
		e.steps.SetText(strings.Join([]string{
			lang.L("cardcheck found a card but no certificate on it."),
			lang.L("Some cards keep certificates in a part that only their vendor's module can read: add that module with “Add module…”."),
			lang.L("If the card is new, it may not have been personalised yet: ask whoever issued it."),
		}, "\n"))
	}
	e.modules.SetText(modulesText(inv))
}

// whereModulesText says where cardcheck looks for PKCS#11 modules.
func whereModulesText() string {
	switch runtime.GOOS {
	case "windows":
		return lang.L("Where cardcheck looks for modules: the usual install folders of OpenSC, SafeNet, YubiKey and other vendors under Program Files and Windows\\System32, and the modules you added.")
	case "darwin":
		return lang.L("Where cardcheck looks for modules: /Library, /usr/local/lib and /opt/homebrew/lib (OpenSC, SafeNet, YubiKey and other vendors), the p11-kit registry, and the modules you added.")
	}
	return lang.L("Where cardcheck looks for modules: the p11-kit registry (/usr/share/p11-kit/modules, /etc/pkcs11/modules, ~/.config/pkcs11/modules), the usual library folders of OpenSC, SoftHSM, YubiKey, SafeNet and other vendors, and the modules you added.")
}

// modulesText lists the modules found and why any failed.
func modulesText(inv *token.Inventory) string {
	if len(inv.Modules) == 0 {
		return lang.L("No PKCS#11 module was found on this computer.")
	}
	lines := []string{lang.L("Modules found:")}
	for _, m := range inv.Modules {
		name := m.Info.Description
		if name == "" {
			name = m.Path
		} else {
			name += " (" + m.Path + ")"
		}
		if m.Err != nil {
			name += " — " + lang.L("cannot be used: {{.Error}}", map[string]any{"Error": firstLine(errorText(m.Err))})
		}
		lines = append(lines, "• "+name)
	}
	return strings.Join(lines, "\n")
}

// maxWidth centres its content and keeps it at most width wide, so that
// text in a wide window stays readable.
type maxWidth struct{ width float32 }

func (l *maxWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, l.width)
	for _, o := range objs {
		h := max(o.MinSize().Height, size.Height)
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (l *maxWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	s.Width = min(s.Width, l.width)
	return s
}

// setFindings says which layer below the modules is missing (the
// smart-card service, a reader, a module for the card …) and what to do,
// most specific first.
func (e *emptyState) setFindings(fs []diagnose.Finding) {
	var lines []string
	for _, f := range fs {
		if f.Code == diagnose.NoCard && len(fs) > 1 {
			continue // another finding says more
		}
		line := sentence(f.MessageMsg, f.Message)
		for i, a := range f.Advice {
			m := msg.Msg{}
			if len(f.AdviceMsgs) == len(f.Advice) {
				m = f.AdviceMsgs[i]
			}
			line += "\n   • " + withoutFlags(sentence(m, a))
		}
		lines = append(lines, line)
	}
	e.findings.SetText(strings.Join(lines, "\n"))
	e.findings.Hidden = len(lines) == 0
	e.findings.Refresh()
}
