package tlstrace

import (
	"crypto/tls"
	"fmt"
)

// Names follow the IANA "Transport Layer Security (TLS) Parameters" registry.

var alertNames = map[int]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
	40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error",
	52: "too_many_cids_requested", 60: "export_restriction", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
	90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
	110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required", 117: "general_error",
	120: "no_application_protocol", 121: "ech_required",
}

// AlertName returns the IANA name of an alert description, e.g. 48 →
// "unknown_ca", or "unknown(N)".
func AlertName(code int) string {
	if n, ok := alertNames[code]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", code)
}

func alertLevelName(l uint8) string {
	switch l {
	case 1:
		return "warning"
	case 2:
		return "fatal"
	}
	return fmt.Sprintf("unknown(%d)", l)
}

var sigSchemeNames = map[uint16]string{
	0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1", 0x0202: "dsa_sha1",
	0x0301: "rsa_sha224", 0x0302: "dsa_sha224", 0x0303: "ecdsa_sha224",
	0x0401: "rsa_pkcs1_sha256", 0x0402: "dsa_sha256", 0x0403: "ecdsa_secp256r1_sha256",
	0x0501: "rsa_pkcs1_sha384", 0x0502: "dsa_sha384", 0x0503: "ecdsa_secp384r1_sha384",
	0x0601: "rsa_pkcs1_sha512", 0x0602: "dsa_sha512", 0x0603: "ecdsa_secp521r1_sha512",
	0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512",
	0x0807: "ed25519", 0x0808: "ed448",
	0x0809: "rsa_pss_pss_sha256", 0x080a: "rsa_pss_pss_sha384", 0x080b: "rsa_pss_pss_sha512",
	0x081a: "ecdsa_brainpoolP256r1tls13_sha256", 0x081b: "ecdsa_brainpoolP384r1tls13_sha384",
	0x081c: "ecdsa_brainpoolP512r1tls13_sha512",
	0x0904: "mldsa44", 0x0905: "mldsa65", 0x0906: "mldsa87",
}

// SignatureSchemeName returns the IANA name of a TLS SignatureScheme (TLS 1.3)
// or SignatureAndHashAlgorithm (TLS 1.2), e.g. 0x0804 → "rsa_pss_rsae_sha256".
func SignatureSchemeName(s uint16) string {
	if n, ok := sigSchemeNames[s]; ok {
		return n
	}
	if isGREASE(s) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", s)
}

var groupNames = map[uint16]string{
	1: "sect163k1", 23: "secp256r1", 24: "secp384r1", 25: "secp521r1",
	26: "brainpoolP256r1", 27: "brainpoolP384r1", 28: "brainpoolP512r1",
	29: "x25519", 30: "x448",
	31: "brainpoolP256r1tls13", 32: "brainpoolP384r1tls13", 33: "brainpoolP512r1tls13",
	256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
	512: "MLKEM512", 513: "MLKEM768", 514: "MLKEM1024",
	4587: "SecP256r1MLKEM768", 4588: "X25519MLKEM768", 4589: "SecP384r1MLKEM1024",
	25497: "X25519Kyber768Draft00",
}

// GroupName returns the IANA name of a named group, e.g. 29 → "x25519",
// 4588 → "X25519MLKEM768".
func GroupName(g uint16) string {
	if n, ok := groupNames[g]; ok {
		return n
	}
	if isGREASE(g) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", g)
}

