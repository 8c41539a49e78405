package certcheck

import "fmt"

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
	Detail string `json:"detail"`
}

func result(name string, s Status, format string, args ...any) Check {
	return Check{Name: name, Status: s, Detail: fmt.Sprintf(format, args...)}
}
