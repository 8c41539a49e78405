package tlstrace

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary client bytes, server bytes and key log text to a
// tracer. schedule interleaves them: each byte b feeds b/3+1 bytes of stream
// b%3 (0 client, 1 server, 2 key log); what is left is fed at the end, then
// Flush. The seed corpus in testdata/fuzz/FuzzParse holds real captured
// handshakes with their key logs (written by TestWriteFuzzSeeds).
func FuzzParse(f *testing.F) {
	f.Add([]byte{}, []byte{}, []byte{}, []byte{})
	f.Add(tlsRecord(ctHandshake, clientHello13(make([]byte, 32))), []byte("HTTP/1.1 400 Bad Request\r\n"), []byte{}, []byte{0, 1})
	f.Fuzz(func(t *testing.T, client, server, keylog, schedule []byte) {
		tr, live := replayScript(client, server, keylog, schedule)
		checkInvariants(t, tr, live)
	})
}

// replayScript runs one fuzz input through a Tracer and returns how many
// steps the callback saw.
func replayScript(client, server, keylog, schedule []byte) (*Tracer, *int) {
	live := new(int)
	tr := New(func(Step) { *live++ })
	kw := tr.KeyLogWriter(nil)
	streams := [3][]byte{client, server, keylog}
	feed := func(k, n int) {
		n = min(n, len(streams[k]))
		p := streams[k][:n]
		streams[k] = streams[k][n:]
		switch k {
		case 0:
			tr.do(func(e *engine) { e.feed(&e.client, p) })
		case 1:
			tr.do(func(e *engine) { e.feed(&e.server, p) })
		default:
			kw.Write(p)
		}
	}
	for _, b := range schedule {
		feed(int(b%3), int(b/3)+1)
	}
	for k := range streams {
		feed(k, len(streams[k]))
	}
	tr.Flush()
	return tr, live
}

func checkInvariants(t *testing.T, tr *Tracer, live *int) {
	steps := tr.Steps()
	if *live != len(steps) {
		t.Fatalf("callback saw %d steps, Steps() has %d", *live, len(steps))
	}
	for i, s := range steps {
		if s.Seq != i+1 || (s.From != "client" && s.From != "server") || s.Message == "" || s.Bytes < 0 {
			t.Fatalf("bad step %d: %+v", i, s)
		}
		if s.Message == "Alert" && s.Alert != nil && s.Alert.Name != AlertName(s.Alert.Code) {
			t.Fatalf("alert name %+v", s.Alert)
		}
	}
	if _, err := json.Marshal(steps); err != nil {
		t.Fatal(err)
	}
	tr.FirstAlert()
	tr.ServerCertificates()
	tr.CertificateRequest()
	tr.Notes()
}

// script turns recorded events into FuzzParse arguments that replay them in
// the same order.
func script(events []event) (client, server, keylog, schedule []byte) {
	streams := [3]*[]byte{&client, &server, &keylog}
	for _, ev := range events {
		*streams[ev.kind] = append(*streams[ev.kind], ev.data...)
		// 85 is the largest chunk every stream can encode: 3*84+2 = 254.
		for n := len(ev.data); n > 0; n -= 85 {
			schedule = append(schedule, byte(3*(min(n, 85)-1)+int(ev.kind)))
		}
	}
	return client, server, keylog, schedule
}

// The replay used by the fuzzer reproduces a live trace exactly.
func TestReplayMatchesLive(t *testing.T) {
	p := getPKI()
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		o := loopback{server: serverConfig(p.serverEC, v), clientCert: &p.clientEC}.run(t)
		tr, _ := replayScript(script(o.rec.events))
		if got, want := sequence(tr.Steps(), ""), sequence(o.tr.Steps(), ""); !slices.Equal(got, want) {
			t.Errorf("replay %v\n live %v", got, want)
		}
	}
}

// lastOpenSSL is set by startSServer so a capture can find the recorder of
// the test it ran.
var lastOpenSSL *sServer

// Every captured seed replays with everything decrypted: a regression test
// over real traces (Go and OpenSSL peers, TLS 1.2 and 1.3, all AEAD and CBC
// suites seen above, KeyUpdate, renegotiation, HelloRetryRequest, alerts).
func TestSeedCorpusDecrypts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	if len(files) < 10 {
		t.Fatalf("only %d seed files", len(files))
	}
	for _, file := range files {
		args := readCorpusFile(t, file)
		tr, _ := replayScript(args[0], args[1], args[2], args[3])
		steps := tr.Steps()
		if len(steps) < 6 || len(tr.Notes()) > 0 {
			t.Errorf("%s: %d steps, notes %q", filepath.Base(file), len(steps), tr.Notes())
		}
		for _, s := range steps {
			if strings.Contains(s.Summary, "not decrypted") || strings.HasPrefix(s.Summary, "malformed") {
				t.Errorf("%s: %s %s: %s", filepath.Base(file), s.From, s.Message, s.Summary)
			}
		}
	}
}

// readCorpusFile parses the "go test fuzz v1" format written above.
func readCorpusFile(t *testing.T, path string) [][]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var out [][]byte
	for _, l := range lines[1:] {
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(l, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, []byte(s))
	}
	if len(out) != 4 {
		t.Fatalf("%s: %d values", path, len(out))
	}
	return out
}
