package probe

// TLSVersion is a TLS version as the JSON contract and the settings write
// it: "1.2", "1.3" (and "1.0", "1.1" for what a server negotiated), ""
// when no handshake was made; a test's choice may also be "auto".
type TLSVersion string

// The versions a test can ask for.
const (
	TLSAuto TLSVersion = "auto" // TLS 1.3, or 1.2 when the card or the server needs it
	TLS12   TLSVersion = "1.2"
	TLS13   TLSVersion = "1.3"
)

// TLSVersionChoices are the choices of a test, in the order a front end
// offers them.
func TLSVersionChoices() []TLSVersion { return []TLSVersion{TLSAuto, TLS12, TLS13} }

// ParseTLSVersion checks a --tls value or a stored setting: auto, 1.2 or
// 1.3 exactly.
func ParseTLSVersion(s string) (TLSVersion, bool) {
	for _, v := range TLSVersionChoices() {
		if s == string(v) {
			return v, true
		}
	}
	return "", false
}
