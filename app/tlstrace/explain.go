package tlstrace

import (
	"strings"

	"github.com/cardcheck/cardcheck/app/msg"
)

// explain returns the plain-language paragraph for a step. Keys are tried
// from the most specific to the least: "Message/from/variant",
// "Message/*/variant", "Message/from", "Message". Variants: "tls13" (TLS 1.3
// form), "empty" (Certificate without certificates), "encrypted" (record that
// could not be decrypted), the alert code for Alert.
func explain(message, from, variant string) msg.Msg {
	keys := []string{message + "/" + from}
	if variant != "" {
		keys = []string{message + "/" + from + "/" + variant, message + "/*/" + variant, message + "/" + from}
	}
	for _, k := range append(keys, message) {
		if d, ok := explanationDefs[k]; ok {
			return d.New()
		}
	}
	if message == "Alert" {
		return explanationDefs["Alert/*/other"].New()
	}
	return msg.Msg{}
}

// explanationDefs are the explanations as catalog entries, with IDs made
// from the keys: "Alert/*/48" is tlstrace.explain.Alert.any.48.
var explanationDefs = func() map[string]*msg.Def {
	out := make(map[string]*msg.Def, len(explanations))
	id := strings.NewReplacer("/", ".", "*", "any")
	for k, text := range explanations {
		out[k] = msg.Define("tlstrace.explain."+id.Replace(k), text)
	}
	return out
}()

