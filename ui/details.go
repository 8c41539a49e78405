package ui

import (
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/token"
)

// valueLabel is a selectable, wrapping label for a value in a form.
func valueLabel() *widget.Label {
	return &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}
}

// keyLabel is the name column of a form.
func keyLabel(text string) *widget.Label {
	return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}}
}

// certDetails shows what is selected in the tree: a certificate (the
// usual case), a token or a module.
type certDetails struct {
	now func() time.Time

	placeholder     *note
	placeholderView fyne.CanvasObject

	// certificate
	certIcon    *widget.Icon
	name        *widget.Label
	status      *widget.Label
	problems    *widget.Label
	subject     *widget.Label
	issuer      *widget.Label
	validFrom   *widget.Label
	validUntil  *widget.Label
	expiry      *widget.Label
	serial      *widget.Label
	key         *widget.Label
	keyUsage    *widget.Label
	extKeyUsage *widget.Label
	sha256      *widget.Label
	label       *widget.Label
	objectID    *widget.Label
	uri         *widget.Label
	copyURI     *widget.Button
	privateKey  *widget.Label
	onToken     *widget.Label
	export      *widget.Button
	certView    fyne.CanvasObject

	// token
	tokTitle  *widget.Label
	tokPIN    *widget.Label
	tokForm   *widget.Label
	tokenView fyne.CanvasObject

	// module
	modTitle   *widget.Label
	modError   *widget.Label
	modForm    *widget.Label
	modRemove  *widget.Button
	moduleView fyne.CanvasObject

	content *fyne.Container // a stack; one view visible
	cert    *token.Certificate
	module  *token.ModuleStatus
}

func newCertDetails(now func() time.Time, onCopyURI, onExport, onRemoveModule func()) *certDetails {
	d := &certDetails{
		now:         now,
		placeholder: newNote(lang.L("Select a certificate on the left to see its details and test it."), theme.SizeNameText).centered(),
		certIcon:    widget.NewIcon(nil),
		name:        &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Wrapping: fyne.TextWrapWord, Selectable: true},
		status:      &widget.Label{Wrapping: fyne.TextWrapWord},
		problems:    &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance},
		subject:     valueLabel(),
		issuer:      valueLabel(),
		validFrom:   valueLabel(),
		validUntil:  &widget.Label{Selectable: true},
		expiry:      &widget.Label{TextStyle: fyne.TextStyle{Bold: true}},
		serial:      valueLabel(),
		key:         valueLabel(),
		keyUsage:    valueLabel(),
		extKeyUsage: valueLabel(),
		// The fingerprint and the URI in the text font, not monospace:
		// both wrap anywhere and are copied rather than read in columns,
		// and a monospace face costs the whole window its own font
		// tables (and a system fallback font) from the first card
		// listed; only Diagnostics, a plain-text report, keeps monospace.
		sha256:     &widget.Label{Wrapping: fyne.TextWrapBreak, Selectable: true},
		label:      valueLabel(),
		objectID:   valueLabel(),
		uri:        &widget.Label{Wrapping: fyne.TextWrapBreak, Selectable: true},
		copyURI:    &widget.Button{Text: lang.L("Copy"), Icon: theme.ContentCopyIcon(), OnTapped: onCopyURI},
		privateKey: valueLabel(),
		onToken:    valueLabel(),
		export:     &widget.Button{Text: lang.L("Export certificate…"), Icon: theme.DocumentSaveIcon(), OnTapped: onExport},
		tokTitle:   &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Wrapping: fyne.TextWrapWord},
		tokPIN:     &widget.Label{Wrapping: fyne.TextWrapWord},
		tokForm:    &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		modTitle:   &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameHeadingText, Wrapping: fyne.TextWrapWord},
		modError:   &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance, Selectable: true},
		modForm:    &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true},
		modRemove:  &widget.Button{Text: lang.L("Remove from my modules"), Icon: theme.ContentRemoveIcon(), OnTapped: onRemoveModule},
	}
	d.certView = d.buildCertView()
	d.tokenView = container.NewVScroll(container.NewVBox(d.tokTitle, d.tokPIN, widget.NewSeparator(), d.tokForm))
	d.moduleView = container.NewVScroll(container.NewVBox(d.modTitle, d.modError, d.modForm, container.NewHBox(d.modRemove)))
	d.placeholderView = container.NewCenter(container.New(&maxWidth{width: 420}, d.placeholder))
	d.content = container.NewStack(d.placeholderView, d.certView, d.tokenView, d.moduleView)
	d.show(nil)
	return d
}

