package pivemu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// The vpcd protocol (vsmartcard's virtual reader driver, loaded by pcscd):
// the card connects to the driver over TCP; each message either way is a
// two-byte big-endian length and the bytes. A one-byte message from the
// reader is a control code, anything longer a command APDU that the card
// answers with response data and SW1 SW2.
// errLeft ends a connection whose card was removed.
var errLeft = errors.New("pivemu: card removed")

// swPulled answers the command at which RemoveOn pulls the card: "no
// precise diagnosis", what a reader reports for a command whose card
// went away.
var swPulled = []byte{0x6F, 0x00}

const (
	ctrlPowerDown = 0
	ctrlPowerUp   = 1
	ctrlReset     = 2
	ctrlATR       = 4
)

// DialFunc connects to vpcd.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Reader puts a Card into a vpcd slot: Insert connects the card to the
// driver, Remove disconnects it, which the driver sees as the card pulled
// out.
type Reader struct {
	card *Card
	dial DialFunc

	leaving atomic.Bool // Remove: leave at the next presence poll

	mu      sync.Mutex
	conn    net.Conn
	done    chan struct{} // closed when the connection's server ends
	powered chan struct{} // closed at the first power-up of this insertion
	err     error         // why the last connection ended, if not by Remove
	pull    *pullTrigger  // RemoveOn, armed
}

// pullTrigger is an armed RemoveOn.
type pullTrigger struct {
	match  func(apdu []byte) bool
	pulled chan struct{}
}

// NewReader returns a Reader with the card removed.
func NewReader(card *Card, dial DialFunc) *Reader { return &Reader{card: card, dial: dial} }

// Card is the card this reader holds.
func (r *Reader) Card() *Card { return r.card }

// Insert connects the card and waits until the reader has powered it up,
// which pcscd does as soon as its presence poll finds the card; so when
// Insert returns, PC/SC clients see the card.
func (r *Reader) Insert(ctx context.Context) error {
	r.mu.Lock()
	if r.conn != nil {
		r.mu.Unlock()
		return errors.New("pivemu: the card is already inserted")
	}
	conn, err := r.dial(ctx)
	if err != nil {
		r.mu.Unlock()
		return fmt.Errorf("pivemu: connect to vpcd: %w", err)
	}
	setLowLatency(conn)
	r.conn, r.err = conn, nil
	r.leaving.Store(false)
	r.done, r.powered = make(chan struct{}), make(chan struct{})
	done, powered := r.done, r.powered
	r.card.inserted()
	go r.serve(conn, done, powered)
	r.mu.Unlock()

	select {
	case <-powered:
		return nil
	case <-done:
		return fmt.Errorf("pivemu: vpcd closed the connection before powering the card: %v", r.lastErr())
	case <-ctx.Done():
		_ = r.Yank()
		return fmt.Errorf("pivemu: the reader did not power the card up: %w", ctx.Err())
	}
}

// Remove takes the card out the way a reader notices it: the card stays
// connected until the reader's next presence poll (pcscd polls about every
// 400 ms), and that poll finds it gone. So the reader marks the card removed
// before any command fails, and clients get "card removed" rather than a
// transmission error. Remove returns when the poll has happened, or when
// ctx ends (then the connection is cut as by Yank). Removing a card that is
// not inserted does nothing.
func (r *Reader) Remove(ctx context.Context) error {
	r.mu.Lock()
	conn, done := r.conn, r.done
	r.leaving.Store(true)
	r.mu.Unlock()
	if conn == nil {
		return nil
	}
	select {
	case <-done:
		return r.finishRemoval(conn)
	case <-ctx.Done():
		_ = r.Yank()
		return fmt.Errorf("pivemu: the reader did not poll the card: %w", ctx.Err())
	}
}

// Yank cuts the connection at once, in the middle of whatever the reader
// is doing: commands in flight fail with transmission errors before the
// reader sees the card gone. (With OpenSC 0.23 such a failure inside
// C_GetTokenInfo can leave a mutex locked and hang the module; Remove is
// the ordinary removal.)
func (r *Reader) Yank() error {
	r.mu.Lock()
	conn, done := r.conn, r.done
	r.mu.Unlock()
	if conn == nil {
		return nil
	}
	err := conn.Close()
	<-done
	if ferr := r.finishRemoval(conn); err == nil {
		err = ferr
	}
	return err
}

