// Package demo is cardcheck's offline demo and training mode: a demo PKI
// and a real SoftHSM2 token with a known PIN, created once in the user's
// data directory, and local test servers (app/serve) on 127.0.0.1 for
// prepared scenarios — a server that accepts the card, one that does not
// trust its CA, one that checks revocation, one that asks for no
// certificate, one with an untrusted certificate of its own …
// Each scenario says which certificate to use and what verdict the test
// must give, so a trainer can show success and failure without a card.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/token/softhsm"
)

// The demo token. The PIN is public on purpose: it is shown in the UI.
const (
	TokenLabel = "cardcheck demo"
	PIN        = "123456"
	soPIN      = "demo-so-pin"
)

// Scenario is one prepared test.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
	CAFile      string `json:"ca_file"`  // verifies the scenario's server; "" for the untrusted server
	CertURI     string `json:"cert_uri"` // the certificate to test with
	Expect      string `json:"expect"`   // the verdict `check` gives
	TLS         string `json:"tls"`      // the server's TLS versions: "1.2", "1.3" or "auto"
}

// Demo is a running demo: its token and its servers.
type Demo struct {
	Dir       string     `json:"-"`
	Module    string     `json:"module"`
	TokenURI  string     `json:"token_uri"`
	PIN       string     `json:"pin"`
	Conf      string     `json:"softhsm2_conf"`
	Scenarios []Scenario `json:"scenarios"`
	// OpenLesson is a lesson the GUI opens once the cards are read
	// ("not-detected"; `cardcheck demo --lesson`), "" for none.
	OpenLesson string `json:"-"`
	// Emulated is the emulated card in its virtual reader (`cardcheck
	// demo --emulated-card`), nil when it is not running.
	Emulated *EmulatedCard `json:"-"`

	servers []*serve.Server
	urls    map[string]string // server name → URL
	crl     *http.Server
}

// DataDir is where the demo lives: $XDG_DATA_HOME/cardcheck/demo (Linux),
// ~/Library/Application Support/cardcheck/demo (macOS),
// %LOCALAPPDATA%\cardcheck\demo (Windows).
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		return filepath.Join(d, "cardcheck", "demo"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "cardcheck", "demo"), nil
		}
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "cardcheck", "demo"), nil
	}
	return filepath.Join(home, ".local", "share", "cardcheck", "demo"), nil
}

// Prepare makes sure the demo exists in dir (building it the first time,
// or again with reset) and points SOFTHSM2_CONF at its token, so that this
// process loads the demo token. It must run before SoftHSM is loaded.
func Prepare(dir string, reset bool) (*Demo, error) {
	st, err := ensure(dir, reset)
	if err != nil {
		return nil, err
	}
	d := &Demo{Dir: dir, Module: st.Module, PIN: PIN, Conf: filepath.Join(dir, "softhsm2.conf"),
		TokenURI: "pkcs11:token=cardcheck%20demo"}
	if _, err := os.Stat(d.Module); err != nil {
		if d.Module, err = softhsm.FindModule(); err != nil {
			return nil, err
		}
	}
	if err := os.Setenv("SOFTHSM2_CONF", d.Conf); err != nil {
		return nil, err
	}
	return d, nil
}

// ensure returns the demo's state, building it when missing, outdated or
// asked to.
func ensure(dir string, reset bool) (*state, error) {
	if !reset {
		if st, err := readState(dir); err == nil && st.Version == stateVersion {
			return st, nil
		}
	}
	if _, err := softhsm.FindModule(); err != nil {
		return nil, err // say how to install SoftHSM2 before touching anything
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("removing the old demo in %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := build(dir)
	if err != nil {
		os.RemoveAll(dir) // never leave a half-built demo behind
		return nil, err
	}
	return st, nil
}

func readState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, err
	}
	var st state
	return &st, json.Unmarshal(b, &st)
}

// Start starts the scenario servers and the CRL endpoint on 127.0.0.1.
func (d *Demo) Start() error {
	st, err := readState(d.Dir)
	if err != nil {
		return err
	}
	d.startCRL(st.CRLPort)
	for _, sc := range scenarios {
		url, err := d.startServer(sc)
		if err != nil {
			d.Close()
			return fmt.Errorf("starting the %s server: %w", sc.name, err)
		}
		d.Scenarios = append(d.Scenarios, sc.scenario(d, url))
	}
	return nil
}

// startCRL publishes the issuing CA's CRL where the demo certificates say
// it is. When the port is taken, the revocation check says "unknown" —
// the servers still check revocation themselves.
func (d *Demo) startCRL(port int) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return
	}
	crl := filepath.Join(d.Dir, fileCRL)
	mux := http.NewServeMux()
	mux.HandleFunc("/demo.crl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-crl")
		http.ServeFile(w, r, crl)
	})
	d.crl = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go d.crl.Serve(ln)
}

// Close stops every server.
func (d *Demo) Close() {
	for _, s := range d.servers {
		s.Close()
	}
	d.servers = nil
	if d.crl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.crl.Shutdown(ctx)
		d.crl = nil
	}
}

// Scenario returns the scenario with the given name.
func (d *Demo) Scenario(name string) (Scenario, error) {
	for _, s := range d.Scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, errors.New("no demo scenario " + name)
}
