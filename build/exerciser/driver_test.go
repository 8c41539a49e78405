//go:build linux

package exerciser

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gui drives one cardcheck window: it clicks controls where the last
// settled event says they are, presses keys, and waits on the event log.
type gui struct {
	t      *testing.T
	x      *display
	p      *process
	events chan event
	win    string
	last   event   // the last event that carried the layout
	seen   []event // every event, for the message of a failure
	misfit bool    // the window was seen larger than the screen
}

// checkFits reports, once, a window larger than the screen: its minimum
// size grew past it and the bottom (status bar, buttons) is off screen.
func (g *gui) checkFits(e event) {
	if g.misfit || g.win == "" || (e.Window[0] <= g.x.w && e.Window[1] <= g.x.h) {
		return
	}
	g.misfit = true
	g.x.screenshot(g.t, g.shotName("misfit"))
	g.t.Errorf("the window is %dx%d on a %dx%d screen: parts are off screen (at %s)", e.Window[0], e.Window[1], g.x.w, g.x.h, e.short())
}

// wait returns the next event matching want; any event matching forbid
// before it is a failure (a key that reached the window behind a dialog,
// say). It fails the test when the process exits or the deadline passes.
func (g *gui) wait(what string, want func(event) bool, forbid ...func(event) bool) (event, bool) {
	g.t.Helper()
	return g.waitLimit(stepLimit, what, want, forbid...)
}

// quickLimit bounds the wait for what a key or a click changes on
// screen without any I/O (a dialog closing): a few frames, given ample
// slack for a loaded machine. It keeps a missing reaction from costing a
// minute.
const quickLimit = 5 * time.Second

func (g *gui) waitLimit(limit time.Duration, what string, want func(event) bool, forbid ...func(event) bool) (event, bool) {
	g.t.Helper()
	e, ok := g.waitOrNot(limit, what, want, forbid...)
	if !ok {
		g.t.Errorf("%s: no such event within %v; last events:\n%s", what, limit, g.recent())
	}
	return e, ok
}

// waitOrNot is waitLimit for an event that may fairly not come (a known
// limitation, logged by the caller): a timeout is no failure.
func (g *gui) waitOrNot(limit time.Duration, what string, want func(event) bool, forbid ...func(event) bool) (event, bool) {
	g.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		select {
		case e := <-g.events:
			g.seen = append(g.seen, e)
			if e.Controls != nil {
				g.last = e
				g.checkFits(e)
			}
			for _, f := range forbid {
				if f(e) {
					g.t.Errorf("%s: unexpected event before it: %s", what, e.short())
				}
			}
			if want(e) {
				return e, true
			}
		case <-g.p.exited:
			g.t.Fatalf("%s: cardcheck exited (%v); last events:\n%s", what, g.p.cmd.ProcessState, g.recent())
			return event{}, false
		case <-deadline.C:
			return event{}, false
		}
	}
}

// recent lists the last events seen, without their layout.
func (g *gui) recent() string {
	var b strings.Builder
	for _, e := range g.seen[max(0, len(g.seen)-8):] {
		b.WriteString("  " + e.short() + "\n")
	}
	return b.String()
}

// alive fails the test when the process is gone.
func (g *gui) alive(after string) {
	g.t.Helper()
	if !g.p.alive() {
		g.t.Fatalf("cardcheck died after %s; last events:\n%s", after, g.recent())
	}
}

// has says whether a control is on screen in the last layout.
func (g *gui) has(name string) bool {
	_, ok := g.last.Controls[name]
	return ok
}

// click clicks the centre of a named control; a control not on screen is
// a failure.
func (g *gui) click(name string) bool {
	g.t.Helper()
	r, ok := g.last.Controls[name]
	if !ok {
		g.t.Errorf("control %q is not on screen (last event %s; controls %v)", name, g.last.short(), sortedKeys(g.last.Controls))
		return false
	}
	g.clickAt(r[0]+r[2]/2, r[1]+r[3]/2)
	g.alive("clicking " + name)
	return true
}

// clickLast clicks a control whose effect is to end the process (Try the
// demo): no check that it is still alive.
func (g *gui) clickLast(name string) {
	g.t.Helper()
	if r, ok := g.last.Controls[name]; ok {
		g.clickAt(r[0]+r[2]/2, r[1]+r[3]/2)
		return
	}
	g.t.Errorf("control %q is not on screen", name)
}

