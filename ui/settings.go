package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"github.com/cardcheck/cardcheck/app/config"
	"github.com/cardcheck/cardcheck/app/probe"
)

// historySize is how many URLs the URL entry offers.
const historySize = 10

// Defaults of the connection options.
const (
	defaultTLSVersion = probe.TLSAuto
	defaultTimeout    = 30 * time.Second
	defaultSplit      = 0.3 // the card list's share of the width
)

// settings reads and writes the GUI's preferences (Fyne preferences under
// config.AppID; the CLI reads the modules from the same file). The demo
// keeps them in memory instead, see memoryPrefs.
type settings struct {
	p prefStore
}

// prefStore is the part of fyne.Preferences that settings uses.
type prefStore interface {
	String(key string) string
	StringWithFallback(key, fallback string) string
	SetString(key, value string)
	StringList(key string) []string
	SetStringList(key string, value []string)
	Bool(key string) bool
	SetBool(key string, value bool)
	IntWithFallback(key string, fallback int) int
	SetInt(key string, value int)
	FloatWithFallback(key string, fallback float64) float64
	SetFloat(key string, value float64)
}

// memoryPrefs keeps the settings of one demo session in memory. The demo
// must not leave its local test servers (new ports every run), its CA
// file and its certificates in the user's history and options, and must
// not start from the user's options either.
type memoryPrefs map[string]any

func (m memoryPrefs) String(key string) string { return m.StringWithFallback(key, "") }

func (m memoryPrefs) StringWithFallback(key, fallback string) string {
	if v, ok := m[key].(string); ok {
		return v
	}
	return fallback
}

func (m memoryPrefs) SetString(key, value string) { m[key] = value }

func (m memoryPrefs) StringList(key string) []string {
	v, _ := m[key].([]string)
	return slices.Clone(v)
}

func (m memoryPrefs) SetStringList(key string, value []string) { m[key] = slices.Clone(value) }

func (m memoryPrefs) Bool(key string) bool {
	v, _ := m[key].(bool)
	return v
}

func (m memoryPrefs) SetBool(key string, value bool) { m[key] = value }

func (m memoryPrefs) IntWithFallback(key string, fallback int) int {
	if v, ok := m[key].(int); ok {
		return v
	}
	return fallback
}

func (m memoryPrefs) SetInt(key string, value int) { m[key] = value }

func (m memoryPrefs) FloatWithFallback(key string, fallback float64) float64 {
	if v, ok := m[key].(float64); ok {
		return v
	}
	return fallback
}

func (m memoryPrefs) SetFloat(key string, value float64) { m[key] = value }

// modules returns the module paths the user added.
func (s settings) modules() []string { return s.p.StringList(config.KeyModules) }

// addModule appends path to the user's modules (once) and returns the list.
func (s settings) addModule(path string) []string {
	list := s.modules()
	if !slices.Contains(list, path) {
		list = append(list, path)
		s.p.SetStringList(config.KeyModules, list)
	}
	return list
}

// removeModule drops path from the user's modules and returns the list.
func (s settings) removeModule(path string) []string {
	list := slices.DeleteFunc(s.modules(), func(p string) bool { return p == path })
	s.p.SetStringList(config.KeyModules, list)
	return list
}

// history returns the URLs tested before, newest first.
func (s settings) history() []string { return s.p.StringList(config.KeyURLHistory) }

// lastURL is the URL of the last test.
func (s settings) lastURL() string { return s.p.String(config.KeyLastURL) }

// rememberURL records a tested URL: it becomes the last URL and moves to
// the top of the history, which keeps historySize entries.
func (s settings) rememberURL(url string) []string {
	h := slices.DeleteFunc(s.history(), func(u string) bool { return u == url })
	h = append([]string{url}, h...)
	if len(h) > historySize {
		h = h[:historySize]
	}
	s.p.SetStringList(config.KeyURLHistory, h)
	s.p.SetString(config.KeyLastURL, url)
	return h
}

// lastCertificate is the PKCS#11 URI of the certificate used last, so that
// it is selected again at start-up.
// splitOffset is where the user left the divider between the card list
// and the result (defaultSplit when never moved).
func (s settings) splitOffset() float64 {
	return s.p.FloatWithFallback(config.KeySplit, defaultSplit)
}

func (s settings) setSplitOffset(o float64) { s.p.SetFloat(config.KeySplit, o) }

// windowSize is the window's size when it was last closed (zero: never).
func (s settings) windowSize() fyne.Size {
	return fyne.NewSize(float32(s.p.FloatWithFallback(config.KeyWindowWidth, 0)), float32(s.p.FloatWithFallback(config.KeyWindowHeight, 0)))
}

func (s settings) setWindowSize(sz fyne.Size) {
	s.p.SetFloat(config.KeyWindowWidth, float64(sz.Width))
	s.p.SetFloat(config.KeyWindowHeight, float64(sz.Height))
}

func (s settings) panelHidden() bool { return s.p.Bool(config.KeyPanelHidden) }

func (s settings) setPanelHidden(h bool) { s.p.SetBool(config.KeyPanelHidden, h) }

func (s settings) lastCertificate() string { return s.p.String(config.KeyLastCertificate) }

func (s settings) setLastCertificate(uri string) { s.p.SetString(config.KeyLastCertificate, uri) }

// testOptions are the connection options as stored.
type testOptions struct {
	TLSVersion        probe.TLSVersion
	CAFile            string
	ContinueUntrusted bool
	Timeout           time.Duration
}

func (s settings) options() testOptions {
	o := testOptions{
		TLSVersion:        defaultTLSVersion,
		CAFile:            s.p.String(config.KeyCAFile),
		ContinueUntrusted: s.p.Bool(config.KeyContinue),
		Timeout:           time.Duration(s.p.IntWithFallback(config.KeyTimeout, int(defaultTimeout/time.Second))) * time.Second,
	}
	if v, ok := probe.ParseTLSVersion(s.p.String(config.KeyTLSVersion)); ok {
		o.TLSVersion = v
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	return o
}

func (s settings) setOptions(o testOptions) {
	s.p.SetString(config.KeyTLSVersion, string(o.TLSVersion))
	s.p.SetString(config.KeyCAFile, o.CAFile)
	s.p.SetBool(config.KeyContinue, o.ContinueUntrusted)
	s.p.SetInt(config.KeyTimeout, int(o.Timeout/time.Second))
}
