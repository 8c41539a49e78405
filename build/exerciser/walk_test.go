//go:build linux

package exerciser

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dialogKeys are pressed while a dialog is open: none may reach the
// window behind (Test connection, Compare, Save report).
var dialogKeys = []string{"ctrl+t", "ctrl+shift+t", "ctrl+s"}

// aboutKeys opens About from the menu with the focus in the window
// behind, presses the shortcuts and Enter (which answers About's OK), and
// checks that no test started; then opens it again and closes it with
// Esc. A barrier (a key with a cheap event) after each close proves that
// nothing arrived late.
func (r *run) aboutKeys(g *gui, item [2]int, barrier string, barrierEvent func(event) bool) {
	g.t.Helper()
	if g.has("url") {
		g.click("url") // the focus in an entry behind the dialog
	}
	g.menu(item[0], item[1])
	if _, ok := g.wait("About from the menu", dialogIs("about", true)); !ok {
		return
	}
	r.x.screenshot(g.t, r.c.String()+"-about")
	g.key(dialogKeys...)
	g.key("Return")
	g.wait("Enter closes About", dialogIs("about", false), noTest)
	g.key(barrier)
	g.wait("barrier after About", barrierEvent, noTest)

	g.menu(item[0], item[1])
	if _, ok := g.wait("About again", dialogIs("about", true)); ok {
		g.escCloses("about", nil)
	}
	g.key(barrier)
	g.wait("barrier after About", barrierEvent, noTest)
}

// diagnostics opens Help → Diagnostics…, waits for the report, copies
// it, toggles the full form twice, and closes the dialog with Esc; keys
// pressed meanwhile must not reach the window behind.
func (r *run) diagnostics(g *gui, item [2]int) {
	g.t.Helper()
	g.menu(item[0], item[1])
	if _, ok := g.wait("Help › Diagnostics…", dialogIs("diagnostics", true)); !ok {
		return
	}
	if _, ok := g.wait("the diagnostics report", is("status", func(e event) bool { return e.What == "diagnostics-ready" }), noTest); !ok {
		return
	}
	g.key(dialogKeys...)
	r.x.screenshot(g.t, r.c.String()+"-diagnostics")
	if g.click("diag-copy") {
		g.wait("Copy diagnostics", is("status", func(e event) bool { return e.What == "diagnostics-copied" }), noTest)
	}
	g.click("diag-full")
	g.click("diag-full")
	g.escCloses("diagnostics", nil)
	g.alive("diagnostics")
}

// fileDialog opens a file dialog with open(), checks that the keys do
// not reach the window behind, takes a screenshot and closes it with Esc
// after moving the focus into the dialog (Tab).
func (r *run) fileDialog(g *gui, name, how string, open func()) {
	g.t.Helper()
	open()
	if _, ok := g.wait(name+" dialog from "+how, dialogIs(name, true)); !ok {
		return
	}
	r.x.screenshot(g.t, r.c.String()+"-dialog-"+name)
	g.key(dialogKeys...)
	g.escCloses(name, nil) // from the focus the dialog opens with
	g.alive(name + " dialog")
	open()
	if _, ok := g.wait(name+" dialog again from "+how, dialogIs(name, true)); !ok {
		return
	}
	g.escClosesOr(name, func() { g.key("Tab") }, true)
	g.alive(name + " dialog")
}

// barrier presses Look for cards again and waits for the token list: a
// fresh layout, and proof that nothing unexpected came before it.
func (g *gui) barrier(what string, forbid ...func(event) bool) (event, bool) {
	g.t.Helper()
	g.key("ctrl+r")
	return g.wait("barrier after "+what, is("tokens"), forbid...)
}

