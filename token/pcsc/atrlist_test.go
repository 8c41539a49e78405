package pcsc_test

import (
	"os"
	"strings"
	"testing"

	"github.com/cardcheck/cardcheck/token/pcsc"
)

// realEntries are entries of pcsc-tools' smartcard_list.txt (2023), with
// a wildcard pattern, a character class and a trailing ".*".
const realEntries = `#
# syntax:
# ATR in regular expression form
# \t descriptive text

3B .. .. 41 73 74 72 69 64
	Axalto Cryptoflex .NET

3B 8B 80 01 80 F9 A0 00 00 03 08 00 00 10 00 C8
	Probably the same as "JCOP3 SecID P60 CS (JavaCard)" but mated with a contactless Identiv reader (JavaCard)

3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9
	Yubikey 5 NFC (via NFC) (Other)
	https://www.yubico.com/product/yubikey-5-nfc/#yubikey-5-nfc

3F 65 25 00 2[2C] 09 [F6]9 90 00
	Sesam Vitale (French health card)

3B EF 00 FF 81 31 42 45 .* 38
	Swedish cashcard (propriatary)
`

func parse(t testing.TB, s string) *pcsc.ATRList {
	t.Helper()
	l, err := pcsc.ParseATRList(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func atr(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		for _, c := range f {
			v = v<<4 | byte(strings.IndexRune("0123456789ABCDEF", c))
		}
		b = append(b, v)
	}
	return b
}

func TestATRListLookup(t *testing.T) {
	l := parse(t, realEntries)
	if l.Len() != 5 {
		t.Fatalf("%d entries", l.Len())
	}
	for _, tc := range []struct{ atr, want string }{
		{"3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9", "Yubikey 5 NFC (via NFC) (Other)"},
		{"3B 02 14 41 73 74 72 69 64", "Axalto Cryptoflex .NET"},
		{"3F 65 25 00 2C 09 69 90 00", "Sesam Vitale (French health card)"},
		{"3B EF 00 FF 81 31 42 45 01 02 03 38", "Swedish cashcard (propriatary)"},
		{"3F 65 25 00 2D 09 69 90 00", ""},
		{"3B 8D 80 01", ""},
	} {
		got := l.Lookup(atr(t, tc.atr))
		if (tc.want == "" && got != nil) || (tc.want != "" && (len(got) == 0 || got[0] != tc.want)) {
			t.Errorf("%s: %q, want %q", tc.atr, got, tc.want)
		}
	}
	if got := l.Lookup(atr(t, "3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9")); len(got) != 2 {
		t.Errorf("both description lines: %q", got)
	}
}

func TestATRListIsBounded(t *testing.T) {
	var b strings.Builder
	for b.Len() < pcsc.MaxATRListBytes+1024 {
		b.WriteString("3B 00\n\tcard\n\n")
	}
	l := parse(t, b.String())
	if l.Len() >= b.Len()/len("3B 00\n\tcard\n\n") {
		t.Errorf("read past the bound: %d entries", l.Len())
	}
	if _, err := pcsc.ParseATRList(strings.NewReader("3B " + strings.Repeat("00 ", 30000) + "\n")); err == nil {
		t.Error("a 90 KB line was accepted")
	}
}

// TestSystemATRList reads Debian's list when pcsc-tools is installed (the
// tests' dependencies include it: build/deps.sh test).
func TestSystemATRList(t *testing.T) {
	const path = "/usr/share/pcsc/smartcard_list.txt"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing (Debian package pcsc-tools): run build/deps.sh test", path)
	}
	l, read, err := pcsc.LoadATRList([]string{"/nonexistent/list.txt", path})
	if err != nil || len(read) != 1 || l.Len() < 1000 {
		t.Fatalf("read %v, %d entries, %v", read, l.Len(), err)
	}
	got := l.Lookup(atr(t, "3B 8D 80 01 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 F9"))
	if len(got) == 0 || !strings.Contains(got[0], "Yubikey") {
		t.Errorf("Yubikey ATR: %q", got)
	}
}

func FuzzParseATRList(f *testing.F) {
	f.Add(realEntries, []byte{0x3B, 0x02, 0x14, 0x41})
	f.Add("3B (\n\tbad pattern\n\n3B 00\n", []byte{0x3B, 0x00})
	f.Add("\t\n#\n3B [\n", []byte{})
	f.Fuzz(func(t *testing.T, list string, a []byte) {
		l, _ := pcsc.ParseATRList(strings.NewReader(list))
		_ = l.Lookup(a)
		_ = l.Merge(l).Len()
	})
}
