package pivemu

import "errors"

// BER-TLV as used by PIV (SP 800-73-4 part 2, §3.3): tags of one or two
// bytes, lengths in the short form or 81 xx / 82 xx xx.

// tlv encodes one TLV. Tags above 0xFF are written as two bytes (5F C1 05
// style three-byte tags are written by the caller as raw bytes).
func tlv(tag uint, value ...[]byte) []byte {
	n := 0
	for _, v := range value {
		n += len(v)
	}
	out := make([]byte, 0, n+6)
	if tag > 0xFF {
		out = append(out, byte(tag>>8))
	}
	out = append(out, byte(tag))
	out = appendLen(out, n)
	for _, v := range value {
		out = append(out, v...)
	}
	return out
}

func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n <= 0xFF:
		return append(b, 0x81, byte(n))
	default:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
}

var errTLV = errors.New("pivemu: malformed TLV")

// readTLV reads one TLV from b and returns its tag, value and the rest.
// It never reads past b.
func readTLV(b []byte) (tag uint, value, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errTLV
	}
	tag, b = uint(b[0]), b[1:]
	if tag&0x1F == 0x1F { // multi-byte tag
		for i := 0; ; i++ {
			if len(b) == 0 || i == 3 {
				return 0, nil, nil, errTLV
			}
			tag = tag<<8 | uint(b[0])
			more := b[0]&0x80 != 0
			b = b[1:]
			if !more {
				break
			}
		}
	}
	if len(b) == 0 {
		return 0, nil, nil, errTLV
	}
	n := int(b[0])
	b = b[1:]
	if n&0x80 != 0 {
		k := n & 0x7F
		if k == 0 || k > 2 || len(b) < k {
			return 0, nil, nil, errTLV
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		b = b[k:]
	}
	if n > len(b) {
		return 0, nil, nil, errTLV
	}
	return tag, b[:n], b[n:], nil
}

// findTLV returns the value of the first TLV with the given tag in b (one
// level, no recursion).
func findTLV(b []byte, want uint) ([]byte, bool) {
	for len(b) > 0 {
		tag, v, rest, err := readTLV(b)
		if err != nil {
			return nil, false
		}
		if tag == want {
			return v, true
		}
		b = rest
	}
	return nil, false
}
