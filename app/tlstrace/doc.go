// Package tlstrace watches the bytes of one TLS connection from the client
// side and turns them into a list of handshake steps that people can read.
//
// A Tracer wraps the net.Conn that is handed to tls.Client. Bytes written are
// client→server, bytes read are server→client. The tracer splits both streams
// into TLS records (RFC 8446 §5.1, RFC 5246 §6.2), reassembles handshake
// messages across records (and splits several messages found in one record),
// decodes every message and reports it as a Step through a callback, in wire
// order per direction, as soon as it can be decoded. The bytes themselves are
// never changed or delayed: the tracer only looks at copies after the real
// Read or Write has returned.
//
// Decryption. TLS 1.3 encrypts everything after ServerHello. With the secrets
// that crypto/tls writes to Config.KeyLogWriter (NSS key log format) the
// tracer derives the record keys (RFC 8446 §7.1, §7.3) and decrypts the
// encrypted handshake, post-handshake messages, alerts and application data.
// crypto/tls may hand the whole server flight to the tracer in one Read before
// it logs the handshake secrets, so records that cannot be decrypted yet are
// held back and reported when the matching key log line arrives; Flush (also
// called by Close on the wrapped conn) reports whatever is still held back as
// "encrypted, not decrypted". TLS 1.2 records after ChangeCipherSpec are
// decrypted from the CLIENT_RANDOM line for AES-GCM (RFC 5288),
// ChaCha20-Poly1305 (RFC 7905) and AES-CBC (RFC 5246 §6.2.3.2) suites,
// including a renegotiation inside the encrypted connection. crypto/tls logs
// that line before its ChangeCipherSpec, so TLS 1.2 never waits: without it
// (for example a resumed session, for which none is written) records are
// reported as not decrypted at once. KeyUpdate (RFC 8446 §7.2) is followed.
//
// Decoding and callbacks. A Read, Write or key log write only queues its
// bytes; a goroutine of the tracer decodes them (decrypting a flight does not
// hold up the handshake), and every getter, Flush and Close decode what is
// queued first, so they see what crossed the wire before them. onStep runs
// on that goroutine (or in Flush), never concurrently and in Seq order; a GUI
// should hand the step to its own goroutine. Seq is emission order; At is when
// the carrying record was seen, so a record decrypted late keeps its wire time.
//
// Robustness. Garbage never panics the tracer: a malformed record stops
// parsing of that direction and is reported as a "Malformed" step. Buffers are
// bounded (a record is at most 2^14+2048 bytes, a handshake message at most
// 256 KiB, records held back for a key at most 1 MiB per direction, at most
// 100 application data steps per direction and 10000 steps in all; Notes
// says when a limit was hit; at most 1 MiB waits to be decoded: beyond, a Read
// or Write decodes before it returns) and the one decoding goroutine ends
// when nothing waits.
//
// Field values. Step.Fields is an ordered list of name/value pairs whose
// values are plain strings; lists are joined with ", " (for example the
// offered cipher suites), except distinguished names, which contain commas
// and are joined with "; ". Fields marshals to a JSON object that keeps the
// order. Field names are stable and meant for display.
//
// Words. Summary, field names and values that are words are English
// renderings of messages (package msg): Step.SummaryMsg, Field.NameMsg
// (its ID is the field's code) and Field.ValueMsg, so that a GUI can show
// them in its language; protocol names, numbers and hex are arguments and
// read the same in every language. JSON carries them as summary_msg and
// field_msgs beside the English.
//
// Message names. Besides the handshake message names of RFC 8446/5246
// (ClientHello … KeyUpdate), steps use "ChangeCipherSpec", "Alert",
// "ApplicationData", "Heartbeat", "Unknown(N)" for an unknown handshake or
// content type N, "EncryptedHandshake" for a TLS 1.2 handshake record that
// could not be decrypted (the first one after ChangeCipherSpec is reported as
// "Finished"), "EncryptedRecord" for a TLS 1.3 record that could not be
// decrypted (its real content type is hidden), and "Malformed" when a stream
// stops looking like TLS.
package tlstrace
