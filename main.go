// Command cardcheck answers one question: does my smart card work with this
// server? Without arguments it opens the desktop application; with a
// command (tokens, check, diagnose, serve, demo) it runs on the command
// line.
//
// main is thin on purpose: the commands live in app/cli and the window in
// ui. The desktop build (main_gui.go) creates the Fyne app and window here
// and hands them to ui, so main is the only package that links Fyne's GL
// driver; the headless build (-tags headless, main_headless.go) links no
// Fyne, GL or X11 at all, for servers and remote sessions.
package main

import (
	"os"

	"github.com/cardcheck/cardcheck/app/cli"
)

func main() {
	os.Exit(commands().Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
