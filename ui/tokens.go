package ui

import (
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/assets"
	"github.com/cardcheck/cardcheck/token"
)

// nodeKind says what a tree row stands for.
type nodeKind int

const (
	nodeModule nodeKind = iota
	nodeToken
	nodeCert
)

// String names the kind in the event log.
func (k nodeKind) String() string {
	switch k {
	case nodeModule:
		return "module"
	case nodeToken:
		return "token"
	}
	return "certificate"
}

// treeNode is one row of the token tree: module → token → certificate.
type treeNode struct {
	id     widget.TreeNodeID
	kind   nodeKind
	title  string
	detail string
	icon   fyne.Resource
	module *token.ModuleStatus
	tok    *token.Token
	cert   *token.Certificate
}

// tokenPanel is the left side of the window: the tree of modules, tokens
// and certificates with their state, and the buttons to add a module and
// to look again.
type tokenPanel struct {
	tree       *widget.Tree
	addModule  *widget.Button
	refresh    *widget.Button
	busy       *widget.Activity
	content    fyne.CanvasObject
	now        func() time.Time
	onSelect   func(*treeNode) // nil when nothing is selected
	nodes      map[widget.TreeNodeID]*treeNode
	children   map[widget.TreeNodeID][]widget.TreeNodeID
	seen       map[widget.TreeNodeID]bool // branches shown before: new ones open
	selectedID widget.TreeNodeID
	rowObjs    map[fyne.CanvasObject]widget.TreeNodeID // for the exerciser: which row shows which node
}

func newTokenPanel(now func() time.Time, onAdd, onRefresh func(), onSelect func(*treeNode)) *tokenPanel {
	p := &tokenPanel{
		now:      now,
		onSelect: onSelect,
		nodes:    map[widget.TreeNodeID]*treeNode{},
		children: map[widget.TreeNodeID][]widget.TreeNodeID{},
		seen:     map[widget.TreeNodeID]bool{},
		rowObjs:  map[fyne.CanvasObject]widget.TreeNodeID{},
		busy:     widget.NewActivity(),
	}
	p.tree = &widget.Tree{
		ChildUIDs:    p.childUIDs,
		IsBranch:     p.isBranch,
		CreateNode:   p.createNode,
		UpdateNode:   p.updateNode,
		OnSelected:   p.selected,
		OnUnselected: p.unselected,
	}
	p.tree.ExtendBaseWidget(p.tree)
	p.addModule = &widget.Button{Text: lang.L("Add module…"), Icon: theme.ContentAddIcon(), OnTapped: onAdd}
	p.refresh = &widget.Button{Text: lang.L("Refresh"), Icon: theme.ViewRefreshIcon(), OnTapped: onRefresh}
	title := &widget.Label{Text: lang.L("Cards and certificates"), TextStyle: fyne.TextStyle{Bold: true}}
	p.busy.Hide()
	header := container.NewBorder(nil, nil, nil, p.busy, title)
	buttons := container.NewGridWithColumns(2, p.addModule, p.refresh)
	p.content = container.NewBorder(header, buttons, nil, nil, p.tree)
	return p
}

// setBusy shows that the cards are being read.
func (p *tokenPanel) setBusy(busy bool) {
	if busy {
		p.busy.Show()
		p.busy.Start()
		p.refresh.Disable()
		return
	}
	p.busy.Stop()
	p.busy.Hide()
	p.refresh.Enable()
}

