package tlstrace

import (
	"bytes"
	"encoding/json"
	"math"
	"time"

	"github.com/cardcheck/cardcheck/app/msg"
)

// Step is one decoded TLS message (or record, for ChangeCipherSpec, Alert and
// ApplicationData) as it went over the wire.
type Step struct {
	Seq       int           // 1-based, order of emission
	From      string        // "client" or "server"
	Message   string        // message name, see the package documentation
	At        time.Duration // when the record carrying it was seen, since New
	Bytes     int           // handshake message size incl. 4-byte header; record payload otherwise
	Encrypted bool          // was encrypted on the wire (decrypted by us, or not decryptable)
	Summary   string        // one line: SummaryMsg in English
	Fields    Fields        // decoded fields, in wire order
	// SummaryMsg is the summary as a message; the tracer sets Summary
	// from it.
	SummaryMsg msg.Msg
	Explain    string // one paragraph in plain language: ExplainMsg in English
	// ExplainMsg is the explanation as a message (its ID names the kind of
	// message, the sender and the variant); the tracer sets Explain from it.
	ExplainMsg msg.Msg
	Alert      *Alert // set for Alert steps that could be read
}

// Field is one decoded name/value pair. Name and Value are English (the
// JSON object of fields); NameMsg and ValueMsg say the same as messages,
// for a reader in another language. NameMsg's ID is the field's code
// (tlstrace.field.cipher_suite). ValueMsg is zero when the value is
// protocol names, numbers or hex, which read the same in every language.
type Field struct {
	Name, Value string
	NameMsg     msg.Msg
	ValueMsg    msg.Msg
}

// Fields keeps decoded fields in wire order. Values are strings; lists are
// joined with ", ".
type Fields []Field

// Get returns the value of the first field called name, or "".
func (f Fields) Get(name string) string {
	for _, x := range f {
		if x.Name == name {
			return x.Value
		}
	}
	return ""
}

// add appends a field whose value is data (names, numbers, hex).
func (f *Fields) add(name *msg.Def, value string) { f.addNamed(name.New(), value, msg.Msg{}) }

// addMsg appends a field whose value has words.
func (f *Fields) addMsg(name *msg.Def, value msg.Msg) {
	if value.ID == textID {
		f.add(name, msg.English(value)) // words from outside the catalog: data
		return
	}
	f.addNamed(name.New(), msg.English(value), value)
}

// textID is the ID of msg.Text's messages.
var textID = msg.Text("-").ID

func (f *Fields) addNamed(name msg.Msg, value string, valueMsg msg.Msg) {
	*f = append(*f, Field{Name: msg.English(name), Value: value, NameMsg: name, ValueMsg: valueMsg})
}

// MarshalJSON writes the fields as one JSON object whose keys keep the order
// of the slice (encoding/json would sort a map).
func (f Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.Name) // strings never fail to marshal
		v, _ := json.Marshal(x.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Alert is a TLS alert (RFC 8446 §6, RFC 5246 §7.2).
type Alert struct {
	From  string `json:"from"`  // "client" or "server"
	Level string `json:"level"` // "warning" or "fatal" (or "unknown(N)")
	Code  int    `json:"code"`
	Name  string `json:"name"` // IANA name, e.g. "unknown_ca"
}

// CertRequest is what the server asked for in its CertificateRequest.
type CertRequest struct {
	Version          uint16   `json:"-"`                           // TLS version the message was read as
	Context          []byte   `json:"-"`                           // TLS 1.3 certificate_request_context
	CertificateTypes []string `json:"certificate_types,omitempty"` // TLS 1.2 only
	SignatureSchemes []string `json:"signature_schemes"`
	SchemeIDs        []uint16 `json:"-"`
	AcceptableCAs    []string `json:"acceptable_cas"` // RFC 2253 strings
	RawCAs           [][]byte `json:"-"`              // DER DistinguishedNames, to compare with x509.Certificate.RawIssuer
}

// stepJSON is the §5 "steps" element of `cardcheck check --json`, plus the
// explanation and the alert.
type stepJSON struct {
	Seq        int        `json:"seq"`
	From       string     `json:"from"`
	Message    string     `json:"message"`
	TMs        float64    `json:"t_ms"`
	Bytes      int        `json:"bytes"`
	Encrypted  bool       `json:"encrypted"`
	Summary    string     `json:"summary"`
	SummaryMsg msg.Msg    `json:"summary_msg,omitzero"`
	Fields     Fields     `json:"fields"`
	FieldMsgs  []fieldMsg `json:"field_msgs,omitempty"`
	Explain    string     `json:"explain,omitempty"`
	ExplainMsg msg.Msg    `json:"explain_msg,omitzero"`
	Alert      *Alert     `json:"alert,omitempty"`
}

// fieldMsg is a field as messages in JSON ("field_msgs", in the order of
// "fields"): the name's ID is the field's code.
type fieldMsg struct {
	Name  msg.Msg `json:"name"`
	Value msg.Msg `json:"value,omitzero"`
}

// fieldMsgs lists the messages of the fields that have them (all of a
// tracer's; none of fields made by hand).
func (f Fields) fieldMsgs() []fieldMsg {
	var out []fieldMsg
	for _, x := range f {
		if !x.NameMsg.IsZero() {
			out = append(out, fieldMsg{x.NameMsg, x.ValueMsg})
		}
	}
	return out
}

// MarshalJSON uses the names of docs/contract.md: seq, from, message, t_ms (float,
// microsecond resolution), bytes, encrypted, summary, fields; plus explain and
// alert.
func (s Step) MarshalJSON() ([]byte, error) {
	fields := s.Fields
	if fields == nil {
		fields = Fields{}
	}
	return json.Marshal(stepJSON{
		Seq: s.Seq, From: s.From, Message: s.Message,
		TMs:   math.Round(float64(s.At)/float64(time.Microsecond)) / 1000,
		Bytes: s.Bytes, Encrypted: s.Encrypted, Summary: s.Summary, SummaryMsg: s.SummaryMsg,
		Fields: fields, FieldMsgs: fields.fieldMsgs(), Explain: s.Explain, ExplainMsg: s.ExplainMsg, Alert: s.Alert,
	})
}

// clone returns a deep copy so callers cannot change the tracer's history.
func (s Step) clone() Step {
	s.Fields = append(Fields(nil), s.Fields...)
	if s.Alert != nil {
		a := *s.Alert
		s.Alert = &a
	}
	return s
}
