package tlstrace

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/tls13rec"
)

// Record content types (RFC 8446 §5.1, RFC 6520 for heartbeat).
const (
	ctChangeCipherSpec = 20
	ctAlert            = 21
	ctHandshake        = 22
	ctApplicationData  = 23
	ctHeartbeat        = 24
)

const (
	versionTLS12 = 0x0303
	versionTLS13 = 0x0304

	maxRecordPayload = 1<<14 + 2048 // TLSCiphertext.length limit, RFC 5246 §6.2.3
	maxHandshakeMsg  = 256 << 10    // larger messages are skipped with a note
	maxPendingBytes  = 1 << 20      // records held back waiting for a key, per direction
	// maxSteps bounds the steps of one connection: a full handshake is
	// 10 to 20 steps, with a renegotiation and maxAppDataSteps records of
	// application data each way about 250. A hostile peer can make many
	// tiny messages (8,190 alerts fit one record); 1,000 steps keep a
	// report under about 1 MB of JSON.
	maxSteps = 1000
	// maxAlertSteps is how many alerts of one direction are listed one by
	// one; later alerts of a record are merged into one step "… and N
	// more alerts". A real peer sends one alert, at most a warning and a
	// fatal one.
	maxAlertSteps   = 4
	maxAppDataSteps = 100 // per direction; later application data is counted, not listed
	maxNotes        = 100
	maxAlerts       = 100
	maxCertsListed  = 20
)

// keyPhase is where a TLS 1.3 direction is in the key schedule (RFC 8446 §7).
type keyPhase int

const (
	phasePlain keyPhase = iota
	phaseHandshake
	phaseApplication
)

type record struct {
	hdr     [5]byte
	payload []byte
	at      time.Duration
}

func (r record) typ() uint8 { return r.hdr[0] }

// direction is the parsing state of one byte stream.
type direction struct {
	name string // "client" or "server"
	buf  []byte // bytes not yet forming a whole record
	dead bool   // stopped after malformed input

	hs     []byte // handshake bytes not yet forming a whole message
	hsEnc  bool   // some of hs came from an encrypted record
	hsSkip int    // bytes of an oversized message still to skip

	protected bool         // this side encrypts its records from now on
	phase     keyPhase     // TLS 1.3 only
	cipher    recordCipher // nil: cannot decrypt (see noKey)
	prev      recordCipher // TLS 1.3: previous key, tried when the current one fails
	noKey     msg.Msg      // why protected records are not decrypted

	await        string // key log label we are waiting for, "" if none
	awaitCR      []byte // client random the awaited secret is logged under
	awaitSR      []byte
	awaitSuite   uint16
	awaitVersion uint16

	pending      []record // records waiting for a key (and everything after them)
	pendingBytes int
	pumping      bool

	encHS      int // TLS 1.2 undecryptable handshake records since ChangeCipherSpec
	appSteps   int
	alertSteps int // alerts listed one by one (maxAlertSteps)
}

// engine is the single-threaded core; Tracer adds locking and delivery.
type engine struct {
	now        func() time.Duration
	client     direction
	server     direction
	keylogUsed bool
	keys       keyLog

	clientRandom, serverRandom []byte
	version, suite             uint16

	steps       []Step
	stepsCapped bool
	outbox      []Step // steps not yet handed to the callback
	deliver     bool   // keep an outbox at all
	alerts      []Alert
	serverCerts [][]byte
	certReq     *CertRequest
	notes       []msg.Msg
}

func newEngine(now func() time.Duration) *engine {
	e := &engine{now: now}
	e.client.name, e.server.name = "client", "server"
	return e
}

func (e *engine) dirs() []*direction { return []*direction{&e.client, &e.server} }

func (e *engine) note(m msg.Msg) {
	if len(e.notes) < maxNotes {
		e.notes = append(e.notes, m)
	}
}

