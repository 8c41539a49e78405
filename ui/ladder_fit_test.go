package ui

import (
	"slices"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/token"
)

func TestFitLabel(t *testing.T) {
	measure := func(s string) float32 { return 7 * float32(utf8.RuneCountInString(s)) } // 7 per character
	cases := []struct {
		name  string
		parts []string
		width float32
		want  []string
	}{
		{"fits", []string{"ClientHello"}, 100, []string{"ClientHello"}},
		{"fits on one line", []string{"Alert", "unknown_ca"}, 120, []string{"Alert unknown_ca"}},
		{"wraps between the parts", []string{"Alert", "certificate_required"}, 150, []string{"Alert", "certificate_required"}},
		{"a separator does not start a line", []string{"EncryptedExtensions", "· 80 bytes"}, 140, []string{"EncryptedExtensions", "80 bytes"}},
		{"keeps the separator inside a line", []string{"Finished", "· 120 bytes"}, 140, []string{"Finished · 120 bytes"}},
		{"two lines at most, the last one shortened", []string{"Alert", "certificate_required", "· 31 bytes"}, 150,
			[]string{"Alert", "certificate_required…"}},
		{"a name wider than the arrow is shortened", []string{"AVeryLongUnknownMessageName"}, 70, []string{"AVeryLong…"}},
		{"no room at all", []string{"Finished"}, 5, []string{"…"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fitLabel(c.parts, c.width, 2, measure)
			if !slices.Equal(got, c.want) {
				t.Errorf("fitLabel(%q, %v) = %q, want %q", c.parts, c.width, got, c.want)
			}
			for _, line := range got {
				if line != "…" && measure(line) > c.width {
					t.Errorf("%q is %v wide, more than %v", line, measure(line), c.width)
				}
			}
		})
	}
}

// longLabelSteps has the names that run past an arrow: a fatal alert
// with a long name, the longest handshake message, encrypted (so with a
// lock), and a name no arrow holds.
func longLabelSteps() []tlstrace.Step {
	alert := step(4, "server", "Alert", 9.4, true)
	alert.Alert = &tlstrace.Alert{From: "server", Level: "fatal", Code: 116, Name: "certificate_required"}
	alert.Bytes = 1234
	return []tlstrace.Step{
		step(1, "client", "ClientHello", 0.4, false),
		step(2, "server", "EncryptedExtensions", 3.2, true),
		step(3, "client", "SomeFutureHandshakeMessageWithAVeryLongName", 18677.0, false),
		alert,
	}
}

// TestLadderLabelsFit: at its narrowest, in the full and the compact
// diagram, every message's name stays between the lifelines and above
// its arrow, next to its lock, and no two things drawn overlap.
func TestLadderLabelsFit(t *testing.T) {
	test.NewTempApp(t)
	for _, geo := range []ladderGeometry{fullLadder, compactLadder} {
		for _, explain := range []bool{false, true} {
			l := newLadder(geo, nil)
			l.setSteps(longLabelSteps())
			l.setExplain(explain)
			w := test.NewTempWindow(t, l)
			w.Resize(fyne.NewSize(geo.minWidth, 800))
			l.Resize(fyne.NewSize(geo.minWidth, 800))
			checkLadderDrawing(t, l)
		}
	}
}

// TestCompareFitsSmallWindow: Compare in a 1024×640 window: both ladders
// draw without overlaps, the same message is on the same row on both
// sides, and the cipher suites are shown whole.
func TestCompareFitsSmallWindow(t *testing.T) {
	be := newFakeBackend(newFakeToken(t, token.Flags{}))
	be.card.mu.Lock()
	be.card.byOpts = byVersion
	be.card.mu.Unlock()
	h := newHarness(t, be, nil, nil)
	h.w.Resize(fyne.NewSize(1024, 640))
	h.selectCert("Alice Example")
	h.m.conn.url.SetText(testURL)
	test.Tap(h.m.result.compareBtn)
	h.waitResult()
	h.w.Content().Refresh() // lays the window out, as the first frame would

	cv := h.m.result.compare
	a, b := cv.cols[0].ladder, cv.cols[1].ladder
	t.Logf("compact ladders %v and %v wide", a.Size().Width, b.Size().Width)
	checkSideBySide(t, a, b)

	// With the explanations, a row is as high as the taller side.
	test.Tap(h.m.result.explain)
	h.w.Content().Refresh()
	checkSideBySide(t, a, b)
	if a.rowHeight(3) <= ladderRow { // ServerKeyExchange: TLS 1.3 has nothing beside it
		t.Errorf("TLS 1.2's ServerKeyExchange row is %v high with its explanation", a.rowHeight(3))
	}

	for i, suite := range []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"} {
		info := cv.cols[i].info
		var shown []string
		for _, o := range test.WidgetRenderer(info.rt).Objects() {
			if txt, ok := o.(*canvas.Text); ok {
				shown = append(shown, txt.Text)
				if right := txt.Position().X + txt.Size().Width; right > info.Size().Width {
					t.Errorf("%q ends at %v, past the column's %v", txt.Text, right, info.Size().Width)
				}
			}
		}
		if !slices.Contains(shown, suite) {
			t.Errorf("TLS %s info shows %q, want the cipher suite %s whole on a line", compareVersions[i], shown, suite)
		}
	}
}

