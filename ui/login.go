package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/token"
)

// loginFlow gets a logged-in card for one certificate, following the PIN
// safety rules of docs/contract.md:
//
//  1. read the token's PIN state afresh;
//  2. no login needed: log in without a PIN;
//  3. a PIN is remembered and the state is plain OK: try it once, without
//     asking; if the card rejects it, forget it and ask;
//  4. otherwise ask with the PIN dialog: one OK = one login attempt.
//
// Every card and keyring call runs off the UI goroutine; the results come
// back through do. Exactly one of done, failed and canceled is called.
type loginFlow struct {
	win     fyne.Window
	do      func(func())
	modal   *modalStack
	backend Backend
	pins    PINMemory
	events  *eventLog
	cert    *token.Certificate
	key     string // PIN memory key: module + serial
	prefill string // a PIN to fill in (the demo token's public PIN), or ""

	done     func(desktop.Card)
	failed   func(error)
	canceled func()
	noted    func(string) // a remark for the status line
	// waiting is called with true when the flow waits for the person
	// (the PIN dialog is open) and false when the card works again.
	waiting func(bool)

	dialog  *pinDialog
	stopped bool // canceled: a late result is thrown away

	// The pre-flight (the handshake without the card) runs while the
	// flow reads the PIN state and the dialog is open. No PIN goes to
	// the card before it has found that the server asks for a
	// certificate: until then OK waits, and so does a login that needs
	// no dialog (no PIN, or a remembered one).
	serverAsked bool
	serverNote  string // what the pre-flight found, for the dialog
	pending     func() // a login waiting for the pre-flight
}

// serverChecked opens the gate: the server asks for a certificate (note
// says so in a sentence for the dialog).
func (f *loginFlow) serverChecked(note string) {
	if f.stopped {
		return
	}
	f.serverAsked, f.serverNote = true, note
	if f.dialog != nil {
		f.dialog.setServer(note, true)
		f.events.emitAfterFrame("pin-ready", nil) // laid out again: OK can be pressed
	}
	if p := f.pending; p != nil {
		f.pending = nil
		p()
	}
}

// abort ends the flow without a word: the pre-flight ended the test
// before any PIN was needed.
func (f *loginFlow) abort() {
	if f.stopped {
		return
	}
	f.stopped = true
	if f.dialog != nil {
		f.dialog.hide()
	}
}

// whenServerAsked runs login now, or once the pre-flight says the server
// asks for a certificate.
func (f *loginFlow) whenServerAsked(login func()) {
	if f.serverAsked {
		login()
		return
	}
	f.pending = login
}

func (f *loginFlow) start() {
	tok := f.cert.Token
	if tok.Module != nil {
		f.key = pinmemory.Key(tok.Module.Path, tok.Serial)
	}
	go func() {
		flags, err := f.backend.Flags(tok)
		f.do(func() { f.haveFlags(flags, err) })
	}()
}

// cancel gives up (the test's Cancel button). A login already sent to
// the card cannot be taken back: its card is closed when it arrives.
func (f *loginFlow) cancel() {
	if f.stopped {
		return
	}
	f.stopped = true
	if f.dialog != nil {
		f.dialog.hide()
	}
	f.canceled()
}

func (f *loginFlow) haveFlags(flags token.Flags, err error) {
	if f.stopped {
		return
	}
	if err != nil {
		f.finish(nil, err)
		return
	}
	switch {
	case !flags.LoginRequired:
		f.whenServerAsked(func() { go f.login(token.LoginOptions{}, false) })
	case f.mayUseRemembered(flags):
		f.whenServerAsked(func() { go f.tryRemembered(flags) })
	default:
		f.ask(flags, "")
	}
}

// mayUseRemembered: never when the card reports count low, final try or
// locked, never for a PIN pad, and only with a keyring.
func (f *loginFlow) mayUseRemembered(flags token.Flags) bool {
	return f.pins != nil && f.key != "" && flags.PINState() == token.PINOK && !flags.ProtectedAuthPath
}

