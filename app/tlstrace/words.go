package tlstrace

import "github.com/cardcheck/cardcheck/app/msg"

// The words of summaries and field values as catalog entries: a step
// carries them as messages (SummaryMsg, Field.NameMsg, Field.ValueMsg),
// its English text fields are rendered from them. Protocol names (cipher
// suites, groups, alert names), numbers and hex are arguments, never
// translated.

// Summaries.
var (
	sumNotTLSRecord    = msg.Define("tlstrace.summary.not_tls_record", "not a TLS record; parsing of this direction stopped")
	sumNotTLS          = msg.Define("tlstrace.summary.not_tls", "not TLS: {{.Line}}")
	sumNotDecoded      = msg.DefinePlural("tlstrace.summary.not_decoded", "{{.Count}} byte, not decoded", "{{.Count}} bytes, not decoded")
	sumNotDecrypted    = msg.Define("tlstrace.summary.not_decrypted", "encrypted, not decrypted ({{.Reason}})")
	sumCCS13           = msg.Define("tlstrace.summary.ccs_tls13", "compatibility record, no effect in TLS 1.3")
	sumCCSClient       = msg.Define("tlstrace.summary.ccs_client", "from here on the client encrypts")
	sumCCSServer       = msg.Define("tlstrace.summary.ccs_server", "from here on the server encrypts")
	sumTooLarge        = msg.DefinePlural("tlstrace.summary.too_large", "{{.Count}} byte, too large to decode", "{{.Count}} bytes, too large to decode")
	sumAlert           = msg.Define("tlstrace.summary.alert", "{{.Level}} alert {{.Name}} ({{.Code}})")
	sumMoreAlerts      = msg.DefinePlural("tlstrace.summary.more_alerts", "… and {{.Count}} more alert", "… and {{.Count}} more alerts")
	sumHelloRequest    = msg.Define("tlstrace.summary.hello_request", "the server asks to renegotiate")
	sumHelloDone       = msg.Define("tlstrace.summary.server_hello_done", "the server has sent all its hello messages")
	sumMalformed       = msg.Define("tlstrace.summary.malformed", "malformed {{.Message}}")
	sumNoCertificate   = msg.Define("tlstrace.summary.no_certificate", "no certificate sent")
	sumCertificates    = msg.DefinePlural("tlstrace.summary.certificates", "{{.Count}} certificate: {{.First}}", "{{.Count}} certificates: {{.First}}")
	sumCertReqAnyCA    = msg.Define("tlstrace.summary.cert_request_any_ca", "asks for a client certificate; any CA")
	sumCertReqOneCA    = msg.Define("tlstrace.summary.cert_request_one_ca", "asks for a client certificate; CA {{.CA}}")
	sumCertReqCAs      = msg.DefinePlural("tlstrace.summary.cert_request_cas", "asks for a client certificate; {{.Count}} acceptable CA", "asks for a client certificate; {{.Count}} acceptable CAs")
	sumPostHandshake   = msg.Define("tlstrace.summary.post_handshake", "after the handshake: {{.Summary}}")
	sumKeyExchangeBits = msg.DefinePlural("tlstrace.summary.dhe_bits", "DHE {{.Count}} bit", "DHE {{.Count}} bits")
	sumSignedWith      = msg.Define("tlstrace.summary.key_exchange_signed", "{{.KeyExchange}}, signed with {{.Algorithm}}")
	sumKeyExchange     = msg.DefinePlural("tlstrace.summary.key_exchange_bytes", "{{.KeyExchange}} {{.Count}} byte", "{{.KeyExchange}} {{.Count}} bytes")
	sumSignature       = msg.DefinePlural("tlstrace.summary.signature", "signed with {{.Algorithm}} ({{.Count}} byte)", "signed with {{.Algorithm}} ({{.Count}} bytes)")
	sumVerifyData      = msg.DefinePlural("tlstrace.summary.verify_data", "verify data {{.Count}} byte", "verify data {{.Count}} bytes")
	sumSessionTicket   = msg.Define("tlstrace.summary.session_ticket", "session ticket, lifetime {{.Lifetime}}")
	sumKeyUpdate       = msg.Define("tlstrace.summary.key_update", "new keys from here on; {{.Request}}")
	sumStapledOCSP     = msg.DefinePlural("tlstrace.summary.stapled_ocsp", "stapled OCSP response, {{.Count}} byte", "stapled OCSP response, {{.Count}} bytes")
	sumClientHello     = msg.Define("tlstrace.summary.client_hello",
		"offers {{.Versions}}; {{.Suites}} cipher suites{{if .SNI}}; SNI {{.SNI}}{{end}}{{if .KeyShares}}; key share {{.KeyShares}}{{end}}")
	sumRenegotiation = msg.Define("tlstrace.summary.renegotiation", "renegotiation: {{.Summary}}")
	sumRetryShare    = msg.Define("tlstrace.summary.hrr_key_share", "asks the client to retry with key share {{.Group}}")
	sumRetry         = msg.Define("tlstrace.summary.hrr", "asks the client to send its hello again")
	sumServerHello   = msg.Define("tlstrace.summary.server_hello",
		"{{.Version}}, {{.Suite}}{{if .KeyShare}}, key share {{.KeyShare}}{{end}}{{if .ALPN}}, ALPN {{.ALPN}}{{end}}")
	sumEncryptedExtensions = msg.Define("tlstrace.summary.encrypted_extensions", "{{if .ALPN}}ALPN {{.ALPN}}; {{end}}extensions: {{.Extensions}}")
)

