package pivemu

import (
	"fmt"
	"time"
)

// VerifyKind classifies a VERIFY command.
type VerifyKind int

// VERIFY outcomes.
const (
	VerifyNone    VerifyKind = iota // not a VERIFY with P1 = 00
	VerifyStatus                    // no data: a question for the tries left
	VerifyOK                        // the right PIN
	VerifyWrong                     // a wrong PIN: it cost one try
	VerifyBlocked                   // a PIN sent to a blocked card (no try left to cost)
)

// Entry is one command in the card's log. It never holds command or
// response data: a VERIFY's data is the PIN.
type Entry struct {
	At      time.Time
	Took    time.Duration
	Name    string // SELECT, GET DATA, VERIFY, GENERAL AUTHENTICATE, GET RESPONSE, or INS xx
	CLA     byte
	INS     byte
	P1, P2  byte
	Lc      int // command data length (of the whole chain for the last part)
	Chained bool
	SW      uint16
	RespLen int
	Verify  VerifyKind
	Sign    bool // a signature was made
}

func (e Entry) String() string {
	return fmt.Sprintf("%s %02X%02X%02X%02X Lc=%d -> %04X (%d bytes)", e.Name, e.CLA, e.INS, e.P1, e.P2, e.Lc, e.SW, e.RespLen)
}

// Stats counts what the card saw since it was made or since ClearStats.
type Stats struct {
	APDUs         int            // command APDUs, each part of a chain and each GET RESPONSE counted
	ByName        map[string]int // APDUs by command name
	VerifyOK      int
	VerifyWrong   int // wrong PINs: each cost one try
	VerifyBlocked int // PINs sent while blocked
	VerifyStatus  int // empty VERIFY (tries-left queries)
	Signatures    int
	ATRRequests   int // vpcd presence polls and power-ups
	PowerUps      int
	PowerDowns    int
	Resets        int
	Connections   int // times the card was inserted into the reader
}

// PINAttempts is the number of VERIFY commands that carried a PIN.
func (s Stats) PINAttempts() int { return s.VerifyOK + s.VerifyWrong + s.VerifyBlocked }

func insName(ins byte) string {
	switch ins {
	case 0xA4:
		return "SELECT"
	case 0xCB:
		return "GET DATA"
	case 0x20:
		return "VERIFY"
	case 0x87:
		return "GENERAL AUTHENTICATE"
	case 0xC0:
		return "GET RESPONSE"
	}
	return fmt.Sprintf("INS %02X", ins)
}

// record adds e to the log and the counters; the caller holds c.mu.
func (c *Card) record(e Entry) {
	c.stats.APDUs++
	if c.stats.ByName == nil {
		c.stats.ByName = map[string]int{}
	}
	c.stats.ByName[e.Name]++
	if len(c.log) < c.logLimit {
		c.log = append(c.log, e)
	}
}

// Stats returns a copy of the counters.
func (c *Card) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.ByName = make(map[string]int, len(c.stats.ByName))
	for k, v := range c.stats.ByName {
		s.ByName[k] = v
	}
	return s
}

// Log returns a copy of the command log (at most the first 10000 entries
// since the last ClearStats).
func (c *Card) Log() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Entry(nil), c.log...)
}

// ClearStats zeroes the counters and empties the log.
func (c *Card) ClearStats() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats = Stats{}
	c.log = nil
}

// Observe calls f after every command, outside the card's lock, e.g. to
// wake a test waiting for a VERIFY. f must not block for long.
func (c *Card) Observe(f func(Entry)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observers = append(c.observers, f)
}

// Control messages from the reader (the vpcd protocol's one-byte
// messages).

// PowerUp is a cold reset.
func (c *Card) PowerUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.PowerUps++
	c.reset()
}

// PowerDown cuts the power: the security status is lost.
func (c *Card) PowerDown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.PowerDowns++
	c.reset()
}

// Reset is a warm reset.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Resets++
	c.reset()
}

// answerToReset counts an ATR request and returns the ATR.
func (c *Card) answerToReset() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.ATRRequests++
	return c.ATR()
}

func (c *Card) inserted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Connections++
	c.reset()
}