func (d *certDetails) buildCertView() fyne.CanvasObject {
	form := container.New(layout.NewFormLayout(),
		keyLabel(lang.L("Subject")), d.subject,
		keyLabel(lang.L("Issuer")), d.issuer,
		keyLabel(lang.L("Valid from")), d.validFrom,
		keyLabel(lang.L("Valid until")), container.NewHBox(d.validUntil, d.expiry),
		keyLabel(lang.L("Key")), d.key,
		keyLabel(lang.L("Key usage")), d.keyUsage,
		keyLabel(lang.L("Extended key usage")), d.extKeyUsage,
		keyLabel(lang.L("Private key")), d.privateKey,
		keyLabel(lang.L("Serial number")), d.serial,
		keyLabel(lang.L("SHA-256 fingerprint")), d.sha256,
		keyLabel(lang.L("Object label")), d.label,
		keyLabel(lang.L("Object ID (CKA_ID)")), d.objectID,
		keyLabel(lang.L("PKCS#11 URI")), container.NewBorder(nil, nil, nil, container.NewVBox(d.copyURI), d.uri),
		keyLabel(lang.L("Card")), d.onToken,
	)
	head := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(40, 40), d.certIcon), nil,
		container.New(&tightVBox{}, d.name, d.status))
	actions := container.NewHBox(layout.NewSpacer(), d.export)
	return container.NewBorder(container.NewVBox(head, d.problems, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(container.NewVBox(form, actions)))
}

// show displays a tree node (nil: the placeholder).
func (d *certDetails) show(n *treeNode) {
	d.cert, d.module = nil, nil
	for _, v := range []fyne.CanvasObject{d.placeholderView, d.certView, d.tokenView, d.moduleView} {
		v.Hide()
	}
	switch {
	case n == nil:
		d.placeholderView.Show()
	case n.kind == nodeCert:
		d.showCert(n.cert)
		d.certView.Show()
	case n.kind == nodeToken:
		d.showToken(n.tok)
		d.tokenView.Show()
	default:
		d.showModule(n.module)
		d.moduleView.Show()
	}
}

func (d *certDetails) showCert(c *token.Certificate) {
	d.cert = c
	icon, _ := certState(c, d.now())
	d.certIcon.SetResource(icon)
	d.name.SetText(certName(c))
	switch {
	case c.X509 == nil:
		d.setStatus(lang.L("This certificate cannot be read."), widget.DangerImportance)
	case c.Usable():
		d.setStatus(lang.L("Ready for client authentication"), widget.SuccessImportance)
	default:
		d.setStatus(lang.L("Not usable to log in to a server:"), widget.DangerImportance)
	}
	var probs []string
	for _, p := range c.Problems {
		probs = append(probs, bullet(text(p.Message())))
	}
	if c.ParseError != nil {
		probs = append(probs, "• "+c.ParseError.Error())
	}
	d.problems.SetText(strings.Join(probs, "\n"))
	d.problems.Hidden = len(probs) == 0
	d.problems.Refresh()
	d.label.SetText(orDash(c.Label))
	d.objectID.SetText(orDash(hex.EncodeToString(c.ID)))
	d.uri.SetText(c.URI)
	d.sha256.SetText(fingerprint(c.SHA256()))
	d.setPrivateKey(c.HasPrivateKey)
	if c.Token != nil {
		d.onToken.SetText(lang.L("{{.Label}} (serial {{.Serial}})", map[string]any{"Label": c.Token.Label, "Serial": c.Token.Serial}))
	}
	d.export.Enable()
	if c.X509 == nil {
		for _, l := range []*widget.Label{d.subject, d.issuer, d.validFrom, d.validUntil, d.serial, d.key, d.keyUsage, d.extKeyUsage} {
			l.SetText("—")
		}
		d.expiry.SetText("")
		d.export.Disable()
		return
	}
	x := c.X509
	d.subject.SetText(x.Subject.String())
	d.issuer.SetText(x.Issuer.String())
	d.validFrom.SetText(formatDate(x.NotBefore))
	d.validUntil.SetText(formatDate(x.NotAfter))
	text, imp := validityText(x, d.now())
	d.expiry.Importance = imp
	d.expiry.SetText(text)
	d.serial.SetText(strings.ToUpper(x.SerialNumber.Text(16)))
	d.key.SetText(orDash(c.KeyDescription()))
	ku, eku := usageNames(x)
	d.keyUsage.SetText(ku)
	d.extKeyUsage.SetText(eku)
}

