package tlstrace

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/app/pki"
	"golang.org/x/crypto/cryptobyte"
)

// decoded is what a message decoder found.
type decoded struct {
	name    string
	summary msg.Msg
	variant string // selects a more specific explanation
	fields  Fields
	ok      bool
}

func (e *engine) decode(d *direction, typ uint8, body []byte) decoded {
	dec := decoded{name: handshakeName(typ)}
	s := cryptobyte.String(body)
	switch typ {
	case 0:
		dec.ok, dec.summary = s.Empty(), sumHelloRequest.New()
	case 1:
		dec.ok = e.clientHello(d, &dec, s)
	case 2:
		dec.ok = e.serverHello(d, &dec, s)
	case 4:
		dec.ok = e.newSessionTicket(&dec, s)
	case 8:
		dec.ok = encryptedExtensions(&dec, s)
	case 11:
		dec.ok = e.certificate(d, &dec, s)
	case 12:
		dec.ok = e.serverKeyExchange(&dec, s)
	case 13:
		dec.ok = e.certificateRequest(d, &dec, s)
	case 14:
		dec.ok, dec.summary = s.Empty(), sumHelloDone.New()
	case 15:
		dec.ok = certificateVerify(&dec, s)
	case 16:
		dec.ok = e.clientKeyExchange(&dec, s)
	case 20:
		dec.ok = finished(&dec, s)
	case 22:
		dec.ok = certificateStatus(&dec, s)
	case 24:
		dec.ok = keyUpdate(&dec, s)
	default:
		dec.ok, dec.summary = true, sumNotDecoded.New("Count", len(body))
	}
	if !dec.ok {
		dec.fields.addMsg(fDecodeError, valDecodeError.New())
		dec.summary = sumMalformed.New("Message", dec.name)
	}
	return dec
}

// ---- small helpers ----

func readU8Bytes(s *cryptobyte.String, out *[]byte) bool {
	return s.ReadUint8LengthPrefixed((*cryptobyte.String)(out))
}

func readU16Bytes(s *cryptobyte.String, out *[]byte) bool {
	return s.ReadUint16LengthPrefixed((*cryptobyte.String)(out))
}

func readU16List(s cryptobyte.String) ([]uint16, bool) {
	var out []uint16
	for !s.Empty() {
		var v uint16
		if !s.ReadUint16(&v) {
			return out, false
		}
		out = append(out, v)
	}
	return out, true
}

func names16(vals []uint16, name func(uint16) string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = name(v)
	}
	return strings.Join(out, ", ")
}

func versionField(v uint16) string { return fmt.Sprintf("%s (0x%04x)", VersionName(v), v) }

func hexOrEmpty(b []byte) msg.Msg {
	if len(b) == 0 {
		return valEmpty.New()
	}
	return msg.Text(hex.EncodeToString(b))
}

// ---- certificates ----

// certificate: TLS 1.3 has a request context and per-entry extensions
// (RFC 8446 §4.4.2); TLS 1.2 is a plain list (RFC 5246 §7.4.2).
func (e *engine) certificate(d *direction, dec *decoded, s cryptobyte.String) bool {
	tls13 := e.version == versionTLS13
	if tls13 {
		var ctx []byte
		if !readU8Bytes(&s, &ctx) {
			return false
		}
		dec.fields.addMsg(fRequestContext, hexOrEmpty(ctx))
	}
	certs, ok := readCertList(&s, tls13)
	if d == &e.server && ok {
		e.serverCerts = certs
	}
	describeCerts(dec, certs)
	return ok
}

func readCertList(s *cryptobyte.String, tls13 bool) ([][]byte, bool) {
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, false
	}
	var certs [][]byte
	for !list.Empty() {
		var der []byte
		if !list.ReadUint24LengthPrefixed((*cryptobyte.String)(&der)) {
			return certs, false
		}
		var exts cryptobyte.String
		if tls13 && !list.ReadUint16LengthPrefixed(&exts) {
			return certs, false
		}
		certs = append(certs, bytes.Clone(der))
	}
	return certs, true
}

func describeCerts(dec *decoded, certs [][]byte) {
	dec.fields.add(fCertificates, fmt.Sprint(len(certs)))
	if len(certs) == 0 {
		dec.summary, dec.variant = sumNoCertificate.New(), "empty"
		return
	}
	for i, der := range certs[:min(len(certs), maxCertsListed)] {
		line := certLine(der)
		dec.fields.addNamed(fCertificateN.New("N", i+1), msg.English(line), line)
	}
	dec.summary = sumCertificates.New("Count", len(certs), "First", certLine(certs[0]))
}