// The tracer's notes. Side is "client" or "server" as a message.
var (
	noteStepsCapped    = msg.Define("tlstrace.note.steps_capped", "more than {{.Count}} steps; later messages are not listed")
	noteNotTLS         = msg.Define("tlstrace.note.not_tls", "{{.Side}} stream is not TLS any more at record header {{.Header}}")
	noteDecryptFailed  = msg.Define("tlstrace.note.decrypt_failed", "{{.Side}} records could not be decrypted: {{.Reason}}")
	noteCannotDecrypt  = msg.Define("tlstrace.note.cannot_decrypt", "cannot decrypt {{.Side}} records: {{.Reason}}")
	noteUnfinished     = msg.DefinePlural("tlstrace.note.unfinished", "{{.Side}}: {{.Count}} byte of an unfinished handshake message", "{{.Side}}: {{.Count}} bytes of an unfinished handshake message")
	noteSkipped        = msg.DefinePlural("tlstrace.note.skipped", "{{.Side}} {{.Message}} of {{.Count}} byte skipped (limit {{.Limit}})", "{{.Side}} {{.Message}} of {{.Count}} bytes skipped (limit {{.Limit}})")
	noteTruncatedAlert = msg.Define("tlstrace.note.truncated_alert", "{{.Side}} sent a truncated alert")
	noteAppDataCapped  = msg.Define("tlstrace.note.app_data_capped", "{{.Side}}: more than {{.Count}} application data records; later ones are not listed")
	sideClient         = msg.Define("tlstrace.side.client", "client")
	sideServer         = msg.Define("tlstrace.side.server", "server")
)

// side names a direction ("client", "server") as a message.
func side(name string) msg.Msg {
	if name == "client" {
		return sideClient.New()
	}
	return sideServer.New()
}

func (e *engine) emit(s Step) {
	if len(e.steps) >= maxSteps {
		if !e.stepsCapped {
			e.stepsCapped = true
			e.note(noteStepsCapped.New("Count", maxSteps))
		}
		return
	}
	s.Seq = len(e.steps) + 1
	if !s.SummaryMsg.IsZero() {
		s.Summary = msg.English(s.SummaryMsg)
	}
	s.Explain = msg.English(s.ExplainMsg)
	e.steps = append(e.steps, s)
	if e.deliver {
		e.outbox = append(e.outbox, s)
	}
}

// feed takes bytes seen on the wire in direction d and splits them into
// records (RFC 8446 §5.1: type, legacy_record_version, uint16 length).
func (e *engine) feed(d *direction, p []byte) { e.feedAt(d, p, e.now()) }

// feedAt is feed for bytes that crossed the wire at at.
func (e *engine) feedAt(d *direction, p []byte, at time.Duration) {
	if d.dead || len(p) == 0 {
		return
	}
	d.buf = append(d.buf, p...)
	off := 0
	for !d.dead && len(d.buf)-off >= 5 {
		hdr := [5]byte(d.buf[off : off+5])
		n := int(hdr[3])<<8 | int(hdr[4])
		if !validHeader(hdr) || n > maxRecordPayload {
			e.malformed(d, d.buf[off:], at)
			break
		}
		if len(d.buf)-off < 5+n {
			break
		}
		r := record{hdr: hdr, payload: bytes.Clone(d.buf[off+5 : off+5+n]), at: at}
		off += 5 + n
		e.enqueue(d, r)
	}
	switch {
	case d.dead:
		d.buf = nil
	case off == len(d.buf):
		d.buf = d.buf[:0]
	case off > 0: // keep the partial record at the front, without growing
		d.buf = d.buf[:copy(d.buf, d.buf[off:])]
	}
}

// validHeader accepts the content types of TLS 1.2/1.3 and versions 3.x; an
// SSLv2 hello or a plain-text protocol fails here.
func validHeader(h [5]byte) bool {
	return h[0] >= ctChangeCipherSpec && h[0] <= ctHeartbeat && h[1] == 3 && h[2] <= 4
}

func (e *engine) malformed(d *direction, rest []byte, at time.Duration) {
	d.dead = true
	head := rest[:min(len(rest), 16)]
	s := Step{From: d.name, Message: "Malformed", At: at, Bytes: len(rest),
		SummaryMsg: sumNotTLSRecord.New(), ExplainMsg: explain("Malformed", d.name, "")}
	if line := textLine(rest); line != "" {
		s.SummaryMsg = sumNotTLS.New("Line", fmt.Sprintf("%q", line))
	}
	s.Fields.add(fFirstBytes, fmt.Sprintf("% x", head))
	e.emit(s)
	e.note(noteNotTLS.New("Side", side(d.name), "Header", fmt.Sprintf("% x", head)))
}

