//go:build linux

package exerciser

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// notDetectedSteps are the steps of the demo's "card not detected"
// lesson (app/demo.NotDetectedLesson), in order.
var notDetectedSteps = []string{"card-listed", "no-reader", "service-not-running", "no-module", "card-in-use", "module-hides-card"}

// TestNotDetectedScreenshots walks the demo's "card not detected" lesson
// in the real binary and takes a screenshot of each step (what a person
// with that problem sees in the window) at 1024×640, and of the
// service-not-running step and its Diagnostics tab at 1920×1080, light
// theme. README's "My card is not listed" shows them (copied from out/
// into assets/screenshots/).
func TestNotDetectedScreenshots(t *testing.T) {
	dir := t.TempDir()
	s := &shared{bin: buildPackage(t, dir, ".", "cardcheck"), data: filepath.Join(dir, "data")}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []combo{{1024, 640, "light", true}, {1920, 1080, "light", false}} {
		t.Run(c.String(), func(t *testing.T) {
			r := &run{t: t, s: s, c: c, x: startXvfb(t, c.w, c.h)}
			r.notDetected()
		})
	}
}

// notDetected opens the lesson from the demo panel's button and steps
// through it with Next; c.full takes every step, otherwise one step and
// its Diagnostics tab.
func (r *run) notDetected() {
	t := r.t
	args := []string{"demo"}
	if !r.c.full {
		// The emulated card (pcscd + vpcd + OpenSC, as root): the first
		// step is then the live reader layer.
		args = append(args, "--emulated-card")
	}
	g := r.start("cardcheck demo", "cardcheck demo", args, nil, nil, func(n int) bool { return n > 0 })
	defer g.stop()
	g.click("not-detected")
	if _, ok := g.wait("the lesson", dialogIs("not-detected", true)); !ok {
		t.FailNow()
	}
	for i, name := range notDetectedSteps {
		if i > 0 {
			g.click("lesson-next")
		}
		if _, ok := g.wait("lesson step "+name, is("status", func(e event) bool {
			return e.What == "not-detected-step" && e.Name == name && e.Index == i
		}), noTest); !ok {
			t.FailNow()
		}
		shot := fmt.Sprintf("not-detected-%d-%s-%s", i+1, name, r.c)
		if r.c.full || name == "service-not-running" || name == "card-listed" {
			r.x.screenshot(t, shot)
		}
		if !r.c.full && name == "service-not-running" {
			// The second tab's label starts right of the first, "In the
			// window" (≈ 150 px at scale 1), in the tab bar at the top.
			tabs := g.last.Controls["lesson-tabs"]
			g.clickAt(tabs[0]+200, tabs[1]+18)
			if _, ok := g.wait("the Diagnostics tab", is("tab", func(e event) bool { return e.Tab == "lesson-diagnostics" }), noTest); !ok {
				t.FailNow()
			}
			r.x.screenshot(t, shot+"-diagnostics")
			return
		}
	}
	g.escCloses("not-detected", nil)
}
