package pivemu

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// DefaultATR announces a T=1 card whose historical bytes carry the PIV AID
// in a compact-TLV object (tag F): OpenSC's PIV driver then classifies it as
// "PIV-II (ATR historical bytes)", a type without quirks, for which it asks
// the card for the PIN retry counter with an empty VERIFY. (For a generic
// PIV card OpenSC assumes that an empty VERIFY fails and never learns the
// counter.)
var DefaultATR = func() []byte {
	hist := append([]byte{0x80, 0xF0 | byte(len(pivAID))}, pivAID...)
	atr := []byte{0x3B, 0x80 | byte(len(hist)), 0x80, 0x01}
	atr = append(atr, hist...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}()

// DefaultTries is the PIN retry limit of a new card.
const DefaultTries = 3

// Slot is one key on the card with its certificate.
type Slot struct {
	Ref  byte              // SlotAuthentication, SlotSignature, ...
	Cert *x509.Certificate // stored in the slot's certificate object
	Key  crypto.Signer     // *rsa.PrivateKey (1024/2048) or *ecdsa.PrivateKey (P-256/P-384)
}

// Config describes a card.
type Config struct {
	ATR   []byte // DefaultATR when nil
	PIN   string // 6 to 8 characters (SP 800-73-4 part 2, §3.2.1)
	Tries int    // retry limit; DefaultTries when 0
	GUID  [16]byte
	Slots []Slot
}

// Card is an emulated PIV card application. It is safe for concurrent use:
// the vpcd connection calls Process while a test reads the statistics or
// changes the PIN counter.
type Card struct {
	atr     []byte
	pin     [8]byte // padded with FF
	tries   int
	objects map[string][]byte
	keys    map[byte]key

	mu        sync.Mutex
	left      int    // PIN tries left; 0 = blocked
	verified  bool   // PIN verified since the last reset
	fresh     bool   // PIN verified since the last PIN-Always key use
	selected  bool   // PIV application selected
	chain     []byte // data of a chained command so far
	chainHdr  [4]byte
	pending   []byte // response bytes waiting for GET RESPONSE
	stats     Stats
	log       []Entry
	logLimit  int
	observers []func(Entry)
}

type key struct {
	signer crypto.Signer
	alg    byte
}

// New returns a powered-off card.
func New(cfg Config) (*Card, error) {
	if n := len(cfg.PIN); n < 6 || n > 8 {
		return nil, fmt.Errorf("pivemu: the PIN must have 6 to 8 characters, not %d", n)
	}
	c := &Card{atr: cfg.ATR, tries: cfg.Tries, objects: map[string][]byte{}, keys: map[byte]key{}, logLimit: 10000}
	if c.atr == nil {
		c.atr = DefaultATR
	}
	if c.tries <= 0 {
		c.tries = DefaultTries
	}
	if c.tries > 15 {
		return nil, errors.New("pivemu: at most 15 tries (SW 63Cx has one nibble)")
	}
	c.left = c.tries
	copy(c.pin[:], bytes.Repeat([]byte{0xFF}, 8))
	copy(c.pin[:], cfg.PIN)
	c.objects[string(tagCHUID)] = chuid(cfg.GUID)
	c.objects[string(tagCCC)] = ccc(cfg.GUID)
	c.objects[string(tagDiscovery)] = discovery()
	c.objects[string(tagHistory)] = keyHistory()
	for _, s := range cfg.Slots {
		tag, ok := certObjectTags[s.Ref]
		if !ok {
			return nil, fmt.Errorf("pivemu: unsupported key reference %02X", s.Ref)
		}
		if s.Key != nil {
			alg, err := algorithmOf(s.Key)
			if err != nil {
				return nil, err
			}
			c.keys[s.Ref] = key{signer: s.Key, alg: alg}
		}
		if s.Cert != nil {
			c.objects[string(tag)] = certContainer(s.Cert.Raw)
		}
	}
	return c, nil
}

// ATR returns the card's answer to reset.
func (c *Card) ATR() []byte { return append([]byte(nil), c.atr...) }

// Tries returns the PIN tries left (0 = blocked).
func (c *Card) Tries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

// MaxTries returns the PIN retry limit.
func (c *Card) MaxTries() int { return c.tries }

// SetTries sets the PIN tries left (0 blocks the PIN), as an administrator
// with the PUK would; it also drops the security status.
func (c *Card) SetTries(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left = min(max(n, 0), c.tries)
	c.verified, c.fresh = false, false
}

// reset is a power cycle or warm reset: security status and selection are
// lost, the retry counter is kept.
func (c *Card) reset() {
	c.verified, c.fresh, c.selected = false, false, false
	c.chain, c.pending = nil, nil
}

// Status words.
const (
	swOK               = 0x9000
	swWrongLength      = 0x6700
	swSecurityStatus   = 0x6982
	swPINBlocked       = 0x6983
	swConditions       = 0x6985
	swWrongData        = 0x6A80
	swNotFound         = 0x6A82
	swWrongP1P2        = 0x6A86
	swRefNotFound      = 0x6A88
	swINSNotSupported  = 0x6D00
	swCLANotSupported  = 0x6E00
	swVerifyFailedBase = 0x63C0
	maxChain           = 4096 // bytes of chained command data the card keeps
)

// command is a parsed short APDU (ISO 7816-4 §5.1).
type command struct {
	cla, ins, p1, p2 byte
	data             []byte
	ne               int // expected response length; 0 when Le is absent
}

func parseCommand(b []byte) (command, bool) {
	if len(b) < 4 {
		return command{}, false
	}
	cmd := command{cla: b[0], ins: b[1], p1: b[2], p2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2
		cmd.ne = int(body[0])
		if cmd.ne == 0 {
			cmd.ne = 256
		}
	default:
		lc := int(body[0])
		if lc == 0 { // extended length: this card speaks short APDUs only
			return command{}, false
		}
		switch len(body) {
		case 1 + lc: // case 3
		case 2 + lc: // case 4
			cmd.ne = int(body[1+lc])
			if cmd.ne == 0 {
				cmd.ne = 256
			}
		default:
			return command{}, false
		}
		cmd.data = body[1 : 1+lc]
	}
	return cmd, true
}

// Process answers one command APDU with response data and a status word.
func (c *Card) Process(apdu []byte) []byte {
	start := time.Now()
	c.mu.Lock()
	resp, e := c.process(apdu)
	e.At, e.Took = start, time.Since(start)
	e.SW = uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1])
	e.RespLen = len(resp) - 2
	c.record(e)
	obs := c.observers
	c.mu.Unlock()
	for _, f := range obs {
		f(e)
	}
	return resp
}

