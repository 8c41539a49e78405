package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// The exerciser (build/exerciser) drives the real window with xdotool. It
// cannot see Fyne's objects, so with the event log on every settled event
// carries where each named control is on screen, which control has the
// focus and which dialogs are open. Only names and rectangles are
// written: never the text of an entry.

// control is one thing a person can click or type into, by name.
type control struct {
	name string
	obj  fyne.CanvasObject
}

// controls lists the window's named controls; hidden ones are left out
// later, when their position is looked up.
func (m *mainWindow) controls() []control {
	cs := []control{
		{"url", m.conn.url}, {"test", m.conn.test}, {"logout", m.conn.logout},
		{"options", m.conn.options}, {"tls-auto", m.conn.tlsVersion}, {"ca-file", m.conn.caFile},
		{"ca-choose", m.conn.caBrowse}, {"ca-clear", m.conn.caClear}, {"continue-untrusted", m.conn.cont},
		{"timeout", m.conn.timeout},
		{"cancel", m.banner.cancel}, {"copy-report", m.banner.copy}, {"save-report", m.banner.save},
		{"tree", m.tokens.tree}, {"add-module", m.tokens.addModule}, {"refresh", m.tokens.refresh},
		{"copy-uri", m.details.copyURI}, {"export", m.details.export}, {"remove-module", m.details.modRemove},
		{"explain", m.result.explain}, {"compare", m.result.compareBtn}, {"back", m.result.backBtn},
		{"ladder", m.result.ladder}, {"tabs", m.tabs},
		{"empty-add-module", m.empty.addModule}, {"empty-refresh", m.empty.refresh},
	}
	cs = append(cs, m.extraControls()...)
	if m.empty.demo != nil {
		cs = append(cs, control{"empty-demo", m.empty.demo})
	}
	if m.demo != nil {
		cs = append(cs, control{"scenarios", m.demo.list}, control{"not-detected", m.demo.notDetected})
	}
	if v := m.lesson; v != nil {
		cs = append(cs, control{"lesson-back", v.back}, control{"lesson-next", v.next}, control{"lesson-tabs", v.tabs})
	}
	for i, b := range m.banner.fixes() {
		cs = append(cs, control{"fix-" + strconv.Itoa(i), b})
	}
	if v := m.diag; v != nil {
		cs = append(cs, control{"diag-full", v.full}, control{"diag-copy", v.copy}, control{"diag-save", v.save})
	}
	if d := m.pinDialog(); d != nil && d.open {
		cs = append(cs, d.controls()...)
	}
	for id, o := range m.tokens.rowViews() {
		cs = append(cs, control{"row:" + id, o})
	}
	return cs
}

// layoutSnapshot is the part of a settled event that tells the
// exerciser where things are: rectangles in pixels of the window
// ([x, y, width, height]), the focused control and the open dialogs.
func (m *mainWindow) layoutSnapshot() map[string]any {
	c := m.win.Canvas()
	scale := c.Scale()
	drv := fyne.CurrentApp().Driver()
	rects := map[string][4]int{}
	var focus, selected string
	focused := c.Focused()
	treePos, treeSize := drv.AbsolutePositionForObject(m.tokens.tree), m.tokens.tree.Size()
	for _, ctl := range m.controls() {
		if ctl.obj == nil || !ctl.obj.Visible() {
			continue
		}
		pos := drv.AbsolutePositionForObject(ctl.obj)
		size := ctl.obj.Size()
		if pos.IsZero() || size.IsZero() { // not in a visible tree
			continue
		}
		if strings.HasPrefix(ctl.name, "row:") && !inside(pos, size, treePos, treeSize) {
			continue // scrolled out of the tree's view: not clickable
		}
		if id, ok := m.tokens.rowObjs[ctl.obj]; ok && id == m.tokens.selectedID {
			selected = ctl.name
		}
		rects[ctl.name] = [4]int{int(pos.X * scale), int(pos.Y * scale), int(size.Width * scale), int(size.Height * scale)}
		if f, ok := ctl.obj.(fyne.Focusable); ok && focused != nil && f == focused {
			focus = ctl.name
		}
	}
	if focused != nil && focus == "" {
		focus = "other"
	}
	return map[string]any{"controls": rects, "focus": focus, "dialogs": m.modal.names(), "selected_row": selected,
		"window": [2]int{int(c.Size().Width * scale), int(c.Size().Height * scale)}}
}

// inside says whether the rectangle (pos, size) lies within the one at
// (outer, outerSize).
func inside(pos fyne.Position, size fyne.Size, outer fyne.Position, outerSize fyne.Size) bool {
	return pos.X >= outer.X && pos.Y >= outer.Y &&
		pos.X+size.Width <= outer.X+outerSize.Width+1 && pos.Y+size.Height <= outer.Y+outerSize.Height+1
}

// rowViews maps the tree rows on screen to their node IDs (Fyne reuses
// row objects, so the last update of an object wins).
func (p *tokenPanel) rowViews() map[string]fyne.CanvasObject {
	out := map[string]fyne.CanvasObject{}
	for o, id := range p.rowObjs {
		if n, ok := p.nodes[id]; ok {
			out[n.kind.String()+":"+n.title] = o
		}
	}
	return out
}

// extraControls are the window's controls outside its screens.
func (m *mainWindow) extraControls() []control {
	return []control{{"panel-toggle", m.panelToggle}, {"split", m.split}}
}
