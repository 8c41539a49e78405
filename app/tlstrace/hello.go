package tlstrace

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pki"
	"golang.org/x/crypto/cryptobyte"
)

// hrrRandom marks a ServerHello as HelloRetryRequest: SHA-256 of
// "HelloRetryRequest" (RFC 8446 §4.1.3).
var hrrRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// ---- extensions (RFC 8446 §4.2) ----

type extension struct {
	typ  uint16
	data cryptobyte.String
}

// readExtensions reads an optional extensions block that must end the message.
func readExtensions(s *cryptobyte.String) ([]extension, bool) {
	if s.Empty() {
		return nil, true // TLS 1.2 hellos may omit extensions (RFC 5246 §7.4.1.2)
	}
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) || !s.Empty() {
		return nil, false
	}
	var out []extension
	for !block.Empty() {
		var x extension
		if !block.ReadUint16(&x.typ) || !block.ReadUint16LengthPrefixed(&x.data) {
			return out, false
		}
		out = append(out, x)
	}
	return out, true
}

func extensionList(exts []extension) msg.Msg {
	if len(exts) == 0 {
		return valNone.New()
	}
	out := make([]string, len(exts))
	for i, x := range exts {
		out[i] = ExtensionName(x.typ)
	}
	return msg.Text(strings.Join(out, ", "))
}

// Message contexts an extension can appear in; some extensions have a
// different body per context (RFC 8446 §4.2 table).
const (
	inClientHello = iota
	inServerHello
	inHRR
	inEncryptedExtensions
	inCertificateRequest
	inNewSessionTicket
)

// helloInfo collects what summaries and side effects need from extensions.
type helloInfo struct {
	where     int
	sni       string
	versions  []uint16
	keyShares []string
	alpn      []string
	sigs      []uint16
	cas       [][]byte
	sigsCert  []uint16
	// renegotiation: renegotiation_info carries the previous Finished
	// (RFC 5746 §3.5), so this hello starts a renegotiation.
	renegotiation bool
}

// readKnown adds a field for each extension it understands. A malformed
// extension shows as "malformed" without failing the whole message.
func (h *helloInfo) readKnown(f *Fields, exts []extension) {
	for _, x := range exts {
		label, value, ok := h.extension(x.typ, x.data)
		if label == nil {
			continue
		}
		if !ok {
			value = valMalformed.New()
		}
		f.addMsg(label, value)
	}
}

func (h *helloInfo) extension(typ uint16, data cryptobyte.String) (label *msg.Def, value msg.Msg, ok bool) {
	switch typ {
	case 0:
		return fServerName, h.serverName(data), true
	case 10:
		v, ok := readU16Prefixed(data)
		return fSupportedGroups, msg.Text(names16(v, GroupName)), ok
	case 13:
		v, ok := readU16Prefixed(data)
		h.sigs = v
		return fSignatureAlgs, msg.Text(names16(v, SignatureSchemeName)), ok
	case 50:
		v, ok := readU16Prefixed(data)
		h.sigsCert = v
		return fSignatureAlgsCert, msg.Text(names16(v, SignatureSchemeName)), ok
	case 16:
		v, ok := h.readALPN(data)
		return fALPN, msg.Text(v), ok
	case 43:
		v, ok := h.supportedVersions(data)
		if h.where != inClientHello {
			return fSelectedVersion, msg.Text(v), ok
		}
		return fSupportedVersions, msg.Text(v), ok
	case 51:
		v, ok := h.keyShare(data)
		if h.where == inClientHello {
			return fKeyShares, v, ok
		}
		return fKeyShare, v, ok
	case 47:
		v, ok := h.certificateAuthorities(data)
		return fCAs, v, ok
	case 0xff01:
		var rc []byte
		ok := data.ReadUint8LengthPrefixed((*cryptobyte.String)(&rc)) && data.Empty()
		h.renegotiation = len(rc) > 0
		return fRenegotiationInfo, renegotiationInfo(rc), ok
	case 28:
		var v uint16
		ok := data.ReadUint16(&v) && data.Empty()
		return fRecordSizeLimit, msg.Text(fmt.Sprint(v)), ok
	}
	return nil, msg.Msg{}, true
}

func readU16Prefixed(data cryptobyte.String) ([]uint16, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return nil, false
	}
	return readU16List(list)
}

func renegotiationInfo(rc []byte) msg.Msg {
	if len(rc) == 0 {
		return valRenegEmpty.New()
	}
	return valRenegotiation.New("Count", len(rc))
}

