package cli_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite app/cli/testdata/*.json from the current output")

// The JSON contract (`check --json`, `tokens --json`) is what scripts and
// tickets depend on: these tests compare the output with files in
// testdata after replacing what changes from run to run (times, serials,
// ports, paths, random keys, versions of this machine). A key the golden
// file has must keep its value; keys the output adds are fine (the
// contract allows additions). The handshake steps show what crypto/tls
// offers, so a new Go release may change them: look at the difference,
// then rewrite the files with -update-golden.
func TestCheckJSONGolden(t *testing.T) {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	base := []string{"check", "--url", srv.URL, "--module", rig.Module, "--ca", rig.ChainFile, "--pin-stdin", "--json"}
	cases := []struct {
		name, stdin string
		args        []string
		code        int
	}{
		{"accepted-tls13", testrig.PIN, []string{"--cert", certURI(testrig.EC256)}, 0},
		{"accepted-tls12", testrig.PIN, []string{"--cert", certURI(testrig.RSA), "--tls", "1.2"}, 0},
		{"rejected", testrig.PIN, []string{"--cert", certURI(testrig.Untrusted)}, 1},
		{"error-pin", "0000-wrong", []string{"--cert", certURI(testrig.EC256)}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.stdin+"\n", append(append([]string{}, base...), tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s\n%s", code, tc.code, errs, out)
			}
			compareGolden(t, "check-"+tc.name, out, rig, srv.URL)
		})
	}
	t.Run("error-network", func(t *testing.T) {
		code, out, errs := run(t, "", "check", "--url", "https://127.0.0.1:1/", "--module", rig.Module,
			"--cert", certURI(testrig.EC256), "--json")
		if code != 1 {
			t.Fatalf("exit %d: %s\n%s", code, errs, out)
		}
		compareGolden(t, "check-error-network", out, rig, "")
	})
}

func TestTokensJSONGolden(t *testing.T) {
	rig := testrig.Shared(t)
	for _, tc := range []struct{ name, stdin string }{{"tokens", ""}, {"tokens-login", testrig.PIN + "\n"}} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"tokens", "--module", rig.Module, "--token", testrig.MainToken, "--json"}
			if tc.stdin != "" {
				args = append(args, "--pin-stdin")
			}
			code, out, errs := run(t, tc.stdin, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			compareGolden(t, tc.name, out, rig, "")
		})
	}
}

// compareGolden normalises out and compares it with testdata/NAME.json
// (or writes that file with -update-golden).
func compareGolden(t *testing.T, name, out string, rig *testrig.Rig, url string) {
	t.Helper()
	var got any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got = normalise("", got, volatileStrings(rig, url))
	file := filepath.Join("testdata", name+".json")
	if *updateGolden {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update-golden to create it)", err)
	}
	var want any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var diffs []string
	contains("", want, got, &diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the JSON contract changed:\n%s", file, strings.Join(diffs, "\n"))
	}
}

// contains reports in diffs where got lacks or changes what want holds.
// Objects may gain keys; lists must keep their length.
func contains(path string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want an object, got %s", path, show(got)))
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			contains(path+"."+k, w[k], gv, diffs)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s\n\tgot %s", path, show(want), show(got)))
			return
		}
		for i := range w {
			contains(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], diffs)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got)))
		}
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// volatileKeys are keys whose values change from run to run; the value
// is replaced by a placeholder that keeps whether it was null or empty.
var volatileKeys = map[string]bool{
	"time":   true,
	"serial": true, "sha256": true, "not_before": true, "not_after": true, "bytes": true,
	"cardcheck_version": true, "library_version": true, "firmware_version": true, "hardware_version": true,
	"os": true, "arch": true, "go_version": true, "os_name": true, "cryptoki_version": true,
	// A step's "Length" field: the server's answer holds the rig's random
	// serial numbers in hex (a leading zero nibble shortens them) and the
	// client's port, so its length changes from run to run.
	"Length": true,
	// A session ticket holds the client's certificate chain, whose ECDSA
	// signatures vary in length.
	"Ticket": true,
}

var (
	hexRun   = regexp.MustCompile(`\b[0-9a-fA-F]{16,}\b|\b([0-9a-fA-F]{2}:){7,}[0-9a-fA-F]{2}\b`)
	portRe   = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	timeRe   = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?( UTC)?`)
	msRe     = regexp.MustCompile(`\d+(\.\d+)?\s?(ms|µs|s)\b`)
	daysLeft = regexp.MustCompile(`\d+ days?`)
	slotID   = regexp.MustCompile(`\b0x[0-9a-fA-F]{6,}\b`)
	dateRe   = regexp.MustCompile(`\d{4}-\d\d-\d\d|\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}(, \d\d:\d\d UTC)?`)
	// ECDSA signatures in DER vary by a few bytes from key to key.
	sigBytes = regexp.MustCompile(`\b(6[6-9]|7[0-2]|9[6-9]|10[0-4]) bytes\b`)
)

// volatileStrings maps run-specific substrings (paths, URLs) to placeholders.
func volatileStrings(rig *testrig.Rig, url string) *strings.Replacer {
	pairs := []string{rig.Module, "<module>", rig.Dir, "<rig>"}
	if url != "" {
		pairs = append(pairs, url, "<server-url>")
	}
	return strings.NewReplacer(pairs...)
}

func normalise(key string, v any, r *strings.Replacer) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasSuffix(k, "_msg") || strings.HasSuffix(k, "_msgs") {
				// The messages beside the English texts carry raw
				// arguments (dates, times, counts); their English form is
				// the text field compared here, and app/msg's tests check
				// that each renders to it.
				delete(x, k)
				continue
			}
			x[k] = normalise(k, e, r)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalise(key, e, r)
		}
		return orderList(key, x)
	case nil:
		return nil
	}
	if volatileKeys[key] || strings.HasSuffix(key, "_ms") {
		if s, ok := v.(string); ok && s == "" {
			return ""
		}
		return "<" + key + ">"
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	s = r.Replace(s)
	s = portRe.ReplaceAllString(s, "$1:<port>")
	s = timeRe.ReplaceAllString(s, "<time>")
	s = hexRun.ReplaceAllString(s, "<hex>")
	s = slotID.ReplaceAllString(s, "0x<hex>")
	s = msRe.ReplaceAllString(s, "<duration>")
	s = dateRe.ReplaceAllString(s, "<date>")
	s = daysLeft.ReplaceAllString(s, "<n> days")
	s = sigBytes.ReplaceAllString(s, "<n> bytes")
	return s
}

// orderList takes out what depends on timing or on the token's object
// order: the keys come in SoftHSM's order, and whether the server's
// close_notify arrives before the client closes is a race.
func orderList(key string, l []any) []any {
	field := func(v any, path ...string) string {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	switch key {
	case "keys":
		sort.SliceStable(l, func(i, j int) bool { return field(l[i], "id") < field(l[j], "id") })
	case "steps":
		for len(l) > 0 && field(l[len(l)-1], "alert", "name") == "close_notify" {
			l = l[:len(l)-1]
		}
	}
	return l
}
