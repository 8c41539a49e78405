package ui

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/cardcheck/cardcheck/app/probe"
)

// timeouts are the choices of the timeout option.
var timeouts = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute}

// connectionBar is where the user says what to test against: the URL
// (with history), the options, and the Test connection button. Enter in
// the URL entry runs the test too.
type connectionBar struct {
	url        *escSelectEntry
	test       *widget.Button
	logout     *widget.Button
	message    *widget.Label
	options    *widget.Button // shows the options form (onShowOptions)
	summary    *note          // the options in a line, cut to the width
	form       fyne.CanvasObject
	fields     *fyne.Container // the form's rows (label, control)
	tlsVersion *widget.RadioGroup
	caFile     *escEntry
	caBrowse   *widget.Button
	caClear    *widget.Button
	cont       *escCheck
	timeout    *widget.Select
	choices    []time.Duration // behind the timeout labels
	history    []string        // the URLs the entry offers
	content    fyne.CanvasObject

	onTest    func()
	onOptions func(testOptions) // the options changed (to store them)
	onEscape  func()            // Esc in a field (cancels a running test)
	onEdited  func()            // the address or an option changed by hand
	// onShowOptions shows the options form (the window's Options tab).
	onShowOptions func()
	loading       bool // setOptions in progress: do not report changes
}

func newConnectionBar(onTest, onLogout, onBrowseCA func(), onOptions func(testOptions)) *connectionBar {
	b := &connectionBar{onTest: onTest, onOptions: onOptions}
	b.url = newEscSelectEntry(b.escape)
	b.url.OnChanged = b.urlChanged
	b.url.PlaceHolder = lang.L("Server address, for example https://server.example.org/")
	b.url.Validator = b.validate
	b.url.OnSubmitted = b.submitted
	b.test = &widget.Button{Text: lang.L("Test connection"), Icon: theme.MediaPlayIcon(), Importance: widget.HighImportance, OnTapped: onTest}
	b.logout = &widget.Button{Text: lang.L("Log out of the card"), Icon: theme.LogoutIcon(), OnTapped: onLogout}
	b.logout.Hide()
	b.message = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.MediumImportance}
	b.message.Hide()

	b.tlsVersion = widget.NewRadioGroup([]string{tlsLabel(probe.TLSAuto), tlsLabel(probe.TLS12), tlsLabel(probe.TLS13)}, b.changed)
	b.tlsVersion.Horizontal = true
	b.tlsVersion.Required = true
	b.caFile = newEscEntry(b.escape)
	b.caFile.PlaceHolder = lang.L("System CAs (no extra file)")
	b.caFile.OnChanged = b.changed
	b.caBrowse = &widget.Button{Text: lang.L("Choose…"), Icon: theme.FolderOpenIcon(), OnTapped: onBrowseCA}
	b.caClear = &widget.Button{Icon: theme.ContentClearIcon(), OnTapped: b.clearCA}
	b.cont = newEscCheck(lang.L("Continue if the server is untrusted (the report still says so)"), b.contChanged, b.escape)
	b.timeout = widget.NewSelect(nil, b.changed)
	b.setTimeoutChoices(timeouts)

	b.fields = container.New(layout.NewFormLayout(),
		keyLabel(lang.L("TLS version")), b.tlsVersion,
		keyLabel(lang.L("Server CA file")), container.NewBorder(nil, nil, nil, container.NewHBox(b.caBrowse, b.caClear), b.caFile),
		keyLabel(lang.L("Untrusted server")), b.cont,
		keyLabel(lang.L("Timeout")), container.NewHBox(b.timeout),
	)
	// Not an Accordion: its title cannot be cut to the width, and a long
	// summary (a long CA file name) made the window wider than a small
	// screen. Not inline under the address either: the open form made
	// the window taller than a small screen. The form is a tab of its
	// own (the window puts b.form there); the button shows it.
	b.form = container.NewVScroll(container.NewPadded(b.fields))
	b.options = &widget.Button{Text: lang.L("Options…"), Icon: theme.SettingsIcon(), Importance: widget.LowImportance, OnTapped: b.showOptions}
	b.summary = newNote("", theme.SizeNameText).truncated()
	// Test connection stays at the right edge: Log out comes and goes
	// left of it, so the button never moves under the pointer.
	row := container.NewBorder(nil, nil, nil, container.NewHBox(b.logout, b.test), b.url)
	b.content = container.NewVBox(row, b.message, container.NewBorder(nil, nil, b.options, nil, b.summary))
	return b
}

func (b *connectionBar) validate(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil // empty is not an error while typing; Test says what is missing
	}
	return validateURL(s)
}

// escape is Esc in one of the fields.
func (b *connectionBar) escape() {
	if b.onEscape != nil {
		b.onEscape()
	}
}

// urlChanged is the address edited (typed, or set from the history).
func (b *connectionBar) urlChanged(string) {
	if !b.loading && b.onEdited != nil {
		b.onEdited()
	}
}

func (b *connectionBar) submitted(string) {
	if !b.test.Disabled() {
		b.onTest()
	}
}

