package ui

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/token"
)

// keyringCheckTimeout bounds the "can PINs be remembered?" check; the
// store has its own limit per call, this one guards against any store.
const keyringCheckTimeout = 5 * time.Second

// pinMode is what the dialog asks for, from the token's PIN state.
type pinMode int

const (
	modeEntry  pinMode = iota // type the PIN
	modePINPad                // the reader's keypad asks for it
	modeLocked                // nothing to ask: the PIN is locked
)

// pinDialog asks for a token's PIN following SPEC §3: the token and its
// PIN state first; on final try an explicit confirmation; on a locked
// token no entry at all; a wrong PIN is shown in the dialog, which stays
// open, and is never sent again without the user pressing OK.
type pinDialog struct {
	win         fyne.Window
	do          func(func())
	modal       *modalStack
	tracked     *openDialog // in modal while shown
	dlg         *dialog.CustomDialog
	tokenName   *widget.Label
	tokenInfo   *note
	state       *widget.Label
	padNote     *widget.Label
	entry       *pinEntry
	confirm     *escCheck
	remember    *escCheck
	rememberWhy *note
	demoNote    *widget.Label // the demo's PIN, said in words
	server      *widget.Label // what the pre-flight found out about the server
	problem     *widget.Label
	busy        *busyBar
	ok          *widget.Button
	cancel      *widget.Button

	flags       token.Flags
	serverOK    bool // the pre-flight found the server asks for a certificate
	mode        pinMode
	submitting  bool
	open        bool
	canRemember bool   // a keyring store was given (else the box never shows)
	demoPIN     string // the demo card's public PIN, or ""
	onSubmit    func(opt token.LoginOptions, remember bool)
	onCancel    func()
}

// pinRequest is what the dialog is opened for.
type pinRequest struct {
	tok     *token.Token
	flags   token.Flags // read just before asking
	problem string      // shown at once, e.g. "the remembered PIN was rejected"
	pins    PINMemory   // nil: no "Remember PIN"
	prefill string      // the demo token's public PIN, filled in; "" for a real card
}

func newPINDialog(win fyne.Window, do func(func()), modal *modalStack, req pinRequest, onSubmit func(token.LoginOptions, bool), onCancel func()) *pinDialog {
	p := &pinDialog{
		win: win, do: do, modal: modal, onSubmit: onSubmit, onCancel: onCancel,
		tokenName:   &widget.Label{Text: req.tok.Label, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameSubHeadingText, Wrapping: fyne.TextWrapWord},
		tokenInfo:   newNote(tokenLine(req.tok), theme.SizeNameText),
		state:       &widget.Label{Wrapping: fyne.TextWrapWord},
		padNote:     &widget.Label{Wrapping: fyne.TextWrapWord},
		rememberWhy: newNote("", theme.SizeNameCaptionText),
		demoNote:    &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Bold: true}},
		server:      &widget.Label{Wrapping: fyne.TextWrapWord},
		problem:     &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance, TextStyle: fyne.TextStyle{Bold: true}},
		busy:        newBusyBar(),
	}
	p.entry = newPINEntry(p.escape)
	p.entry.OnChanged = p.inputChanged
	p.entry.OnSubmitted = p.entered
	p.confirm = newEscCheck(lang.L("I understand one more wrong PIN locks the card"), p.confirmChanged, p.escape)
	p.remember = newEscCheck(lang.L("Remember PIN on this computer"), nil, p.escape)
	p.ok = &widget.Button{Text: lang.L("OK"), Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: p.submit}
	p.cancel = &widget.Button{Text: lang.L("Cancel"), Icon: theme.CancelIcon(), OnTapped: p.escape}

	content := container.NewVBox(
		container.New(&tightVBox{}, p.tokenName, p.tokenInfo),
		p.server, p.state, p.padNote, p.entry, p.demoNote, p.confirm, p.problem, p.busy.box,
		container.New(&tightVBox{}, p.remember, p.rememberWhy),
	)
	p.dlg = dialog.NewCustomWithoutButtons(lang.L("Enter your PIN"), container.New(&fixedWidth{width: 440}, content), win)
	p.dlg.SetButtons([]fyne.CanvasObject{p.cancel, p.ok})
	p.dlg.SetOnClosed(p.closed)

	p.setFlags(req.flags)
	p.showProblem(req.problem)
	p.checkKeyring(req.pins)
	p.prefill(req.prefill)
	return p
}