// serverName: a ServerNameList in ClientHello (RFC 6066 §3), empty when a
// server acknowledges it.
func (h *helloInfo) serverName(data cryptobyte.String) msg.Msg {
	if data.Empty() {
		return valAcknowledged.New()
	}
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) {
		return valMalformed.New()
	}
	var names []string
	for !list.Empty() {
		var t uint8
		var name []byte
		if !list.ReadUint8(&t) || !list.ReadUint16LengthPrefixed((*cryptobyte.String)(&name)) {
			return valMalformed.New()
		}
		if t == 0 {
			names = append(names, printable(name))
		}
	}
	h.sni = strings.Join(names, ", ")
	return msg.Text(h.sni)
}

func (h *helloInfo) readALPN(data cryptobyte.String) (string, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return "", false
	}
	for !list.Empty() {
		var p []byte
		if !list.ReadUint8LengthPrefixed((*cryptobyte.String)(&p)) {
			return strings.Join(h.alpn, ", "), false
		}
		h.alpn = append(h.alpn, printable(p))
	}
	return strings.Join(h.alpn, ", "), true
}

// supportedVersions: a list in ClientHello, one selected version in
// ServerHello/HelloRetryRequest (RFC 8446 §4.2.1).
func (h *helloInfo) supportedVersions(data cryptobyte.String) (string, bool) {
	if h.where != inClientHello {
		var v uint16
		if !data.ReadUint16(&v) || !data.Empty() {
			return "", false
		}
		h.versions = []uint16{v}
		return VersionName(v), true
	}
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() {
		return "", false
	}
	v, ok := readU16List(list)
	h.versions = v
	return names16(v, VersionName), ok
}

// keyShare: client_shares in ClientHello, one KeyShareEntry in ServerHello,
// the selected_group in HelloRetryRequest (RFC 8446 §4.2.8).
func (h *helloInfo) keyShare(data cryptobyte.String) (msg.Msg, bool) {
	if h.where == inHRR {
		var g uint16
		if !data.ReadUint16(&g) || !data.Empty() {
			return msg.Msg{}, false
		}
		h.keyShares = []string{GroupName(g)}
		return valRequested.New("Group", GroupName(g)), true
	}
	list := data
	if h.where == inClientHello && !data.ReadUint16LengthPrefixed(&list) {
		return msg.Msg{}, false
	}
	var out []msg.Msg
	for !list.Empty() {
		var g uint16
		var key []byte
		if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed((*cryptobyte.String)(&key)) {
			return listMsg(out), false
		}
		h.keyShares = append(h.keyShares, GroupName(g))
		out = append(out, valKeyShare.New("Group", GroupName(g), "Count", len(key)))
	}
	return listMsg(out), true
}

// certificateAuthorities reads DistinguishedName<1..2^16-1> entries
// (RFC 8446 §4.2.4, same layout as the TLS 1.2 CertificateRequest list).
func (h *helloInfo) certificateAuthorities(data cryptobyte.String) (msg.Msg, bool) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return msg.Msg{}, false
	}
	cas, ok := readDNs(list)
	h.cas = cas
	return dnList(cas), ok
}

func readDNs(list cryptobyte.String) ([][]byte, bool) {
	var out [][]byte
	for !list.Empty() {
		var dn []byte
		if !list.ReadUint16LengthPrefixed((*cryptobyte.String)(&dn)) {
			return out, false
		}
		out = append(out, bytes.Clone(dn))
	}
	return out, true
}

func dnList(dns [][]byte) msg.Msg {
	if len(dns) == 0 {
		return valNoCAsNamed.New()
	}
	out := make([]string, len(dns))
	for i, dn := range dns {
		out[i] = pki.DNString(dn)
	}
	return msg.Text(strings.Join(out, "; "))
}

// printable keeps names readable and harmless in a UI.
func printable(b []byte) string {
	b = b[:min(len(b), 256)]
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return '?'
		}
		return r
	}, string(b))
}

// ---- hellos ----

