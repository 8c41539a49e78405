//go:build linux

// Package cardstack runs a real smart-card stack for tests: pcscd with
// vsmartcard's vpcd reader driver, and the project's emulated PIV card
// (package build/pivemu) in the reader, so that OpenSC's PKCS#11 module —
// loaded in the test process or run as pkcs11-tool — reaches the card the
// way it reaches a real one.
//
// Nothing on the machine changes. pcscd runs in a private mount and
// network namespace (unshare): its fixed paths under /run are a private
// directory bound over /run, and vpcd's fixed TCP port (35963, on all
// addresses) exists only inside the namespace's own loopback. Clients
// need no nsenter: libpcsclite honours PCSCLITE_CSOCK_NAME (pcscd does
// not; it always binds /run/pcscd/pcscd.comm — hence the bind mount), and
// the emulator creates its socket inside the namespace (setns on one
// locked thread) and then uses it from the test process. Creating
// namespaces and entering them needs root (CI and the dev containers run
// as root).
//
//	st, err := cardstack.Start(context.Background(), cardstack.Options{})
//	defer st.Close()
//	cmd := exec.Command("pkcs11-tool", "--module", st.Module, "-O")
//	cmd.Env = append(os.Environ(), st.Env...)
//	st.Card.Stats().VerifyWrong      // what the card saw
//	st.Reader.Remove(ctx)            // pull the card out
//
// Because libpcsclite reads PCSCLITE_CSOCK_NAME once per process, a test
// binary that loads OpenSC in-process uses one stack for all its tests:
// cardstacktest.Shared starts it and sets the variables; cardstacktest.Main stops it.
package cardstack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cardcheck/cardcheck/build/pivemu"
)

// Paths of the parts on Debian; Options can override them.
const (
	DefaultOpenSCModule = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
	DefaultVpcdDriver   = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	DefaultPcscd        = "/usr/sbin/pcscd"
)

// PIN is the emulated card's user PIN (PIV PINs have 6 to 8 characters).
const PIN = "123456"

// ReaderName is the PC/SC name of the reader holding the card; pcscd
// appends " 00 00" (slot 0; vpcd also makes an empty " 00 01").
const ReaderName = "cardcheck virtual reader"

// vpcdPort is vpcd's default port, inside the private network namespace.
const vpcdPort = 0x8C7B

// Options configure a stack. The zero value is a card with PKI's
// certificates in 9A and 9C, PIN, three tries, and Debian's paths.
type Options struct {
	Card         *pivemu.Card // nil: a card made from the stack's PKI
	OpenSCModule string
	VpcdDriver   string
	Pcscd        string
	Dir          string        // where to make the stack's directory; default /dev/shm or $TMPDIR
	StartTimeout time.Duration // default 20 s
	// Debug runs pcscd with --debug instead of --info (never --apdu: an
	// APDU log would show the PIN). Also set by CARDSTACK_PCSCD_DEBUG=1.
	Debug bool
}

// Stack is a running pcscd + vpcd + emulated card.
type Stack struct {
	Dir        string   // private directory: configuration, pcscd's /run, PKI files
	Socket     string   // pcscd's socket (PCSCLITE_CSOCK_NAME)
	OpenSCConf string   // OpenSC configuration used by clients (OPENSC_CONF)
	Env        []string // PCSCLITE_CSOCK_NAME=…, OPENSC_CONF=…: append to a client's environment
	Module     string   // OpenSC's PKCS#11 module
	Reader     *pivemu.Reader
	Card       *pivemu.Card
	PKI        *PKI // nil when Options.Card was given

	cmd    *exec.Cmd
	exited chan struct{}
	log    *tail
	once   sync.Once
}

// Missing reports the parts of the stack that are not installed, as
// messages naming build/deps.sh; nil when everything is there.
func Missing(opt Options) []string {
	opt.defaults()
	var out []string
	for _, f := range []struct{ path, pkg string }{
		{opt.Pcscd, "pcscd"},
		{opt.VpcdDriver, "vsmartcard-vpcd"},
		{opt.OpenSCModule, "opensc-pkcs11"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			out = append(out, fmt.Sprintf("%s is missing (Debian package %s): run build/deps.sh test", f.path, f.pkg))
		}
	}
	for _, c := range []struct{ name, pkg string }{{"unshare", "util-linux"}, {"ip", "iproute2"}} {
		if _, err := exec.LookPath(c.name); err != nil {
			out = append(out, fmt.Sprintf("%s is missing (Debian package %s): run build/deps.sh test", c.name, c.pkg))
		}
	}
	return out
}

func (o *Options) defaults() {
	if o.OpenSCModule == "" {
		o.OpenSCModule = DefaultOpenSCModule
	}
	if o.VpcdDriver == "" {
		o.VpcdDriver = DefaultVpcdDriver
	}
	if o.Pcscd == "" {
		o.Pcscd = DefaultPcscd
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 20 * time.Second
	}
}