// The texts are for trainees and helpdesk staff: what the message is for,
// in everyday words. "You"/"your card" is the person testing their card.
var explanations = map[string]string{
	"ClientHello": "The client (this program) opens the conversation: it lists the TLS versions, " +
		"encryption methods (cipher suites) and signature algorithms it can use, names the server it " +
		"wants to reach (SNI) and, for TLS 1.3, already sends its half of the key exchange (key share).",
	"ClientHello/client/renegotiation": "The client starts a new handshake inside the existing encrypted " +
		"connection (renegotiation), because the server asked for it. This second handshake is how some " +
		"servers ask for a client certificate only for certain pages.",
	"ServerHello": "The server picks one TLS version and one cipher suite from the client's offer and " +
		"sends its half of the key exchange. In TLS 1.2 the rest of the server's hello messages, including " +
		"its certificate, still travel unencrypted.",
	"ServerHello/server/tls13": "The server picks TLS 1.3 and one cipher suite from the client's offer and " +
		"sends its half of the key exchange. Both sides can now compute shared keys, so everything after " +
		"this message is encrypted.",
	"HelloRetryRequest": "The server cannot use any key share the client sent and asks it to start again " +
		"with a different key exchange group. This costs one extra round trip but is normal.",
	"EncryptedExtensions": "The first encrypted message of TLS 1.3: the server confirms the extra features " +
		"it agreed to, such as the application protocol (ALPN, e.g. http/1.1 or h2).",
	"Certificate/server": "The server proves its identity with its certificate chain. The client checks that " +
		"it was issued by a CA it trusts, that it is still valid and that it is made out to the server name it wanted.",
	"Certificate/client": "The client sends your certificate (and the CA certificates above it) so that the " +
		"server can see who you are and whether a CA it trusts issued the certificate.",
	"Certificate/client/empty": "The client sent an empty certificate list: no certificate was offered. " +
		"Either no usable certificate was chosen or none matched what the server asked for. A server that " +
		"requires a client certificate will now refuse the connection.",
	"Certificate/server/empty": "The server sent an empty certificate list, which is unusual: the client " +
		"cannot verify who it is talking to.",
	"CertificateRequest": "The server asks for a client certificate. It says which signature algorithms it " +
		"accepts and usually lists the certificate authorities (CAs) it trusts: your certificate must have " +
		"been issued by one of them, otherwise the server will reject it.",
	"CertificateRequest/server/posthandshake": "The server asks for a client certificate after the TLS 1.3 " +
		"handshake has finished (post-handshake authentication). This program, like every Go client, does " +
		"not support that; the server must ask during the handshake instead.",
	"ServerKeyExchange": "TLS 1.2: the server sends its temporary key-exchange value and signs it with the " +
		"private key of its certificate, so the client knows the value really comes from that server.",
	"ServerHelloDone": "TLS 1.2: the server has finished its part of the greeting and now waits for the " +
		"client's answer (certificate, key exchange and proof of key possession).",
	"ClientKeyExchange": "TLS 1.2: the client sends its half of the key exchange. From both halves, client " +
		"and server compute the same secret keys without ever sending them.",
	"CertificateVerify/client": "Your card signed a hash of every message so far; the server checks it with " +
		"the public key in your certificate. This proves that the card holds the private key that belongs " +
		"to the certificate.",
	"CertificateVerify/server": "The server signed a hash of every message so far with its private key; the " +
		"client checks it with the public key in the server certificate. This proves the server owns that certificate.",
	"Finished/client": "The client's check value over the whole handshake. If anything had been changed on " +
		"the way, the server would notice here. After this the client may send application data.",
	"Finished/server": "The server's check value over the whole handshake. If anything had been changed on " +
		"the way, the client would notice here.",
	"Finished/*/encrypted": "This is the Finished message (the check value over the whole handshake), " +
		"encrypted with the new keys. It could not be decrypted here, so its content is not shown.",
	"ChangeCipherSpec": "TLS 1.2: the sender switches on encryption. Every record it sends after this one " +
		"is encrypted with the keys just agreed.",
	"ChangeCipherSpec/*/tls13": "In TLS 1.3 this record does nothing. It is sent only so that old network " +
		"equipment which expects TLS 1.2 lets the connection through.",
	"NewSessionTicket": "The server gives the client a ticket it can use to reconnect later without a full " +
		"handshake. It has nothing to do with the client certificate check.",
	"HelloRequest": "TLS 1.2: the server asks the client to start a new handshake inside the encrypted " +
		"connection (renegotiation). Servers such as IIS do this to ask for a client certificate only " +
		"for certain pages.",
	"KeyUpdate": "TLS 1.3: the sender switches to fresh encryption keys. This is routine housekeeping on " +
		"long connections.",
	"CertificateStatus": "The server attaches a recent statement from its CA (OCSP response) that its " +
		"certificate has not been revoked.",
	"ApplicationData/client": "Encrypted data of the application itself, for example the HTTP request this " +
		"program sends after the handshake.",
	"ApplicationData/server": "Encrypted data of the application itself, for example the server's HTTP " +
		"answer. An answer such as 400 or 403 means TLS worked but the web server still refused the request.",
	"ApplicationData/*/encrypted": "An encrypted record that could not be decrypted here, so its content " +
		"is not known.",
	"EncryptedHandshake": "An encrypted handshake message that could not be decrypted here. In TLS 1.2 this " +
		"usually means a renegotiation inside the encrypted connection.",
	"EncryptedRecord": "An encrypted TLS 1.3 record. Without the session keys it is impossible to tell " +
		"whether it holds handshake messages, application data or an alert.",
	"Alert/*/encrypted": "An alert that was encrypted and could not be decrypted here, so its meaning is not known.",
	"Heartbeat":         "A TLS heartbeat (keep-alive) message.",
	"Malformed": "These bytes are not a valid TLS record, so reading stopped here. Often the other side " +
		"does not speak TLS on this port (for example a plain HTTP server), or the connection was cut.",

	"Alert/*/other": "An alert: the sender reports a problem or that it is closing the connection.",
	"Alert/*/0":     "close_notify: the sender is closing the connection in an orderly way. This is normal at the end.",
	"Alert/*/10": "unexpected_message: a message arrived that was not allowed at this point of the " +
		"handshake. This usually points to a bug or an incompatibility.",
	"Alert/*/20": "bad_record_mac: a record could not be decrypted or was changed on the way. Something in " +
		"the network may be tampering with the connection.",
	"Alert/*/22": "record_overflow: a record was longer than allowed.",
	"Alert/server/40": "handshake_failure: the server could not agree on security settings with the client, " +
		"or refused the handshake for another reason. In TLS 1.2 many servers send this when a required " +
		"client certificate is missing or was rejected.",
	"Alert/client/40": "handshake_failure: the client could not agree on security settings with the server.",
	"Alert/server/42": "bad_certificate: the server rejected your certificate. Common reasons: it was not " +
		"issued by a CA the server trusts, its chain is incomplete, or the signature check failed.",
	"Alert/client/42": "bad_certificate: the client rejected the server's certificate, typically because it " +
		"is not trusted, expired or made out to another name.",
	"Alert/server/43": "unsupported_certificate: the server cannot use this kind of certificate " +
		"(for example its key type or usage is not allowed).",
	"Alert/server/44": "certificate_revoked: the server says your certificate has been revoked by its CA. " +
		"You need a new certificate.",
	"Alert/client/44": "certificate_revoked: the client says the server's certificate has been revoked.",
	"Alert/server/45": "certificate_expired: the server says your certificate (or a CA certificate above " +
		"it) has expired or is not yet valid. Check the validity dates and the computer's clock.",
	"Alert/client/45": "certificate_expired: the server's certificate has expired or is not yet valid.",
	"Alert/server/46": "certificate_unknown: the server could not accept your certificate for some other reason.",
	"Alert/client/46": "certificate_unknown: the client could not accept the server's certificate.",
	"Alert/*/47":      "illegal_parameter: a field in a handshake message had a value the other side does not allow.",
	"Alert/server/48": "unknown_ca: the server does not trust the CA that issued your certificate, or it " +
		"could not build the chain up to a CA it trusts (an intermediate CA certificate may be missing).",
	"Alert/client/48": "unknown_ca: this program does not trust the CA that issued the server's certificate.",
	"Alert/server/49": "access_denied: the server accepted your certificate as valid but this identity is " +
		"not allowed in.",
	"Alert/*/50": "decode_error: a message could not be read; it was malformed or truncated.",
	"Alert/server/51": "decrypt_error: a signature or check value did not verify. For a client certificate " +
		"this often means the card's signature in CertificateVerify did not match the certificate's public key.",
	"Alert/client/51": "decrypt_error: a signature or check value from the server did not verify.",
	"Alert/*/70":      "protocol_version: the two sides have no TLS version in common.",
	"Alert/*/71":      "insufficient_security: the sender requires stronger security than was offered.",
	"Alert/*/80":      "internal_error: the sender had an internal problem unrelated to the other side.",
	"Alert/*/86":      "inappropriate_fallback: a retry with an older TLS version was refused.",
	"Alert/*/90":      "user_canceled: the handshake was cancelled by the sender.",
	"Alert/*/100":     "no_renegotiation: the sender refuses to renegotiate the connection.",
	"Alert/*/109":     "missing_extension: a required TLS extension was missing.",
	"Alert/*/110":     "unsupported_extension: an extension was sent that the other side did not ask for.",
	"Alert/*/112":     "unrecognized_name: the server does not know the host name the client asked for (SNI).",
	"Alert/*/113":     "bad_certificate_status_response: the stapled OCSP response was invalid.",
	"Alert/*/115":     "unknown_psk_identity: the pre-shared key the client named is unknown.",
	"Alert/server/116": "certificate_required: the server requires a client certificate but none was sent. " +
		"Choose a certificate, or check that it matches the CAs the server asked for.",
	"Alert/*/117": "general_error: the sender failed for an unspecified reason.",
	"Alert/*/120": "no_application_protocol: the two sides have no application protocol (ALPN) in common.",
	"Alert/*/121": "ech_required: the server requires Encrypted Client Hello.",
}