func (r *Reader) finishRemoval(conn net.Conn) error {
	r.mu.Lock()
	if r.conn == conn {
		r.conn = nil
	}
	r.mu.Unlock()
	r.card.PowerDown()
	return nil
}

// RemoveOn arms a removal at a command: the next command APDU for which
// match is true fails (SW 6F00, the card does not process it) and the
// card leaves at the reader's next presence poll, as a card pulled out
// while it works. The returned channel is closed when the reader has
// seen it gone. It makes a removal at an exact point of a test
// (IsSignature: during the handshake's signature) without sleeping. A new
// call replaces an armed trigger.
//
// The command is answered rather than cut off: a connection cut in the
// middle of a command (Yank) left OpenSC 0.23's C_Sign hanging until the
// caller's deadline in TLS 1.3 tests, whereas a real reader reports the
// failed command and the removal at once.
func (r *Reader) RemoveOn(match func(apdu []byte) bool) <-chan struct{} {
	t := &pullTrigger{match: match, pulled: make(chan struct{})}
	r.mu.Lock()
	r.pull = t
	r.mu.Unlock()
	return t.pulled
}

// IsSignature matches a GENERAL AUTHENTICATE command (or the first part
// of a chained one): what a PIV card receives to sign.
func IsSignature(apdu []byte) bool { return len(apdu) >= 4 && apdu[1] == 0x87 }

// pulls reports whether an armed RemoveOn matches apdu, disarming it.
func (r *Reader) pulls(apdu []byte) *pullTrigger {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.pull
	if t == nil || !t.match(apdu) {
		return nil
	}
	r.pull = nil
	return t
}

// Inserted reports whether the card is connected to the reader.
func (r *Reader) Inserted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conn != nil
}

func (r *Reader) lastErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Reader) serve(conn net.Conn, done, powered chan struct{}) {
	defer close(done)
	var once sync.Once
	var pulled *pullTrigger
	pull := func(apdu []byte) bool {
		if t := r.pulls(apdu); t != nil {
			pulled = t
			r.leaving.Store(true) // gone at the next presence poll
		}
		return pulled != nil
	}
	err := serveConn(conn, r.card, func() { once.Do(func() { close(powered) }) }, r.leaving.Load, pull)
	_ = conn.Close()
	r.mu.Lock()
	if r.conn == conn && (pulled != nil || !r.leaving.Load()) { // pulled out, or the reader went away
		r.conn = nil
		r.err = err
	}
	r.mu.Unlock()
	if pulled != nil {
		r.card.PowerDown()
		close(pulled.pulled)
	}
}

// serveConn answers the reader until the connection ends. Messages are at
// most 65535 bytes by construction (two-byte length).
// When leaving reports true, the next ATR request (a presence poll) ends
// the connection instead of being answered; when pull reports true for a
// command APDU, the connection ends without an answer to it.
func serveConn(conn net.Conn, card *Card, onPowerUp func(), leaving func() bool, pull func([]byte) bool) error {
	var hdr [2]byte
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return err
		}
		// vpcd writes the length and the message separately, and Nagle's
		// algorithm on its side holds the message back until the length is
		// acknowledged: setting TCP_QUICKACK now sends the ACK that the
		// kernel would otherwise delay by 40 ms. (The option does not stick:
		// it is set again for every message.)
		quickAck(conn)
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, msg); err != nil {
			return err
		}
		quickAck(conn)
		var resp []byte
		switch {
		case len(msg) == 1:
			switch msg[0] {
			case ctrlPowerDown:
				card.PowerDown()
			case ctrlPowerUp:
				card.PowerUp()
				onPowerUp()
			case ctrlReset:
				card.Reset()
			case ctrlATR:
				if leaving() {
					return errLeft
				}
				resp = card.answerToReset()
			}
			if resp == nil {
				continue // control codes other than ATR get no answer
			}
		case len(msg) == 0:
			continue
		case pull(msg):
			resp = swPulled
		default:
			resp = card.Process(msg)
		}
		out := make([]byte, 2+len(resp))
		binary.BigEndian.PutUint16(out, uint16(len(resp)))
		copy(out[2:], resp)
		if _, err := conn.Write(out); err != nil {
			return err
		}
	}
}
