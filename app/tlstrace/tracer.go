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
}

// New returns a Tracer. onStep, if not nil, is called once per step, in
// emission order and never concurrently, from the goroutine that made the
// step decodable (a Read, Write, key log write, Flush or Close). It is called
// without the tracer's lock held, so it may call Steps and the other getters;
// it must not block for long, as it delays that Read or Write.
func New(onStep func(Step)) *Tracer {
	t := &Tracer{onStep: onStep, start: time.Now()}
	t.e = newEngine(func() time.Duration { return time.Since(t.start) })
	t.e.deliver = onStep != nil
	return t
}

// do runs f on the engine under the lock, then hands new steps to onStep.
func (t *Tracer) do(f func(e *engine)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(t.e)
	t.deliverLocked()
}

// deliverLocked calls onStep outside the lock. Whoever is already delivering
// drains the outbox, so the callback is never concurrent and keeps Seq order.
func (t *Tracer) deliverLocked() {
	if t.delivering || t.onStep == nil {
		return
	}
	t.delivering = true
	defer func() { t.delivering = false }()
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
		c.t.do(func(e *engine) { e.feed(&e.server, p[:n]) })
	}
	return n, err
}

func (c *tracedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.t.do(func(e *engine) { e.feed(&e.client, p[:n]) })
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
	w.t.do(func(e *engine) { e.keyLog(p) })
	if w.next == nil {
		return len(p), nil
	}
	return w.next.Write(p)
}

// Flush stops waiting for key log secrets: records held back for a key are
// reported as encrypted, not decrypted.
func (t *Tracer) Flush() { t.do(func(e *engine) { e.flush() }) }

// Steps returns a copy of all steps so far, in Seq order.
func (t *Tracer) Steps() []Step {
	t.mu.Lock()
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.e.alerts) == 0 {
		return nil
	}
	a := t.e.alerts[0]
	return &a
}

// Alerts returns all alerts seen, in order.
func (t *Tracer) Alerts() []Alert {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Alert(nil), t.e.alerts...)
}

// Version returns the TLS version chosen in ServerHello, 0 if unknown.
func (t *Tracer) Version() uint16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.e.version
}

// CipherSuite returns the cipher suite chosen in ServerHello, 0 if unknown.
func (t *Tracer) CipherSuite() uint16 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.e.suite
}

// ServerCertificates returns the DER certificates of the server's latest
// Certificate message (clear in TLS 1.2, decrypted in TLS 1.3), or nil.
func (t *Tracer) ServerCertificates() [][]byte {
	t.mu.Lock()
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
	t.mu.Lock()
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
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]msg.Msg(nil), t.e.notes...)
}
