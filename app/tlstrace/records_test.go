package tlstrace

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/tls13rec"
)

// ---- building TLS bytes by hand ----

func hsMsg(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func tlsRecord(typ uint8, payload []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// minimal TLS 1.3 hellos: supported_versions and an x25519 key share.
func clientHello13(random []byte) []byte {
	body := append([]byte{3, 3}, random...)
	body = append(body, 0, 0, 6, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 1, 0)
	exts := append([]byte{0, 43, 0, 3, 2, 3, 4, 0, 51, 0, 38, 0, 36, 0, 29, 0, 32}, randBytes(32)...)
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	return hsMsg(1, append(body, exts...))
}

func serverHello13(suite uint16) []byte {
	body := append([]byte{3, 3}, randBytes(32)...)
	body = append(body, 0, byte(suite>>8), byte(suite), 0)
	exts := append([]byte{0, 43, 0, 2, 3, 4, 0, 51, 0, 36, 0, 29, 0, 32}, randBytes(32)...)
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	return hsMsg(2, append(body, exts...))
}

// seal13 protects one TLS 1.3 record (RFC 8446 §5.2) with two padding bytes.
func seal13(suite uint16, secret []byte, seq uint64, typ uint8, pt []byte) []byte {
	s, _ := tls13rec.SuiteByID(suite)
	key, _ := tls13rec.ExpandLabel(s.Hash, secret, "key", nil, s.KeyLen)
	iv, _ := tls13rec.ExpandLabel(s.Hash, secret, "iv", nil, 12)
	aead, _ := s.NewAEAD(key)
	inner := append(append(bytes.Clone(pt), typ), 0, 0)
	n := len(inner) + aead.Overhead()
	hdr := []byte{ctApplicationData, 3, 3, byte(n >> 8), byte(n)}
	return append(hdr, aead.Seal(nil, tls13rec.Nonce(iv, seq), inner, hdr)...)
}

func keyLogLine(label string, cr, secret []byte) []byte {
	return []byte(fmt.Sprintf("%s %x %x\n", label, cr, secret))
}

// Every TLS 1.3 suite, with KeyUpdate in both directions (RFC 8446 §7.2).
func TestTLS13SuitesAndKeyUpdate(t *testing.T) {
	for _, suite := range []uint16{0x1301, 0x1302, 0x1303} {
		t.Run(CipherSuiteName(suite), func(t *testing.T) {
			s, _ := tls13rec.SuiteByID(suite)
			size := s.Hash().Size()
			cr := randBytes(32)
			chs, shs, cap0, sap0 := randBytes(size), randBytes(size), randBytes(size), randBytes(size)
			cap1, _ := tls13rec.ExpandLabel(s.Hash, cap0, "traffic upd", nil, size)
			sap1, _ := tls13rec.ExpandLabel(s.Hash, sap0, "traffic upd", nil, size)
			fin := hsMsg(20, randBytes(size))
			ee := hsMsg(8, []byte{0, 0})
			e := newEngine(func() time.Duration { return 0 })
			e.keylogUsed = true
			e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(cr)))
			e.feed(&e.server, append(tlsRecord(ctHandshake, serverHello13(suite)),
				seal13(suite, shs, 0, ctHandshake, append(ee, fin...))...))
			e.keyLog(keyLogLine(labelServerHandshake, cr, shs))
			e.keyLog(append(keyLogLine(labelClientHandshake, cr, chs), keyLogLine(labelServerTraffic, cr, sap0)...))
			e.keyLog(keyLogLine(labelClientTraffic, cr, cap0))
			e.feed(&e.client, seal13(suite, chs, 0, ctHandshake, fin))
			e.feed(&e.server, seal13(suite, sap0, 0, ctHandshake, hsMsg(24, []byte{1})))
			e.feed(&e.server, seal13(suite, sap1, 0, ctApplicationData, []byte("HTTP/1.1 204 No Content\r\n\r\n")))
			e.feed(&e.client, seal13(suite, cap0, 0, ctHandshake, hsMsg(24, []byte{0})))
			e.feed(&e.client, seal13(suite, cap1, 0, ctAlert, []byte{1, 0}))
			wantSequence(t, e.steps, "server", "ServerHello", "EncryptedExtensions", "Finished", "KeyUpdate", "ApplicationData")
			wantSequence(t, e.steps, "client", "ClientHello", "Finished", "KeyUpdate", "Alert")
			if s := mustFind(t, e.steps, "server", "ApplicationData"); s.Summary != "HTTP/1.1 204 No Content" || !s.Encrypted {
				t.Errorf("after key update: %+v", s)
			}
			if s := mustFind(t, e.steps, "server", "KeyUpdate"); s.Fields.Get("Request update") != "update_requested" {
				t.Errorf("KeyUpdate fields %v", s.Fields)
			}
			if len(e.notes) > 0 {
				t.Errorf("notes %v", e.notes)
			}
		})
	}
}