// tryRemembered runs off the UI goroutine: at most one login with the
// remembered PIN.
func (f *loginFlow) tryRemembered(flags token.Flags) {
	pin, err := f.pins.Get(f.key)
	if err != nil {
		if !errors.Is(err, pinmemory.ErrNotFound) && !errors.Is(err, pinmemory.ErrUnavailable) {
			f.do(func() {
				f.noted(lang.L("The remembered PIN could not be read: {{.Reason}}", map[string]any{"Reason": err.Error()}))
			})
		}
		f.do(func() { f.ask(flags, "") })
		return
	}
	card, err := f.backend.Login(f.cert, token.LoginOptions{PIN: pin})
	pin = ""
	if err != nil && isPINError(err) {
		f.pins.Delete(f.key) // rejected once: never again
		fresh := flags
		var te *token.Error
		if errors.As(err, &te) && te.Flags != nil {
			fresh = *te.Flags
		}
		msg := lang.L("The PIN remembered on this computer was not accepted, so it has been forgotten.") + " " + loginProblem(err)
		f.do(func() { f.ask(fresh, msg) })
		return
	}
	f.do(func() { f.finish(card, err) })
}

// ask opens the PIN dialog.
func (f *loginFlow) ask(flags token.Flags, problem string) {
	if f.stopped {
		return
	}
	pins := f.pins
	if f.key == "" {
		pins = nil
	}
	f.dialog = newPINDialog(f.win, f.do, f.modal, pinRequest{tok: f.cert.Token, flags: flags, problem: problem, pins: pins, prefill: f.prefill}, f.submitted, f.cancel)
	f.dialog.setServer(f.serverNote, f.serverAsked)
	f.dialog.show()
	f.setWaiting(true)
	f.events.emitAfterFrame("pin-dialog", map[string]any{"pin_state": int(flags.PINState()), "pin_pad": flags.ProtectedAuthPath})
	if f.serverAsked {
		f.events.emitAfterFrame("pin-ready", nil)
	}
}

// submitted is one press of OK: one login attempt, off the UI goroutine.
func (f *loginFlow) submitted(opt token.LoginOptions, remember bool) {
	f.setWaiting(false)
	go f.login(opt, remember)
}

func (f *loginFlow) setWaiting(on bool) {
	if f.waiting != nil {
		f.waiting(on)
	}
}

func (f *loginFlow) login(opt token.LoginOptions, remember bool) {
	card, err := f.backend.Login(f.cert, opt)
	if err == nil && remember && opt.PIN != "" {
		if serr := f.pins.Set(f.key, opt.PIN); serr != nil {
			f.do(func() {
				f.noted(lang.L("The PIN could not be remembered: {{.Reason}}", map[string]any{"Reason": serr.Error()}))
			})
		}
	}
	opt.PIN = ""
	f.do(func() { f.loggedIn(card, err) })
}

// loggedIn handles a login result from the dialog.
func (f *loginFlow) loggedIn(card desktop.Card, err error) {
	if f.stopped {
		if card != nil {
			go card.Close()
		}
		return
	}
	if err != nil && f.dialog != nil && f.dialog.open && isPINError(err) {
		var fresh *token.Flags
		var te *token.Error
		if errors.As(err, &te) {
			fresh = te.Flags
		}
		f.dialog.failed(err, fresh)
		f.setWaiting(true)
		return
	}
	f.finish(card, err)
}

// finish closes the dialog and reports the outcome.
func (f *loginFlow) finish(card desktop.Card, err error) {
	if f.stopped {
		if card != nil {
			go card.Close()
		}
		return
	}
	f.stopped = true
	if f.dialog != nil {
		f.dialog.hide()
	}
	if err != nil {
		f.failed(err)
		return
	}
	f.done(card)
}

// isPINError reports the errors the PIN dialog handles itself: a wrong
// PIN, and PIN states that changed since the dialog opened.
func isPINError(err error) bool {
	return errors.Is(err, token.KindPINIncorrect) || errors.Is(err, token.KindPINLocked) ||
		errors.Is(err, token.KindPINFinalTry) || errors.Is(err, token.KindPINRequired)
}