// certLine describes a certificate in one line for a helpdesk.
func certLine(der []byte) msg.Msg {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return valCertUnreadable.New("Count", len(der), "Error", err.Error())
	}
	return valCertLine.New("Subject", shortName(c.Subject), "Issuer", shortName(c.Issuer), "Key", keyDesc(c),
		"Date", c.NotAfter.UTC().Format("2006-01-02"))
}

func shortName(n pkix.Name) msg.Msg {
	if n.CommonName != "" {
		return msg.Text("CN=" + n.CommonName)
	}
	if s := n.String(); s != "" {
		return msg.Text(s)
	}
	return valEmptyName.New()
}

func keyDesc(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// certificateRequest: TLS 1.2 (RFC 5246 §7.4.4) lists certificate types,
// signature algorithms and CA names; TLS 1.3 (RFC 8446 §4.3.2) carries a
// context and extensions (signature_algorithms, certificate_authorities).
func (e *engine) certificateRequest(d *direction, dec *decoded, s cryptobyte.String) bool {
	cr := &CertRequest{Version: e.version}
	var ok bool
	if e.version == versionTLS13 {
		ok = certificateRequest13(dec, cr, s)
	} else {
		ok = certificateRequest12(dec, cr, s, e.version)
	}
	cr.AcceptableCAs = make([]string, len(cr.RawCAs))
	for i, dn := range cr.RawCAs {
		cr.AcceptableCAs[i] = pki.DNString(dn)
	}
	dec.fields.addMsg(fAcceptableCAs, dnList(cr.RawCAs))
	dec.summary = caSummary(cr.AcceptableCAs)
	if e.version == versionTLS13 && d.phase == phaseApplication {
		// RFC 8446 §4.6.2 post-handshake authentication, which crypto/tls
		// does not implement (it never offers post_handshake_auth).
		dec.summary, dec.variant = sumPostHandshake.New("Summary", dec.summary), "posthandshake"
	}
	if d == &e.server && ok {
		e.certReq = cr
	}
	return ok
}

func caSummary(cas []string) msg.Msg {
	switch len(cas) {
	case 0:
		return sumCertReqAnyCA.New()
	case 1:
		return sumCertReqOneCA.New("CA", cas[0])
	}
	return sumCertReqCAs.New("Count", len(cas))
}

func certificateRequest12(dec *decoded, cr *CertRequest, s cryptobyte.String, version uint16) bool {
	var types []byte
	if !readU8Bytes(&s, &types) {
		return false
	}
	for _, t := range types {
		cr.CertificateTypes = append(cr.CertificateTypes, certTypeName(t))
	}
	dec.fields.add(fCertificateTypes, strings.Join(cr.CertificateTypes, ", "))
	// supported_signature_algorithms exists from TLS 1.2 on.
	if version == 0 || version >= versionTLS12 {
		var sigs cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&sigs) {
			return false
		}
		ids, ok := readU16List(sigs)
		setSchemes(cr, ids)
		dec.fields.add(fSignatureAlgs, strings.Join(cr.SignatureSchemes, ", "))
		if !ok {
			return false
		}
	}
	var cas cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&cas) || !s.Empty() {
		return false
	}
	var ok bool
	cr.RawCAs, ok = readDNs(cas)
	return ok
}

func certificateRequest13(dec *decoded, cr *CertRequest, s cryptobyte.String) bool {
	if !readU8Bytes(&s, &cr.Context) {
		return false
	}
	cr.Context = bytes.Clone(cr.Context)
	dec.fields.addMsg(fRequestContext, hexOrEmpty(cr.Context))
	exts, ok := readExtensions(&s)
	h := helloInfo{where: inCertificateRequest}
	var ext Fields
	h.readKnown(&ext, exts)
	setSchemes(cr, h.sigs)
	cr.RawCAs = h.cas
	for _, f := range ext {
		if f.NameMsg.ID != fCAs.ID { // shown as "Acceptable CAs"
			dec.fields = append(dec.fields, f)
		}
	}
	dec.fields.addMsg(fExtensions, extensionList(exts))
	return ok
}

