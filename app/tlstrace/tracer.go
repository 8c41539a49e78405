package tlstrace

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Tracer records the TLS messages of one connection. All methods are safe
// for concurrent use.
type Tracer struct {
	onStep func(Step)
	start  time.Time

	mu         sync.Mutex
	e          *engine
	delivering bool
	delivered  *sync.Cond // on mu: broadcast when delivering ends

	// What crossed the connection and the key log, in order, not yet
	// decoded: a Read or Write only queues its bytes, and a goroutine of
	// the tracer decodes them, so that decoding (and decrypting) a flight
	// does not hold up the handshake. Every other method decodes what is
	// queued first.
	qmu      sync.Mutex
	queue    []queued
	queued   int // bytes in queue
	draining bool
}

// maxQueued bounds what waits to be decoded: beyond it a Read or Write
// decodes before it returns.
const maxQueued = 1 << 20

// queued is one Read, Write or key log line waiting to be decoded.
type queued struct {
	from byte // 'c' client bytes, 's' server bytes, 'k' key log
	data []byte
	at   time.Duration
}

// New returns a Tracer. onStep, if not nil, is called once per step, in
// emission order and never concurrently: from the tracer's own goroutine,
// which decodes what Read, Write and the key log queue, or from a Flush,
// Close or getter that decoded it first. It is called without the
// tracer's lock held, so it may call Steps and the other getters; it must
// not block for long, as it holds up the decoding of what follows.
func New(onStep func(Step)) *Tracer {
	t := &Tracer{onStep: onStep, start: time.Now()}
	t.delivered = sync.NewCond(&t.mu)
	t.e = newEngine(func() time.Duration { return time.Since(t.start) })
	t.e.deliver = onStep != nil
	return t
}

// do runs f on the engine under the lock, after what is queued, then
// hands new steps to onStep.
func (t *Tracer) do(f func(e *engine)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.decodeQueuedLocked()
	f(t.e)
	t.deliverLocked()
}

// lock takes the engine's lock once what is queued is decoded; the
// tracer's goroutine hands the new steps to onStep.
func (t *Tracer) lock() {
	t.mu.Lock()
	t.decodeQueuedLocked()
}

// post queues bytes or a key log line and makes sure a goroutine decodes
// them.
func (t *Tracer) post(q queued) {
	t.qmu.Lock()
	t.queue = append(t.queue, q)
	t.queued += len(q.data)
	full := t.queued > maxQueued
	start := !t.draining
	t.draining = true
	t.qmu.Unlock()
	if start {
		go t.drain()
	}
	if full {
		t.do(func(*engine) {})
	}
}

// drain decodes and delivers until nothing is queued and every step is
// delivered (or being delivered by another caller), steps a getter
// decoded meanwhile included.
func (t *Tracer) drain() {
	for {
		t.mu.Lock()
		t.decodeQueuedLocked()
		t.deliverLocked()
		t.qmu.Lock()
		done := len(t.queue) == 0 && (len(t.e.outbox) == 0 || t.delivering)
		if done {
			t.draining = false
		}
		t.qmu.Unlock()
		t.mu.Unlock()
		if done {
			return
		}
	}
}

// decodeQueuedLocked feeds the engine what is queued, in order; the caller
// holds mu, so whoever decodes, the order is the wire's.
func (t *Tracer) decodeQueuedLocked() {
	t.qmu.Lock()
	batch := t.queue
	t.queue, t.queued = nil, 0
	t.qmu.Unlock()
	for _, q := range batch {
		switch q.from {
		case 'c':
			t.e.feedAt(&t.e.client, q.data, q.at)
		case 's':
			t.e.feedAt(&t.e.server, q.data, q.at)
		case 'k':
			t.e.keyLog(q.data)
		}
	}
}

// deliverLocked calls onStep outside the lock. Whoever is already delivering
// drains the outbox, so the callback is never concurrent and keeps Seq order.
func (t *Tracer) deliverLocked() {
	if t.delivering || t.onStep == nil {
		return
	}
	t.delivering = true
	defer func() {
		t.delivering = false
		t.delivered.Broadcast()
	}()
	for len(t.e.outbox) > 0 {
		batch := t.e.outbox
		t.e.outbox = nil
		t.callUnlocked(batch)
	}
}

func (t *Tracer) callUnlocked(batch []Step) {
	t.mu.Unlock()
	defer t.mu.Lock() // also when onStep panics, so the deferred Unlock in do stays balanced
	for _, s := range batch {
		t.onStep(s.clone())
	}
}

// Wrap returns c with its Read and Write observed. Use one Tracer per
// connection. Close on the returned conn also calls Flush.
func (t *Tracer) Wrap(c net.Conn) net.Conn { return &tracedConn{Conn: c, t: t} }

type tracedConn struct {
	net.Conn
	t *Tracer
}

func (c *tracedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.t.post(queued{from: 's', data: bytes.Clone(p[:n]), at: time.Since(c.t.start)})
	}
	return n, err
}