// setInventory shows a new scan, keeping the selection when the selected
// row still exists. It reports the node now selected (nil for none).
func (p *tokenPanel) setInventory(inv *token.Inventory) *treeNode {
	p.nodes = map[widget.TreeNodeID]*treeNode{}
	p.children = map[widget.TreeNodeID][]widget.TreeNodeID{}
	now := p.now()
	for i := range inv.Modules {
		ms := &inv.Modules[i]
		mid := p.add("", moduleNode(ms))
		for _, t := range inv.Tokens {
			if t.Module == nil || t.Module.Path != ms.Path {
				continue
			}
			tid := p.add(mid, tokenNode(mid, t))
			for _, c := range sortedCerts(t.Certificates) {
				p.add(tid, certNode(tid, c, now))
			}
		}
		if n := p.nodes[mid]; len(p.children[mid]) == 0 && ms.Err == nil {
			n.detail = lang.L("no card found") + " · " + n.detail
		}
	}
	p.tree.Refresh()
	for id, kids := range p.children {
		if id != "" && len(kids) > 0 && !p.seen[id] {
			p.seen[id] = true
			p.tree.OpenBranch(id)
		}
	}
	sel, ok := p.nodes[p.selectedID]
	switch {
	case ok:
		p.tree.Select(p.selectedID)
		p.tree.RefreshItem(p.selectedID)
		return sel
	case p.selectedID != "":
		p.selectedID = ""
		p.tree.UnselectAll()
	}
	return nil
}

func (p *tokenPanel) add(parent widget.TreeNodeID, n *treeNode) widget.TreeNodeID {
	if _, dup := p.nodes[n.id]; dup {
		return n.id // two identical objects on one token: show one
	}
	p.nodes[n.id] = n
	p.children[parent] = append(p.children[parent], n.id)
	return n.id
}

// selectCert selects the row of a certificate (for example the one used
// last) and reports whether it is there.
func (p *tokenPanel) selectCert(match func(*token.Certificate) bool) bool {
	for _, mid := range p.children[""] {
		for _, tid := range p.children[mid] {
			for _, cid := range p.children[tid] {
				if n := p.nodes[cid]; match(n.cert) {
					p.tree.Select(cid)
					return true
				}
			}
		}
	}
	return false
}

// certificates lists every certificate shown.
func (p *tokenPanel) certificates() []*token.Certificate {
	var out []*token.Certificate
	for _, mid := range p.children[""] {
		for _, tid := range p.children[mid] {
			for _, cid := range p.children[tid] {
				out = append(out, p.nodes[cid].cert)
			}
		}
	}
	return out
}

func (p *tokenPanel) childUIDs(id widget.TreeNodeID) []widget.TreeNodeID { return p.children[id] }

func (p *tokenPanel) isBranch(id widget.TreeNodeID) bool { return id == "" || len(p.children[id]) > 0 }

func (p *tokenPanel) createNode(bool) fyne.CanvasObject { return newNodeView() }

func (p *tokenPanel) updateNode(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
	if n, ok := p.nodes[id]; ok {
		o.(*nodeView).set(n)
		p.rowObjs[o] = id
	}
}

func (p *tokenPanel) selected(id widget.TreeNodeID) {
	p.selectedID = id
	p.onSelect(p.nodes[id])
}

func (p *tokenPanel) unselected(id widget.TreeNodeID) {
	if p.selectedID == id {
		p.selectedID = ""
		p.onSelect(nil)
	}
}

// Node IDs stay the same across scans as long as the object is the same:
// module path, token serial and label, certificate ID, label and hash.

func moduleID(path string) string { return "m\x00" + path }

func moduleNode(ms *token.ModuleStatus) *treeNode {
	n := &treeNode{id: moduleID(ms.Path), kind: nodeModule, module: ms, title: ms.Info.Description, detail: ms.Path}
	if n.title == "" {
		n.title = filepath.Base(ms.Path)
	}
	n.icon = theme.NewThemedResource(theme.ComputerIcon())
	if ms.Err != nil {
		n.icon = theme.NewErrorThemedResource(theme.ErrorIcon())
		n.detail = lang.L("cannot be used: {{.Error}}", map[string]any{"Error": firstLine(errorText(ms.Err))})
	}
	return n
}