func setSchemes(cr *CertRequest, ids []uint16) {
	cr.SchemeIDs = ids
	cr.SignatureSchemes = make([]string, len(ids))
	for i, id := range ids {
		cr.SignatureSchemes[i] = SignatureSchemeName(id)
	}
}

// ---- key exchange and signatures ----

// keyExchange tells the TLS 1.2 key exchange from the suite name.
func keyExchange(suite uint16) string {
	n := CipherSuiteName(suite)
	switch {
	case strings.Contains(n, "_ECDHE_"):
		return "ECDHE"
	case strings.Contains(n, "_DHE_"):
		return "DHE"
	case strings.HasPrefix(n, "TLS_RSA_"):
		return "RSA"
	}
	return ""
}

// serverKeyExchange: ECDHE params (RFC 8422 §5.4) or DHE params
// (RFC 5246 §7.4.3), then the signature over them.
func (e *engine) serverKeyExchange(dec *decoded, s cryptobyte.String) bool {
	kx := keyExchange(e.suite)
	f := &dec.fields
	f.add(fKeyExchange, kx)
	var summary msg.Msg
	switch kx {
	case "ECDHE":
		var curveType uint8
		var curve uint16
		var point []byte
		if !s.ReadUint8(&curveType) || curveType != 3 || !s.ReadUint16(&curve) || !readU8Bytes(&s, &point) {
			return false
		}
		f.add(fCurve, GroupName(curve))
		f.addMsg(fPublicKey, bytesMsg(len(point)))
		summary = msg.Text("ECDHE " + GroupName(curve))
	case "DHE":
		var p, g, y []byte
		if !readU16Bytes(&s, &p) || !readU16Bytes(&s, &g) || !readU16Bytes(&s, &y) {
			return false
		}
		bits := 8 * len(bytes.TrimLeft(p, "\x00"))
		f.addMsg(fDHPrime, valBits.New("Count", bits))
		summary = sumKeyExchangeBits.New("Count", bits)
	default:
		f.addMsg(fLength, bytesMsg(len(s)))
		dec.summary = sumNotDecoded.New("Count", len(s))
		return true
	}
	alg, ok := e.signature(dec, &s)
	dec.summary = summary
	if alg != "" {
		dec.summary = sumSignedWith.New("KeyExchange", summary, "Algorithm", alg)
	}
	return ok
}

// signature reads SignatureAndHashAlgorithm + signature (RFC 5246 §4.7)
// and returns the algorithm's name; TLS 1.0/1.1 have no algorithm field.
func (e *engine) signature(dec *decoded, s *cryptobyte.String) (string, bool) {
	var alg uint16
	if e.version != 0 && e.version < versionTLS12 {
		var sig []byte
		ok := readU16Bytes(s, &sig) && s.Empty()
		dec.fields.addMsg(fSignature, bytesMsg(len(sig)))
		return "", ok
	}
	var sig []byte
	if !s.ReadUint16(&alg) || !readU16Bytes(s, &sig) || !s.Empty() {
		return "", false
	}
	dec.fields.add(fSignatureAlg, SignatureSchemeName(alg))
	dec.fields.addMsg(fSignature, bytesMsg(len(sig)))
	return SignatureSchemeName(alg), true
}

// clientKeyExchange: ECDHE public point (RFC 8422 §5.7), RSA-encrypted
// premaster secret or DH public value (RFC 5246 §7.4.7).
func (e *engine) clientKeyExchange(dec *decoded, s cryptobyte.String) bool {
	kx := keyExchange(e.suite)
	dec.fields.add(fKeyExchange, kx)
	var v []byte
	var ok bool
	switch kx {
	case "ECDHE":
		ok = readU8Bytes(&s, &v) && s.Empty()
		dec.fields.addMsg(fPublicKey, bytesMsg(len(v)))
	case "RSA":
		ok = readU16Bytes(&s, &v) && s.Empty()
		dec.fields.addMsg(fPremaster, bytesMsg(len(v)))
	case "DHE":
		ok = readU16Bytes(&s, &v) && s.Empty()
		dec.fields.addMsg(fPublicValue, bytesMsg(len(v)))
	default:
		ok, v = true, s
		dec.fields.addMsg(fLength, bytesMsg(len(s)))
	}
	dec.summary = bytesMsg(len(v))
	if kx != "" {
		dec.summary = sumKeyExchange.New("KeyExchange", kx, "Count", len(v))
	}
	return ok
}

