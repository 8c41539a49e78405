package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/cli"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/token/isolate"
)

// childArgs, when set, makes the test binary run the CLI with these
// arguments (separated by newlines) instead of the tests: a process of its
// own, for modules that must not share the test process (pkcs11-spy
// loading the SoftHSM module the tests already initialised).
const childArgs = "CARDCHECK_TEST_CLI_ARGS"

// helperEnv makes the test binary act as cardcheck's command line, so
// tests can run it as a separate process on a pseudo-terminal.
const helperEnv = "CARDCHECK_TEST_RUN_CLI"

// TestMain removes the shared SoftHSM rig when the tests are done.
func TestMain(m *testing.M) {
	isolate.Hook() // this binary is the child that vets modules
	if args := os.Getenv(childArgs); args != "" {
		os.Exit(cli.Commands{}.Run(strings.Split(args, "\n"), cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	if os.Getenv(helperEnv) == "1" {
		os.Exit(cli.Commands{}.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	// The vetting's cache goes to a folder of the tests, not the user's.
	cache, err := os.MkdirTemp("", "cardcheck-cli-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	testrig.CleanupShared()
	os.RemoveAll(cache)
	os.Exit(code)
}