// Field values that are words.
var (
	valBytes          = msg.DefinePlural("tlstrace.value.bytes", "{{.Count}} byte", "{{.Count}} bytes")
	valBits           = msg.DefinePlural("tlstrace.value.bits", "{{.Count}} bit", "{{.Count}} bits")
	valEmpty          = msg.Define("tlstrace.value.empty", "empty")
	valNone           = msg.Define("tlstrace.value.none", "none")
	valMalformed      = msg.Define("tlstrace.value.malformed", "malformed")
	valAcknowledged   = msg.Define("tlstrace.value.acknowledged", "acknowledged")
	valDecodeError    = msg.Define("tlstrace.value.decode_error", "the message is malformed or truncated")
	valNoCAsNamed     = msg.Define("tlstrace.value.no_cas_named", "none named (any CA)")
	valCertLine       = msg.Define("tlstrace.value.certificate", "{{.Subject}}, issued by {{.Issuer}}, {{.Key}}, valid until {{.Date}}")
	valCertUnreadable = msg.DefinePlural("tlstrace.value.certificate_unreadable", "{{.Count}} byte, not readable: {{.Error}}", "{{.Count}} bytes, not readable: {{.Error}}")
	valEmptyName      = msg.Define("tlstrace.value.empty_name", "(empty name)")
	valLevel          = msg.Define("tlstrace.value.alert_level", "{{.Level}} ({{.Code}})")
	valFirstAlert     = msg.Define("tlstrace.value.first_alert", "{{.Level}} {{.Name}} ({{.Code}})")
	valMerged         = msg.DefinePlural("tlstrace.value.merged_alerts",
		"{{.Count}} alert in one record, not listed one by one (more than {{.Limit}} from the {{.Side}})",
		"{{.Count}} alerts in one record, not listed one by one (more than {{.Limit}} from the {{.Side}})")
	valLevelFatal    = msg.Define("tlstrace.value.level_fatal", "fatal")
	valLevelWarning  = msg.Define("tlstrace.value.level_warning", "warning")
	valSeconds       = msg.Define("tlstrace.value.seconds", "{{.Seconds}} s")
	valSecondsDays   = msg.DefinePlural("tlstrace.value.seconds_days", "{{.Seconds}} s ({{.Count}} day)", "{{.Seconds}} s ({{.Count}} days)")
	valSecondsHours  = msg.DefinePlural("tlstrace.value.seconds_hours", "{{.Seconds}} s ({{.Count}} hour)", "{{.Seconds}} s ({{.Count}} hours)")
	valUnknownCode   = msg.Define("tlstrace.value.unknown_code", "unknown ({{.Code}})")
	valRenegEmpty    = msg.Define("tlstrace.value.renegotiation_empty", "empty (first handshake, secure renegotiation supported)")
	valRenegotiation = msg.DefinePlural("tlstrace.value.renegotiation", "renegotiation, {{.Count}} byte of verify data", "renegotiation, {{.Count}} bytes of verify data")
	valRequested     = msg.Define("tlstrace.value.group_requested", "{{.Group}} (requested)")
	valKeyShare      = msg.DefinePlural("tlstrace.value.key_share", "{{.Group}} ({{.Count}} byte)", "{{.Group}} ({{.Count}} bytes)")
	valList          = msg.Define("tlstrace.value.list", "{{.Items}}")
	valDowngrade     = msg.Define("tlstrace.value.downgrade", "the server supports TLS 1.3 but chose an older version")
)

// Why records are not decrypted (the Reason of sumNotDecrypted).
var (
	whyTooMuchData  = msg.Define("tlstrace.no_key.too_much_data", "too much data while waiting for the key")
	whyDecryptError = msg.Define("tlstrace.no_key.decryption_failed", "decryption failed: {{.Error}}")
	whyNoKeyLog     = msg.Define("tlstrace.no_key.no_key_log", "no key log")
	whyNoHello      = msg.Define("tlstrace.no_key.no_client_hello", "no ClientHello seen")
	whyNoRandom     = msg.Define("tlstrace.no_key.no_client_random",
		"no CLIENT_RANDOM line for this handshake in the key log (none is written for a resumed TLS 1.2 session)")
	whyNeverLogged     = msg.Define("tlstrace.no_key.never_logged", "the key never appeared in the key log")
	whyKeyUpdateFailed = msg.Define("tlstrace.no_key.key_update_failed", "key update failed: {{.Error}}")
	whyUnsupported     = msg.Define("tlstrace.no_key.unsupported_suite", "cipher suite not supported for decryption")
	whyOldVersion      = msg.Define("tlstrace.no_key.old_version", "only TLS 1.2 and 1.3 records can be decrypted")
)

