//go:build packaging

package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestArchiveInstallsAndStarts(t *testing.T) {
	tmp := t.TempDir()
	archive, headless := buildArchives(t, tmp)
	t.Run("headless", func(t *testing.T) { checkHeadless(t, tmp, headless) })
	unpack := filepath.Join(tmp, "unpack")
	os.MkdirAll(unpack, 0o755)
	run(t, unpack, nil, "tar", "-xJf", archive)
	bin := filepath.Join(unpack, "cardcheck", "usr", "local", "bin", "cardcheck")
	if v := run(t, tmp, nil, bin, "--version"); !strings.HasPrefix(v, "cardcheck ") {
		t.Fatalf("--version: %q", v)
	}

	home := filepath.Join(tmp, "home")
	run(t, filepath.Join(unpack, "cardcheck"), []string{"HOME=" + home}, "make", "user-install", "HOME="+home)
	icons, _ := filepath.Glob(filepath.Join(home, ".local", "share", "icons", "*.png"))
	if len(icons) != 1 {
		t.Errorf("installed icons: %v (the icon must keep its .png extension)", icons)
	}
	desktop, err := filepath.Glob(filepath.Join(home, ".local", "share", "applications", "*.desktop"))
	if err != nil || len(desktop) != 1 {
		t.Fatalf("installed .desktop files: %v", desktop)
	}
	exe := desktopExec(t, desktop[0])
	if v := run(t, tmp, nil, exe, "--version"); !strings.HasPrefix(v, "cardcheck ") {
		t.Fatalf("the .desktop entry's Exec %q --version printed %q", exe, v)
	}
}

// buildArchives runs build/package.sh and returns the two archives it
// printed: the desktop one and the headless one.
func buildArchives(t *testing.T, tmp string) (desktop, headless string) {
	t.Helper()
	out := run(t, "../..", []string{"XZ_OPT=-0 -T2"}, "build/package.sh", filepath.Join(tmp, "out"))
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.Contains(line, "/cardcheck-headless-") && strings.HasSuffix(line, ".tar.xz"):
			headless = line
		case strings.HasSuffix(line, ".tar.xz"):
			desktop = line
		}
	}
	if desktop == "" || headless == "" {
		t.Fatalf("package.sh printed %q, want a desktop and a headless archive", out)
	}
	return desktop, headless
}

// checkHeadless unpacks the headless archive: its binary runs and links
// no GL, X11 or Wayland library.
func checkHeadless(t *testing.T, tmp, archive string) {
	unpack := filepath.Join(tmp, "headless")
	os.MkdirAll(unpack, 0o755)
	run(t, unpack, nil, "tar", "-xJf", archive)
	bin := filepath.Join(unpack, "cardcheck-headless", "cardcheck")
	if v := run(t, tmp, nil, bin, "--version"); !strings.HasPrefix(v, "cardcheck ") {
		t.Fatalf("headless --version: %q", v)
	}
	ldd := run(t, tmp, nil, "ldd", bin)
	for _, lib := range []string{"libGL", "libEGL", "libX11", "libwayland"} {
		if strings.Contains(ldd, lib) {
			t.Errorf("the headless binary needs %s:\n%s", lib, ldd)
		}
	}
}

// desktopExec returns the program of the entry's Exec line.
func desktopExec(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Exec="); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("%s has no Exec line", file)
	return ""
}