// clientHello: RFC 8446 §4.1.2 (same layout as RFC 5246 §7.4.1.2).
func (e *engine) clientHello(d *direction, dec *decoded, s cryptobyte.String) bool {
	var vers uint16
	var random, sid, suites, comp []byte
	if !s.ReadUint16(&vers) || !s.ReadBytes(&random, 32) || !readU8Bytes(&s, &sid) ||
		!readU16Bytes(&s, &suites) || !readU8Bytes(&s, &comp) {
		return false
	}
	if d == &e.client {
		e.clientRandom = bytes.Clone(random)
	}
	ids, ok := readU16List(cryptobyte.String(suites))
	f := &dec.fields
	f.add(fLegacyVersion, versionField(vers))
	f.add(fRandom, hex.EncodeToString(random))
	f.addMsg(fSessionID, hexOrEmpty(sid))
	f.add(fCipherSuites, names16(ids, CipherSuiteName))
	f.add(fCompressions, fmt.Sprintf("% x", comp))
	exts, extOK := readExtensions(&s)
	h := helloInfo{where: inClientHello}
	h.readKnown(f, exts)
	f.addMsg(fExtensions, extensionList(exts))
	dec.summary = clientHelloSummary(vers, len(ids), h)
	if h.renegotiation {
		dec.summary, dec.variant = sumRenegotiation.New("Summary", dec.summary), "renegotiation"
	}
	return ok && extOK
}

func clientHelloSummary(legacy uint16, nSuites int, h helloInfo) msg.Msg {
	versions := VersionName(legacy)
	if len(h.versions) > 0 {
		versions = names16(h.versions, VersionName)
	}
	return sumClientHello.New("Versions", versions, "Suites", nSuites, "SNI", h.sni,
		"KeyShares", strings.Join(h.keyShares, ", "))
}

// serverHello: RFC 8446 §4.1.3. The negotiated version is in
// supported_versions for TLS 1.3; a special random marks HelloRetryRequest.
func (e *engine) serverHello(d *direction, dec *decoded, s cryptobyte.String) bool {
	var vers, suite uint16
	var random, sid []byte
	var comp uint8
	if !s.ReadUint16(&vers) || !s.ReadBytes(&random, 32) || !readU8Bytes(&s, &sid) ||
		!s.ReadUint16(&suite) || !s.ReadUint8(&comp) {
		return false
	}
	h := helloInfo{where: inServerHello}
	if bytes.Equal(random, hrrRandom) {
		dec.name, h.where = "HelloRetryRequest", inHRR
	}
	exts, ok := readExtensions(&s)
	var ext Fields
	h.readKnown(&ext, exts)
	chosen := vers
	if len(h.versions) == 1 {
		chosen = h.versions[0]
	}
	if d == &e.server {
		e.version, e.suite = chosen, suite
		if h.where == inServerHello {
			e.serverRandom = bytes.Clone(random)
		}
	}
	e.serverHelloFields(dec, chosen, vers, suite, random, sid, comp)
	dec.fields = append(dec.fields, ext...)
	dec.fields.addMsg(fExtensions, extensionList(exts))
	dec.summary = serverHelloSummary(chosen, suite, h)
	if chosen == versionTLS13 {
		dec.variant = "tls13"
	}
	return ok
}

func (e *engine) serverHelloFields(dec *decoded, chosen, legacy, suite uint16, random, sid []byte, comp uint8) {
	f := &dec.fields
	f.add(fVersion, versionField(chosen))
	f.add(fLegacyVersion, versionField(legacy))
	f.add(fRandom, hex.EncodeToString(random))
	f.addMsg(fSessionID, hexOrEmpty(sid))
	f.add(fCipherSuite, fmt.Sprintf("%s (0x%04x)", CipherSuiteName(suite), suite))
	f.add(fCompression, fmt.Sprint(comp))
	// RFC 8446 §4.1.3: a TLS 1.3 server that negotiates an older version
	// says so in the last 8 bytes of its random.
	switch tail := string(random[24:]); tail {
	case "DOWNGRD\x01", "DOWNGRD\x00":
		f.addMsg(fDowngrade, valDowngrade.New())
	}
}

func serverHelloSummary(version, suite uint16, h helloInfo) msg.Msg {
	if h.where == inHRR {
		if len(h.keyShares) > 0 {
			return sumRetryShare.New("Group", h.keyShares[0])
		}
		return sumRetry.New()
	}
	return sumServerHello.New("Version", VersionName(version), "Suite", CipherSuiteName(suite),
		"KeyShare", first(h.keyShares), "ALPN", first(h.alpn))
}

// first is the first of a list, or "".
func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// encryptedExtensions: RFC 8446 §4.3.1.
func encryptedExtensions(dec *decoded, s cryptobyte.String) bool {
	exts, ok := readExtensions(&s)
	h := helloInfo{where: inEncryptedExtensions}
	h.readKnown(&dec.fields, exts)
	dec.fields.addMsg(fExtensions, extensionList(exts))
	dec.summary = sumEncryptedExtensions.New("ALPN", first(h.alpn), "Extensions", extensionList(exts))
	return ok
}
