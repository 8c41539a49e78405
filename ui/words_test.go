package ui

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/cardcheck/cardcheck/app/certcheck"
	"github.com/cardcheck/cardcheck/app/desktop"
	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/probe"
	"github.com/cardcheck/cardcheck/app/serve"
	"github.com/cardcheck/cardcheck/app/tlstrace"
	"github.com/cardcheck/cardcheck/assets"
	"github.com/cardcheck/cardcheck/build/testrig"
	"github.com/cardcheck/cardcheck/build/testservers"
	"github.com/cardcheck/cardcheck/token"
)

// TestHandshakeShownInEveryLanguage shows real results (the test rig's
// card against cardcheck's own mTLS server: accepted over TLS 1.3 and
// 1.2, refused for a certificate from an untrusted CA, an expired one
// and one not meant for client authentication) in windows opened
// in English, German and Chinese, and fails on any text of the verdict,
// the connection line, the server, request and checks tabs, the diagram
// or the message pane that is the same as in English, unless what is
// left of it after taking out protocol names, numbers, hex,
// distinguished names, proper names and the words of sameInLanguage is
// no word at all. Summaries, field names and values made as English
// strings in tlstrace were shown this way.
func TestHandshakeShownInEveryLanguage(t *testing.T) {
	results := realResults(t)
	t.Cleanup(func() {
		harnessLanguage = "en"
		if err := assets.SetLanguage("en"); err != nil {
			t.Error(err)
		}
	})
	words := protocolWords(results)
	names := slices.Sorted(maps.Keys(results)) // the same order every run
	seen := map[string]map[string][]shown{}    // language, result: texts
	for _, language := range []string{"en", "de", "zh_Hans"} {
		harnessLanguage = language // a window's labels are made in the language it opens in
		h := newHarness(t, newFakeBackend(nil), nil, func() error { return nil })
		seen[language] = map[string][]shown{}
		for _, name := range names {
			seen[language][name] = shownTexts(h, results[name])
		}
	}
	for _, name := range names {
		checkNamesAreMessages(t, name, results[name])
	}
	for _, language := range []string{"de", "zh_Hans"} {
		for _, name := range names {
			english, got := seen["en"][name], seen[language][name]
			if len(got) != len(english) {
				t.Fatalf("%s in %s: %d texts, in English %d", name, language, len(got), len(english))
			}
			for i, s := range got {
				if s.text != english[i].text {
					continue
				}
				if w := englishWords(s.text, words, sameInLanguage[language]); len(w) > 0 {
					t.Errorf("%s in %s: %s is English %q (words %q)", name, language, s.where, s.text, w)
				}
			}
		}
	}
}

// checkNamesAreMessages fails when a message of res has a check's name
// (key-usage) as a plain string argument: a window in another language
// shows it as it is, in a sentence in that language ("Lokale Prüfung
// „key-usage“"), where it should name the check in that language.
func checkNamesAreMessages(t *testing.T, name string, res *probe.Result) {
	t.Helper()
	checkNames := []string{certcheck.NameKeyPossession, certcheck.NameValidity, certcheck.NameChain,
		certcheck.NameRevocation, certcheck.NameKeyUsage, certcheck.NameAcceptableCA}
	all := append([]msg.Msg{res.SummaryMsg, res.CauseMsg}, res.AdviceMsgs...)
	all = append(all, res.NoteMsgs...)
	for _, m := range all {
		for _, arg := range stringArgs(m) {
			if slices.Contains(checkNames, arg) {
				t.Errorf("%s: %s says the check name %q as a string, not as a message", name, m.ID, arg)
			}
		}
	}
}

// stringArgs lists the string arguments of m and of the messages among
// them.
func stringArgs(m msg.Msg) []string {
	var out []string
	for _, v := range m.Args {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case msg.Msg:
			out = append(out, stringArgs(v)...)
		case []msg.Msg:
			for _, s := range v {
				out = append(out, stringArgs(s)...)
			}
		}
	}
	return out
}

// sameInLanguage are words a language writes as English does.
var sameInLanguage = map[string][]string{
	"de": {"Version", "Ticket", "Nonce", "Alert", "Handshake", "Server", "Client", "Record", "Renegotiation"},
}

// properNames are names in the rig's results that no language translates.
var properNames = []string{"localhost", "cardcheck", "SoftHSM", "OK", "GET", "HTTP"}

// realResults runs the rig's card against an mTLS server that trusts the
// rig's CA.
func realResults(t *testing.T) map[string]*probe.Result {
	rig := testrig.Shared(t)
	srv := testservers.Serve(t, serve.Config{CertFile: rig.ServerCertFile, KeyFile: rig.ServerKeyFile, ClientCAFile: rig.CAFile})
	be := desktop.New([]string{rig.Module})
	t.Cleanup(be.Close)
	cases := map[string]struct {
		cert    string
		version probe.TLSVersion
		want    probe.Verdict
	}{
		"accepted over TLS 1.3":  {testrig.EC256, probe.TLS13, probe.Accepted},
		"accepted over TLS 1.2":  {testrig.RSA, probe.TLS12, probe.Accepted},
		"refused":                {testrig.Untrusted, probe.TLS13, probe.Rejected},
		"refused, expired":       {testrig.Expired, probe.TLS13, probe.Rejected},
		"refused, not for login": {testrig.NoClientAuth, probe.TLS12, probe.Rejected},
	}
	out := map[string]*probe.Result{}
	for name, c := range cases {
		card, err := be.Login(testrig.Cert(t, be.Scan(), c.cert), token.LoginOptions{PIN: testrig.PIN})
		if err != nil {
			t.Fatal(err)
		}
		res := card.Test(context.Background(), desktop.Options{URL: srv.URL, CAFile: rig.ChainFile, TLSVersion: c.version, Timeout: 20 * time.Second})
		card.Close()
		if res.Verdict != c.want || len(res.Steps) < 8 {
			t.Fatalf("%s: verdict %s with %d messages, want %s: %s", name, res.Verdict, len(res.Steps), c.want, res.Summary)
		}
		out[name] = res
	}
	return out
}

