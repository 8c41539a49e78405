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
	err := serveConn(conn, r.card, func() { once.Do(func() { close(powered) }) }, r.leaving.Load)
	_ = conn.Close()
	r.mu.Lock()
	if r.conn == conn && !r.leaving.Load() { // the reader went away
		r.conn = nil
		r.err = err
	}
	r.mu.Unlock()
}

// serveConn answers the reader until the connection ends. Messages are at
// most 65535 bytes by construction (two-byte length).
// When leaving reports true, the next ATR request (a presence poll) ends
// the connection instead of being answered.
func serveConn(conn net.Conn, card *Card, onPowerUp func(), leaving func() bool) error {
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