// certificateVerify: algorithm + signature over the transcript
// (RFC 8446 §4.4.3, RFC 5246 §7.4.8).
func certificateVerify(dec *decoded, s cryptobyte.String) bool {
	var alg uint16
	var sig []byte
	if !s.ReadUint16(&alg) || !readU16Bytes(&s, &sig) || !s.Empty() {
		return false
	}
	dec.fields.add(fSignatureAlg, SignatureSchemeName(alg))
	dec.fields.addMsg(fSignature, bytesMsg(len(sig)))
	dec.summary = sumSignature.New("Algorithm", SignatureSchemeName(alg), "Count", len(sig))
	return true
}

// finished: verify_data is the rest of the message (RFC 8446 §4.4.4,
// RFC 5246 §7.4.9).
func finished(dec *decoded, s cryptobyte.String) bool {
	dec.fields.addMsg(fVerifyData, bytesMsg(len(s)))
	dec.summary = sumVerifyData.New("Count", len(s))
	return len(s) > 0
}

// ---- post-handshake ----

// newSessionTicket: TLS 1.3 (RFC 8446 §4.6.1) or RFC 5077 §3.3.
func (e *engine) newSessionTicket(dec *decoded, s cryptobyte.String) bool {
	var lifetime, ageAdd uint32
	var nonce, ticket []byte
	f := &dec.fields
	if !s.ReadUint32(&lifetime) {
		return false
	}
	f.addMsg(fLifetime, lifetimeField(lifetime))
	if e.version == versionTLS13 {
		if !s.ReadUint32(&ageAdd) || !readU8Bytes(&s, &nonce) {
			return false
		}
		f.addMsg(fNonce, bytesMsg(len(nonce)))
	}
	if !readU16Bytes(&s, &ticket) {
		return false
	}
	f.addMsg(fTicket, bytesMsg(len(ticket)))
	dec.summary = sumSessionTicket.New("Lifetime", lifetimeField(lifetime))
	if e.version == versionTLS13 {
		exts, ok := readExtensions(&s)
		f.addMsg(fExtensions, extensionList(exts))
		return ok
	}
	return s.Empty()
}

func lifetimeField(secs uint32) msg.Msg {
	switch {
	case secs == 0:
		return valSeconds.New("Seconds", 0)
	case secs%86400 == 0:
		return valSecondsDays.New("Seconds", int(secs), "Count", int(secs/86400))
	case secs%3600 == 0:
		return valSecondsHours.New("Seconds", int(secs), "Count", int(secs/3600))
	}
	return valSeconds.New("Seconds", int(secs))
}

// keyUpdate: RFC 8446 §4.6.3.
func keyUpdate(dec *decoded, s cryptobyte.String) bool {
	var req uint8
	if !s.ReadUint8(&req) || !s.Empty() {
		return false
	}
	v := msg.Text(map[uint8]string{0: "update_not_requested", 1: "update_requested"}[req])
	if v.IsZero() {
		v = unknownCode(int(req))
	}
	dec.fields.addMsg(fRequestUpdate, v)
	dec.summary = sumKeyUpdate.New("Request", v)
	return true
}

// certificateStatus: a stapled OCSP response (RFC 6066 §8).
func certificateStatus(dec *decoded, s cryptobyte.String) bool {
	var typ uint8
	var resp []byte
	if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed((*cryptobyte.String)(&resp)) || !s.Empty() {
		return false
	}
	dec.fields.add(fStatusType, map[bool]string{true: "ocsp", false: fmt.Sprint(typ)}[typ == 1])
	dec.fields.addMsg(fOCSPResponse, bytesMsg(len(resp)))
	dec.summary = sumStapledOCSP.New("Count", len(resp))
	return true
}

// ---- application data ----

var httpPrefixes = []string{
	"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
	"HTTP/1.", "PRI * HTTP/2",
}

// httpFirstLine returns the request or status line of HTTP/1.x data.
func httpFirstLine(data []byte) string {
	for _, p := range httpPrefixes {
		if bytes.HasPrefix(data, []byte(p)) {
			return textLine(data)
		}
	}
	return ""
}

// textLine returns the first line of data if it is printable ASCII text.
func textLine(data []byte) string {
	data = data[:min(len(data), 200)]
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		data = data[:i]
	}
	if len(data) < 4 {
		return ""
	}
	for _, c := range data {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(data)
}