// walkNoCard visits every control and menu item of the empty state.
func (r *run) walkNoCard(g *gui) {
	g.click("empty-refresh")
	g.wait("Look again", is("tokens"))
	g.click("refresh")
	g.wait("Refresh", is("tokens"))
	g.menu(menuRefresh[0], menuRefresh[1])
	g.wait("File › Look for cards again", is("tokens"))
	r.fileDialog(g, "add-module", "the empty state", func() { g.click("empty-add-module") })
	r.fileDialog(g, "add-module", "the token list", func() { g.click("add-module") })
	r.fileDialog(g, "add-module", "File › Add module…", func() { g.menu(menuAddModule[0], menuAddModule[1]) })

	// Menu items that need a result or a certificate do nothing here; the
	// barrier proves they neither crashed nor opened anything.
	for _, item := range [][2]int{menuSave, menuCopy, menuForgetPIN, menuTest, menuCompare, menuExplain, menuLesson} {
		g.menu(item[0], item[1])
		if e, ok := g.barrier(fmt.Sprintf("menu %v without a card", item), noTest); ok && len(e.Dialogs) > 0 {
			g.t.Errorf("menu %v without a card left a dialog open: %v", item, e.Dialogs)
			g.key("Escape")
		}
	}
	g.key("ctrl+s", "ctrl+t", "ctrl+shift+t", "ctrl+e", "ctrl+l", "Return", "Escape")
	g.barrier("shortcuts without a card", noTest)
	r.panel(g)

	// The module rows: selecting the one added by hand offers Remove.
	for _, name := range sortedKeys(g.last.Controls) {
		if !strings.HasPrefix(name, "row:module:") || !g.has(name) {
			continue
		}
		g.click(name)
		g.wait("select "+name, is("selected", func(e event) bool { return e.Kind == "module" }))
		if g.has("remove-module") {
			r.x.screenshot(g.t, r.c.String()+"-no-card-module")
			g.click("remove-module")
			g.wait("Remove module", is("tokens"))
			break
		}
	}
}

