package pinmemory

import (
	"errors"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestRoundTripWithMockKeyring(t *testing.T) {
	keyring.MockInit()
	s := New()
	if err := s.Available(); err != nil {
		t.Fatal(err)
	}
	k := Key("/usr/lib/x.so", "0042")
	if _, err := s.Get(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := s.Set(k, "1234"); err != nil {
		t.Fatal(err)
	}
	if pin, err := s.Get(k); err != nil || pin != "1234" {
		t.Fatalf("get: %v", err)
	}
	if err := s.Delete(k); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(k); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestUnavailableKeyring(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	s := New()
	if err := s.Available(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Available: %v", err)
	}
	if err := s.Set("k", "1234"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set: %v", err)
	}
}

// blockingProvider stands in for a locked Secret Service that waits for an
// unlock prompt forever.
type blockingProvider struct{ release chan struct{} }

func (b blockingProvider) Set(string, string, string) error   { <-b.release; return nil }
func (b blockingProvider) Get(string, string) (string, error) { <-b.release; return "", nil }
func (b blockingProvider) Delete(string, string) error        { <-b.release; return nil }

func TestLockedKeyringTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &Store{Service: "test", Timeout: 50 * time.Millisecond, kr: blockingProvider{release}}
	done := make(chan error, 1)
	go func() { _, err := s.Get("k"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("locked keyring: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a locked keyring blocked the caller")
	}
}