// sw returns data (copied: it may alias a stored object) and a status word.
func sw(code uint16, data ...byte) []byte {
	out := make([]byte, 0, len(data)+2)
	return append(append(out, data...), byte(code>>8), byte(code))
}

func (c *Card) process(apdu []byte) ([]byte, Entry) {
	cmd, ok := parseCommand(apdu)
	e := Entry{}
	if len(apdu) >= 4 {
		e.CLA, e.INS, e.P1, e.P2 = apdu[0], apdu[1], apdu[2], apdu[3]
	}
	e.Name = insName(e.INS)
	if !ok {
		c.chain = nil
		return sw(swWrongLength), e
	}
	e.Lc = len(cmd.data)
	if cmd.ins != 0xC0 {
		c.pending = nil
	}
	if cmd.cla&^0x10 != 0x00 {
		c.chain = nil
		return sw(swCLANotSupported), e
	}
	hdr := [4]byte{0, cmd.ins, cmd.p1, cmd.p2}
	if c.chain != nil && hdr != c.chainHdr {
		c.chain = nil // a different command breaks the chain
	}
	if cmd.cla&0x10 != 0 { // command chaining (ISO 7816-4 §5.1.1.1)
		e.Chained = true
		if len(c.chain)+len(cmd.data) > maxChain {
			c.chain = nil
			return sw(swWrongLength), e
		}
		c.chain = append(c.chain, cmd.data...)
		c.chainHdr = hdr
		return sw(swOK), e
	}
	if c.chain != nil {
		cmd.data = append(c.chain, cmd.data...)
		c.chain = nil
		e.Chained = true
	}
	switch cmd.ins {
	case 0xA4:
		return c.selectApp(cmd), e
	case 0xCB:
		return c.getData(cmd), e
	case 0x20:
		return c.verify(cmd, &e), e
	case 0x87:
		return c.generalAuthenticate(cmd, &e), e
	case 0xC0:
		return c.getResponse(cmd), e
	}
	return sw(swINSNotSupported), e
}

// respond sends data in chunks of at most ne bytes; the rest waits for
// GET RESPONSE and SW 61xx says how much is left (00: 256 or more).
func (c *Card) respond(data []byte, ne int) []byte {
	if ne == 0 { // no Le: the caller expects no data
		return sw(swOK)
	}
	if len(data) <= ne {
		return sw(swOK, data...)
	}
	c.pending = append([]byte(nil), data[ne:]...)
	return sw(0x6100|uint16(min(len(c.pending), 256)&0xFF), data[:ne]...)
}

func (c *Card) getResponse(cmd command) []byte {
	if c.pending == nil {
		return sw(swConditions)
	}
	data := c.pending
	c.pending = nil
	ne := cmd.ne
	if ne == 0 {
		ne = 256
	}
	return c.respond(data, ne)
}