// Start starts pcscd in private namespaces and inserts the card. Close
// stops everything and removes the directory.
func Start(ctx context.Context, opt Options) (*Stack, error) {
	opt.defaults()
	if m := Missing(opt); m != nil {
		return nil, errors.New("cardstack: " + strings.Join(m, "; "))
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("cardstack: pcscd runs in a private mount and network namespace, which needs root; run the tests as root (as CI does)")
	}
	ctx, cancel := context.WithTimeout(ctx, opt.StartTimeout)
	defer cancel()
	dir, err := mkdirTemp(opt.Dir)
	if err != nil {
		return nil, err
	}
	s := &Stack{Dir: dir, Module: opt.OpenSCModule, Card: opt.Card, exited: make(chan struct{}), log: &tail{max: 64 << 10}}
	if err := s.start(ctx, opt); err != nil {
		s.Close()
		return nil, fmt.Errorf("cardstack: %w%s", err, s.logExcerpt())
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context, opt Options) error {
	confDir := filepath.Join(s.Dir, "reader.conf.d")
	runDir := filepath.Join(s.Dir, "run")
	for _, d := range []string{confDir, runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := s.writeConfig(confDir, opt); err != nil {
		return err
	}
	if s.Card == nil {
		p, err := newPKI(s.Dir)
		if err != nil {
			return err
		}
		s.PKI = p
		if s.Card, err = pivemu.New(pivemu.Config{PIN: PIN, Slots: p.Slots(), GUID: guid()}); err != nil {
			return err
		}
	}
	if err := s.startPcscd(ctx, opt, runDir, confDir); err != nil {
		return err
	}
	nsPath := fmt.Sprintf("/proc/%d/ns/net", s.cmd.Process.Pid)
	addr := fmt.Sprintf("127.0.0.1:%d", vpcdPort)
	s.Reader = pivemu.NewReader(s.Card, func(ctx context.Context) (net.Conn, error) {
		return dialInNetns(ctx, nsPath, addr)
	})
	return s.Reader.Insert(ctx)
}

func (s *Stack) writeConfig(confDir string, opt Options) error {
	readerConf := fmt.Sprintf("FRIENDLYNAME %q\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n",
		ReaderName, vpcdPort, opt.VpcdDriver, vpcdPort)
	if err := os.WriteFile(filepath.Join(confDir, "vpcd"), []byte(readerConf), 0o644); err != nil {
		return err
	}
	// A private OpenSC configuration: no file cache shared with other
	// runs, nothing from the machine's opensc.conf.
	s.OpenSCConf = filepath.Join(s.Dir, "opensc.conf")
	conf := "app default {\n\tframework pkcs15 {\n\t\tuse_file_caching = no;\n\t}\n}\n"
	if err := os.WriteFile(s.OpenSCConf, []byte(conf), 0o644); err != nil {
		return err
	}
	s.Socket = filepath.Join(s.Dir, "run", "pcscd", "pcscd.comm")
	s.Env = []string{"PCSCLITE_CSOCK_NAME=" + s.Socket, "OPENSC_CONF=" + s.OpenSCConf}
	return nil
}

// startPcscd runs pcscd in the foreground in new namespaces and waits for
// "daemon ready" on its log. The script brings up the namespace's
// loopback and binds the private run directory over /run.
func (s *Stack) startPcscd(ctx context.Context, opt Options, runDir, confDir string) error {
	const script = `ip link set lo up && mount --bind "$1" /run && exec "$2" --foreground "$4" --config "$3"`
	level := "--info"
	if opt.Debug || os.Getenv("CARDSTACK_PCSCD_DEBUG") == "1" {
		level = "--debug"
	}
	s.cmd = exec.Command("unshare", "--mount", "--net", "--propagation", "private", "--",
		"sh", "-c", script, "sh", runDir, opt.Pcscd, confDir, level)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		return err
	}
	ready := make(chan struct{})
	go s.readLog(out, ready)
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case <-ready:
		return nil
	case <-s.exited:
		return fmt.Errorf("pcscd exited during start-up (%v)", s.cmd.ProcessState)
	case <-ctx.Done():
		return fmt.Errorf("pcscd did not say \"daemon ready\": %w", ctx.Err())
	}
}

// readLog keeps the end of pcscd's log for error messages and signals
// readiness. pcscd never sees a PIN in clear in its log: APDU logging
// (--apdu) stays off.
func (s *Stack) readLog(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	signaled := false
	for sc.Scan() {
		line := sc.Text()
		s.log.add(line)
		if !signaled && strings.Contains(line, "daemon ready") {
			close(ready)
			signaled = true
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (s *Stack) logExcerpt() string {
	if s.log == nil {
		return ""
	}
	l := s.log.String()
	if l == "" {
		return ""
	}
	return "\npcscd log (end):\n" + l
}

// Log returns the end of pcscd's log (at most 64 KiB).
func (s *Stack) Log() string { return s.log.String() }

// Close removes the card, stops pcscd and removes the directory.
func (s *Stack) Close() error {
	var err error
	s.once.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.exited
			}
		}
		if s.Reader != nil {
			_ = s.Reader.Yank()
		}
		err = os.RemoveAll(s.Dir)
	})
	return err
}

// Running reports whether pcscd is still running.
func (s *Stack) Running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func mkdirTemp(base string) (string, error) {
	const pattern = "cardcheck-card-"
	if base != "" {
		return os.MkdirTemp(base, pattern)
	}
	if dir, err := os.MkdirTemp("/dev/shm", pattern); err == nil {
		return dir, nil
	}
	return os.MkdirTemp("", pattern)
}

// guid is a fixed card GUID; OpenSC shows it as the token serial.
func guid() [16]byte {
	return [16]byte{0xCA, 0xAD, 0xC8, 0xEC, 0x00, 0x00, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12}
}

// tail keeps the last max bytes of lines.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.WriteString(line)
	t.buf.WriteByte('\n')
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// Restore puts the card back into its first state: inserted, all PIN
// tries left, counters cleared.
func (s *Stack) Restore(ctx context.Context) error {
	s.Card.SetTries(s.Card.MaxTries())
	if !s.Reader.Inserted() {
		if err := s.Reader.Insert(ctx); err != nil {
			return err
		}
	}
	s.Card.ClearStats()
	return nil
}
