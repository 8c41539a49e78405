package cli_test

import (
	"os"
	"testing"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/build/testrig"
)

// helperEnv makes the test binary act as cardcheck's command line, so
// tests can run it as a separate process on a pseudo-terminal.
const helperEnv = "CARDCHECK_TEST_RUN_CLI"

// TestMain removes the shared SoftHSM rig when the tests are done.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(cli.Commands{}.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	testrig.Main(m)
}
