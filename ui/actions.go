package ui

import (
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/files"
	"github.com/cardcheck/cardcheck/app/pinmemory"
	"github.com/cardcheck/cardcheck/token"
)

// fileDialogSize is a comfortable size for the file dialogs.
var fileDialogSize = fyne.NewSize(860, 580)

// menu is the window's main menu (Fyne adds Quit to the first menu).
func (m *mainWindow) menu() *fyne.MainMenu {
	refresh := &fyne.MenuItem{Label: lang.L("Look for cards again"), Action: m.guarded(m.refresh),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}}
	save := &fyne.MenuItem{Label: lang.L("Save report…"), Action: m.guarded(m.saveReport),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}}
	test := &fyne.MenuItem{Label: lang.L("Test connection"), Action: m.guarded(m.startTest),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: fyne.KeyModifierShortcutDefault}}
	compare := &fyne.MenuItem{Label: lang.L("Compare TLS 1.2 and 1.3"), Action: m.guarded(m.startCompare),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}}
	m.explainItem = &fyne.MenuItem{Label: lang.L("Explain each message in the diagram"), Action: m.guarded(m.toggleExplain),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault}}
	lesson := &fyne.MenuItem{Label: lang.L("What the server checks"), Action: m.guarded(m.showLesson),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}}
	panel := &fyne.MenuItem{Label: lang.L("Hide or show the card list"), Action: m.guarded(m.togglePanel),
		Shortcut: &desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault}}
	help := fyne.NewMenu(lang.L("Help"),
		&fyne.MenuItem{Label: lang.L("Diagnostics…"), Action: m.guarded(m.showDiagnostics)},
		&fyne.MenuItem{Label: lang.L("About cardcheck"), Action: m.guarded(m.about)})
	if m.deps.TryDemo != nil && m.demo == nil {
		help.Items = append([]*fyne.MenuItem{{Label: lang.L("Try the demo"), Action: m.guarded(m.tryDemo)}}, help.Items...)
	}
	if m.demo != nil {
		help.Items = append([]*fyne.MenuItem{{Label: lang.L("Card not detected: a lesson…"), Action: m.guarded(m.showNotDetected)}}, help.Items...)
	}
	return fyne.NewMainMenu(
		fyne.NewMenu(lang.L("File"),
			&fyne.MenuItem{Label: lang.L("Add module…"), Action: m.guarded(m.chooseModule)},
			refresh,
			fyne.NewMenuItemSeparator(),
			save,
			&fyne.MenuItem{Label: lang.L("Copy report"), Action: m.guarded(m.copyReport)},
			fyne.NewMenuItemSeparator(),
			&fyne.MenuItem{Label: lang.L("Forget the remembered PIN of this card"), Action: m.guarded(m.forgetPIN)},
		),
		fyne.NewMenu(lang.L("Test"), test, compare, fyne.NewMenuItemSeparator(), m.explainItem, lesson, fyne.NewMenuItemSeparator(), panel),
		help,
	)
}

// guarded is a menu action that does nothing while a dialog is open:
// Fyne runs main-menu shortcuts (Ctrl+T …) even then, and a test must
// never start behind the About or the PIN dialog.
func (m *mainWindow) guarded(action func()) func() {
	return func() {
		if !m.modal.any() {
			action()
		}
	}
}

// forgetPIN deletes the PIN remembered for the selected card's token
// (off the UI goroutine: a keyring call can block).
func (m *mainWindow) forgetPIN() {
	var tok *token.Token
	if m.selected != nil {
		tok = m.selected.tok
	}
	if m.deps.PINs == nil || tok == nil || tok.Module == nil {
		m.say(lang.L("Select a card or one of its certificates first."))
		return
	}
	key, label := pinmemory.Key(tok.Module.Path, tok.Serial), tok.Label
	go func() {
		err := within(keyringCheckTimeout, func() error { return m.deps.PINs.Delete(key) })
		m.do(func() { m.pinForgotten(label, err) })
	}()
}

func (m *mainWindow) pinForgotten(label string, err error) {
	switch {
	case err == nil:
		m.say(lang.L("The PIN of {{.Token}} is no longer remembered on this computer.", map[string]any{"Token": label}))
	case errors.Is(err, pinmemory.ErrNotFound):
		m.say(lang.L("No PIN was remembered for {{.Token}}.", map[string]any{"Token": label}))
	default:
		m.say(keyringProblem(err))
	}
	m.events.emit("status", map[string]any{"what": "pin-forgotten"})
}

// showLesson shows what the server checks (the Certificate checks tab).
func (m *mainWindow) showLesson() { m.tabs.Select(m.lessonTab) }

func (m *mainWindow) about() {
	d := dialog.NewInformation(lang.L("About cardcheck"),
		lang.L("cardcheck {{.Version}}\nDoes my smart card work with this server?\n\nIt lists your cards and certificates, asks for the PIN, runs a real TLS handshake with the card's key and explains every message.",
			map[string]any{"Version": config.VersionString()}), m.win)
	m.modal.show("about", d, true)
}

// showError shows an error in a dialog.
func (m *mainWindow) showError(err error) { m.modal.show("error", dialog.NewError(err, m.win), true) }