// enqueue keeps records in order behind any record that waits for a key.
func (e *engine) enqueue(d *direction, r record) {
	d.pending = append(d.pending, r)
	d.pendingBytes += len(r.payload)
	if d.await != "" && d.pendingBytes > maxPendingBytes {
		d.await, d.noKey = "", whyTooMuchData.New()
	}
	e.pump(d)
}

// pump processes held-back records until one needs a key we do not have.
func (e *engine) pump(d *direction) {
	if d.pumping {
		return // an outer pump of the same direction continues the loop
	}
	d.pumping = true
	defer func() { d.pumping = false }()
	for len(d.pending) > 0 && d.await == "" {
		r := d.pending[0]
		d.pending[0] = record{}
		d.pending = d.pending[1:]
		d.pendingBytes -= len(r.payload)
		e.process(d, r)
	}
	if len(d.pending) == 0 {
		d.pending, d.pendingBytes = nil, 0
	}
}

// process decrypts a record when this side encrypts. In TLS 1.3 only
// application_data records are protected; ChangeCipherSpec (RFC 8446 §5) and
// alerts sent before keys exist stay in the clear.
func (e *engine) process(d *direction, r record) {
	if !d.protected || (e.version == versionTLS13 && r.typ() != ctApplicationData) {
		e.content(d, r.typ(), r.payload, r.at, false)
		return
	}
	if d.cipher == nil {
		e.opaque(d, r)
		return
	}
	typ, pt, err := d.cipher.Open(r.hdr, r.payload)
	if err != nil && d.prev != nil {
		// A peer may still use its handshake key for an alert sent right
		// after Finished; try it before giving up.
		typ, pt, err = d.prev.Open(r.hdr, r.payload)
	}
	if err != nil {
		d.cipher, d.prev, d.noKey = nil, nil, whyDecryptError.New("Error", err.Error())
		e.note(noteDecryptFailed.New("Side", side(d.name), "Reason", err.Error()))
		e.opaque(d, r)
		return
	}
	e.content(d, typ, pt, r.at, true)
}

func (e *engine) content(d *direction, typ uint8, data []byte, at time.Duration, enc bool) {
	switch typ {
	case ctChangeCipherSpec:
		e.changeCipherSpec(d, data, at, enc)
	case ctAlert:
		e.alert(d, data, at, enc)
	case ctHandshake:
		e.handshake(d, data, at, enc)
	case ctApplicationData:
		e.appData(d, data, at, enc)
	default:
		name := "Heartbeat"
		if typ != ctHeartbeat {
			name = fmt.Sprintf("Unknown(%d)", typ)
		}
		s := Step{From: d.name, Message: name, At: at, Bytes: len(data), Encrypted: enc,
			SummaryMsg: sumNotDecoded.New("Count", len(data)), ExplainMsg: explain(name, d.name, "")}
		e.emit(s)
	}
}

// expect switches d to a new key: the one logged under label for the current
// client random. Without a key log, records are reported as not decrypted.
func (e *engine) expect(d *direction, label string) {
	d.protected = true
	d.prev = nil
	if e.version == versionTLS13 { // kept for a late record under the old key
		d.prev = d.cipher
	}
	d.cipher = nil
	d.await, d.noKey = label, msg.Msg{}
	d.awaitCR, d.awaitSR = e.clientRandom, e.serverRandom
	d.awaitSuite, d.awaitVersion = e.suite, e.version
	switch {
	case !e.keylogUsed:
		d.await, d.noKey = "", whyNoKeyLog.New()
	case e.clientRandom == nil:
		d.await, d.noKey = "", whyNoHello.New()
	default:
		e.install(d)
	}
	if d.await != "" && d.awaitVersion != versionTLS13 {
		// crypto/tls logs CLIENT_RANDOM before it sends its own
		// ChangeCipherSpec, which precedes the server's in a full handshake;
		// a line missing now never comes (it logs none for resumed sessions).
		d.await, d.noKey = "", whyNoRandom.New()
	}
}

