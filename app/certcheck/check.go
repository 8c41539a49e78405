package certcheck

import (
	"github.com/cardcheck/cardcheck/app/msg"
)

// Status is the outcome of one check. The values are a JSON contract.
type Status string

// Statuses.
const (
	Pass    Status = "pass"    // the server will be happy with this aspect
	Fail    Status = "fail"    // the server will (or should) refuse the certificate for this
	Warn    Status = "warn"    // fine today, but needs attention soon
	Unknown Status = "unknown" // could not be decided (missing data, unreachable server)
	Skipped Status = "skipped" // did not apply to this test
)

// Check names, in the order Run reports them. The values are a JSON
// contract.
const (
	NameKeyPossession = "key-possession"
	NameValidity      = "validity"
	NameChain         = "chain"
	NameRevocation    = "revocation"
	NameKeyUsage      = "key-usage"
	NameAcceptableCA  = "acceptable-ca"
)

// Check is the result of one check.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"` // DetailMsg in English
	// DetailMsg is the detail as a message (ID and arguments), for a
	// GUI that shows it in another language.
	DetailMsg msg.Msg `json:"detail_msg,omitzero"`
}

// NewCheck is a check whose detail is m (Detail its English).
func NewCheck(name string, s Status, m msg.Msg) Check {
	return Check{Name: name, Status: s, Detail: msg.English(m), DetailMsg: m}
}

// DetailMessage is c's detail as a message: DetailMsg, or the English
// Detail as it is for a check made without one.
func (c Check) DetailMessage() msg.Msg {
	if !c.DetailMsg.IsZero() {
		return c.DetailMsg
	}
	return msg.Text(c.Detail)
}

func result(name string, s Status, m msg.Msg) Check { return NewCheck(name, s, m) }