func tokenNode(parent string, t *token.Token) *treeNode {
	n := &treeNode{id: parent + "\x00t\x00" + t.Serial + "\x00" + t.Label, kind: nodeToken, tok: t, title: t.Label}
	parts := []string{strings.TrimSpace(t.Manufacturer + " " + t.Model)}
	if t.Serial != "" {
		parts = append(parts, lang.L("serial {{.Serial}}", map[string]any{"Serial": t.Serial}))
	}
	var icon fyne.Resource = theme.NewThemedResource(assets.CardIcon)
	switch t.Flags.PINState() {
	case token.PINLocked:
		icon = theme.NewErrorThemedResource(assets.CardIcon)
	case token.PINFinalTry, token.PINCountLow:
		icon = theme.NewWarningThemedResource(assets.CardIcon)
	}
	if s := pinStateShort(t.Flags); s != "" {
		parts = append([]string{s}, parts...)
	}
	if len(t.Certificates) == 0 {
		parts = append(parts, lang.L("no certificates"))
	}
	n.icon = icon
	n.detail = strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " · ")
	return n
}

func certNode(parent string, c *token.Certificate, now time.Time) *treeNode {
	sum := c.SHA256()
	n := &treeNode{
		id:   parent + "\x00c\x00" + hex.EncodeToString(c.ID) + "\x00" + c.Label + "\x00" + hex.EncodeToString(sum[:8]),
		kind: nodeCert, tok: c.Token, cert: c, title: certName(c),
	}
	n.icon, n.detail = certState(c, now)
	return n
}

// certState is the icon and the few words of a certificate's state.
func certState(c *token.Certificate, now time.Time) (fyne.Resource, string) {
	if c.X509 == nil {
		return theme.NewErrorThemedResource(assets.CertificateIcon), lang.L("cannot be read")
	}
	validity, _ := validityText(c.X509, now)
	words := c.KeyDescription() + " · " + validity
	switch {
	case c.Usable():
		return theme.NewSuccessThemedResource(assets.CertificateIcon), words
	case slices.Contains(c.Problems, token.ProblemExpired), slices.Contains(c.Problems, token.ProblemNotYetValid):
		return theme.NewErrorThemedResource(assets.CertificateIcon), words
	case slices.Contains(c.Problems, token.ProblemCACertificate):
		return theme.NewDisabledResource(assets.CertificateIcon), lang.L("CA certificate, not for logging in")
	}
	return theme.NewWarningThemedResource(assets.CertificateIcon), problemShort(c.Problems[0])
}

// problemShort names a certificate problem in a few words.
func problemShort(p token.Problem) string {
	switch p {
	case token.ProblemNoClientAuth:
		return lang.L("not for client authentication")
	case token.ProblemNoDigitalSig:
		return lang.L("key usage does not allow signing")
	case token.ProblemNoPrivateKey:
		return lang.L("no private key on the card")
	case token.ProblemKeyCannotSign:
		return lang.L("key not allowed to sign")
	case token.ProblemUnsupportedKey:
		return lang.L("key type not supported")
	}
	return text(p.Message())
}

// sortedCerts lists usable certificates first, keeping the card's order
// otherwise: the one people want is usually among the first.
func sortedCerts(cs []*token.Certificate) []*token.Certificate {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b *token.Certificate) int {
		switch {
		case a.Usable() == b.Usable():
			return 0
		case a.Usable():
			return -1
		}
		return 1
	})
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// nodeView draws one tree row: icon, title and a dimmer line of detail.
type nodeView struct {
	widget.BaseWidget
	icon   *widget.Icon
	title  *widget.Label
	detail *note
}

func newNodeView() *nodeView {
	v := &nodeView{
		icon:   widget.NewIcon(nil),
		title:  &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		detail: newNote("", theme.SizeNameCaptionText).truncated(),
	}
	v.ExtendBaseWidget(v)
	return v
}

func (v *nodeView) set(n *treeNode) {
	v.icon.SetResource(n.icon)
	v.title.SetText(n.title)
	v.detail.SetText(n.detail)
}

func (v *nodeView) CreateRenderer() fyne.WidgetRenderer {
	text := container.New(&tightVBox{}, v.title, v.detail)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, v.icon, nil, text))
}
