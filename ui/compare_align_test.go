package ui

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cardcheck/cardcheck/app/tlstrace"
)

// flow is a handshake written as "c Name" / "s Name" (client / server).
func flow(msgs ...string) []tlstrace.Step {
	var out []tlstrace.Step
	for i, m := range msgs {
		from := map[byte]string{'c': "client", 's': "server"}[m[0]]
		out = append(out, tlstrace.Step{Seq: i + 1, From: from, Message: m[2:]})
	}
	return out
}

// rowText writes an aligned row as "left | right", "-" for a gap.
func rowText(a, b []tlstrace.Step, r alignRow) string {
	side := func(steps []tlstrace.Step, i int) string {
		if i < 0 {
			return "-"
		}
		return steps[i].From[:1] + " " + steps[i].Message
	}
	return side(a, r[0]) + " | " + side(b, r[1])
}

func TestAlignSteps(t *testing.T) {
	tls12 := flow("c ClientHello", "s ServerHello", "s Certificate", "s ServerKeyExchange", "s CertificateRequest", "s ServerHelloDone",
		"c Certificate", "c ClientKeyExchange", "c CertificateVerify", "c ChangeCipherSpec", "c Finished",
		"s NewSessionTicket", "s ChangeCipherSpec", "s Finished", "c ApplicationData", "s ApplicationData")
	tls13 := flow("c ClientHello", "s ServerHello", "s ChangeCipherSpec", "s EncryptedExtensions", "s CertificateRequest",
		"s Certificate", "s CertificateVerify", "s Finished", "c Certificate", "c CertificateVerify", "c Finished",
		"c ApplicationData", "s ApplicationData")
	cases := []struct {
		name string
		a, b []tlstrace.Step
		want []string
	}{
		{"both empty", nil, nil, nil},
		{"only the left ran so far", flow("c ClientHello", "s ServerHello"), nil,
			[]string{"c ClientHello | -", "s ServerHello | -"}},
		{"only the right", nil, flow("c ClientHello"), []string{"- | c ClientHello"}},
		{"the same handshake", flow("c ClientHello", "s ServerHello", "c Finished"), flow("c ClientHello", "s ServerHello", "c Finished"),
			[]string{"c ClientHello | c ClientHello", "s ServerHello | s ServerHello", "c Finished | c Finished"}},
		{"the same name from the other side is another message",
			flow("c ClientHello", "c Certificate"), flow("c ClientHello", "s Certificate"),
			[]string{"c ClientHello | c ClientHello", "- | s Certificate", "c Certificate | -"}},
		{"TLS 1.2 beside TLS 1.3", tls12, tls13, []string{
			"c ClientHello | c ClientHello",
			"s ServerHello | s ServerHello",
			"- | s ChangeCipherSpec",
			"- | s EncryptedExtensions",
			"- | s CertificateRequest",
			"s Certificate | s Certificate",
			"- | s CertificateVerify",
			"- | s Finished",
			"s ServerKeyExchange | -",
			"s CertificateRequest | -",
			"s ServerHelloDone | -",
			"c Certificate | c Certificate",
			"c ClientKeyExchange | -",
			"c CertificateVerify | c CertificateVerify",
			"c ChangeCipherSpec | -",
			"c Finished | c Finished",
			"s NewSessionTicket | -",
			"s ChangeCipherSpec | -",
			"s Finished | -",
			"c ApplicationData | c ApplicationData",
			"s ApplicationData | s ApplicationData",
		}},
		{"a rejected TLS 1.2 and an accepted TLS 1.3: the alert has its own row",
			flow("c ClientHello", "s ServerHello", "c Certificate", "c Finished", "s Alert"),
			flow("c ClientHello", "s ServerHello", "c Certificate", "c Finished", "c ApplicationData", "s ApplicationData"),
			[]string{"c ClientHello | c ClientHello", "s ServerHello | s ServerHello", "c Certificate | c Certificate",
				"c Finished | c Finished", "- | c ApplicationData", "- | s ApplicationData", "s Alert | -"}},
		{"both rejected: the alerts side by side",
			flow("c ClientHello", "s ServerHello", "c Finished", "s Alert"),
			flow("c ClientHello", "s ServerHello", "c Finished", "s Alert"),
			[]string{"c ClientHello | c ClientHello", "s ServerHello | s ServerHello", "c Finished | c Finished", "s Alert | s Alert"}},
		{"repeated messages pair in order",
			flow("c ApplicationData", "s ApplicationData", "s ApplicationData"), flow("c ApplicationData", "s ApplicationData"),
			[]string{"c ApplicationData | c ApplicationData", "s ApplicationData | s ApplicationData", "s ApplicationData | -"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := alignSteps(c.a, c.b)
			var got []string
			for _, r := range rows {
				got = append(got, rowText(c.a, c.b, r))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("rows:\n%s\nwant:\n%s", fmt.Sprint(got), fmt.Sprint(c.want))
			}
			checkAlignment(t, rows, c.a, c.b)
		})
	}
}

// checkAlignment: every message of each side is on exactly one row, in
// order, only equal messages share a row, and no row is empty.
func checkAlignment(t *testing.T, rows []alignRow, a, b []tlstrace.Step) {
	t.Helper()
	next := [2]int{}
	for _, r := range rows {
		if r[0] < 0 && r[1] < 0 {
			t.Fatalf("an empty row in %v", rows)
		}
		if r[0] >= 0 && r[1] >= 0 && (a[r[0]].From != b[r[1]].From || a[r[0]].Message != b[r[1]].Message) {
			t.Fatalf("different messages share a row: %s", rowText(a, b, r))
		}
		for side, i := range r {
			if i < 0 {
				continue
			}
			if i != next[side] {
				t.Fatalf("side %d: message %d on a row where %d was due: %v", side, i, next[side], rows)
			}
			next[side]++
		}
	}
	if next != [2]int{len(a), len(b)} {
		t.Fatalf("%v messages placed, want %d and %d", next, len(a), len(b))
	}
}