// fieldName is a field's name as a catalog entry; its ID is the field's
// code (tlstrace.field.cipher_suite).
func fieldName(code, english string) *msg.Def { return msg.Define("tlstrace.field."+code, english) }

// The field names, a fixed vocabulary.
var (
	fFirstBytes        = fieldName("first_bytes", "First bytes")
	fRecordType        = fieldName("record_type", "Record type")
	fLength            = fieldName("length", "Length")
	fNotDecrypted      = fieldName("not_decrypted_because", "Not decrypted because")
	fPayload           = fieldName("payload", "Payload")
	fLevel             = fieldName("level", "Level")
	fDescription       = fieldName("description", "Description")
	fMerged            = fieldName("merged", "Merged")
	fFirst             = fieldName("first", "First")
	fFirstLine         = fieldName("first_line", "First line")
	fDecodeError       = fieldName("decode_error", "Decode error")
	fRequestContext    = fieldName("request_context", "Request context")
	fCertificates      = fieldName("certificates", "Certificates")
	fCertificateN      = fieldName("certificate_n", "Certificate {{.N}}")
	fAcceptableCAs     = fieldName("acceptable_cas", "Acceptable CAs")
	fCertificateTypes  = fieldName("certificate_types", "Certificate types")
	fSignatureAlgs     = fieldName("signature_algorithms", "Signature algorithms")
	fSignatureAlgsCert = fieldName("signature_algorithms_cert", "Signature algorithms (certificates)")
	fExtensions        = fieldName("extensions", "Extensions")
	fKeyExchange       = fieldName("key_exchange", "Key exchange")
	fCurve             = fieldName("curve", "Curve")
	fPublicKey         = fieldName("public_key", "Public key")
	fDHPrime           = fieldName("dh_prime", "DH prime")
	fSignatureAlg      = fieldName("signature_algorithm", "Signature algorithm")
	fSignature         = fieldName("signature", "Signature")
	fPremaster         = fieldName("encrypted_premaster_secret", "Encrypted premaster secret")
	fPublicValue       = fieldName("public_value", "Public value")
	fVerifyData        = fieldName("verify_data", "Verify data")
	fLifetime          = fieldName("lifetime", "Lifetime")
	fNonce             = fieldName("nonce", "Nonce")
	fTicket            = fieldName("ticket", "Ticket")
	fRequestUpdate     = fieldName("request_update", "Request update")
	fStatusType        = fieldName("status_type", "Status type")
	fOCSPResponse      = fieldName("ocsp_response", "OCSP response")
	fServerName        = fieldName("server_name", "Server name (SNI)")
	fSupportedGroups   = fieldName("supported_groups", "Supported groups")
	fALPN              = fieldName("alpn", "ALPN")
	fSelectedVersion   = fieldName("selected_version", "Selected version")
	fSupportedVersions = fieldName("supported_versions", "Supported versions")
	fKeyShares         = fieldName("key_shares", "Key shares")
	fKeyShare          = fieldName("key_share", "Key share")
	fCAs               = fieldName("certificate_authorities", "Certificate authorities")
	fRenegotiationInfo = fieldName("renegotiation_info", "Renegotiation info")
	fRecordSizeLimit   = fieldName("record_size_limit", "Record size limit")
	fLegacyVersion     = fieldName("legacy_version", "Legacy version")
	fRandom            = fieldName("random", "Random")
	fSessionID         = fieldName("session_id", "Session ID")
	fCipherSuites      = fieldName("cipher_suites", "Cipher suites")
	fCompressions      = fieldName("compression_methods", "Compression methods")
	fVersion           = fieldName("version", "Version")
	fCipherSuite       = fieldName("cipher_suite", "Cipher suite")
	fCompression       = fieldName("compression_method", "Compression method")
	fDowngrade         = fieldName("downgrade_marker", "Downgrade marker")
)

// bytesMsg is "1 byte", "2 bytes".
func bytesMsg(n int) msg.Msg { return valBytes.New("Count", n) }

// byteCount is bytesMsg in English.
func byteCount(n int) string { return msg.English(bytesMsg(n)) }

// listMsg joins messages with ", " (in every language).
func listMsg(items []msg.Msg) msg.Msg {
	if len(items) == 1 {
		return items[0]
	}
	return valList.New("Items", items)
}

// alertLevel names an alert level as a message: fatal and warning are
// words, anything else ("unknown(N)") is shown as it is.
func alertLevel(level string) msg.Msg {
	switch level {
	case "fatal":
		return valLevelFatal.New()
	case "warning":
		return valLevelWarning.New()
	}
	return msg.Text(level)
}

// unknownCode is "unknown (N)".
func unknownCode(n int) msg.Msg { return valUnknownCode.New("Code", n) }