func (d *certDetails) setStatus(text string, imp widget.Importance) {
	d.status.Importance = imp
	d.status.SetText(text)
}

// setPrivateKey updates the private key line, e.g. after a login made it
// certain.
func (d *certDetails) setPrivateKey(has *bool) {
	text, imp := privateKeyText(has)
	d.privateKey.Importance = imp
	d.privateKey.SetText(text)
}

func (d *certDetails) showToken(t *token.Token) {
	d.tokTitle.SetText(t.Label)
	text, imp := pinStateText(t.Flags)
	d.tokPIN.Importance = imp
	d.tokPIN.SetText(text)
	rows := [][2]string{
		{lang.L("Manufacturer"), t.Manufacturer},
		{lang.L("Model"), t.Model},
		{lang.L("Serial number"), t.Serial},
		{lang.L("Firmware / hardware version"), t.FirmwareVersion + " / " + t.HardwareVersion},
		{lang.L("Reader (slot)"), t.SlotDescription},
		{lang.L("PIN pad on the reader"), yesNo(t.Flags.ProtectedAuthPath)},
		{lang.L("Login required"), yesNo(t.Flags.LoginRequired)},
		{lang.L("Certificates"), fmt.Sprint(len(t.Certificates))},
	}
	if t.Module != nil {
		rows = append(rows, [2]string{lang.L("Module"), t.Module.Path})
	}
	if t.Err != nil {
		rows = append(rows, [2]string{lang.L("Problem reading the card"), errorText(t.Err)})
	}
	d.tokForm.SetText(formText(rows))
}

func (d *certDetails) showModule(m *token.ModuleStatus) {
	d.module = m
	d.modTitle.SetText(orDash(m.Info.Description))
	if m.Err != nil {
		d.modError.SetText(lang.L("This module cannot be used: {{.Error}}", map[string]any{"Error": errorText(m.Err)}))
		d.modError.Show()
	} else {
		d.modError.Hide()
	}
	d.modForm.SetText(formText([][2]string{
		{lang.L("File"), m.Path},
		{lang.L("Found in"), moduleSource(m.Source)},
		{lang.L("Manufacturer"), m.Info.Manufacturer},
		{lang.L("Library version"), m.Info.LibraryVersion},
		{lang.L("Cryptoki version"), m.Info.CryptokiVersion},
	}))
	if m.Source == token.SourceUser {
		d.modRemove.Show()
	} else {
		d.modRemove.Hide()
	}
}

// moduleSource says in words where a module path came from.
func moduleSource(s token.Source) string {
	switch s {
	case token.SourceUser:
		return lang.L("added by you")
	case token.SourceExplicit:
		return lang.L("command line")
	case token.SourceP11Kit:
		return lang.L("p11-kit registry")
	case token.SourceWellKnown:
		return lang.L("well-known path")
	}
	return string(s)
}

// formText renders name/value rows as lines ("Name: value"); rows with no
// value are left out.
func formText(rows [][2]string) string {
	var b strings.Builder
	for _, r := range rows {
		v := strings.TrimSpace(r[1])
		if v == "" || v == "/" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(r[0] + ": " + v)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// writeCertificatePEM writes the certificate as PEM (Export certificate…).
func writeCertificatePEM(w io.Writer, c *token.Certificate) error {
	return pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// certFileName proposes a file name for an exported certificate.
func certFileName(c *token.Certificate) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '.' || r == '-' || r == '_':
			return '-'
		case r < 32 || strings.ContainsRune(`/\:*?"<>|`, r):
			return -1
		}
		return r
	}, certName(c))
	name = strings.Trim(name, "-")
	if name == "" {
		name = "certificate"
	}
	return name + ".pem"
}
