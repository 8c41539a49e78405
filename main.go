// Command cardcheck answers one question: does my smart card work with this
// server? Without arguments it opens the desktop application; with a
// command (tokens, check, serve, demo) it runs on the command line.
package main

import (
	"os"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/ui"
)

func main() {
	cmds := cli.Commands{GUI: gui}
	os.Exit(cmds.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}

// gui opens the desktop application on the real token layer and keyring.
func gui() int {
	backend := desktop.New(nil)
	defer backend.Close()
	return ui.Run(ui.Deps{Backend: backend, PINs: pinmemory.New(), EventLog: os.Getenv(ui.EventLogEnv)})
}
