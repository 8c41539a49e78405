package diagnose

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"time"
)

// versionPackages are the packages whose versions a report shows, per
// package manager: the smart-card service, its client library, OpenSC
// and p11-kit.
var versionPackages = []struct{ name, deb, rpm string }{
	{"pcsc-lite (pcscd)", "pcscd", "pcsc-lite"},
	{"pcsc-lite (libpcsclite)", "libpcsclite1", "pcsc-lite-libs"},
	{"OpenSC", "opensc-pkcs11", "opensc"},
	{"p11-kit", "p11-kit-modules", "p11-kit"},
	{"pcsc-tools (ATR list)", "pcsc-tools", "pcsc-tools"},
}

// maxCommandOutput bounds what a version query may print.
const maxCommandOutput = 16 << 10

// SystemVersions asks the package manager (dpkg-query, else rpm), each
// query bounded by 3 s and 16 KiB of output. Packages that are not
// installed are left out.
func SystemVersions(ctx context.Context) []Component {
	if out, err := runBounded(ctx, "dpkg-query", append([]string{"-W", "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n"}, debNames()...)...); len(out) > 0 || err == nil {
		return parseVersions(out, "dpkg", func(p string) string {
			for _, v := range versionPackages {
				if v.deb == p {
					return v.name
				}
			}
			return ""
		})
	}
	if out, err := runBounded(ctx, "rpm", append([]string{"-q", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\tii\n"}, rpmNames()...)...); len(out) > 0 || err == nil {
		return parseVersions(out, "rpm", func(p string) string {
			for _, v := range versionPackages {
				if v.rpm == p {
					return v.name
				}
			}
			return ""
		})
	}
	return nil
}

func debNames() (out []string) {
	for _, v := range versionPackages {
		out = append(out, v.deb)
	}
	return out
}

func rpmNames() (out []string) {
	for _, v := range versionPackages {
		out = append(out, v.rpm)
	}
	return out
}

// parseVersions reads "package<TAB>version<TAB>status" lines; only
// installed packages ("ii") count.
func parseVersions(out []byte, source string, nameOf func(string) string) []Component {
	var res []Component
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || !strings.HasPrefix(strings.TrimSpace(f[2]), "ii") || f[1] == "" {
			continue
		}
		if n := nameOf(f[0]); n != "" {
			res = append(res, Component{Name: n, Version: f[1], Source: source, Package: f[0]})
		}
	}
	return res
}

// runBounded runs a command with a 3 s deadline and keeps at most
// maxCommandOutput bytes of its standard output.
func runBounded(ctx context.Context, name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var out limitedBuffer
	out.max = maxCommandOutput
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && out.Len() > 0 {
		err = nil // dpkg-query exits 1 when one of the packages is unknown
	}
	return out.Bytes(), err
}

// limitedBuffer keeps the first max bytes and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