// prefill fills the demo token's PIN in and says so. It is only typed in
// for the user: OK still sends it, once per press, like a typed PIN.
func (p *pinDialog) prefill(pin string) {
	if pin == "" || p.mode != modeEntry {
		p.demoNote.Hide()
		return
	}
	p.demoPIN = pin
	p.entry.SetText(pin)
	p.entry.CursorColumn = utf8.RuneCountInString(pin) // type on at the end
	p.entry.Refresh()
	p.demoNote.SetText(lang.L("This is the demo card: its PIN {{.PIN}} is filled in. Press OK.", map[string]any{"PIN": pin}))
	p.demoNote.Show()
}

// tokenLine is the second line under the token's name.
func tokenLine(t *token.Token) string {
	parts := []string{lang.L("serial {{.Serial}}", map[string]any{"Serial": t.Serial})}
	if mm := strings.TrimSpace(t.Manufacturer + " " + t.Model); mm != "" {
		parts = append(parts, mm)
	}
	return strings.Join(parts, " · ")
}

// show opens the dialog with the focus in the PIN entry.
func (p *pinDialog) show() {
	p.open = true
	p.tracked = &openDialog{name: "pin", dismiss: p.escape, accept: p.submit}
	p.dlg.Show()
	p.focusEntry()
	p.modal.push(p.tracked)
}

// hide closes the dialog without calling onCancel.
func (p *pinDialog) hide() {
	if !p.open {
		return
	}
	p.open = false
	p.unfocus()
	p.dlg.Hide()
}

// unfocus takes the focus from the dialog's entry while the dialog is
// still on top. Fyne drops a closed dialog's focus without telling the
// focused widget, and an entry never told keeps its cursor blinking,
// redrawing the window, for as long as the program runs.
func (p *pinDialog) unfocus() { p.win.Canvas().Unfocus() }

// closed runs whenever the dialog goes away.
func (p *pinDialog) closed() {
	p.busy.stop()       // closed while the card checks the PIN: no animation left running
	p.entry.SetText("") // do not keep the PIN in a widget
	p.modal.pop(p.tracked)
	if p.open { // closed by the window, not by hide
		p.open = false
		p.onCancel()
	}
}

// escape is Esc or Cancel: close and give up this login.
func (p *pinDialog) escape() {
	if !p.open {
		return
	}
	p.open = false
	p.unfocus()
	p.dlg.Hide()
	p.onCancel()
}

func (p *pinDialog) focusEntry() {
	if p.mode == modeEntry && !p.entry.Disabled() {
		p.win.Canvas().Focus(p.entry)
	}
}

// setServer shows what is known about the server: still checking (the
// PIN waits), or that it asks for a certificate.
func (p *pinDialog) setServer(note string, asked bool) {
	p.serverOK = asked
	if !asked {
		p.server.Importance = widget.MediumImportance
		p.server.SetText(lang.L("Checking the server first… Your PIN goes to the card only once the server has asked for a certificate."))
	} else {
		p.server.Importance = widget.SuccessImportance
		p.server.SetText(note)
	}
	p.updateOK()
	if p.open {
		p.dlg.Resize(p.dlg.MinSize()) // the note's height changed: fit the dialog to it now
	}
}

