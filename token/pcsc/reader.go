package pcsc

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// PC/SC part 10 features (reader.h) that mean a PIN pad.
const (
	featureVerifyPINStart  = 0x01
	featureModifyPINStart  = 0x03
	featureVerifyPINDirect = 0x06
	featureModifyPINDirect = 0x07
)

// ParseFeatures reads the answer to CM_IOCTL_GET_FEATURE_REQUEST: a list
// of (tag, length 4, big-endian control code). ok is false when the answer
// is not such a list.
func ParseFeatures(tlv []byte) (p PINPad, ok bool) {
	if len(tlv) == 0 || len(tlv)%6 != 0 {
		return PINPad{}, false
	}
	for i := 0; i+6 <= len(tlv); i += 6 {
		if tlv[i+1] != 4 || binary.BigEndian.Uint32(tlv[i+2:]) == 0 {
			return PINPad{}, false
		}
		switch tlv[i] {
		case featureVerifyPINStart, featureVerifyPINDirect:
			p.Verify = true
		case featureModifyPINStart, featureModifyPINDirect:
			p.Modify = true
		}
	}
	if p.Present() {
		p.Source = "features"
	}
	return p, true
}

// pinPadNames are parts of reader names that mean a PIN pad, for readers
// whose driver does not answer the feature query (lower case).
var pinPadNames = []string{"pinpad", "pin pad", "secure pin", "cyberjack", "spr332", "spr532", "spr 332", "spr 532", "gempc pinpad", "keyboard reader", "ct-api"}

// PINPadFromName guesses a PIN pad from the reader's name.
func PINPadFromName(name string) PINPad {
	n := strings.ToLower(name)
	for _, s := range pinPadNames {
		if strings.Contains(n, s) {
			return PINPad{Verify: true, Source: "name"}
		}
	}
	return PINPad{}
}

// FormatATR writes an ATR the way PC/SC tools and the ATR list do:
// upper-case hex bytes separated by spaces ("3B 8D 80 01 …").
func FormatATR(atr []byte) string {
	s := strings.ToUpper(hex.EncodeToString(atr))
	var b strings.Builder
	for i := 0; i < len(s); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i : i+2])
	}
	return b.String()
}

// slotDescriptionLen is the size of CK_SLOT_INFO.slotDescription.
const slotDescriptionLen = 64

// SlotShowsReader reports whether a PKCS#11 slot is the reader. The
// heuristic: modules that sit on PC/SC (OpenSC, ykcs11, most vendor
// modules) put the reader's name in the slot description (CK_SLOT_INFO,
// 64 bytes, blank-padded, so a long name is cut), some in the slot's
// manufacturer. A slot matches when, trimmed, its description or
// manufacturer equals the reader name, or is a cut of it at the field's
// length, or starts with the reader name followed by a space (OpenSC
// appends nothing today; some modules append a slot number).
func SlotShowsReader(slotDescription, slotManufacturer, reader string) bool {
	reader = strings.TrimSpace(reader)
	if reader == "" {
		return false
	}
	for _, f := range []string{slotDescription, slotManufacturer} {
		f = strings.TrimSpace(strings.TrimRight(f, "\x00"))
		switch {
		case f == "":
		case f == reader:
			return true
		case len(f) >= slotDescriptionLen-1 && strings.HasPrefix(reader, f):
			return true
		case strings.HasPrefix(f, reader+" "):
			return true
		}
	}
	return false
}

// pivRIDPIX is the start of the PIV application's AID (NIST SP 800-73).
var pivRIDPIX = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00}

// CardTypeFromATR names a card type that the ATR itself announces, for
// cards missing from the ATR list: today a PIV application AID in the
// historical bytes. "" when the ATR says nothing.
func CardTypeFromATR(atr []byte) string {
	if len(atr) > len(pivRIDPIX) && containsBytes(atr[2:], pivRIDPIX) {
		return "PIV"
	}
	return ""
}

func containsBytes(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}