func (c *Card) selectApp(cmd command) []byte {
	if cmd.p1 != 0x04 {
		return sw(swWrongP1P2)
	}
	// Selection by a truncated AID is allowed (ISO 7816-4 §12.2.2).
	if len(cmd.data) < len(pivRID) || !bytes.HasPrefix(pivAID, cmd.data) {
		return sw(swNotFound)
	}
	c.selected = true
	return c.respond(applicationTemplate(), cmd.ne)
}

func (c *Card) getData(cmd command) []byte {
	if !c.selected {
		return sw(swINSNotSupported)
	}
	if cmd.p1 != 0x3F || cmd.p2 != 0xFF {
		return sw(swWrongP1P2)
	}
	tag, ok := findTLV(cmd.data, 0x5C)
	if !ok || len(tag) == 0 || len(tag) > 3 {
		return sw(swWrongData)
	}
	obj, ok := c.objects[string(tag)]
	if !ok {
		return sw(swNotFound)
	}
	return c.respond(obj, cmd.ne)
}

// verify implements VERIFY for the PIV Card Application PIN (key
// reference 80; 800-73-4 part 2, §3.2.1): with data it checks the PIN,
// without data it reports the security status or the tries left, and
// P1 = FF resets the security status.
func (c *Card) verify(cmd command, e *Entry) []byte {
	if !c.selected {
		return sw(swINSNotSupported)
	}
	if cmd.p2 != 0x80 {
		return sw(swRefNotFound)
	}
	switch {
	case cmd.p1 == 0xFF && len(cmd.data) == 0:
		c.verified, c.fresh = false, false
		return sw(swOK)
	case cmd.p1 != 0x00:
		return sw(swWrongP1P2)
	}
	if len(cmd.data) == 0 {
		e.Verify = VerifyStatus
		c.stats.VerifyStatus++
		switch {
		case c.left == 0:
			return sw(swPINBlocked)
		case c.verified:
			return sw(swOK)
		}
		return sw(swVerifyFailedBase | uint16(c.left))
	}
	if len(cmd.data) != 8 {
		return sw(swWrongData)
	}
	if c.left == 0 {
		e.Verify = VerifyBlocked
		c.stats.VerifyBlocked++
		return sw(swPINBlocked)
	}
	if subtle.ConstantTimeCompare(cmd.data, c.pin[:]) == 1 {
		e.Verify = VerifyOK
		c.stats.VerifyOK++
		c.left = c.tries
		c.verified, c.fresh = true, true
		return sw(swOK)
	}
	e.Verify = VerifyWrong
	c.stats.VerifyWrong++
	c.left--
	c.verified, c.fresh = false, false
	return sw(swVerifyFailedBase | uint16(c.left))
}

// generalAuthenticate signs the challenge (tag 81) of a dynamic
// authentication template 7C with the key in P2; P1 names the algorithm
// (800-73-4 part 2, §3.2.4). RSA keys compute the raw private-key
// operation (the host pads); EC keys return a DER ECDSA signature.
func (c *Card) generalAuthenticate(cmd command, e *Entry) []byte {
	if !c.selected {
		return sw(swINSNotSupported)
	}
	k, ok := c.keys[cmd.p2]
	if !ok {
		return sw(swRefNotFound)
	}
	if cmd.p1 != k.alg {
		return sw(swWrongP1P2)
	}
	tmpl, ok := findTLV(cmd.data, 0x7C)
	if !ok {
		return sw(swWrongData)
	}
	if _, ok := findTLV(tmpl, 0x82); !ok {
		return sw(swWrongData)
	}
	challenge, ok := findTLV(tmpl, 0x81)
	if !ok || len(challenge) == 0 {
		return sw(swWrongData)
	}
	// 9A needs the PIN once per session; 9C ("PIN Always") needs a VERIFY
	// right before each use.
	if !c.verified || (cmd.p2 == SlotSignature && !c.fresh) {
		return sw(swSecurityStatus)
	}
	sig, err := signRaw(k.signer, challenge)
	if err != nil {
		return sw(swWrongData)
	}
	if cmd.p2 == SlotSignature {
		c.fresh = false
	}
	e.Sign = true
	c.stats.Signatures++
	return c.respond(tlv(0x7C, tlv(0x82, sig)), cmd.ne)
}

func signRaw(s crypto.Signer, in []byte) ([]byte, error) {
	switch k := s.(type) {
	case *rsa.PrivateKey:
		size := k.Size()
		if len(in) != size {
			return nil, errors.New("pivemu: RSA input must be the size of the modulus")
		}
		m := new(big.Int).SetBytes(in)
		if m.Cmp(k.N) >= 0 {
			return nil, errors.New("pivemu: RSA input out of range")
		}
		// The raw private-key operation; the emulator needs no blinding.
		out := new(big.Int).Exp(m, k.D, k.N).FillBytes(make([]byte, size))
		return out, nil
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, k, in)
	}
	return nil, fmt.Errorf("pivemu: key type %T", s)
}