// install builds the cipher for the awaited secret if the key log has it.
func (e *engine) install(d *direction) {
	secret := e.keys.lookup(d.await, d.awaitCR)
	if secret == nil {
		return
	}
	d.await = ""
	c, err := e.newCipher(d, secret)
	if err != nil {
		d.noKey = cipherError(err)
		e.note(noteCannotDecrypt.New("Side", side(d.name), "Reason", err.Error()))
		return
	}
	d.cipher = c
}

func (e *engine) newCipher(d *direction, secret []byte) (recordCipher, error) {
	switch d.awaitVersion {
	case versionTLS13:
		c, err := tls13rec.New(d.awaitSuite, secret)
		if errors.Is(err, tls13rec.ErrUnsupportedSuite) {
			return nil, errUnsupportedSuite
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	case versionTLS12:
		return newCipher12(d.awaitSuite, secret, d.awaitCR, d.awaitSR, d == &e.client)
	}
	return nil, errOldVersion
}

// errOldVersion: records of SSL 3.0 to TLS 1.1 are not decrypted.
var errOldVersion = errors.New("only TLS 1.2 and 1.3 records can be decrypted")

// cipherError says why no cipher could be made, as a message.
func cipherError(err error) msg.Msg {
	switch {
	case errors.Is(err, errUnsupportedSuite):
		return whyUnsupported.New()
	case errors.Is(err, errOldVersion):
		return whyOldVersion.New()
	}
	return msg.Text(err.Error())
}

// keyLog receives key log bytes and releases records that waited for them.
func (e *engine) keyLog(p []byte) {
	if !e.keys.write(p) {
		return
	}
	for _, d := range e.dirs() {
		if d.await != "" {
			e.install(d)
			e.pump(d)
		}
	}
}

// flush stops waiting for keys: held-back records are reported as encrypted
// and not decrypted.
func (e *engine) flush() {
	for _, d := range e.dirs() {
		if d.await != "" {
			d.await, d.noKey = "", whyNeverLogged.New()
			e.pump(d)
		}
		if len(d.hs) > 0 {
			e.note(noteUnfinished.New("Side", side(d.name), "Count", len(d.hs)))
		}
	}
}

// opaque reports a record we cannot decrypt. TLS 1.2 shows the real content
// type in the header; TLS 1.3 hides it (RFC 8446 §5.2).
func (e *engine) opaque(d *direction, r record) {
	name := "EncryptedRecord"
	if e.version != versionTLS13 {
		name = e.opaqueName12(d, r.typ())
	}
	if name == "EncryptedRecord" || name == "ApplicationData" {
		if d.appSteps++; d.appSteps > maxAppDataSteps {
			return
		}
	}
	s := Step{From: d.name, Message: name, At: r.at, Bytes: len(r.payload), Encrypted: true,
		SummaryMsg: sumNotDecrypted.New("Reason", d.noKey), ExplainMsg: explain(name, d.name, "encrypted")}
	s.Fields.addMsg(fRecordType, recordTypeName(r.typ()))
	s.Fields.addMsg(fLength, bytesMsg(len(r.payload)))
	s.Fields.addMsg(fNotDecrypted, d.noKey)
	e.emit(s)
}

// opaqueName12: after ChangeCipherSpec the first handshake record is
// Finished (RFC 5246 §7.4.9); later ones belong to a renegotiation.
func (e *engine) opaqueName12(d *direction, typ uint8) string {
	switch typ {
	case ctHandshake:
		d.encHS++
		if d.encHS == 1 {
			return "Finished"
		}
		return "EncryptedHandshake"
	case ctAlert:
		return "Alert"
	case ctApplicationData:
		return "ApplicationData"
	case ctChangeCipherSpec:
		return "ChangeCipherSpec"
	}
	return fmt.Sprintf("Unknown(%d)", typ)
}

// recordTypeName is the protocol's name of a content type, or "unknown (N)".
func recordTypeName(t uint8) msg.Msg {
	name, ok := map[uint8]string{ctChangeCipherSpec: "change_cipher_spec", ctAlert: "alert", ctHandshake: "handshake",
		ctApplicationData: "application_data", ctHeartbeat: "heartbeat"}[t]
	if !ok {
		return unknownCode(int(t))
	}
	return msg.Text(fmt.Sprintf("%s (%d)", name, t))
}

// changeCipherSpec: in TLS 1.2 the sender encrypts everything after it
// (RFC 5246 §7.1); in TLS 1.3 it is a dummy for middleboxes (RFC 8446 §D.4).
func (e *engine) changeCipherSpec(d *direction, data []byte, at time.Duration, enc bool) {
	s := Step{From: d.name, Message: "ChangeCipherSpec", At: at, Bytes: len(data), Encrypted: enc}
	s.Fields.add(fPayload, fmt.Sprintf("% x", data[:min(len(data), 8)]))
	if e.version == versionTLS13 {
		s.SummaryMsg = sumCCS13.New()
		s.ExplainMsg = explain("ChangeCipherSpec", d.name, "tls13")
		e.emit(s)
		return
	}
	s.SummaryMsg = sumCCSServer.New()
	if d.name == "client" {
		s.SummaryMsg = sumCCSClient.New()
	}
	s.ExplainMsg = explain("ChangeCipherSpec", d.name, "")
	e.emit(s)
	d.encHS = 0
	e.expect(d, labelTLS12)
}

// handshake reassembles handshake messages: one message may span records and
// one record may hold several messages (RFC 8446 §5.1, RFC 5246 §6.2.1).
func (e *engine) handshake(d *direction, data []byte, at time.Duration, enc bool) {
	if d.hsSkip > 0 {
		n := min(d.hsSkip, len(data))
		d.hsSkip -= n
		data = data[n:]
	}
	d.hs = append(d.hs, data...)
	d.hsEnc = d.hsEnc || enc
	for len(d.hs) >= 4 {
		n := int(d.hs[1])<<16 | int(d.hs[2])<<8 | int(d.hs[3])
		if n > maxHandshakeMsg {
			e.tooBig(d, d.hs[0], n, at)
			take := min(len(d.hs), 4+n)
			d.hsSkip = 4 + n - take
			d.hs = d.hs[take:]
			continue
		}
		if len(d.hs) < 4+n {
			break
		}
		msg := d.hs[:4+n]
		d.hs = d.hs[4+n:]
		e.message(d, msg, at, d.hsEnc)
	}
	if len(d.hs) == 0 {
		d.hs, d.hsEnc = nil, false
	}
}

func (e *engine) tooBig(d *direction, typ uint8, n int, at time.Duration) {
	name := handshakeName(typ)
	s := Step{From: d.name, Message: name, At: at, Bytes: 4 + n, Encrypted: d.hsEnc,
		SummaryMsg: sumTooLarge.New("Count", 4+n), ExplainMsg: explain(name, d.name, "")}
	e.emit(s)
	e.note(noteSkipped.New("Side", side(d.name), "Message", name, "Count", n, "Limit", maxHandshakeMsg))
}

// message decodes one whole handshake message, reports it, then applies its
// effect on the key schedule.
func (e *engine) message(d *direction, msg []byte, at time.Duration, enc bool) {
	dec := e.decode(d, msg[0], msg[4:])
	e.emit(Step{From: d.name, Message: dec.name, At: at, Bytes: len(msg), Encrypted: enc,
		SummaryMsg: dec.summary, Fields: dec.fields, ExplainMsg: explain(dec.name, d.name, dec.variant)})
	if dec.ok {
		e.keySchedule(d, dec.name)
	}
}

// keySchedule moves TLS 1.3 keys forward: handshake keys after ServerHello
// (RFC 8446 §7.1), application keys after each side's Finished, the next
// generation after KeyUpdate (§4.6.3, §7.2).
func (e *engine) keySchedule(d *direction, name string) {
	if e.version != versionTLS13 {
		return
	}
	switch {
	case name == "ServerHello" && d == &e.server:
		e.server.phase, e.client.phase = phaseHandshake, phaseHandshake
		e.expect(&e.server, labelServerHandshake)
		e.expect(&e.client, labelClientHandshake)
		e.pump(&e.client)
	case name == "Finished" && d.phase == phaseHandshake:
		d.phase = phaseApplication
		label := labelClientTraffic
		if d == &e.server {
			label = labelServerTraffic
		}
		e.expect(d, label)
	case name == "KeyUpdate" && d.phase == phaseApplication:
		e.keyUpdate(d)
	}
}

func (e *engine) keyUpdate(d *direction) {
	c, ok := d.cipher.(*tls13rec.Cipher)
	if !ok {
		return
	}
	n, err := c.Next()
	if err != nil {
		d.cipher, d.noKey = nil, whyKeyUpdateFailed.New("Error", err.Error())
		return
	}
	d.cipher, d.prev = n, nil
}

// alert reports each 2-byte alert of the record (RFC 8446 §6, RFC 5246 §7.2).
// After maxAlertSteps alerts from one side, the rest of a record is merged
// into one step.
func (e *engine) alert(d *direction, data []byte, at time.Duration, enc bool) {
	var first *Alert // the first alert merged, and how many were
	merged := 0
	for len(data) >= 2 {
		level := data[0]
		a := Alert{From: d.name, Level: alertLevelName(level), Code: int(data[1]), Name: AlertName(int(data[1]))}
		data = data[2:]
		if len(e.alerts) < maxAlerts {
			e.alerts = append(e.alerts, a)
		}
		if d.alertSteps >= maxAlertSteps {
			if merged++; first == nil {
				first = &a
			}
			continue
		}
		d.alertSteps++
		s := Step{From: d.name, Message: "Alert", At: at, Bytes: 2, Encrypted: enc, Alert: &a,
			SummaryMsg: sumAlert.New("Level", alertLevel(a.Level), "Name", a.Name, "Code", a.Code),
			ExplainMsg: explain("Alert", d.name, fmt.Sprint(a.Code))}
		s.Fields.addMsg(fLevel, valLevel.New("Level", alertLevel(a.Level), "Code", int(level)))
		s.Fields.add(fDescription, fmt.Sprintf("%s (%d)", a.Name, a.Code))
		e.emit(s)
	}
	if first != nil {
		e.mergedAlerts(d, first, merged, at, enc)
	}
	if len(data) == 1 {
		e.note(noteTruncatedAlert.New("Side", side(d.name)))
	}
}

// mergedAlerts emits one step for n alerts of a record beyond
// maxAlertSteps, first the first of them.
func (e *engine) mergedAlerts(d *direction, first *Alert, n int, at time.Duration, enc bool) {
	s := Step{From: d.name, Message: "Alert", At: at, Bytes: 2 * n, Encrypted: enc, Alert: first,
		SummaryMsg: sumMoreAlerts.New("Count", n),
		ExplainMsg: explain("Alert", d.name, fmt.Sprint(first.Code))}
	s.Fields.addMsg(fMerged, valMerged.New("Count", n, "Limit", maxAlertSteps, "Side", side(d.name)))
	s.Fields.addMsg(fFirst, valFirstAlert.New("Level", alertLevel(first.Level), "Name", first.Name, "Code", first.Code))
	e.emit(s)
}

// appData reports application data; decrypted HTTP shows its first line.
func (e *engine) appData(d *direction, data []byte, at time.Duration, enc bool) {
	if d.appSteps++; d.appSteps > maxAppDataSteps {
		if d.appSteps == maxAppDataSteps+1 {
			e.note(noteAppDataCapped.New("Side", side(d.name), "Count", maxAppDataSteps))
		}
		return
	}
	s := Step{From: d.name, Message: "ApplicationData", At: at, Bytes: len(data), Encrypted: enc,
		SummaryMsg: bytesMsg(len(data)), ExplainMsg: explain("ApplicationData", d.name, "")}
	s.Fields.addMsg(fLength, bytesMsg(len(data)))
	if line := httpFirstLine(data); line != "" {
		s.SummaryMsg = msg.Text(line)
		s.Fields.add(fFirstLine, line)
	}
	e.emit(s)
}