var extensionNames = map[uint16]string{
	0: "server_name", 1: "max_fragment_length", 2: "client_certificate_url",
	3: "trusted_ca_keys", 4: "truncated_hmac", 5: "status_request", 6: "user_mapping",
	7: "client_authz", 8: "server_authz", 9: "cert_type", 10: "supported_groups",
	11: "ec_point_formats", 12: "srp", 13: "signature_algorithms", 14: "use_srtp",
	15: "heartbeat", 16: "application_layer_protocol_negotiation", 17: "status_request_v2",
	18: "signed_certificate_timestamp", 19: "client_certificate_type",
	20: "server_certificate_type", 21: "padding", 22: "encrypt_then_mac",
	23: "extended_master_secret", 24: "token_binding", 25: "cached_info", 26: "tls_lts",
	27: "compress_certificate", 28: "record_size_limit", 29: "pwd_protect", 30: "pwd_clear",
	31: "password_salt", 32: "ticket_pinning", 33: "tls_cert_with_extern_psk",
	34: "delegated_credential", 35: "session_ticket", 36: "TLMSP", 37: "TLMSP_proxying",
	38: "TLMSP_delegate", 39: "supported_ekt_ciphers", 41: "pre_shared_key",
	42: "early_data", 43: "supported_versions", 44: "cookie", 45: "psk_key_exchange_modes",
	47: "certificate_authorities", 48: "oid_filters", 49: "post_handshake_auth",
	50: "signature_algorithms_cert", 51: "key_share", 52: "transparency_info",
	53: "connection_id_deprecated", 54: "connection_id", 55: "external_id_hash",
	56: "external_session_id", 57: "quic_transport_parameters", 58: "ticket_request",
	59: "dnssec_chain", 60: "sequence_number_encryption_algorithms", 61: "rrc",
	62: "tls_flags", 0xfd00: "ech_outer_extensions", 0xfe0d: "encrypted_client_hello",
	0xff01: "renegotiation_info",
}

// ExtensionName returns the IANA name of a TLS extension, e.g. 51 →
// "key_share".
func ExtensionName(e uint16) string {
	if n, ok := extensionNames[e]; ok {
		return n
	}
	if isGREASE(e) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", e)
}

// CipherSuiteName returns the IANA name of a cipher suite. It adds the
// signalling values and GREASE to tls.CipherSuiteName.
func CipherSuiteName(id uint16) string {
	switch {
	case id == 0x00ff:
		return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
	case id == 0x5600:
		return "TLS_FALLBACK_SCSV"
	case isGREASE(id):
		return "GREASE"
	}
	return tls.CipherSuiteName(id)
}

// VersionName returns "TLS 1.3" etc. for a protocol version.
func VersionName(v uint16) string {
	switch {
	case v == 0x0300:
		return "SSL 3.0"
	case isGREASE(v):
		return "GREASE"
	}
	return tls.VersionName(v)
}

// isGREASE reports the reserved values of RFC 8701 §2 (0x0A0A, 0x1A1A, …).
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

var handshakeNames = map[uint8]string{
	0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest",
	4: "NewSessionTicket", 5: "EndOfEarlyData", 6: "HelloRetryRequest",
	8: "EncryptedExtensions", 9: "RequestConnectionId", 10: "NewConnectionId",
	11: "Certificate", 12: "ServerKeyExchange", 13: "CertificateRequest",
	14: "ServerHelloDone", 15: "CertificateVerify", 16: "ClientKeyExchange",
	17: "ClientCertificateRequest", 20: "Finished", 21: "CertificateURL",
	22: "CertificateStatus", 23: "SupplementalData", 24: "KeyUpdate",
	25: "CompressedCertificate", 26: "EKTKey", 254: "MessageHash",
}

func handshakeName(t uint8) string {
	if n, ok := handshakeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("Unknown(%d)", t)
}

var certTypeNames = map[uint8]string{
	1: "rsa_sign", 2: "dss_sign", 3: "rsa_fixed_dh", 4: "dss_fixed_dh",
	5: "rsa_ephemeral_dh", 6: "dss_ephemeral_dh", 20: "fortezza_dms",
	64: "ecdsa_sign", 65: "rsa_fixed_ecdh", 66: "ecdsa_fixed_ecdh",
	67: "gost_sign256", 68: "gost_sign512",
}

func certTypeName(t uint8) string {
	if n, ok := certTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("%d", t)
}
