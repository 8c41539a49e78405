package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	emulated := fs.Bool("emulated-card", false, "also run the project's emulated PIV card in a virtual reader (needs pcscd, vsmartcard-vpcd, opensc-pkcs11 and root)")
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
	if *emulated {
		d.Emulated = startEmulatedCard(io)
		defer d.Emulated.Close()
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

// startEmulatedCard starts the emulated card for the demo; without it
// the demo goes on and says why (its lesson then simulates the reader
// layer). It runs before any module is loaded: the card's pcscd is found
// through variables that libpcsclite reads once.
func startEmulatedCard(io IO) *demo.EmulatedCard {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := demo.StartEmulatedCard(ctx)
	if err != nil {
		fmt.Fprintf(io.Stderr, "cardcheck demo: the emulated card is not available (%v); the lesson \"card not detected\" simulates the reader layer.\n", err)
		return nil
	}
	fmt.Fprintf(io.Stderr, "cardcheck demo: the emulated card is in the reader %q (module %s, PIN %s).\n", e.Reader, e.Module, e.PIN)
	return e
}