func (c *tracedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.t.post(queued{from: 'c', data: bytes.Clone(p[:n]), at: time.Since(c.t.start)})
	}
	return n, err
}

func (c *tracedConn) Close() error {
	err := c.Conn.Close()
	c.t.Flush()
	return err
}

// NetConn returns the wrapped connection.
func (c *tracedConn) NetConn() net.Conn { return c.Conn }

// KeyLogWriter returns a writer for tls.Config.KeyLogWriter. It feeds the
// secrets to the tracer and copies every byte to next (may be nil), whose
// result it returns: crypto/tls fails the handshake when the key log write
// fails, exactly as without the tracer.
func (t *Tracer) KeyLogWriter(next io.Writer) io.Writer {
	t.do(func(e *engine) { e.keylogUsed = true })
	return &keyLogWriter{t: t, next: next}
}

type keyLogWriter struct {
	t    *Tracer
	next io.Writer
}

func (w *keyLogWriter) Write(p []byte) (int, error) {
	w.t.post(queued{from: 'k', data: bytes.Clone(p)})
	if w.next == nil {
		return len(p), nil
	}
	return w.next.Write(p)
}

// Flush stops waiting for key log secrets: records held back for a key are
// reported as encrypted, not decrypted.
func (t *Tracer) Flush() { t.settle(func(e *engine) { e.flush() }) }

// Sync returns once what crossed the connection so far is decoded and
// every step made of it has reached onStep (not to be called from onStep).
func (t *Tracer) Sync() { t.settle(func(*engine) {}) }

// settle runs f after what is queued and waits until onStep has had every
// step.
func (t *Tracer) settle(f func(e *engine)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.decodeQueuedLocked()
	f(t.e)
	t.deliverLocked()
	for t.delivering { // the tracer's goroutine is still handing steps over
		t.delivered.Wait()
	}
}

// Steps returns a copy of all steps so far, in Seq order.
func (t *Tracer) Steps() []Step {
	t.lock()
	defer t.mu.Unlock()
	out := make([]Step, len(t.e.steps))
	for i, s := range t.e.steps {
		out[i] = s.clone()
	}
	return out
}

// FirstAlert returns the first alert seen in either direction (including a
// close_notify), or nil.
func (t *Tracer) FirstAlert() *Alert {
	t.lock()
	defer t.mu.Unlock()
	if len(t.e.alerts) == 0 {
		return nil
	}
	a := t.e.alerts[0]
	return &a
}

// Alerts returns all alerts seen, in order.
func (t *Tracer) Alerts() []Alert {
	t.lock()
	defer t.mu.Unlock()
	return append([]Alert(nil), t.e.alerts...)
}

// Version returns the TLS version chosen in ServerHello, 0 if unknown.
func (t *Tracer) Version() uint16 {
	t.lock()
	defer t.mu.Unlock()
	return t.e.version
}

// CipherSuite returns the cipher suite chosen in ServerHello, 0 if unknown.
func (t *Tracer) CipherSuite() uint16 {
	t.lock()
	defer t.mu.Unlock()
	return t.e.suite
}

// ServerCertificates returns the DER certificates of the server's latest
// Certificate message (clear in TLS 1.2, decrypted in TLS 1.3), or nil.
func (t *Tracer) ServerCertificates() [][]byte {
	t.lock()
	defer t.mu.Unlock()
	out := make([][]byte, len(t.e.serverCerts))
	for i, c := range t.e.serverCerts {
		out[i] = bytes.Clone(c)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// CertificateRequest returns the server's latest CertificateRequest, or nil
// if none was seen (or it could not be decrypted).
func (t *Tracer) CertificateRequest() *CertRequest {
	t.lock()
	defer t.mu.Unlock()
	if t.e.certReq == nil {
		return nil
	}
	cr := *t.e.certReq
	cr.Context = bytes.Clone(cr.Context)
	cr.CertificateTypes = append([]string(nil), cr.CertificateTypes...)
	cr.SignatureSchemes = append([]string(nil), cr.SignatureSchemes...)
	cr.SchemeIDs = append([]uint16(nil), cr.SchemeIDs...)
	cr.AcceptableCAs = append([]string(nil), cr.AcceptableCAs...)
	cr.RawCAs = make([][]byte, len(t.e.certReq.RawCAs))
	for i, dn := range t.e.certReq.RawCAs {
		cr.RawCAs[i] = bytes.Clone(dn)
	}
	return &cr
}

// Notes returns diagnostics that are not steps: why records were not
// decrypted, skipped oversized messages, limits reached; in English.
func (t *Tracer) Notes() []string {
	var out []string
	for _, m := range t.NoteMsgs() {
		out = append(out, msg.English(m))
	}
	return out
}

// NoteMsgs returns the notes as messages.
func (t *Tracer) NoteMsgs() []msg.Msg {
	t.lock()
	defer t.mu.Unlock()
	return append([]msg.Msg(nil), t.e.notes...)
}