// setFlags arranges the dialog for a PIN state.
func (p *pinDialog) setFlags(f token.Flags) {
	p.flags = f
	state := f.PINState()
	switch {
	case state == token.PINLocked:
		p.mode = modeLocked
	case f.ProtectedAuthPath:
		p.mode = modePINPad
	default:
		p.mode = modeEntry
	}
	text, imp := pinStateText(f)
	if state == token.PINOK {
		text = lang.L("Type the PIN of this card.")
		imp = widget.MediumImportance
	}
	p.state.Importance = imp
	p.state.SetText(text)

	p.entry.Hidden = p.mode != modeEntry
	p.padNote.Hidden = p.mode != modePINPad
	p.padNote.SetText(lang.L("This reader has its own PIN pad. Press Continue, then type the PIN on the reader, not on the keyboard."))
	p.confirm.Hidden = state != token.PINFinalTry
	p.confirm.SetChecked(false)
	p.ok.Hidden = p.mode == modeLocked
	p.ok.SetText(lang.L("OK"))
	if p.mode == modePINPad {
		p.ok.SetText(lang.L("Continue"))
	}
	p.cancel.SetText(lang.L("Cancel"))
	if p.mode == modeLocked {
		p.cancel.SetText(lang.L("Close"))
		p.state.SetText(lang.L("This card's PIN is locked after too many wrong attempts. cardcheck will not try any PIN. Contact your helpdesk: they can unblock the card with its PUK or issue a new one."))
	}
	rememberable := p.mode == modeEntry && p.canRemember
	p.remember.Hidden = !rememberable
	p.rememberWhy.Hidden = !rememberable
	p.entry.Refresh()
	p.padNote.Refresh()
	p.confirm.Refresh()
	p.ok.Refresh()
	p.updateOK()
}

// checkKeyring finds out, off the UI goroutine, whether PINs can be
// remembered; until then the box is disabled.
func (p *pinDialog) checkKeyring(pins PINMemory) {
	p.remember.Disable()
	if pins == nil {
		p.remember.Hide()
		p.rememberWhy.Hide()
		return
	}
	p.canRemember = true
	p.remember.Hidden = p.mode != modeEntry
	p.rememberWhy.Hidden = p.mode != modeEntry
	p.rememberWhy.SetText(lang.L("Checking whether this computer can keep the PIN safely…"))
	go func() {
		err := within(keyringCheckTimeout, pins.Available)
		p.do(func() { p.keyringChecked(err) })
	}()
}

// within runs a keyring call with a time limit: a locked keyring waits
// for an unlock prompt, forever.
func within(limit time.Duration, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errKeyringTimeout
	}
}

var errKeyringTimeout = errors.New("the keyring did not answer in time (is it locked?)")

func (p *pinDialog) keyringChecked(err error) {
	if err != nil {
		p.remember.SetChecked(false)
		p.remember.Disable()
		p.rememberWhy.SetText(keyringProblem(err))
		return
	}
	if !p.submitting {
		p.remember.Enable()
	}
	p.rememberWhy.SetText(lang.L("The PIN is kept in this computer's keyring, for this card only."))
}

func (p *pinDialog) inputChanged(string) {
	p.updateOK()
}

func (p *pinDialog) confirmChanged(bool) { p.updateOK() }

func (p *pinDialog) entered(string) { p.submit() }

// canSubmit says whether OK may be pressed now.
func (p *pinDialog) canSubmit() bool {
	switch {
	case p.submitting || p.mode == modeLocked || !p.serverOK:
		return false
	case p.mode == modeEntry && p.entry.Text == "":
		return false
	case p.flags.PINState() == token.PINFinalTry && !p.confirm.Checked:
		return false
	}
	return true
}

func (p *pinDialog) updateOK() {
	if p.canSubmit() {
		p.ok.Enable()
	} else {
		p.ok.Disable()
	}
}

// submit is OK (or Enter): exactly one login attempt.
func (p *pinDialog) submit() {
	if !p.open || !p.canSubmit() {
		return
	}
	opt := token.LoginOptions{ConfirmFinalTry: p.flags.PINState() == token.PINFinalTry && p.confirm.Checked}
	if p.mode == modePINPad {
		opt.UsePINPad = true
	} else {
		opt.PIN = p.entry.Text
	}
	remember := p.mode == modeEntry && p.remember.Checked && !p.remember.Disabled()
	p.setBusy(true)
	p.onSubmit(opt, remember)
}

