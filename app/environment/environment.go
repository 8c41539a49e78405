// Package environment describes where and when a test ran, for the
// `environment` block of reports (docs/contract.md): a ticket must say
// when, with which cardcheck, on which system, through which module and
// on which card. It holds no secret and never logs in.
package environment

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
)

// Host is the part that does not depend on a card: `environment` of
// `tokens --json`, and the top of the block in a check report.
type Host struct {
	Time             string `json:"time"`              // RFC 3339 with the local offset
	CardcheckVersion string `json:"cardcheck_version"` // config.VersionString()
	OS               string `json:"os"`                // GOOS: linux, darwin, windows
	Arch             string `json:"arch"`              // GOARCH: amd64, arm64
	OSName           string `json:"os_name"`           // e.g. "Debian GNU/Linux 12 (bookworm)"; "" when unknown
	GoVersion        string `json:"go_version"`
}

// Module is the PKCS#11 library that was used, as C_GetInfo reports it.
type Module struct {
	Path            string `json:"path"`
	Description     string `json:"description"`
	Manufacturer    string `json:"manufacturer"`
	LibraryVersion  string `json:"library_version"`
	CryptokiVersion string `json:"cryptoki_version"`
}

// Token is the card that was used, as C_GetTokenInfo reports it.
type Token struct {
	Label           string `json:"label"`
	Manufacturer    string `json:"manufacturer"`
	Model           string `json:"model"`
	Serial          string `json:"serial"`
	HardwareVersion string `json:"hardware_version"`
	FirmwareVersion string `json:"firmware_version"`
}

// Environment is the `environment` object of `check --json` (and of the
// GUI's saved JSON report). Module and Token are null when the test
// stopped before a certificate was chosen.
type Environment struct {
	Host
	Module *Module `json:"module"`
	Token  *Token  `json:"token"`
}

// Current describes this program and system at time now.
func Current(now time.Time) Host {
	return Host{
		Time:             now.Format(time.RFC3339),
		CardcheckVersion: config.VersionString(),
		OS:               runtime.GOOS,
		Arch:             runtime.GOARCH,
		OSName:           osName(),
		GoVersion:        runtime.Version(),
	}
}

// osReleaseFiles are read in order (os-release(5)).
var osReleaseFiles = []string{"/etc/os-release", "/usr/lib/os-release"}

// osName returns PRETTY_NAME from os-release on Linux and the BSDs; ""
// elsewhere or when the file is missing. The OS and architecture are
// always in Host.OS and Host.Arch.
func osName() string {
	for _, name := range osReleaseFiles {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		defer f.Close()
		return prettyName(io.LimitReader(f, 64<<10))
	}
	return ""
}

// prettyName reads PRETTY_NAME (else NAME) from an os-release file.
func prettyName(r io.Reader) string {
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || (k != "PRETTY_NAME" && k != "NAME") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vals[k] = v
	}
	if v := vals["PRETTY_NAME"]; v != "" {
		return v
	}
	return vals["NAME"]
}
