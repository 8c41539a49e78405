//go:build linux

package exerciser

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/token/softhsm"
	"github.com/cardcheck/cardcheck/ui"
)

// BenchmarkStart measures start to first frame (issue 8: < 0.5 s) the way
// the exerciser does, on one 1920×1080 Xvfb, in the no-card state of the
// exerciser's first start (SoftHSM with no token, added by hand, beside
// the modules this machine registers). Each round starts, one after the
// other:
//
//	baseline-warm  the baseline window (./baseline), its cache folder filled
//	cold           cardcheck with an empty cache folder (XDG_CACHE_HOME):
//	               a person's first start after install (every module vetted
//	               in a child process, Fyne's system font index built)
//	warm           cardcheck again on the folder the cold start filled
//	baseline-cold  the baseline with an empty cache folder (the font index)
//	cold-gl-warm   cardcheck with an empty cache folder but Mesa's shader
//	               cache the warm baseline filled (MESA_SHADER_CACHE_DIR):
//	               cardcheck's own first start on a machine whose GL stack
//	               has compiled Fyne's shaders before. Under llvmpipe (Xvfb)
//	               compiling them costs any Fyne window 0.2-0.3 s the first
//	               time (baseline-cold); a GPU driver compiles in
//	               milliseconds.
//
// and reports the median of each in milliseconds, with the ratio of
// cardcheck's to the warm baseline's; every figure is logged with -v.
// cardcheck's figure is the frame_ms of its "tokens" event (the first
// paint that shows the list) minus the time of exec; the baseline's, the
// time of its first frame it writes to stderr.
//
//	go test -run '^$' -bench Start -benchtime 10x -v ./build/exerciser/
//
// CARDCHECK_BENCH_BIN names another cardcheck binary to time (an older
// build, to compare). Run it alone: other processes on the two cores move
// the figures.
func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	bin := os.Getenv("CARDCHECK_BENCH_BIN")
	if bin == "" {
		bin = buildPackage(b, dir, ".", "cardcheck")
	}
	baseline := buildPackage(b, dir, "./build/exerciser/baseline", "baseline")
	x := startXvfb(b, 1920, 1080)
	env, err := softhsm.NewEnv(filepath.Join(dir, "softhsm"))
	if err != nil {
		b.Fatal(err)
	}
	baseCache := filepath.Join(dir, "base-cache")
	if err := os.MkdirAll(baseCache, 0o755); err != nil {
		b.Fatal(err)
	}
	startBaseline(b, x, baseline, baseCache) // fills its cache folder
	var figures = map[string][]time.Duration{}
	round := 0
	for b.Loop() {
		round++
		cache := filepath.Join(dir, fmt.Sprintf("cache-%d", round))
		if err := os.MkdirAll(cache, 0o755); err != nil {
			b.Fatal(err)
		}
		figures["baseline-warm"] = append(figures["baseline-warm"], startBaseline(b, x, baseline, baseCache))
		figures["cold"] = append(figures["cold"], startCardcheck(b, x, bin, cache, env))
		figures["warm"] = append(figures["warm"], startCardcheck(b, x, bin, cache, env))
		baseCold := filepath.Join(dir, fmt.Sprintf("base-cache-%d", round))
		if err := os.MkdirAll(baseCold, 0o755); err != nil {
			b.Fatal(err)
		}
		figures["baseline-cold"] = append(figures["baseline-cold"], startBaseline(b, x, baseline, baseCold))
		glWarm := filepath.Join(dir, fmt.Sprintf("cache-gl-%d", round))
		if err := os.MkdirAll(glWarm, 0o755); err != nil {
			b.Fatal(err)
		}
		figures["cold-gl-warm"] = append(figures["cold-gl-warm"],
			startCardcheck(b, x, bin, glWarm, env, "MESA_SHADER_CACHE_DIR="+baseCache))
	}
	names := []string{"baseline-warm", "cold", "warm", "baseline-cold", "cold-gl-warm"}
	for _, name := range names {
		b.Logf("%-13s %v", name, figures[name])
	}
	base := median(figures["baseline-warm"])
	for _, name := range names {
		m := median(figures[name])
		b.ReportMetric(float64(m.Milliseconds()), name+"-ms")
		if name != "baseline-warm" && name != "baseline-cold" {
			b.ReportMetric(float64(m)/float64(base), name+"/baseline")
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// startCardcheck starts cardcheck with no card, waits for the token list
// and stops it; it returns exec to the first frame that showed the list.
func startCardcheck(b *testing.B, x *display, bin, cache string, sh *softhsm.Env, extraEnv ...string) time.Duration {
	dir := b.TempDir()
	prefs := filepath.Join(dir, "config", "fyne", config.AppID, "preferences.json")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		b.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{config.KeyModules: []string{sh.Module}})
	if err := os.WriteFile(prefs, doc, 0o600); err != nil {
		b.Fatal(err)
	}
	fifo := filepath.Join(dir, "events")
	events := openEvents(b, fifo)
	env := append(sh.Environ(), "DISPLAY="+x.name, "HOME="+dir, "XDG_CACHE_HOME="+cache,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_RUNTIME_DIR="+dir, ui.EventLogEnv+"="+fifo)
	env = append(env, extraEnv...)
	p := launch(b, "cardcheck", exec.Command(bin), env)
	defer stopProcess(p)
	deadline := time.After(stepLimit)
	for {
		select {
		case e := <-events:
			if e.Event == "tokens" {
				return time.UnixMilli(e.FrameMs).Sub(p.start)
			}
		case <-p.exited:
			b.Fatalf("cardcheck ended before it showed the token list")
		case <-deadline:
			b.Fatalf("cardcheck showed no token list within %v", stepLimit)
		}
	}
}

// startBaseline starts the baseline window, waits for its first frame and
// stops it; it returns exec to the first frame.
func startBaseline(b testing.TB, x *display, bin, cache string) time.Duration {
	dir := b.TempDir()
	p := launch(b, "baseline", exec.Command(bin), []string{"DISPLAY=" + x.name, "HOME=" + dir,
		"XDG_CACHE_HOME=" + cache, "XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir})
	defer stopProcess(p)
	deadline := time.Now().Add(stepLimit)
	for time.Now().Before(deadline) && p.alive() {
		out, _ := os.ReadFile(p.stderr)
		for _, l := range strings.Split(string(out), "\n") {
			var ms int64
			if _, err := fmt.Sscanf(l, "first frame %d", &ms); err == nil {
				return time.UnixMilli(ms).Sub(p.start)
			}
		}
		time.Sleep(10 * time.Millisecond) // polling a file the baseline writes once
	}
	b.Fatalf("the baseline wrote no first frame within %v", stepLimit)
	return 0
}

// stopProcess ends a started process and waits for it.
func stopProcess(p *process) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}