func (b *connectionBar) clearCA() { b.caFile.SetText("") }

// setCAFile sets the CA file chosen in the file dialog.
func (b *connectionBar) setCAFile(path string) { b.caFile.SetText(path) }

func (b *connectionBar) contChanged(bool) { b.changed("") }

func (b *connectionBar) setTimeoutChoices(ds []time.Duration) {
	b.choices = ds
	labels := make([]string, len(ds))
	for i, d := range ds {
		labels[i] = timeoutLabel(d)
	}
	b.timeout.SetOptions(labels)
}

func (b *connectionBar) changed(string) {
	o := b.currentOptions()
	b.summary.SetText(optionsSummary(o))
	if !b.loading && b.onOptions != nil {
		b.onOptions(o)
	}
	if !b.loading && b.onEdited != nil {
		b.onEdited()
	}
}

// setOptions shows stored options.
func (b *connectionBar) setOptions(o testOptions) {
	b.loading = true
	defer func() { b.loading = false }()
	b.tlsVersion.SetSelected(tlsLabel(o.TLSVersion))
	b.caFile.SetText(o.CAFile)
	b.cont.SetChecked(o.ContinueUntrusted)
	if !slices.Contains(b.choices, o.Timeout) {
		b.setTimeoutChoices(append(slices.Clone(timeouts), o.Timeout)) // a value set by hand
	}
	b.timeout.SetSelectedIndex(slices.Index(b.choices, o.Timeout))
	b.summary.SetText(optionsSummary(o))
}

// addRow adds a row to the options form, for a setting that is not a
// connection option (the language).
func (b *connectionBar) addRow(label string, control fyne.CanvasObject) {
	b.fields.Add(keyLabel(label))
	b.fields.Add(control)
}

// showOptions shows the options form (its tab).
func (b *connectionBar) showOptions() {
	if b.onShowOptions != nil {
		b.onShowOptions()
	}
}

// currentOptions reads the options from the widgets.
func (b *connectionBar) currentOptions() testOptions {
	o := testOptions{TLSVersion: defaultTLSVersion, CAFile: strings.TrimSpace(b.caFile.Text), ContinueUntrusted: b.cont.Checked, Timeout: defaultTimeout}
	for _, v := range probe.TLSVersionChoices() {
		if tlsLabel(v) == b.tlsVersion.Selected {
			o.TLSVersion = v
		}
	}
	if i := b.timeout.SelectedIndex(); i >= 0 && i < len(b.choices) {
		o.Timeout = b.choices[i]
	}
	return o
}

// setHistory offers the URLs tested before.
func (b *connectionBar) setHistory(h []string) {
	b.history = h
	b.url.SetOptions(h)
}

// setRunning switches between idle and a test in progress.
func (b *connectionBar) setRunning(running bool) {
	if running {
		b.test.Disable()
		b.url.Disable()
		return
	}
	b.test.Enable()
	b.url.Enable()
}

// setLoggedIn shows the Log out button while a card stays logged in.
func (b *connectionBar) setLoggedIn(tokenLabel string) {
	if tokenLabel == "" {
		b.logout.Hide()
		return
	}
	b.logout.Text = lang.L("Log out of {{.Token}}", map[string]any{"Token": shorten(tokenLabel, 24)})
	b.logout.Show()
	b.logout.Refresh()
}

// say shows a short message under the URL (empty hides it).
func (b *connectionBar) say(text string, imp widget.Importance) {
	b.message.Importance = imp
	b.message.SetText(text)
	b.message.Hidden = text == ""
	b.message.Refresh()
}

func tlsLabel(v probe.TLSVersion) string {
	switch v {
	case probe.TLS12:
		return lang.L("TLS 1.2")
	case probe.TLS13:
		return lang.L("TLS 1.3")
	}
	return lang.L("Automatic")
}

func timeoutLabel(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return lang.N("{{.Count}} minutes", int(d/time.Minute), map[string]any{"Count": int(d / time.Minute)})
	}
	return lang.N("{{.Count}} seconds", int(d/time.Second), map[string]any{"Count": int(d / time.Second)})
}

// optionsSummary is the title of the options section: the options in a
// line, so that nobody has to open it to know what a test will do.
func optionsSummary(o testOptions) string {
	ca := lang.L("system CAs")
	if o.CAFile != "" {
		ca = lang.L("CA file {{.File}}", map[string]any{"File": filepath.Base(o.CAFile)})
	}
	untrusted := lang.L("stop if the server is untrusted")
	if o.ContinueUntrusted {
		untrusted = lang.L("continue if the server is untrusted")
	}
	return lang.L("{{.TLS}} · {{.CA}} · {{.Untrusted}} · timeout {{.Timeout}}", map[string]any{
		"TLS": tlsLabel(o.TLSVersion), "CA": ca, "Untrusted": untrusted, "Timeout": timeoutLabel(o.Timeout)})
}

// shorten cuts s to at most n characters with an ellipsis, for labels
// whose width must not grow with a card's name.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
