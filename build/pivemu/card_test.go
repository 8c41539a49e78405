package pivemu

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

const testPIN = "246810"

var (
	testSlotsOnce sync.Once
	testSlots     []Slot
)

// slots issues an RSA-2048 certificate for 9A and a P-256 one for 9C, once
// per test binary (RSA key generation is the slow part).
func slots(t testing.TB) []Slot {
	t.Helper()
	testSlotsOnce.Do(func() {
		ca, err := pki.NewRoot("pivemu test CA", pki.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct {
			ref byte
			kt  pki.KeyType
		}{{SlotAuthentication, pki.RSA2048}, {SlotSignature, pki.ECDSAP256}} {
			leaf, err := ca.Issue(pki.LeafSpec{CommonName: "pivemu " + string(s.kt), KeyType: s.kt})
			if err != nil {
				t.Fatal(err)
			}
			testSlots = append(testSlots, Slot{Ref: s.ref, Cert: leaf.Cert, Key: leaf.Key})
		}
	})
	if testSlots == nil {
		t.Fatal("no test slots")
	}
	return testSlots
}

func newCard(t testing.TB) *Card {
	t.Helper()
	c, err := New(Config{PIN: testPIN, Slots: slots(t), GUID: [16]byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	c.PowerUp()
	return c
}

func hexb(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// apdu builds a short command APDU; le < 0 leaves Le out.
func apdu(cla, ins, p1, p2 byte, data []byte, le int) []byte {
	b := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		b = append(b, byte(len(data)))
		b = append(b, data...)
	}
	if le >= 0 {
		b = append(b, byte(le))
	}
	return b
}

func swOf(resp []byte) uint16 { return binary.BigEndian.Uint16(resp[len(resp)-2:]) }

func wantSW(t *testing.T, resp []byte, want uint16) []byte {
	t.Helper()
	if got := swOf(resp); got != want {
		t.Fatalf("SW %04X, want %04X", got, want)
	}
	return resp[:len(resp)-2]
}

// transmit sends a command and collects 61xx continuations like a host.
func transmit(t *testing.T, c *Card, cmd []byte) ([]byte, uint16) {
	t.Helper()
	resp := c.Process(cmd)
	data := append([]byte(nil), resp[:len(resp)-2]...)
	for swOf(resp)>>8 == 0x61 {
		resp = c.Process(apdu(0, 0xC0, 0, 0, nil, int(swOf(resp)&0xFF)))
		data = append(data, resp[:len(resp)-2]...)
	}
	return data, swOf(resp)
}

func selectPIV(t *testing.T, c *Card) {
	t.Helper()
	data, sw := transmit(t, c, apdu(0, 0xA4, 4, 0, pivAID[:9], 0))
	if sw != swOK {
		t.Fatalf("SELECT: %04X", sw)
	}
	pix, ok := findTLV(data[2:], 0x4F)
	if data[0] != 0x61 || !ok || !bytes.Equal(pix, pivPIX) {
		t.Fatalf("application template % X", data)
	}
}

func pinBlock(pin string) []byte {
	b := bytes.Repeat([]byte{0xFF}, 8)
	copy(b, pin)
	return b
}

func TestDefaultATRCarriesThePIVAID(t *testing.T) {
	atr := DefaultATR
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	if tck != 0 {
		t.Fatalf("ATR % X: TCK does not check", atr)
	}
	if !bytes.Contains(atr, append([]byte{0x80, 0xFB}, pivAID...)) {
		t.Fatalf("ATR % X lacks the compact-TLV PIV AID", atr)
	}
}

func TestGetDataChunksLongObjects(t *testing.T) {
	c := newCard(t)
	if sw := swOf(c.Process(apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C035FC105"), 0))); sw != swINSNotSupported {
		t.Fatalf("GET DATA before SELECT: %04X", sw)
	}
	selectPIV(t, c)
	// OpenSC first asks for 8 bytes to learn the length.
	resp := c.Process(apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C035FC105"), 8))
	if len(resp) != 10 || resp[8] != 0x61 {
		t.Fatalf("short read: % X", resp)
	}
	data, sw := transmit(t, c, apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C035FC105"), 0))
	if sw != swOK {
		t.Fatalf("SW %04X", sw)
	}
	tag, body, _, err := readTLV(data)
	if err != nil || tag != 0x53 {
		t.Fatalf("container: %v % X", err, data[:4])
	}
	der, _ := findTLV(body, 0x70)
	if !bytes.Equal(der, slots(t)[0].Cert.Raw) {
		t.Fatal("the 9A certificate does not round-trip")
	}
	if _, sw := transmit(t, c, apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C035FC10B"), 0)); sw != swNotFound {
		t.Fatalf("empty 9D slot: %04X", sw)
	}
	disc, sw := transmit(t, c, apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C017E"), 0))
	if sw != swOK || disc[0] != 0x7E {
		t.Fatalf("discovery % X %04X", disc, sw)
	}
	if sw := swOf(c.Process(apdu(0, 0xC0, 0, 0, nil, 0))); sw != swConditions {
		t.Fatalf("GET RESPONSE with nothing pending: %04X", sw)
	}
}

func TestVerifyCountsTriesAndBlocks(t *testing.T) {
	c := newCard(t)
	selectPIV(t, c)
	status := func() uint16 { return swOf(c.Process(apdu(0, 0x20, 0, 0x80, nil, -1))) }
	if s := status(); s != 0x63C3 {
		t.Fatalf("fresh card: %04X", s)
	}
	wantSW(t, c.Process(apdu(0, 0x20, 0, 0x80, pinBlock("000000"), -1)), 0x63C2)
	wantSW(t, c.Process(apdu(0, 0x20, 0, 0x80, pinBlock(testPIN), -1)), swOK)
	if s := status(); s != swOK {
		t.Fatalf("after the right PIN: %04X", s)
	}
	wantSW(t, c.Process(apdu(0, 0x20, 0xFF, 0x80, nil, -1)), swOK) // reset security status
	for want := 2; want >= 0; want-- {
		wantSW(t, c.Process(apdu(0, 0x20, 0, 0x80, pinBlock("999999"), -1)), uint16(0x63C0+want))
	}
	wantSW(t, c.Process(apdu(0, 0x20, 0, 0x80, pinBlock(testPIN), -1)), swPINBlocked)
	if s := status(); s != swPINBlocked {
		t.Fatalf("blocked card: %04X", s)
	}
	st := c.Stats()
	if st.VerifyWrong != 4 || st.VerifyOK != 1 || st.VerifyBlocked != 1 || st.VerifyStatus != 3 || st.PINAttempts() != 6 {
		t.Fatalf("stats %+v", st)
	}
	for _, e := range c.Log() {
		if bytes.Contains([]byte(e.String()), []byte(testPIN)) {
			t.Fatal("the log shows the PIN")
		}
	}
	c.SetTries(3)
	if c.Tries() != 3 {
		t.Fatal("SetTries")
	}
}

// sign runs GENERAL AUTHENTICATE with command chaining, as OpenSC does.
func sign(t *testing.T, c *Card, alg, ref byte, challenge []byte) ([]byte, uint16) {
	t.Helper()
	data := tlv(0x7C, tlv(0x82, nil), tlv(0x81, challenge))
	for len(data) > 255 {
		wantSW(t, c.Process(apdu(0x10, 0x87, alg, ref, data[:255], -1)), swOK)
		data = data[255:]
	}
	resp, sw := transmit(t, c, apdu(0, 0x87, alg, ref, data, 0))
	if sw != swOK {
		return nil, sw
	}
	tmpl, _ := findTLV(resp, 0x7C)
	sig, ok := findTLV(tmpl, 0x82)
	if !ok {
		t.Fatalf("no signature in % X", resp)
	}
	return sig, sw
}

func TestGeneralAuthenticateSigns(t *testing.T) {
	c := newCard(t)
	selectPIV(t, c)
	digest := sha256.Sum256([]byte("cardcheck"))
	rsaKey := slots(t)[0].Key.(*rsa.PrivateKey)
	// PKCS#1 v1.5 padding is the host's job: build the block here.
	prefix := hexb("3031300d060960864801650304020105000420")
	block := append([]byte{0, 1}, bytes.Repeat([]byte{0xFF}, rsaKey.Size()-3-len(prefix)-len(digest))...)
	block = append(append(append(block, 0), prefix...), digest[:]...)

	if _, sw := sign(t, c, algRSA2048, SlotAuthentication, block); sw != swSecurityStatus {
		t.Fatalf("signing without the PIN: %04X", sw)
	}
	wantSW(t, c.Process(apdu(0, 0x20, 0, 0x80, pinBlock(testPIN), -1)), swOK)
	sig, sw := sign(t, c, algRSA2048, SlotAuthentication, block)
	if sw != swOK {
		t.Fatalf("RSA: %04X", sw)
	}
	if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("RSA signature: %v", err)
	}
	if _, sw := sign(t, c, algP256, SlotAuthentication, digest[:]); sw != swWrongP1P2 {
		t.Fatalf("wrong algorithm: %04X", sw)
	}

	// 9C is "PIN Always": one VERIFY allows one signature.
	sig, sw = sign(t, c, algP256, SlotSignature, digest[:])
	if sw != swOK {
		t.Fatalf("EC: %04X", sw)
	}
	if _, sw := sign(t, c, algP256, SlotSignature, digest[:]); sw != swSecurityStatus {
		t.Fatalf("9C again without a fresh VERIFY: %04X", sw)
	}
	ecKey := slots(t)[1].Key.(*ecdsa.PrivateKey)
	if !ecdsa.VerifyASN1(&ecKey.PublicKey, digest[:], sig) {
		t.Fatal("EC signature does not verify")
	}
	if c.Stats().Signatures != 2 {
		t.Fatalf("stats %+v", c.Stats())
	}
}

func TestChainingIsBoundedAndBrokenByOtherCommands(t *testing.T) {
	c := newCard(t)
	selectPIV(t, c)
	chunk := bytes.Repeat([]byte{0x55}, 255)
	var sw uint16
	for i := 0; i < 20 && sw != swWrongLength; i++ {
		sw = swOf(c.Process(apdu(0x10, 0x87, algRSA2048, SlotAuthentication, chunk, -1)))
	}
	if sw != swWrongLength {
		t.Fatal("an endless chain was accepted")
	}
	wantSW(t, c.Process(apdu(0x10, 0x87, algRSA2048, SlotAuthentication, chunk, -1)), swOK)
	selectPIV(t, c) // breaks the chain
	if sw := swOf(c.Process(apdu(0, 0x87, algRSA2048, SlotAuthentication, []byte{0x7C, 0}, 0))); sw != swWrongData {
		t.Fatalf("after a broken chain: %04X", sw)
	}
}

// TestReaderSpeaksVpcd drives a Reader through a fake vpcd on a loopback
// socket: power up, ATR, an APDU, removal.
func TestReaderSpeaksVpcd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := newCard(t)
	r := NewReader(c, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	})
	type result struct {
		atr, resp []byte
		err       error
	}
	got := make(chan result, 1)
	removing, gone := make(chan struct{}), make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- result{err: err}
			return
		}
		defer conn.Close()
		send := func(b []byte) ([]byte, error) { return vpcdSend(conn, b) }
		var res result
		if _, res.err = send([]byte{ctrlPowerUp}); res.err == nil {
			if res.atr, res.err = send([]byte{ctrlATR}); res.err == nil {
				res.resp, res.err = send(apdu(0, 0xA4, 4, 0, pivAID, 0))
			}
		}
		got <- res
		<-removing
		// Poll for presence like pcscd until the card is gone (EOF).
		for {
			if _, err := send([]byte{ctrlATR}); err != nil {
				close(gone)
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Insert(ctx); err != nil {
		t.Fatal(err)
	}
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		t.Fatal("no answer from the card within 5 s")
	}
	if res.err != nil || !bytes.Equal(res.atr, DefaultATR) || swOf(res.resp) != swOK {
		t.Fatalf("err %v, ATR % X, SELECT % X", res.err, res.atr, res.resp)
	}
	if !r.Inserted() {
		t.Fatal("not inserted")
	}
	go close(removing) // the poller may run before or after Remove starts
	if err := r.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gone:
	case <-ctx.Done():
		t.Fatal("the reader still sees the card")
	}
	st := c.Stats()
	if r.Inserted() || st.Connections != 1 || st.ATRRequests < 1 || st.APDUs != 1 {
		t.Fatalf("after removal: inserted %v, %+v", r.Inserted(), st)
	}
}

// vpcdSend sends a message the way vpcd does and reads the card's
// answer; control codes other than "send the ATR" get none.
func vpcdSend(conn net.Conn, b []byte) ([]byte, error) {
	msg := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
	if _, err := conn.Write(append(msg, b...)); err != nil {
		return nil, err
	}
	if len(b) == 1 && b[0] != ctrlATR {
		return nil, nil
	}
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	out := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err := io.ReadFull(conn, out)
	return out, err
}

// FuzzProcess feeds arbitrary APDUs: the card must always answer with a
// status word and never panic.
func FuzzProcess(f *testing.F) {
	f.Add(apdu(0, 0xA4, 4, 0, pivAID, 0))
	f.Add(apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C035FC105"), 0))
	f.Add(apdu(0, 0xCB, 0x3F, 0xFF, hexb("5C8203"), 0))
	f.Add(apdu(0x10, 0x87, 0x07, 0x9A, hexb("7C8201"), -1))
	f.Add(apdu(0, 0x87, 0x11, 0x9C, hexb("7C06820081020102"), 0))
	f.Add(apdu(0, 0x20, 0, 0x80, pinBlock("1"), -1))
	f.Add([]byte{0, 0xC0, 0, 0, 0})
	c := newCard(f)
	c.Process(apdu(0, 0xA4, 4, 0, pivAID, 0))
	c.Process(apdu(0, 0x20, 0, 0x80, pinBlock(testPIN), -1))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp := c.Process(b)
		if len(resp) < 2 {
			t.Fatalf("response % X has no status word", resp)
		}
		c.SetTries(3)
		c.Process(apdu(0, 0x20, 0, 0x80, pinBlock(testPIN), -1))
	})
}

func FuzzReadTLV(f *testing.F) {
	f.Add(hexb("7C0682008102AABB"))
	f.Add(hexb("5F2F024000"))
	f.Add(hexb("538203"))
	f.Add(hexb("9F"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, v, rest, err := readTLV(b)
		if err == nil && len(v)+len(rest) > len(b) {
			t.Fatal("read past the input")
		}
	})
}

// TestRemoveOnSignature: an armed RemoveOn lets other commands through;
// the signature fails without reaching the card, and the next presence
// poll finds the card gone.
func TestRemoveOnSignature(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := newCard(t)
	r := NewReader(c, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	})
	pulled := r.RemoveOn(IsSignature)
	type result struct {
		sel, sig []byte
		err      error
		pollErr  error // the presence poll after the signature
	}
	got := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- result{err: err}
			return
		}
		defer conn.Close()
		send := func(b []byte) ([]byte, error) { return vpcdSend(conn, b) }
		var res result
		if _, res.err = send([]byte{ctrlPowerUp}); res.err == nil {
			if res.sel, res.err = send(apdu(0, 0xA4, 4, 0, pivAID, 0)); res.err == nil {
				if res.sig, res.err = send(apdu(0, 0x87, 0x11, 0x9C, hexb("7C06820081020102"), 0)); res.err == nil {
					_, res.pollErr = send([]byte{ctrlATR})
				}
			}
		}
		got <- res
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Insert(ctx); err != nil {
		t.Fatal(err)
	}
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		t.Fatal("no answer within 5 s")
	}
	if swOf(res.sel) != swOK || res.err != nil || swOf(res.sig) != 0x6F00 || res.pollErr == nil {
		t.Fatalf("SELECT % X; signature % X, %v; poll %v: want SELECT answered, the signature failed, the poll finding no card", res.sel, res.sig, res.err, res.pollErr)
	}
	select {
	case <-pulled:
	case <-ctx.Done():
		t.Fatal("RemoveOn did not report the removal")
	}
	if r.Inserted() || c.Stats().Signatures != 0 || c.Stats().APDUs != 1 {
		t.Fatalf("after the pull: inserted %v, %+v", r.Inserted(), c.Stats())
	}
}