// A wrong secret: the record is listed as not decrypted and later records
// of that direction are not attempted.
func TestWrongSecret(t *testing.T) {
	cr, shs := randBytes(32), randBytes(32)
	e := newEngine(func() time.Duration { return 0 })
	e.keylogUsed = true
	e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(cr)))
	e.keyLog(keyLogLine(labelServerHandshake, cr, randBytes(32)))
	e.feed(&e.server, append(tlsRecord(ctHandshake, serverHello13(0x1301)),
		seal13(0x1301, shs, 0, ctHandshake, hsMsg(8, []byte{0, 0}))...))
	e.feed(&e.server, seal13(0x1301, shs, 1, ctHandshake, hsMsg(20, randBytes(32))))
	wantSequence(t, e.steps, "server", "ServerHello", "EncryptedRecord", "EncryptedRecord")
	if s := e.steps[len(e.steps)-1]; !strings.Contains(s.Summary, "decryption failed") {
		t.Errorf("summary %q", s.Summary)
	}
}

func TestMalformedStream(t *testing.T) {
	tr := New(nil)
	tr.do(func(e *engine) {
		e.feed(&e.server, []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		e.feed(&e.server, tlsRecord(ctAlert, []byte{2, 48}))
	})
	steps := tr.Steps()
	if len(steps) != 1 || steps[0].Message != "Malformed" || steps[0].Summary != `not TLS: "HTTP/1.1 400 Bad Request"` {
		t.Fatalf("steps %+v", steps)
	}
	if steps[0].Explain == "" || len(tr.Notes()) != 1 || tr.FirstAlert() != nil {
		t.Errorf("explain %q notes %q", steps[0].Explain, tr.Notes())
	}
}

// A handshake message over 256 KiB is skipped across its records; the next
// message is decoded normally.
func TestOversizedHandshakeMessage(t *testing.T) {
	e := newEngine(func() time.Duration { return 0 })
	n := maxHandshakeMsg + 1000
	stream := append([]byte{11, byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, n)...)
	stream = append(stream, hsMsg(14, nil)...)
	for len(stream) > 0 {
		k := min(len(stream), 1<<14)
		e.feed(&e.server, tlsRecord(ctHandshake, stream[:k]))
		stream = stream[k:]
	}
	wantSequence(t, e.steps, "server", "Certificate", "ServerHelloDone")
	if !strings.Contains(e.steps[0].Summary, "too large") || len(e.notes) != 1 {
		t.Errorf("summary %q notes %v", e.steps[0].Summary, e.notes)
	}
}

// Records held for a key are bounded; beyond the limit the tracer stops
// waiting and lists them as not decrypted. Application data steps are capped.
func TestLimits(t *testing.T) {
	e := newEngine(func() time.Duration { return 0 })
	e.keylogUsed = true
	e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(randBytes(32))))
	e.feed(&e.server, tlsRecord(ctHandshake, serverHello13(0x1301)))
	big := tlsRecord(ctApplicationData, make([]byte, 1<<14))
	for i := 0; i < 150; i++ { // over 1 MiB, and over maxAppDataSteps records
		e.feed(&e.server, big)
	}
	if e.server.await != "" || len(e.server.pending) != 0 || e.server.noKey.ID != whyTooMuchData.ID {
		t.Errorf("await %q pending %d noKey %q", e.server.await, len(e.server.pending), e.server.noKey)
	}
	if got := len(sequence(e.steps, "server")); got != 1+maxAppDataSteps {
		t.Errorf("%d server steps, want %d", got, 1+maxAppDataSteps)
	}
	if len(e.server.buf) != 0 {
		t.Errorf("%d bytes left in the record buffer", len(e.server.buf))
	}
}

