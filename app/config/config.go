// Package config holds what cardcheck knows about itself (app ID, version)
// and reads the settings the GUI stores, so that the command line sees the
// modules a user added in the GUI. It never imports Fyne: the file format is
// plain JSON, written by Fyne's preferences under the app ID.
package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
)

// AppID is the application ID (FyneApp.toml, preferences folder, keyring).
const AppID = "dev.cardcheck.app"

// Preference keys shared by the GUI and the CLI.
const (
	KeyModules    = "modules"     // []string: modules added by the user
	KeyLastURL    = "last_url"    // string
	KeyURLHistory = "url_history" // []string, newest first
	KeyTLSVersion = "tls_version" // "auto", "1.2", "1.3"
	KeyCAFile     = "ca_file"
	KeyContinue   = "continue_untrusted"
	KeyTimeout    = "timeout_seconds"
	// KeyLastCertificate is the PKCS#11 URI of the certificate the GUI
	// tested last; it is selected again at start-up.
	KeyLastCertificate = "last_certificate"
	KeySplit           = "split_offset"     // float: the card list's share of the window's width
	KeyPanelHidden     = "card_list_hidden" // bool: the card list is collapsed
)

// Version is the program version; release builds set it with
// -ldflags "-X github.com/cardcheck/cardcheck/app/config.Version=…".
var Version = "0.1.0-dev"

// VersionString adds the VCS revision when the binary carries one.
func VersionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

// PreferencesFile is where Fyne keeps the GUI's preferences for AppID.
func PreferencesFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "fyne", AppID, "preferences.json")
}

// UserModules returns the modules the user added in the GUI; none when the
// GUI never ran or the file cannot be read.
func UserModules() []string {
	b, err := os.ReadFile(PreferencesFile())
	if err != nil {
		return nil
	}
	var prefs map[string]any
	if json.Unmarshal(b, &prefs) != nil {
		return nil
	}
	list, _ := prefs[KeyModules].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
