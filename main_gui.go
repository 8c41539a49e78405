//go:build !headless

package main

import (
	"os"
	"os/exec"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/demo"
	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/app/secrets"
	"github.com/cardcheck/cardcheck/token/softhsm"
	"github.com/cardcheck/cardcheck/ui"
)

// commands are the CLI with the desktop window behind `cardcheck` and
// `cardcheck demo`.
func commands() cli.Commands { return cli.Commands{GUI: gui, DemoGUI: demoGUI} }

// newWindow creates the Fyne app (with the GL driver) and its main window;
// ui gives the window its title, theme and content.
func newWindow() (fyne.App, fyne.Window) {
	a := app.NewWithID(config.AppID)
	ui.Prepare(a) // runs while the window is created
	return a, a.NewWindow("cardcheck")
}

// gui opens the desktop application on the real token layer and keyring.
func gui() int {
	secrets.DisableCoreDumps() // before any PIN is typed: no core file holds one
	backend := desktop.NewWithOptions(nil, cli.TokenOptions(0))
	defer backend.Close()
	a := app.NewWithID(config.AppID)
	// The cards are read while the window opens (vetting a new module in
	// a child process, loading each), so that the first frame shows them:
	// the modules the user added are in the app's preferences, which the
	// window reads again (and reads the cards again if they differ).
	backend.SetUserModules(a.Preferences().StringList(config.KeyModules))
	backend.Prefetch()
	ui.Prepare(a)
	w := a.NewWindow("cardcheck")
	return ui.Run(a, w, ui.Deps{Backend: backend, PINs: pinmemory.New(), TryDemo: tryDemo, EventLog: os.Getenv(ui.EventLogEnv)})
}

// demoGUI opens the desktop application on the demo (`cardcheck demo`,
// prepared and started by the CLI): only the demo's module is read (and
// OpenSC for the emulated card, with --emulated-card), so a class sees
// the demo cards and nothing else, and the demo PIN is never kept in the
// keyring.
func demoGUI(d *demo.Demo) int {
	secrets.DisableCoreDumps()
	modules := []string{d.Module}
	if d.Emulated != nil {
		modules = append(modules, d.Emulated.Module)
	}
	backend := desktop.NewWithOptions(modules, cli.TokenOptions(0))
	defer backend.Close()
	backend.Prefetch() // the demo card is read while the window opens
	a, w := newWindow()
	return ui.RunDemo(a, w, ui.Deps{Backend: backend, EventLog: os.Getenv(ui.EventLogEnv)}, d)
}

// tryDemo starts `cardcheck demo` as a new process; the window then
// closes. The demo cannot run in this process: its card is a SoftHSM
// token, and SoftHSM reads its configuration (SOFTHSM2_CONF) once, when
// the module is loaded, which this process did with the user's
// configuration when it looked for cards. A missing SoftHSM is reported
// here, while this window can still show the error.
func tryDemo() error {
	if _, err := softhsm.FindModule(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "demo")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
