// Package emulated_test runs the token layer against a real card stack:
// OpenSC's PKCS#11 module loaded in this process, pcscd with the vpcd
// reader driver, and the project's emulated PIV card (build/cardstack).
// The emulator counts what reaches the card, so the tests can assert that
// a wrong PIN cost exactly one VERIFY and that nothing was retried.
package emulated_test

import (
	"testing"

	"github.com/cardcheck/cardcheck/build/cardstack/cardstacktest"
)

// TestMain stops the shared card stack when the tests are done.
func TestMain(m *testing.M) { cardstacktest.Main(m) }
