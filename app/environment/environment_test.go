package environment

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
)

func TestCurrentDescribesThisProgramAndSystem(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 15, 2, 0, time.FixedZone("CET", 3600))
	h := Current(at)
	if h.Time != "2026-03-01T10:15:02+01:00" {
		t.Errorf("time %q: want RFC 3339 with the offset", h.Time)
	}
	if h.CardcheckVersion != config.VersionString() || h.OS != runtime.GOOS || h.Arch != runtime.GOARCH || h.GoVersion != runtime.Version() {
		t.Errorf("host %+v", h)
	}
}

func TestPrettyName(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", "Debian GNU/Linux 12 (bookworm)"},
		{"NAME='Alpine Linux'\n", "Alpine Linux"},
		{"ID=plain\n", ""},
		{"", ""},
	} {
		if got := prettyName(strings.NewReader(tc.file)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.file, got, tc.want)
		}
	}
}

// The JSON names are part of the report contract: snake_case, module and
// token null when unknown.
func TestEnvironmentJSONNames(t *testing.T) {
	b, err := json.Marshal(Environment{Host: Current(time.Unix(0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "cardcheck_version", "os", "arch", "os_name", "go_version", "module", "token"} {
		if _, ok := m[k]; !ok {
			t.Errorf("%s missing in %s", k, b)
		}
	}
	if m["module"] != nil || m["token"] != nil {
		t.Errorf("module and token must be null when unknown: %s", b)
	}
}