// setBusy shows that the card is checking the PIN.
func (p *pinDialog) setBusy(busy bool) {
	p.submitting = busy
	if busy {
		p.busy.start()
		p.entry.Disable()
		p.confirm.Disable()
		if p.mode == modePINPad {
			p.padNote.SetText(lang.L("Type the PIN on the reader's keypad now…"))
		} else {
			p.showProblem(lang.L("Checking the PIN with the card…"))
			p.problem.Importance = widget.MediumImportance
			p.problem.Refresh()
		}
	} else {
		p.busy.stop()
		p.entry.Enable()
		p.confirm.Enable()
	}
	p.updateOK()
}

// failed shows why a login did not work and lets the user try again; the
// fresh PIN state (from the error) decides what the dialog asks next.
func (p *pinDialog) failed(err error, fresh *token.Flags) {
	p.setBusy(false)
	if fresh != nil {
		p.setFlags(*fresh)
	} else {
		p.setFlags(p.flags)
	}
	p.showProblem(loginProblem(err))
	p.entry.SetText("")
	if p.demoPIN != "" { // no longer filled in: say it instead
		p.demoNote.SetText(lang.L("This is the demo card: its PIN is {{.PIN}}.", map[string]any{"PIN": p.demoPIN}))
	}
	p.focusEntry()
}

func (p *pinDialog) showProblem(text string) {
	p.problem.Importance = widget.DangerImportance
	p.problem.SetText(text)
	p.problem.Hidden = text == ""
	p.problem.Refresh()
}

// keyringProblem says in words why PINs cannot be remembered: the
// keyring library's errors are D-Bus jargon ("org.freedesktop.DBus.
// Error.ServiceUnknown"), useless to the person reading the dialog.
func keyringProblem(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, errKeyringTimeout) || strings.Contains(msg, "did not answer"):
		return lang.L("Not available: the keyring did not answer in time (it may be locked).")
	case strings.Contains(msg, "ServiceUnknown") || strings.Contains(msg, "dbus") || strings.Contains(msg, "DBus") ||
		strings.Contains(msg, "exec"):
		return lang.L("Not available: this computer has no keyring service (Secret Service) running.")
	}
	return lang.L("Not available: the keyring could not be used.")
}

// loginProblem is the sentence for a failed login: the token layer's
// plain words (never containing the PIN), translated.
func loginProblem(err error) string {
	var te *token.Error
	if errors.As(err, &te) && !te.Words().IsZero() {
		return text(te.Words())
	}
	return err.Error()
}

// pinEntry is the masked PIN entry; Esc in it closes the dialog (Fyne
// gives keys to the focused widget only).
type pinEntry struct {
	widget.Entry
	onEscape func()
}

func newPINEntry(onEscape func()) *pinEntry {
	e := &pinEntry{onEscape: onEscape}
	e.Password = true
	e.PlaceHolder = lang.L("PIN")
	e.ExtendBaseWidget(e)
	return e
}

func (e *pinEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// escCheck is a check box that passes Esc on (to close the dialog) when
// it has the focus.
type escCheck struct {
	widget.Check
	onEscape func()
}

func newEscCheck(text string, changed func(bool), onEscape func()) *escCheck {
	c := &escCheck{onEscape: onEscape}
	c.Text = text
	c.OnChanged = changed
	c.ExtendBaseWidget(c)
	return c
}

func (c *escCheck) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		c.onEscape()
		return
	}
	c.Check.TypedKey(k)
}

// fixedWidth gives a dialog's content a comfortable width: wrapping
// labels have almost no minimum width of their own.
type fixedWidth struct{ width float32 }

func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if o.Size().Width == 0 {
			// Wrap at the width before the first layout. Only then:
			// resizing here on every call fought with Layout's size and
			// laid the dialog out again on every frame.
			o.Resize(fyne.NewSize(l.width, o.MinSize().Height))
		}
		s = s.Max(o.MinSize())
	}
	s.Width = max(s.Width, l.width)
	return s
}

// controls are the dialog's controls for the exerciser.
func (p *pinDialog) controls() []control {
	return []control{{"pin-entry", p.entry}, {"pin-ok", p.ok}, {"pin-cancel", p.cancel},
		{"pin-confirm", p.confirm}, {"pin-remember", p.remember}}
}