// shown is a text on screen and where it is.
type shown struct{ where, text string }

// shownTexts shows res in h's window: the verdict, the connection line,
// the server, request and checks tabs, the diagram's labels and every
// message in the message pane, and returns their texts in order.
func shownTexts(h *harness, res *probe.Result) []shown {
	var out []shown
	add := func(where, text string) {
		for j, line := range strings.Split(text, "\n") {
			out = append(out, shown{fmt.Sprintf("%s, line %d", where, j+1), strings.TrimPrefix(line, "• ")})
		}
	}
	h.m.banner.done(res)
	h.m.result.show(res)
	b := h.m.banner
	for _, l := range []*widget.Label{b.title, b.summary, b.cause, b.advice} {
		if l.Visible() { // a hidden label keeps an earlier result's text
			add("the verdict", l.Text)
		}
	}
	add("the connection line", h.m.result.connection.Text())
	v := h.m.result
	for where, tab := range map[string]fyne.CanvasObject{"the server tab": v.server, "the request tab": v.request,
		"the checks tab": v.lesson.content} {
		for _, text := range texts(tab, true) {
			add(where, text)
		}
	}
	mv := h.m.result.message
	for i := range res.Steps {
		s := &res.Steps[i]
		where := fmt.Sprintf("message %d (%s %s)", s.Seq, s.From, s.Message)
		add(where+" in the diagram", strings.Join(labelParts(*s, true), " "))
		add(where+", explained in the diagram", explainText(*s))
		mv.show(s)
		for _, l := range []*widget.Label{mv.title, mv.summary, mv.explain} {
			add(where, l.Text)
		}
		add(where, mv.meta.Text())
		for _, o := range mv.fields.Objects {
			for _, f := range o.(*fyne.Container).Objects {
				add(where+", field", f.(*widget.Label).Text)
			}
		}
	}
	return out
}

// texts are the texts of the labels in o, in order; hidden ones are left
// out, except o itself (a tab that is not selected is hidden).
func texts(o fyne.CanvasObject, root bool) []string {
	if !root && !o.Visible() {
		return nil
	}
	var out []string
	switch o := o.(type) {
	case *widget.Label:
		return []string{o.Text}
	case *widget.RichText: // each segment: a label may lead a sentence made elsewhere
		for _, seg := range o.Segments {
			out = append(out, strings.TrimSpace(seg.Textual()))
		}
	case *fyne.Container:
		for _, c := range o.Objects {
			out = append(out, texts(c, false)...)
		}
	case *container.Scroll:
		out = texts(o.Content, false)
	case *badge:
		out = []string{o.text}
	}
	return out
}

var (
	// dnRE is an attribute of a distinguished name (CN=Alice, O=Example).
	dnRE = regexp.MustCompile(`\b[A-Z]+=[^,;]*`)
	// wordRE is a word of letters, with the marks that join a name's
	// parts (key-possession, close_notify, http/1.1, x25519).
	wordRE = regexp.MustCompile(`[\p{L}\d][\p{L}\d_./:-]*`)
	// dataRE is a word that is data, not language: it has a digit or an
	// underscore, is upper case (TLS, ECDHE), or CamelCase (ClientHello).
	dataRE = regexp.MustCompile(`^(.*[\d_].*|[A-Z]{2,}s?|[A-Z][a-z]+[A-Z]\w*)$`)
)

// englishWords lists the words of s that are language: not protocol
// names, numbers or hex, not a distinguished name, not in keep.
func englishWords(s string, protocol map[string]bool, keep []string) []string {
	var out []string
	for _, w := range wordRE.FindAllString(dnRE.ReplaceAllString(s, ""), -1) {
		w = strings.TrimRight(w, ".:-")
		switch {
		case len([]rune(w)) < 2, dataRE.MatchString(w), protocol[w], protocol[strings.ToLower(w)],
			isHex(w), contains(keep, w), contains(properNames, w):
		default:
			out = append(out, w)
		}
	}
	return out
}

// protocolWords are the names TLS gives to things, which are never
// translated: message names, cipher suites, groups, signature schemes,
// extensions, alerts, versions.
func protocolWords(results map[string]*probe.Result) map[string]bool {
	out := map[string]bool{}
	for _, res := range results {
		for _, s := range res.Steps {
			out[s.Message] = true
		}
	}
	for i := 0; i < 1<<16; i++ {
		for _, name := range []string{tlstrace.ExtensionName(uint16(i)), tlstrace.CipherSuiteName(uint16(i)),
			tlstrace.GroupName(uint16(i)), tlstrace.SignatureSchemeName(uint16(i)), tlstrace.VersionName(uint16(i))} {
			out[name] = true
		}
		if i < 256 {
			out[tlstrace.AlertName(i)] = true
		}
	}
	return out
}

func isHex(w string) bool {
	return strings.Trim(strings.ToLower(w), "0123456789abcdef:") == "" && len(w) >= 4
}

func contains(list []string, w string) bool { return slices.Contains(list, w) }