// checkSideBySide checks two compared ladders: drawn without overlaps,
// as high as each other, each message that both sides have on the same
// row (the client's Certificate in particular).
func checkSideBySide(t *testing.T, a, b *ladder) {
	t.Helper()
	for _, l := range []*ladder{a, b} {
		checkLadderDrawing(t, l)
	}
	if a.Size().Height != b.Size().Height {
		t.Errorf("the two ladders are %v and %v high", a.Size().Height, b.Size().Height)
	}
	for _, r := range alignSteps(a.steps, b.steps) {
		if r[0] >= 0 && r[1] >= 0 && a.rowTop(r[0]) != b.rowTop(r[1]) {
			t.Errorf("%s %s is at %v in TLS 1.2, at %v in TLS 1.3", a.steps[r[0]].From, a.steps[r[0]].Message, a.rowTop(r[0]), b.rowTop(r[1]))
		}
	}
	if a.rowTop(6) != b.rowTop(8) {
		t.Errorf("the client's Certificate is at %v in TLS 1.2, at %v in TLS 1.3", a.rowTop(6), b.rowTop(8))
	}
}

// checkLadderDrawing checks what a ladder draws: message names (and
// locks) between the lifelines, each above its own arrow and below the
// previous one, times left of the client's lifeline, and no two texts or
// icons overlapping.
func checkLadderDrawing(t *testing.T, l *ladder) {
	t.Helper()
	width := max(l.Size().Width, l.geo.minWidth)
	cx, sx := l.geo.columns(width)
	var boxes []struct {
		what     string
		pos, end fyne.Position
	}
	var arrows []float32
	for _, o := range test.WidgetRenderer(l).Objects() {
		switch o := o.(type) {
		case *canvas.Line:
			if o.Position1.Y == o.Position2.Y && o.Size().Width > 20 {
				arrows = append(arrows, o.Position1.Y)
			}
		case *canvas.Text, *canvas.Image:
			what := "icon"
			if txt, ok := o.(*canvas.Text); ok {
				what = txt.Text
			}
			p, s := o.Position(), o.Size()
			boxes = append(boxes, struct {
				what     string
				pos, end fyne.Position
			}{what, p, p.AddXY(s.Width, s.Height)})
		}
	}
	explained := map[string]bool{}
	for _, row := range l.layoutRows(width) {
		for _, line := range row.lines {
			explained[line] = true
		}
	}
	for i, b := range boxes {
		switch {
		case explained[b.what]:
			if b.pos.X < l.geo.timeW || b.end.X > width {
				t.Errorf("explanation %q at x %v…%v, outside %v…%v", b.what, b.pos.X, b.end.X, l.geo.timeW, width)
			}
		case b.pos.X < l.geo.timeW: // the time column
			if b.end.X > cx {
				t.Errorf("time %q ends at %v, past the client's lifeline at %v", b.what, b.end.X, cx)
			}
		default: // a name or a lock
			if b.pos.X < cx || b.end.X > sx {
				t.Errorf("%q at x %v…%v, outside the lifelines %v…%v (width %v)", b.what, b.pos.X, b.end.X, cx, sx, width)
			}
			for _, y := range arrows {
				if b.pos.Y < y && b.end.Y > y {
					t.Errorf("%q (y %v…%v) crosses the arrow at %v", b.what, b.pos.Y, b.end.Y, y)
				}
			}
		}
		for _, c := range boxes[:i] {
			if b.pos.X < c.end.X && c.pos.X < b.end.X && b.pos.Y < c.end.Y && c.pos.Y < b.end.Y {
				t.Errorf("%q (%v–%v) overlaps %q (%v–%v)", b.what, b.pos, b.end, c.what, c.pos, c.end)
			}
		}
	}
}