func TestStepJSON(t *testing.T) {
	s := Step{Seq: 3, From: "server", Message: "Alert", At: 1500 * time.Microsecond, Bytes: 2, Encrypted: true,
		Summary: "fatal alert unknown_ca (48)", Fields: Fields{{Name: "Level", Value: "fatal (2)"}, {Name: "Description", Value: "unknown_ca (48)"}},
		Alert: &Alert{From: "server", Level: "fatal", Code: 48, Name: "unknown_ca"}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":3,"from":"server","message":"Alert","t_ms":1.5,"bytes":2,"encrypted":true,` +
		`"summary":"fatal alert unknown_ca (48)","fields":{"Level":"fatal (2)","Description":"unknown_ca (48)"},` +
		`"alert":{"from":"server","level":"fatal","code":48,"name":"unknown_ca"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(Step{From: "client", Message: "Finished"})
	if !strings.Contains(string(b), `"fields":{}`) {
		t.Errorf("empty fields: %s", b)
	}
	b, _ = json.Marshal(CertRequest{AcceptableCAs: []string{"CN=A"}, SignatureSchemes: []string{"ed25519"}})
	if string(b) != `{"signature_schemes":["ed25519"],"acceptable_cas":["CN=A"]}` {
		t.Errorf("CertRequest JSON %s", b)
	}
}

func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		AlertName(48): "unknown_ca", AlertName(116): "certificate_required", AlertName(44): "certificate_revoked",
		AlertName(42): "bad_certificate", AlertName(40): "handshake_failure", AlertName(51): "decrypt_error",
		AlertName(49): "access_denied", AlertName(0): "close_notify", AlertName(200): "unknown(200)",
		SignatureSchemeName(0x0804): "rsa_pss_rsae_sha256", SignatureSchemeName(0x0401): "rsa_pkcs1_sha256",
		SignatureSchemeName(0x0403): "ecdsa_secp256r1_sha256", SignatureSchemeName(0x7a7a): "GREASE",
		SignatureSchemeName(0x1234): "0x1234", GroupName(29): "x25519", GroupName(4588): "X25519MLKEM768",
		GroupName(23): "secp256r1", ExtensionName(51): "key_share", ExtensionName(0xff01): "renegotiation_info",
		ExtensionName(0x2a2a): "GREASE", CipherSuiteName(0x1303): "TLS_CHACHA20_POLY1305_SHA256",
		CipherSuiteName(0x00ff): "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", VersionName(0x0304): "TLS 1.3",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestExplanations(t *testing.T) {
	for _, c := range []struct{ name, from, variant, want string }{
		{"Alert", "server", "48", "does not trust the CA that issued your certificate"},
		{"Alert", "server", "116", "requires a client certificate"},
		{"Alert", "client", "0", "close_notify"},
		{"Alert", "server", "250", "reports a problem"},
		{"Certificate", "client", "empty", "no certificate was offered"},
		{"CertificateVerify", "client", "", "proves that the card holds the private key"},
		{"ChangeCipherSpec", "server", "tls13", "does nothing"},
		{"Finished", "server", "encrypted", "could not be decrypted"},
		{"CertificateRequest", "server", "", "trusts"},
	} {
		if got := msg.English(explain(c.name, c.from, c.variant)); !strings.Contains(got, c.want) {
			t.Errorf("explain(%s,%s,%s) = %q", c.name, c.from, c.variant, got)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestKeyLogWriterTee(t *testing.T) {
	tr := New(nil)
	var buf bytes.Buffer
	line := keyLogLine(labelTLS12, randBytes(32), randBytes(48))
	if n, err := tr.KeyLogWriter(&buf).Write(line); n != len(line) || err != nil || !bytes.Equal(buf.Bytes(), line) {
		t.Errorf("tee: %d %v %q", n, err, buf.String())
	}
	if _, err := tr.KeyLogWriter(failWriter{}).Write(line); err == nil {
		t.Error("the next writer's error was swallowed")
	}
	if n, err := tr.KeyLogWriter(nil).Write(line); n != len(line) || err != nil {
		t.Errorf("nil next: %d %v", n, err)
	}
	tr.lock() // decodes what the writes queued
	defer tr.mu.Unlock()
	if len(tr.e.keys.secrets) != 1 {
		t.Errorf("%d secrets stored", len(tr.e.keys.secrets))
	}
}

func TestKeyLogParsing(t *testing.T) {
	var k keyLog
	cr := randBytes(32)
	in := "# comment\nCLIENT_RANDOM zz 00\nEXPORTER_SECRET " + hex.EncodeToString(cr) + " 00\n" +
		strings.Repeat("x", 5000) + "\n" + string(keyLogLine(labelClientTraffic, cr, []byte{1, 2}))
	if !k.write([]byte(in)) || len(k.secrets) != 1 || !bytes.Equal(k.lookup(labelClientTraffic, cr), []byte{1, 2}) {
		t.Errorf("secrets %v", k.secrets)
	}
}

// A callback that panics must not leave the tracer locked.
func TestPanickingCallback(t *testing.T) {
	tr := New(func(Step) { panic("boom") })
	func() {
		defer func() { recover() }()
		tr.do(func(e *engine) { e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(randBytes(32)))) })
	}()
	if n := len(tr.Steps()); n != 1 {
		t.Errorf("%d steps", n)
	}
}

// A TLS 1.3 CertificateRequest after the handshake (RFC 8446 §4.6.2) is
// flagged: crypto/tls cannot answer it.
func TestPostHandshakeCertificateRequest(t *testing.T) {
	cr, sap := randBytes(32), randBytes(32)
	e := newEngine(func() time.Duration { return 0 })
	e.keylogUsed = true
	e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(cr)))
	e.keyLog(keyLogLine(labelServerTraffic, cr, sap))
	e.feed(&e.server, tlsRecord(ctHandshake, serverHello13(0x1301)))
	e.server.await, e.server.phase = "", phaseHandshake // skip the handshake keys: pretend Finished came
	e.keySchedule(&e.server, "Finished")
	sigs := []byte{0, 13, 0, 4, 0, 2, 8, 4}
	body := append([]byte{1, 7, 0, byte(len(sigs))}, sigs...)
	e.feed(&e.server, seal13(0x1301, sap, 0, ctHandshake, hsMsg(13, body)))
	s := mustFind(t, e.steps, "server", "CertificateRequest")
	if !strings.HasPrefix(s.Summary, "after the handshake: ") || !strings.Contains(s.Explain, "post-handshake") ||
		s.Fields.Get("Request context") != "07" || s.Fields.Get("Signature algorithms") != "rsa_pss_rsae_sha256" {
		t.Errorf("post-handshake CertificateRequest %+v", s)
	}
}

// A TLS 1.3 alert sent with the handshake key right after Finished (some
// stacks do) is still decrypted, through the previous key.
func TestAlertUnderPreviousKey(t *testing.T) {
	cr, shs, sap := randBytes(32), randBytes(32), randBytes(32)
	e := newEngine(func() time.Duration { return 0 })
	e.keylogUsed = true
	e.feed(&e.client, tlsRecord(ctHandshake, clientHello13(cr)))
	e.keyLog(append(keyLogLine(labelServerHandshake, cr, shs), keyLogLine(labelServerTraffic, cr, sap)...))
	e.feed(&e.server, append(tlsRecord(ctHandshake, serverHello13(0x1301)),
		seal13(0x1301, shs, 0, ctHandshake, hsMsg(20, randBytes(32)))...))
	e.feed(&e.server, seal13(0x1301, shs, 1, ctAlert, []byte{2, 42}))
	wantSequence(t, e.steps, "server", "ServerHello", "Finished", "Alert")
	if len(e.alerts) != 1 || e.alerts[0].Name != "bad_certificate" {
		t.Errorf("alerts %+v", e.alerts)
	}
}

// TestDecodingDoesNotHoldUpTheConnection: a Write returns while the step
// it carries is still being handed to a slow onStep (decoding runs on the
// tracer's goroutine, beside the handshake), Steps has it at once, and
// Flush returns only once onStep has had every step.
func TestDecodingDoesNotHoldUpTheConnection(t *testing.T) {
	release := make(chan struct{})
	var got []string
	tr := New(func(s Step) {
		<-release
		got = append(got, s.Message)
	})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go io.Copy(io.Discard, b)
	conn := tr.Wrap(a)
	wrote := make(chan error, 1)
	go func() {
		_, err := conn.Write(tlsRecord(ctHandshake, clientHello13(randBytes(32))))
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Write waited for onStep")
	}
	if steps := tr.Steps(); len(steps) != 1 || steps[0].Message != "ClientHello" {
		t.Fatalf("steps %+v", steps)
	}
	close(release)
	tr.Flush()
	if len(got) != 1 || got[0] != "ClientHello" {
		t.Errorf("onStep had %v after Flush", got)
	}
}