// tryDemo presses Try the demo: the window closes and `cardcheck demo`
// opens in a new process, which inherits the event log.
func (r *run) tryDemo(g *gui, press func()) {
	t := g.t
	press()
	select {
	case <-g.p.exited:
	case <-time.After(stepLimit):
		t.Errorf("Try the demo: the window did not close")
		return
	}
	deadline := time.After(stepLimit)
	for {
		select {
		case e := <-g.events:
			if e.Event != "tokens" || e.Certificates == 0 {
				continue
			}
		case <-deadline:
			t.Errorf("Try the demo: no demo window with certificates")
			return
		}
		break
	}
	win := r.x.window(t, "cardcheck demo")
	pid, err := strconv.Atoi(strings.TrimSpace(r.x.xdo(t, "getwindowpid", win)))
	if err != nil {
		t.Fatalf("Try the demo: the demo window has no pid: %v", err)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
}

// demo drives `cardcheck demo`: the demo token listed, then each verdict,
// the PIN dialog, a test running and canceled.
func (r *run) demo() {
	t := r.t
	g := r.start("cardcheck demo", "cardcheck demo", []string{"demo"}, nil, nil, func(n int) bool { return n > 0 })
	defer g.stop()
	r.rest(g, "cards-listed")
	r.aboutKeys(g, menuAboutDemo, "ctrl+e", is("explain")) // Explain: on, then off
	r.diagnostics(g, menuDiagnosticsDemo)
	// Help › Card not detected: a lesson… (its steps: notdetected_test.go).
	g.menu(menuNotDetected[0], menuNotDetected[1])
	if _, ok := g.wait("Help › Card not detected", dialogIs("not-detected", true)); ok {
		g.escCloses("not-detected", nil)
		g.alive("the lesson card not detected")
	}
	if r.c.full {
		r.walkCards(g)
	}

	// The PIN dialog, canceled with Esc from its entry.
	g.click("test")
	g.wait("Test connection", is("test-started"))
	if _, ok := g.wait("PIN dialog ready", is("pin-ready")); !ok {
		t.FailNow()
	}
	r.x.screenshot(t, r.c.String()+"-pin")
	g.key(dialogKeys...)
	g.key("ctrl+e", "ctrl+l", "ctrl+r")
	g.escCloses("pin", func() { g.click("pin-entry") })
	g.wait("PIN canceled", is("test-canceled"), noTest)
	r.rest(g, "after-pin-dialog")

	// Accepted: the PIN of the demo is filled in; OK.
	if r.c.full {
		g.menu(menuTest[0], menuTest[1])
		g.wait("Test › Test connection", is("test-started"))
		g.wait("PIN dialog ready", is("pin-ready"))
		g.click("pin-cancel")
		g.wait("PIN Cancel", is("test-canceled"))
		g.key("ctrl+t")
		g.wait("Ctrl+T", is("test-started"))
		g.wait("PIN dialog ready", is("pin-ready"))
		if g.has("pin-remember") {
			g.click("pin-remember")
			g.click("pin-remember")
		}
		g.click("pin-ok")
	} else {
		g.key("Return")
		g.wait("Enter: Test connection", is("test-started"))
		g.wait("PIN dialog ready", is("pin-ready"))
		g.key("Return")
	}
	r.verdict(g, "accepted")
	r.rest(g, "after-accepted")
	if r.c.full {
		r.walkResult(g)
	}

	g.key("ctrl+e")
	g.wait("Explain on", is("explain", func(e event) bool { return e.On }))
	r.rest(g, "explain-on")
	g.key("ctrl+e")
	g.wait("Explain off", is("explain", func(e event) bool { return !e.On }))

	g.key("ctrl+shift+t")
	g.wait("Compare", is("test-started", func(e event) bool { return e.Compare }), is("pin-dialog"))
	if e, ok := g.wait("comparison", is("compare")); ok && (e.Verdict12 == "" || e.Verdict13 == "") {
		t.Errorf("compare: %s", e.short())
	}
	r.rest(g, "after-compare")
	if g.has("back") {
		g.click("back")
		if _, ok := g.barrier("Back to one test"); ok && g.has("back") {
			t.Errorf("Back to one test: the back button is still shown")
		}
	} else {
		t.Errorf("after Compare there is no back control (controls %v)", sortedKeys(g.last.Controls))
	}

	g.setURL(r.s.scenarios["untrusted-ca"])
	g.click("test")
	r.verdict(g, "rejected")
	r.rest(g, "after-rejected")
	r.fixes(g)

	for _, v := range []struct{ scenario, verdict string }{
		{"denied", "denied"}, {"no-client-certificate", "not-requested"}, {"", "error"},
	} {
		url := closedPort(t)
		if v.scenario != "" {
			url = r.s.scenarios[v.scenario]
		}
		g.setURL(url)
		g.key("Return")
		r.verdict(g, v.verdict)
	}
	r.serverUntrusted(g)
	r.running(g)
	r.rest(g, "after-canceled")
	if r.c.full {
		r.logout(g)
	}
}

// verdict waits for a test's result and takes its screenshot.
func (r *run) verdict(g *gui, want string) {
	g.t.Helper()
	e, ok := g.wait("result "+want, is("result"), is("pin-dialog"))
	if !ok {
		return
	}
	if e.Verdict != want {
		g.t.Errorf("verdict %q, want %q (%s)", e.Verdict, want, e.short())
	}
	r.x.screenshot(g.t, r.c.String()+"-verdict-"+want)
}

// serverUntrusted clears the CA file in the options and tests the demo's
// server that only the demo CA vouches for.
func (r *run) serverUntrusted(g *gui) {
	if !g.has("ca-clear") {
		g.click("options")
		g.barrier("Options")
	}
	if !g.click("ca-clear") {
		return
	}
	g.setURL(r.s.scenarios["untrusted-server"])
	g.click("test")
	r.verdict(g, "server-untrusted")
	r.fixes(g)
}

// fixes presses each fix button of the banner: a file dialog (closed
// with Esc) or a new test (waited for).
func (r *run) fixes(g *gui) {
	for i := 0; ; i++ {
		name := "fix-" + strconv.Itoa(i)
		if !g.has(name) {
			return
		}
		g.click(name)
		e, ok := g.wait(name, func(e event) bool {
			return (e.Event == "dialog" && e.Open) || e.Event == "test-started"
		})
		switch {
		case !ok:
		case e.Event == "dialog":
			g.escCloses(e.Name, nil)
		default:
			g.wait(name+": result", is("result"))
		}
	}
}

// running starts a test against a server that never answers, checks
// that no second test starts, and cancels it with Esc while the URL field
// has the focus, as the README promises.
func (r *run) running(g *gui) {
	t := g.t
	silent := silentServer(t)
	g.setURL(silent)
	g.click("test")
	if _, ok := g.wait("test against a silent server", is("test-started")); !ok {
		return
	}
	r.x.screenshot(t, r.c.String()+"-running")
	if !g.has("cancel") {
		t.Errorf("a test runs but Cancel is not on screen (controls %v)", sortedKeys(g.last.Controls))
	}
	g.key("ctrl+t", "ctrl+shift+t")
	g.click("url")
	g.key("Escape")
	r.canceled(g, "Esc with the focus in the URL field", is("test-started"))
	if !r.c.full {
		return
	}
	for _, how := range []string{"cancel", "ca-file", "none"} {
		g.click("test")
		if _, ok := g.wait("test against a silent server", is("test-started")); !ok {
			return
		}
		switch how {
		case "cancel":
			g.click("cancel")
		case "ca-file":
			if !g.has("ca-file") {
				g.click("options")
				g.wait("the Options tab", is("tab", func(e event) bool { return e.Tab == "options" }))
			}
			g.click("ca-file")
			g.key("Escape")
		default:
			g.clickAt(g.last.Window[0]-5, g.last.Window[1]-5) // the status bar: focus nowhere
			g.key("Escape")
		}
		r.canceled(g, "cancel by "+how)
	}
}

// canceled waits for a canceled test: test-canceled, as ui/events.go
// promises. A result instead is the "cancel looks like a failure" defect.
func (r *run) canceled(g *gui, how string, forbid ...func(event) bool) {
	g.t.Helper()
	e, ok := g.wait(how, func(e event) bool { return e.Event == "test-canceled" || e.Event == "result" }, forbid...)
	if ok && e.Event == "result" {
		g.t.Errorf("%s: the canceled test reported a result, not test-canceled: %s", how, e.short())
	}
}

// logout logs out of the card; the next test must ask for the PIN.
func (r *run) logout(g *gui) {
	if !g.has("logout") {
		g.t.Errorf("logged in but no logout control (controls %v)", sortedKeys(g.last.Controls))
		return
	}
	g.click("logout")
	g.barrier("Log out")
	g.setURL(r.s.scenarios["denied"])
	g.click("test")
	g.wait("test after logout", is("test-started"))
	g.wait("PIN asked again after logout", is("pin-ready"), is("result"))
	g.escCloses("pin", nil)
}

// panel hides and shows the card list: Ctrl+B, the status bar's toggle,
// Test › Hide or show the card list.
func (r *run) panel(g *gui) {
	hidden := func(h bool) func(event) bool {
		return is("status", func(e event) bool {
			return e.What == "panel" && strings.Contains(e.raw, `"hidden":`+strconv.FormatBool(h))
		})
	}
	g.key("ctrl+b")
	if _, ok := g.wait("Ctrl+B hides the card list", hidden(true)); ok {
		r.x.screenshot(g.t, r.c.String()+"-panel-hidden")
		if g.has("tree") {
			g.t.Errorf("the card list is hidden but the tree is on screen")
		}
	}
	if g.click("panel-toggle") {
		g.wait("the status bar's toggle shows the card list", hidden(false))
	}
	g.menu(menuPanel[0], menuPanel[1])
	g.wait("Test › Hide or show the card list", hidden(true))
	g.menu(menuPanel[0], menuPanel[1])
	g.wait("Test › Hide or show the card list again", hidden(false))
}

// walkCards visits the token list, the certificate's controls, the
// options, the menus and shortcuts with the demo card listed and no test
// run yet; it leaves the scenario's certificate selected.
func (r *run) walkCards(g *gui) {
	t := g.t
	// Rows that are not certificates first: a certificate is selected at
	// start, and clicking the selected row again selects nothing new.
	var rows []string
	for _, name := range sortedKeys(g.last.Controls) {
		if strings.HasPrefix(name, "row:") && !strings.HasPrefix(name, "row:certificate:") {
			rows = append(rows, name)
		}
	}
	for _, name := range sortedKeys(g.last.Controls) {
		if strings.HasPrefix(name, "row:certificate:") {
			rows = append(rows, name)
		}
	}
	for _, name := range rows {
		if !g.has(name) {
			// The tree scrolls: a row only counts while it is in view.
			t.Logf("%s scrolled out of the card list's view while the rows were visited", name)
			continue
		}
		kind := strings.SplitN(name, ":", 3)[1]
		again := g.last.Selected == name // clicking the selected row selects nothing new
		g.click(name)
		if !again {
			g.wait("select "+name, is("selected", func(e event) bool { return e.Kind == kind }))
		}
		if kind == "certificate" && g.has("copy-uri") {
			g.click("copy-uri")
			g.wait("Copy URI", is("status", func(e event) bool { return e.What == "uri-copied" }))
		}
	}
	r.x.screenshot(t, r.c.String()+"-cards-walked")
	r.fileDialog(g, "export-certificate", "Export", func() { g.click("export") })
	r.fileDialog(g, "add-module", "the token list", func() { g.click("add-module") })
	r.fileDialog(g, "add-module", "File › Add module…", func() { g.menu(menuAddModule[0], menuAddModule[1]) })
	g.click("refresh")
	g.wait("Refresh", is("tokens"))
	g.menu(menuRefresh[0], menuRefresh[1])
	g.wait("File › Look for cards again", is("tokens"))

	// Options.
	if !g.has("ca-choose") {
		g.click("options")
		g.barrier("Options")
	}
	r.fileDialog(g, "ca-file", "Choose…", func() { g.click("ca-choose") })
	if rc, ok := g.last.Controls["tls-auto"]; ok {
		g.clickAt(rc[0]+12, rc[1]+rc[3]/2) // the first radio: auto, as it was
	}
	g.click("continue-untrusted")
	g.click("continue-untrusted")
	g.click("timeout")
	g.key("Escape")
	g.click("ca-file")
	if e, ok := g.barrier("CA file field"); ok && e.Focus != "ca-file" {
		t.Errorf("clicking the CA file field: focus %q", e.Focus)
	}
	g.click("url")
	if e, ok := g.barrier("URL field"); ok && e.Focus != "url" {
		t.Errorf("clicking the URL field: focus %q", e.Focus)
	}
	r.panel(g)
	g.menu(menuForgetPIN[0], menuForgetPIN[1]) // the demo keeps no PIN: a word in the status bar
	g.barrier("File › Forget the remembered PIN")
	g.key("ctrl+l")
	g.wait("Ctrl+L", is("tab", func(e event) bool { return e.Tab == "lesson" }))
	g.click("scenarios") // a scenario: its certificate is selected, the certificate tab shown
	g.barrier("a scenario")
	g.menu(menuLesson[0], menuLesson[1])
	g.wait("Test › What the server checks", is("tab", func(e event) bool { return e.Tab == "lesson" }))
	g.menu(menuExplain[0], menuExplain[1])
	g.wait("Test › Explain", is("explain"))
	g.click("explain")
	g.wait("Explain box", is("explain"))
	// Without a result, Save and Copy report do nothing.
	g.key("ctrl+s")
	g.menu(menuSave[0], menuSave[1])
	g.menu(menuCopy[0], menuCopy[1])
	if e, ok := g.barrier("Save/Copy without a result"); ok && len(e.Dialogs) > 0 {
		t.Errorf("Save report without a result opened %v", e.Dialogs)
	}
	// Compare from the menu, canceled at the PIN.
	g.menu(menuCompare[0], menuCompare[1])
	g.wait("Test › Compare", is("test-started", func(e event) bool { return e.Compare }))
	g.wait("PIN dialog for Compare", is("pin-ready"))
	g.escCloses("pin", func() { g.click("pin-entry") })
	g.wait("Compare canceled", is("test-canceled"))
	// Back to the scenario's certificate.
	if rc, ok := g.last.Controls["scenarios"]; ok {
		g.clickAt(rc[0]+rc[2]/2, rc[1]+12)
		g.barrier("first scenario")
	}
}

// walkResult visits what a result offers: copy and save the report (each
// way), the ladder, Explain, Compare and Back.
func (r *run) walkResult(g *gui) {
	g.click("copy-report")
	g.wait("Copy report", is("status", func(e event) bool { return e.What == "report-copied" }))
	g.menu(menuCopy[0], menuCopy[1])
	g.wait("File › Copy report", is("status", func(e event) bool { return e.What == "report-copied" }))
	r.fileDialog(g, "save-report", "the banner", func() { g.click("save-report") })
	r.fileDialog(g, "save-report", "Ctrl+S", func() { g.key("ctrl+s") })
	r.fileDialog(g, "save-report", "File › Save report…", func() { g.menu(menuSave[0], menuSave[1]) })
	// Look for cards again would show the Certificate tab: the barrier
	// here is Explain, pressed twice.
	explainTwice := func(what string) (event, bool) {
		g.key("ctrl+e")
		e, ok := g.wait(what, func(e event) bool { return e.Event == "message" || e.Event == "explain" })
		if ok && e.Event == "message" {
			g.wait("Explain", is("explain"))
		}
		g.key("ctrl+e")
		g.wait("Explain again", is("explain"))
		return e, ok
	}
	if rc, ok := g.last.Controls["ladder"]; ok {
		found := false
		for _, y := range []int{rc[3] / 8, rc[3] / 4, rc[3] / 2} {
			g.clickAt(rc[0]+rc[2]/2, rc[1]+y)
			if e, ok := explainTwice("a message of the ladder"); ok && e.Event == "message" {
				found = true
				break
			}
		}
		if !found {
			g.t.Errorf("clicking the ladder %v in the middle at 1/8, 1/4 and 1/2 of its height selected no message", rc)
		}
	} else {
		g.t.Errorf("after a result there is no ladder (controls %v)", sortedKeys(g.last.Controls))
	}
	g.click("explain")
	g.wait("Explain box on", is("explain"))
	g.click("explain")
	g.wait("Explain box off", is("explain"))
	g.click("compare")
	g.wait("Compare button", is("test-started", func(e event) bool { return e.Compare }))
	g.wait("comparison", is("compare"))
	g.click("back")
	explainTwice("Back")
	g.click("test") // the card is held: no PIN
	r.verdict(g, "accepted")
}

// logFigures prints the resting states against the baseline.
func logFigures(t *testing.T, s *shared) {
	var b strings.Builder
	fmt.Fprintf(&b, "idle over %v: CPU ticks (1/%d s) and RSS, cardcheck vs the baseline window in the same seconds\n", idleWindow, clockTicks)
	fmt.Fprintf(&b, "%-16s %-18s %6s %6s %6s %7s %7s %7s %7s\n", "combo", "state", "app", "base", "ratio", "app%", "appMB", "baseMB", "+MB")
	for _, f := range s.figures {
		fmt.Fprintf(&b, "%-16s %-18s %6d %6d %6.1f %6.1f%% %7d %7d %+7d\n", f.combo, f.state, f.app, f.base,
			float64(f.app)/float64(max(f.base, 1)), pct(f.app), f.appRSS/1024, f.baseRSS/1024, (f.appRSS-f.baseRSS)/1024)
	}
	for _, l := range s.starts {
		b.WriteString(l + "\n")
	}
	t.Log("\n" + b.String())
	_ = os.WriteFile(outDir+"/figures.txt", []byte(b.String()), 0o644)
}
