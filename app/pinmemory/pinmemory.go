// Package pinmemory is the opt-in "Remember PIN on this computer": PINs
// stored only in the operating system's keyring (go-keyring: Secret Service
// on Linux, Keychain on macOS, Credential Manager on Windows), keyed by
// module and token serial. Every keyring call runs under a time limit,
// because a locked keyring waits forever for an unlock prompt.
//
// The PIN safety rules (docs/contract.md) that concern remembered PINs
// are the caller's (ui): try a remembered PIN at most once, delete it
// when it is rejected,
// never use it when the token reports count low, final try or locked.
package pinmemory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/cardcheck/cardcheck/app/config"
)

// ErrUnavailable means no keyring can be used; Err says why in words.
var ErrUnavailable = errors.New("the keyring is not available")

// ErrNotFound means no PIN is remembered for the token.
var ErrNotFound = errors.New("no PIN remembered")

// Store talks to the keyring.
type Store struct {
	Service string        // keyring service name; default the app ID
	Timeout time.Duration // per call; default 3 s
	kr      backend
}

// backend is the part of go-keyring we use; tests substitute a keyring
// that blocks like a locked one.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// New returns a Store with defaults.
func New() *Store { return &Store{Service: config.AppID, Timeout: 3 * time.Second, kr: goKeyring{}} }

// Key identifies a token: module path and serial (labels can be renamed).
func Key(modulePath, serial string) string { return modulePath + "#" + serial }

// call runs f with the time limit. A call that times out keeps running in
// its goroutine (go-keyring cannot be interrupted) but the caller moves on.
func (s *Store) call(f func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: it did not answer within %v (is it locked?)", ErrUnavailable, s.Timeout)
	}
}

// Available checks that the keyring answers, so the option can be
// disabled with a reason instead of failing later.
func (s *Store) Available() error {
	err := s.call(func() error {
		_, err := s.kr.Get(s.Service, "cardcheck-probe")
		return err
	})
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// Get returns the remembered PIN for key.
func (s *Store) Get(key string) (string, error) {
	var pin string
	err := s.call(func() error {
		var err error
		pin, err = s.kr.Get(s.Service, key)
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return pin, s.wrap(err)
}

// Set remembers the PIN for key.
func (s *Store) Set(key, pin string) error {
	return s.wrap(s.call(func() error { return s.kr.Set(s.Service, key, pin) }))
}

// Delete forgets the PIN for key; forgetting nothing is not an error.
func (s *Store) Delete(key string) error {
	err := s.call(func() error { return s.kr.Delete(s.Service, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return s.wrap(err)
}

// wrap keeps keyring errors free of secrets (go-keyring's errors carry
// none) and marks them as unavailability.
func (s *Store) wrap(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}
