//go:build headless

package main

import (
	"fmt"
	"os"

	"github.com/cardcheck/cardcheck/app/cli"
)

// commands are the CLI alone: this build links no Fyne, GL or X11, so it
// starts on a server or in a minimal container reached over SSH.
// `cardcheck demo` without --no-gui is refused by the CLI itself
// (DemoGUI is nil) before it prepares anything.
func commands() cli.Commands { return cli.Commands{GUI: noWindow} }

// noWindowText answers `cardcheck` without a command in this build.
const noWindowText = `cardcheck: this is the headless build (command line only): it has no desktop window.
Use a command instead, for example:
  cardcheck tokens                       list the cards and certificates
  cardcheck check --url https://HOST/    test a certificate against a server
  cardcheck diagnose                     a report of the whole smart-card chain
  cardcheck demo --no-gui                the offline demo on the command line
  cardcheck --help                       every command and flag
For the window, install the desktop build of cardcheck.
`

func noWindow() int {
	fmt.Fprint(os.Stderr, noWindowText)
	return cli.ExitUsage
}
