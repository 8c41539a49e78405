package cli_test

import (
	"testing"

	"github.com/cardcheck/cardcheck/build/testrig"
)

// TestMain removes the shared SoftHSM rig when the tests are done.
func TestMain(m *testing.M) { testrig.Main(m) }
