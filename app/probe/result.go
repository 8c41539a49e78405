package probe

import (
	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/environment"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// Verdict is the one-word answer (SPEC §4).
type Verdict string

// The verdicts.
const (
	Accepted        Verdict = "accepted"
	Denied          Verdict = "denied"
	Rejected        Verdict = "rejected"
	NotRequested    Verdict = "not-requested"
	ServerUntrusted Verdict = "server-untrusted"
	Failed          Verdict = "error"
)

// ErrorKind is `error.kind` of the JSON contract. Token kinds (pin-…,
// token-…, module) come from the token layer with the same strings.
type ErrorKind string

// Error kinds raised by the probe itself.
const (
	KindNetwork     ErrorKind = "network"
	KindTimeout     ErrorKind = "timeout"
	KindProtocol    ErrorKind = "protocol"
	KindCertificate ErrorKind = "certificate"
	KindCanceled    ErrorKind = "canceled"
)

// Result is the outcome of one test: every field of `check --json`.
//
// AdviceCodes names each entry of Advice so that a front end can word it
// its own way: the texts name command-line flags, the GUI its controls.
//
// Every sentence is there twice: in English (summary, cause, advice …, the
// fields scripts read) and as a message, ID and arguments (summary_msg,
// cause_msg, advice_msgs …), which the GUI renders in its language.
type Result struct {
	URL                string            `json:"url"`
	Verdict            Verdict           `json:"verdict"`
	Summary            string            `json:"summary"`
	SummaryMsg         msg.Msg           `json:"summary_msg"`
	Cause              string            `json:"cause"`
	CauseMsg           msg.Msg           `json:"cause_msg,omitzero"`
	CauseCode          string            `json:"cause_code"` // e.g. the alert name "unknown_ca"
	Advice             []string          `json:"advice"`
	AdviceCodes        []string          `json:"advice_codes"` // a code per Advice entry, same order: the Advice* constants
	AdviceMsgs         []msg.Msg         `json:"advice_msgs"`  // a message per Advice entry, same order
	TLS                TLSInfo           `json:"tls"`
	ClientCertificate  any               `json:"client_certificate"` // report.Certificate, set by the caller
	CertificateRequest *CertRequest      `json:"certificate_request"`
	Checks             []certcheck.Check `json:"checks"`
	Server             ServerInfo        `json:"server"`
	Steps              []tlstrace.Step   `json:"steps"`
	Alert              *tlstrace.Alert   `json:"alert"`
	HTTP               *HTTPInfo         `json:"http"`
	Timings            Timings           `json:"timings"`
	Error              *ErrorInfo        `json:"error"`
	Notes              []string          `json:"notes"`     // tracer notes, renegotiation, proxy …
	NoteMsgs           []msg.Msg         `json:"note_msgs"` // a message per note, same order
	// Preflight is what the handshake without the card found (null when
	// none ran): its own steps, separate from the test's.
	Preflight *Preflight `json:"preflight"`
	// Environment says when and where the test ran (time, cardcheck
	// version, OS, module, token); filled by app/cardtest, nil when the
	// probe ran on its own.
	Environment *environment.Environment `json:"environment"`
}

// TLSInfo is what was negotiated.
type TLSInfo struct {
	Version        string `json:"version"`      // "1.2", "1.3" or "" when no handshake
	CipherSuite    string `json:"cipher_suite"` // IANA name
	FallbackReason string `json:"fallback_reason"`
	// FallbackReasonMsg is FallbackReason as a message.
	FallbackReasonMsg msg.Msg `json:"fallback_reason_msg,omitzero"`
}

// CertRequest is the server's CertificateRequest.
type CertRequest struct {
	AcceptableCAs    []string `json:"acceptable_cas"`
	SignatureSchemes []string `json:"signature_schemes"`
	rawCAs           [][]byte
}

// ServerInfo is the server side, verified separately from the client result.
type ServerInfo struct {
	Verified bool        `json:"verified"`
	Error    *string     `json:"error"`
	ErrorMsg msg.Msg     `json:"error_msg,omitzero"` // Error as a message
	Chain    []ChainCert `json:"chain"`
}

// ChainCert is one certificate the server sent.
type ChainCert struct {
	Subject  string `json:"subject"`
	Issuer   string `json:"issuer"`
	NotAfter string `json:"not_after"`
	SHA256   string `json:"sha256"`
}

// HTTPInfo is the application's answer.
type HTTPInfo struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
}

// Timings in milliseconds.
type Timings struct {
	LoginMs     float64 `json:"login_ms"`
	HandshakeMs float64 `json:"handshake_ms"`
	SignMs      float64 `json:"sign_ms"`
	TotalMs     float64 `json:"total_ms"`
	// LateAlertWaitMs is the time spent waiting for the server's late
	// verdict after a TLS 1.3 handshake (Options.LateAlertWait).
	LateAlertWaitMs float64 `json:"late_alert_wait_ms"`
}

// ErrorInfo says why a test could not be completed.
type ErrorInfo struct {
	Kind       string  `json:"kind"`
	Message    string  `json:"message"`
	MessageMsg msg.Msg `json:"message_msg"` // Message as a message
}

// newResult is an empty result for url, its lists empty rather than null.
func newResult(url string) *Result {
	return &Result{URL: RedactURL(url), Advice: []string{}, AdviceCodes: []string{}, AdviceMsgs: []msg.Msg{},
		Checks: []certcheck.Check{}, Steps: []tlstrace.Step{}, Notes: []string{}, NoteMsgs: []msg.Msg{}}
}
