package softhsm

import (
	"fmt"
	"os"
	"path/filepath"
)

// ConfEnvVar is the environment variable SoftHSM2 reads its configuration
// file name from.
const ConfEnvVar = "SOFTHSM2_CONF"

// Env is a private SoftHSM2 installation: a configuration file and a token
// directory under Dir, used with Module.
type Env struct {
	Dir    string // absolute directory holding Conf and the tokens
	Conf   string // softhsm2.conf path, the value for SOFTHSM2_CONF
	Module string // libsofthsm2.so path
}

// NewEnv creates dir/tokens and dir/softhsm2.conf (overwriting an old
// configuration but keeping existing tokens) and finds the module.
func NewEnv(dir string) (*Env, error) {
	module, err := FindModule()
	if err != nil {
		return nil, err
	}
	// Absolute, because subprocesses read the file from other directories.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("softhsm: %w", err)
	}
	tokens := filepath.Join(abs, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return nil, fmt.Errorf("softhsm: %w", err)
	}
	env := &Env{Dir: abs, Conf: filepath.Join(abs, "softhsm2.conf"), Module: module}
	if err := os.WriteFile(env.Conf, confText(tokens), 0o600); err != nil {
		return nil, fmt.Errorf("softhsm: %w", err)
	}
	return env, nil
}

// confText is the configuration: file backend (no sqlite dependency),
// errors only (SoftHSM logs to syslog otherwise), and fixed slots.
func confText(tokenDir string) []byte {
	return fmt.Appendf(nil, "# SoftHSM2 configuration written by cardcheck\n"+
		"directories.tokendir = %s\n"+
		"objectstore.backend = file\n"+
		"log.level = ERROR\n"+
		"slots.removable = false\n", tokenDir)
}

// Environ returns the variables a subprocess needs to see this
// environment's tokens, to append to os.Environ():
//
//	cmd.Env = append(os.Environ(), env.Environ()...)
func (e *Env) Environ() []string {
	return []string{ConfEnvVar + "=" + e.Conf}
}
