package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cardcheck/cardcheck/app/demo"
)

// demoCmd prepares the demo token and starts the scenario servers, then
// opens the GUI or, with --no-gui, prints the scenarios and serves until
// interrupted.
func (c Commands) demoCmd(args []string, io IO) exitCode {
	fs := newFlags("demo")
	noGUI := fs.Bool("no-gui", false, "print the scenarios and serve until interrupted")
	asJSON := fs.Bool("json", false, "with --no-gui: print one line of JSON")
	reset := fs.Bool("reset", false, "rebuild the demo token and certificates")
	lesson := fs.String("lesson", "", "open a lesson at start: not-detected (why a card is not listed, layer by layer)")
	if err := parse(fs, args); err != nil {
		return exitCode{ExitUsage, err}
	}
	if *lesson != "" && *lesson != "not-detected" {
		return exitCode{ExitUsage, usagef("--lesson: unknown lesson %q (there is: not-detected)", *lesson)}
	}
	if !*noGUI && c.DemoGUI == nil {
		return exitCode{ExitUsage, usagef("this build has no GUI: use cardcheck demo --no-gui")}
	}
	dir, err := demo.DataDir()
	if err != nil {
		return exitCode{ExitUsage, err}
	}
	d, err := demo.Prepare(dir, *reset)
	if err != nil {
		return exitCode{ExitUsage, fmt.Errorf("the demo cannot start: %w", err)}
	}
	if err := d.Start(); err != nil {
		return exitCode{ExitUsage, fmt.Errorf("the demo cannot start: %w", err)}
	}
	defer d.Close()
	if !*noGUI {
		d.OpenLesson = *lesson
		return exitCode{code: c.DemoGUI(d)}
	}
	// Catch the signals before printing: a script may stop the demo as
	// soon as it has read the line.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *asJSON {
		b, _ := json.Marshal(d)
		fmt.Fprintln(io.jsonOut(), string(b))
	} else {
		writeDemoText(io, d)
	}
	<-ctx.Done()
	return exitCode{}
}

func writeDemoText(io IO, d *demo.Demo) {
	fmt.Fprintf(io.Stdout, "cardcheck demo: token %q, PIN %s (a demo token: its PIN is public)\n", demo.TokenLabel, d.PIN)
	fmt.Fprintf(io.Stdout, "Module %s\nSOFTHSM2_CONF=%s\n\nScenarios:\n", d.Module, d.Conf)
	for _, s := range d.Scenarios {
		fmt.Fprintf(io.Stdout, "\n  %s  (expect: %s)\n    %s\n    %s\n", s.Name, s.Expect, s.Description, s.URL)
	}
	first := d.Scenarios[0]
	fmt.Fprintf(io.Stdout, "\nTry it in another terminal:\n  export SOFTHSM2_CONF=%s\n  echo %s | cardcheck check --url %s --module %s --cert '%s' --ca %s --pin-stdin\n\nServing until Ctrl+C.\n",
		d.Conf, d.PIN, first.URL, d.Module, first.CertURI, first.CAFile)
}