func (g *gui) clickAt(x, y int) {
	g.x.xdo(g.t, "mousemove", "--window", g.win, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
}

// key presses keys (xdotool names: Escape, Return, ctrl+t) in the window.
func (g *gui) key(keys ...string) {
	g.t.Helper()
	g.x.xdo(g.t, "windowfocus", "--sync", g.win)
	g.x.xdo(g.t, append([]string{"key", "--clearmodifiers", "--delay", "30"}, keys...)...)
	g.alive("keys " + strings.Join(keys, " "))
}

// typeText types into the focused control.
func (g *gui) typeText(s string) {
	g.x.xdo(g.t, "type", "--delay", "5", s)
	g.alive("typing")
}

// setURL replaces the address in the URL field.
func (g *gui) setURL(url string) {
	g.t.Helper()
	for try := 0; try < 2; try++ {
		if !g.click("url") {
			return
		}
		// A fresh layout, and proof that the field has the focus before
		// anything is typed (Ctrl+R is a menu shortcut: it reaches the
		// window from any field).
		if e, ok := g.barrierAfter("clicking the URL field"); ok && e.Focus == "url" {
			g.key("ctrl+a")
			g.typeText(url)
			return
		}
	}
	g.t.Errorf("the URL field did not take the focus when clicked")
}

// barrierAfter presses Look for cards again and waits for the token
// list, with the layout and focus it reports.
func (g *gui) barrierAfter(what string) (event, bool) {
	g.t.Helper()
	g.key("ctrl+r")
	return g.wait("barrier after "+what, is("tokens"))
}

// menu triggers a main-menu item from the keyboard: Alt opens the menu
// bar on the first menu, Right moves to menu m, Down to item i (counted
// from 0, separators skipped), Return triggers it.
func (g *gui) menu(m, i int) {
	g.t.Helper()
	g.key(menuKeys(m, i)...)
}

// menuLast triggers a menu item whose effect is to end the process (Try
// the demo): no check that it is still alive.
func (g *gui) menuLast(m, i int) {
	g.t.Helper()
	g.x.xdo(g.t, "windowfocus", "--sync", g.win)
	g.x.xdo(g.t, append([]string{"key", "--clearmodifiers", "--delay", "30"}, menuKeys(m, i)...)...)
}

// menuKeys are the keys that trigger item i of menu m: Alt opens the
// menu bar, arrows walk it.
func menuKeys(m, i int) []string {
	keys := []string{"alt"}
	for range m {
		keys = append(keys, "Right")
	}
	for range i + 1 {
		keys = append(keys, "Down")
	}
	return append(keys, "Return")
}

// Menu items as (menu, item).
var (
	menuAddModule = [2]int{0, 0}
	menuRefresh   = [2]int{0, 1}
	menuSave      = [2]int{0, 2}
	menuCopy      = [2]int{0, 3}
	menuForgetPIN = [2]int{0, 4}
	menuTest      = [2]int{1, 0}
	menuCompare   = [2]int{1, 1}
	menuExplain   = [2]int{1, 2}
	menuLesson    = [2]int{1, 3}
	menuPanel     = [2]int{1, 4}
	// Help: Try the demo (outside demo mode) or Card not detected: a
	// lesson… (in demo mode), Diagnostics…, About.
	menuDiagnosticsDemo = [2]int{2, 1}
	menuAboutDemo       = [2]int{2, 2}
	menuTryDemo         = [2]int{2, 0}
	menuNotDetected     = [2]int{2, 0}
	menuDiagnostics     = [2]int{2, 1}
	menuAbout           = [2]int{2, 2}
)

// resize gives the window the whole screen, as a user maximising it
// would (Xvfb runs no window manager), and checks with a fresh layout
// (Look for cards again) that it took the size.
func (g *gui) resize() {
	g.t.Helper()
	g.x.xdo(g.t, "windowmove", g.win, "0", "0")
	g.x.xdo(g.t, "windowsize", g.win, strconv.Itoa(g.x.w), strconv.Itoa(g.x.h))
	g.key("ctrl+r")
	g.wait("tokens after resizing", is("tokens")) // checkFits looks at its size
}

// escCloses opens nothing itself: with a dialog open it puts the focus
// somewhere inside (click on a control or Tab) and checks that Esc
// closes the dialog.
func (g *gui) escCloses(dialog string, focus func()) {
	g.t.Helper()
	g.escClosesOr(dialog, focus, false)
}

// escClosesOr is escCloses; with limited set, a dialog that stays open is
// Fyne's known limitation, logged, not a failure: its file dialog ignores
// Esc once one of its own widgets has the focus (Tab), and cardcheck
// cannot see those keys.
func (g *gui) escClosesOr(dialog string, focus func(), limited bool) {
	g.t.Helper()
	if focus != nil {
		focus()
	}
	g.key("Escape")
	what := fmt.Sprintf("Esc closes %s (focus %q)", dialog, g.last.Focus)
	wait := g.waitLimit
	if limited {
		wait = g.waitOrNot
	}
	if _, ok := wait(quickLimit, what, dialogIs(dialog, false)); ok {
		return
	}
	if limited {
		g.t.Logf("%s: stays open once Tab moved the focus into Fyne's file dialog (known Fyne limitation; Esc from the dialog's first focus is asserted)", what)
	}
	// Carry on with the walk: a click on the dialog's title (file dialogs
	// are centred, 580 high) takes the focus away, then Esc again.
	g.x.screenshot(g.t, g.shotName("esc-failed-"+dialog))
	g.clickAt(g.last.Window[0]/2, g.last.Window[1]/2-280)
	g.key("Escape")
	if _, ok := g.waitLimit(quickLimit, "closing "+dialog+" after a click on its title", dialogIs(dialog, false)); !ok {
		g.t.FailNow()
	}
}

// noTest forbids a test starting (or the window behind reacting) while a
// dialog is open.
func noTest(e event) bool {
	return e.Event == "test-started" || e.Event == "compare" || e.Event == "result" || e.Event == "pin-dialog"
}

// shotName names a screenshot after the test (combo) and what it shows.
func (g *gui) shotName(what string) string {
	return strings.TrimPrefix(strings.ReplaceAll(g.t.Name(), "/", "-"), "TestExerciser-") + "-" + what
}
