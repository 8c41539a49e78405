// Command cardcheck answers one question: does my smart card work with this
// server? Without arguments it opens the desktop application; with a
// command (tokens, check, serve, demo) it runs on the command line.
package main

import (
	"os"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/ui"
)

func main() {
	cmds := cli.Commands{GUI: ui.Run}
	os.Exit(cmds.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