// chooseModule opens the file dialog of Add module….
func (m *mainWindow) chooseModule() {
	d := dialog.NewFileOpen(m.moduleChosen, m.win)
	d.SetFilter(moduleFilter{})
	if dir := moduleFolder(); dir != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
	m.modal.showFile("add-module", d, m.win.Canvas())
}

func (m *mainWindow) moduleChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		m.showError(err)
		return
	}
	if r == nil {
		return // canceled
	}
	path := r.URI().Path()
	r.Close()
	if err := files.Regular(path); err != nil { // a FIFO or a device would hang the scan
		m.showError(err)
		return
	}
	m.addModule(path)
}

// addModule remembers a module the user chose and reads the cards again.
func (m *mainWindow) addModule(path string) {
	m.deps.Backend.SetUserModules(m.prefs.addModule(path))
	m.say(lang.L("Module added: {{.Path}}", map[string]any{"Path": path}))
	m.events.emit("status", map[string]any{"what": "module-added"})
	m.refresh()
}

// removeModule forgets the selected user module.
func (m *mainWindow) removeModule() {
	if m.details.module == nil {
		return
	}
	path := m.details.module.Path
	m.deps.Backend.SetUserModules(m.prefs.removeModule(path))
	m.say(lang.L("Module removed from your list: {{.Path}}", map[string]any{"Path": path}))
	m.refresh()
}

// moduleFolder is where vendors usually install PKCS#11 modules.
func moduleFolder() string {
	var dirs []string
	switch runtime.GOOS {
	case "linux":
		dirs = []string{"/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib64/pkcs11", "/usr/lib/pkcs11", "/usr/lib"}
	case "darwin":
		dirs = []string{"/Library/OpenSC/lib", "/usr/local/lib"}
	case "windows":
		dirs = []string{`C:\Windows\System32`}
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// moduleFilter shows shared libraries, including versioned ones
// (libfoo.so.1) that an extension filter would hide.
type moduleFilter struct{}

var sharedLibrary = regexp.MustCompile(`(?i)(\.so(\.[0-9]+)*|\.dll|\.dylib)$`)

func (moduleFilter) Matches(u fyne.URI) bool { return sharedLibrary.MatchString(u.Name()) }

// chooseCAFile opens the file dialog for the server CA file.
func (m *mainWindow) chooseCAFile() {
	d := dialog.NewFileOpen(m.caFileChosen, m.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pem", ".crt", ".cer", ".PEM", ".CRT", ".CER"}))
	m.modal.showFile("ca-file", d, m.win.Canvas())
}

func (m *mainWindow) caFileChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		m.showError(err)
		return
	}
	if r == nil {
		return
	}
	path := r.URI().Path()
	r.Close()
	if err := files.Regular(path); err != nil {
		m.showError(err)
		return
	}
	m.conn.setCAFile(path)
}

// copyURI puts the selected certificate's PKCS#11 URI on the clipboard
// (for `cardcheck check --cert`).
func (m *mainWindow) copyURI() {
	if c := m.details.cert; c != nil {
		m.app.Clipboard().SetContent(c.URI)
		m.say(lang.L("PKCS#11 URI copied."))
		m.events.emit("status", map[string]any{"what": "uri-copied"})
	}
}

// exportCertificate saves the selected certificate as PEM.
func (m *mainWindow) exportCertificate() {
	c := m.details.cert
	if c == nil {
		return
	}
	m.saveFile("export-certificate", certFileName(c), []string{".pem"}, func(w io.Writer, _ string) error { return writeCertificatePEM(w, c) },
		savedCertificate)
}

// copyReport puts the text report on the clipboard.
func (m *mainWindow) copyReport() {
	res := m.result.res
	if res == nil {
		return
	}
	m.app.Clipboard().SetContent(reportText(res))
	m.say(lang.L("Report copied. Paste it into your ticket or e-mail."))
	m.events.emit("status", map[string]any{"what": "report-copied"})
}

// saveReport saves the report as text, or JSON for a .json file name.
func (m *mainWindow) saveReport() {
	res := m.result.res
	if res == nil {
		return
	}
	name := "cardcheck-" + reportHost(res.URL) + "-" + m.now().Format("20060102-1504") + ".txt"
	m.saveFile("save-report", name, []string{".txt", ".json"}, func(w io.Writer, file string) error { return writeReport(w, file, res) },
		savedReport)
}

// reportHost is the host of a URL, made safe for a file name.
func reportHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "report"
	}
	return strings.NewReplacer(":", "-", "/", "-", `\`, "-").Replace(u.Hostname())
}

// saveFile asks for a file name and writes to it.
func (m *mainWindow) saveFile(dialogName, name string, exts []string, write func(io.Writer, string) error, done func(string) string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			m.showError(err)
			return
		}
		if w == nil {
			return
		}
		err = write(w, w.URI().Name())
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			m.showError(err)
			return
		}
		m.say(done(filepath.Base(w.URI().Path())))
		m.events.emit("status", map[string]any{"what": dialogName + "-done"})
	}, m.win)
	d.SetFileName(name)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	m.modal.showFile(dialogName, d, m.win.Canvas())
}

func savedCertificate(file string) string {
	return lang.L("Certificate saved to {{.File}}", map[string]any{"File": file})
}

func savedReport(file string) string {
	return lang.L("Report saved to {{.File}}", map[string]any{"File": file})
}
