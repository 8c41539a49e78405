package probe

import "github.com/cardcheck/cardcheck/app/msg"

// The probe's words, as catalog entries (package msg): the Result carries
// each sentence as a message (ID and arguments) beside its English text.
// Rules for the words: one sentence a person can act on; say what
// happened, then what to do; name the server's own words (alert names,
// HTTP codes) so helpdesk staff can search for them. Advice names
// command-line flags; the GUI words flag advice by its code.

// IDs of the summaries that only restate the verdict (a GUI that shows
// the verdict as a headline may leave them out).
const (
	SummaryAccepted = "probe.summary.accepted"
	SummaryRejected = "probe.summary.rejected"
	// SummaryFailedBecause restates the failed verdict before its error (its
	// Error argument): a GUI with the verdict as a headline may show the
	// error alone.
	SummaryFailedBecause = "probe.summary.failed_because"
)

// Verdict summaries.
var (
	sumAccepted        = msg.Define(SummaryAccepted, "Your card works with this server: it accepted your certificate.")
	sumAcceptedPage    = msg.Define("probe.summary.accepted_page_error", "Your card works with this server: it accepted your certificate (the page itself answered {{.Status}} {{.Reason}}).")
	sumDenied          = msg.Define("probe.summary.denied", "The server accepted your certificate, but the application refused access (HTTP {{.Status}}).")
	sumRejected        = msg.Define(SummaryRejected, "The server refused your certificate.")
	sumNotRequested    = msg.Define("probe.summary.not_requested", "The server never asked for a client certificate, so your card was not used.")
	sumServerUntrusted = msg.Define("probe.summary.server_untrusted", "The server's own certificate could not be verified, so the test stopped before your certificate was sent.")
	sumFailed          = msg.Define("probe.summary.failed", "The test could not be completed.")
	sumFailedBecause   = msg.Define(SummaryFailedBecause, "The test could not be completed: {{.Error}}")
	sumClosedUnclear   = msg.Define("probe.summary.closed_unclear", "The server closed the connection after receiving your certificate, without saying why: either it refused the certificate, or it accepted it and the service behind it closed.")
	sumPHAFailed       = msg.Define("probe.summary.post_handshake_failed", "Your card could not be tested over TLS 1.3: {{.Error}}")
	sumServiceClosed   = msg.Define("probe.summary.service_closed", "The server accepted your certificate, but then the service closed the connection without an answer.")
	sumPHAAccepted     = msg.Define("probe.summary.post_handshake_accepted", "Your card works with this server over TLS 1.2. Over TLS 1.3 the server asks for the certificate only after the request, which Chrome, Edge and Safari cannot answer.")
	sumBlamed          = msg.Define("probe.summary.refused_because_check", "{{.Refusal}}, most likely because {{.Reason}}.")
)

// Refusals a failed local check is blamed for (sumBlamed's Refusal).
var (
	refusalHTTP   = msg.Define("probe.refusal.http", "The server refused access (HTTP {{.Status}})")
	refusalDenied = msg.Define("probe.refusal.access_denied", "The server refused access (access_denied)")
	refusalClosed = msg.Define("probe.refusal.closed", "The server closed the connection after receiving your certificate")
)

// Causes other than the alerts (causes).
var (
	causeBlamed         = namingCheck(msg.Define("probe.cause.check_failed", "Most likely because {{.Reason}}: the local {{.Check}} check failed ({{.Detail}})."))
	causeUnknownAlert   = msg.Define("probe.cause.unknown_alert", "The server sent the TLS alert {{.Alert}}.")
	causeNoCertificate  = msg.Define("probe.cause.no_certificate", "The server says no client certificate was sent (HTTP 400).")
	causeCertError      = msg.Define("probe.cause.certificate_error", "The server could not verify your certificate (HTTP 400 \"SSL certificate error\"): usually an issuer it does not trust, a revoked or an expired certificate.")
	causeHTTP400        = msg.Define("probe.cause.http_400", "The server answered HTTP 400 Bad Request, which servers such as nginx use for client certificate errors.")
	causeHTTPDenied     = msg.Define("probe.cause.http_denied", "The server accepted your certificate in TLS, but the application does not let you in.")
	causeClosed         = msg.Define("probe.cause.closed", "The server closed the connection after receiving your certificate, without saying why.")
	causeServiceClosed  = msg.Define("probe.cause.service_closed", "The server's TLS layer accepted your certificate, then the service closed the connection without an answer (the service behind it may be down or may have refused you).")
	causeClosedUnclear  = msg.Define("probe.cause.closed_unclear", "Either the server refused your certificate without sending an alert, or it accepted it and the service behind it then closed the connection. This TLS 1.3 server sends no session ticket, which would have told the two apart; its log says which.")
	causeHTTPHeadLimits = msg.Define("probe.cause.http_head_limits", "The server's HTTP answer broke cardcheck's limits ({{.Limit}}).")
	causeProxyLimits    = msg.Define("probe.cause.proxy_head_limits", "The HTTP proxy's answer broke cardcheck's limits ({{.Limit}}).")
	causePHA            = msg.Define("probe.cause.post_handshake_auth", phaCause)
)

// Errors that end a test (ErrorInfo.Message).
var (
	errNotReached       = msg.Define("probe.error.not_reached", "The server was not reached: {{.Reason}}.")
	errUnknownHost      = msg.Define("probe.error.unknown_host", "The host name {{.Host}} could not be found (DNS). Check the address for typing mistakes.")
	errRefused          = msg.Define("probe.error.refused", "Nothing is listening on {{.Address}} (connection refused). Check the address and the port, and that the server is running.")
	errUnreachable      = msg.Define("probe.error.unreachable", "{{.Host}} cannot be reached from this computer (no route). Check the network connection or VPN.")
	errConnect          = msg.Define("probe.error.connect", "Could not connect to {{.Address}}: {{.Reason}}")
	errCanceled         = msg.Define("probe.error.canceled", "The test was canceled.")
	errTimeout          = msg.Define("probe.error.timeout", "The server did not answer in time while {{.Doing}} (time limit {{.Limit}}).")
	errCardSign         = msg.Define("probe.error.card_sign", "The card could not sign: {{.Reason}}")
	errNoCommonScheme   = msg.Define("probe.error.no_common_scheme", "The card cannot sign with any algorithm the server accepts (server: {{.Server}}; card: {{.Card}}).")
	errAlertBeforeAsk   = msg.Define("probe.error.alert_before_request", "The server ended the handshake with the alert {{.Alert}} before asking for a certificate: {{.Meaning}}")
	errAlertWithoutAsk  = msg.Define("probe.error.alert_without_request", "The server ended the connection with the alert {{.Alert}} without asking for a certificate: {{.Meaning}}")
	errClosedInHS       = msg.Define("probe.error.closed_in_handshake", "The server closed the connection during the handshake. It may not speak TLS on this port, or it refused the connection.")
	errHandshake        = msg.Define("probe.error.handshake", "The TLS handshake failed: {{.Reason}}")
	errPlainHTTP        = msg.Define("probe.error.plain_http", "{{.Address}} answered in plain HTTP, not TLS. Check the port (HTTPS is usually 443) and the scheme.")
	errNotTLS           = msg.Define("probe.error.not_tls", "{{.Address}} does not speak TLS: its first bytes ({{.Bytes}}) are not a TLS record.")
	errHTTPHeadTooLarge = msg.Define("probe.error.http_head_too_large", "The server sent {{.Limit}} in its answer, more than any web server sends; cardcheck stopped reading. The answer says nothing about your card.")
	errConnFailed       = msg.Define("probe.error.connection_failed", "The connection failed while {{.Doing}}: {{.Reason}}")
	errClosedNoAnswer   = msg.Define("probe.error.closed_no_answer", "The server closed the connection without an answer and without asking for a certificate.")
	errPHA              = msg.Define("probe.error.post_handshake_auth", "The server asks for the client certificate only after the TLS 1.3 handshake (post-handshake authentication), which cardcheck cannot answer.")
)

// What the test was doing when time ran out or the connection failed
// (the Doing of errTimeout and errConnFailed).
var (
	doingConnect    = msg.Define("probe.doing.connecting", "connecting")
	doingHandshake  = msg.Define("probe.doing.handshake", "doing the TLS handshake")
	doingWaitServer = msg.Define("probe.doing.waiting_server", "waiting for the server after the handshake")
	doingWait       = msg.Define("probe.doing.waiting_service", "waiting for the service after the handshake")
	doingSend       = msg.Define("probe.doing.sending_request", "sending the HTTP request")
	doingAnswer     = msg.Define("probe.doing.waiting_answer", "waiting for the HTTP answer")
)

// Notes.
var (
	noteServiceData     = msg.Define("probe.note.service_data", "The service sent data after the handshake.")
	noteNoLateAlert     = msg.Define("probe.note.no_late_alert", "No alert came within {{.Wait}} after the handshake (--late-alert-wait), and the service kept the connection open.")
	noteServiceOpen     = msg.Define("probe.note.service_open", "The service kept the connection open after the handshake.")
	noteServiceClosed   = msg.Define("probe.note.service_closed", "The service closed the connection after the handshake.")
	noteNoRequestTLS12  = msg.Define("probe.note.no_request_tls12", "Over TLS 1.2 the server did not ask for a certificate either: the refusal over TLS 1.3 is not about client certificates.")
	noteChainCut        = msg.Define("probe.note.server_chain_cut", "The server sent {{.Count}} certificates; the first {{.Shown}} are listed.")
	noteRepeatedTLS12   = msg.Define("probe.note.repeated_tls12", "Over TLS 1.3 the server did not ask for a certificate in the handshake and then refused the request or closed: the test was repeated over TLS 1.2.")
	noteUserInfo        = msg.Define("probe.note.url_user_not_sent", "The user name (and password) in the URL are not sent: cardcheck tests the certificate, and sends no Authorization header.")
	noteConnectedVia    = msg.Define("probe.note.connected_via", "Connected through proxy {{.Proxy}}.")
	noteAIADownloaded   = msg.Define("probe.note.aia_downloaded", "The issuing CA certificate was downloaded from the certificate's AIA address and sent with it (the card does not carry it).")
	noteAIANoAnswer     = msg.Define("probe.note.aia_no_answer", "The CA's AIA address {{.URL}} did not answer within {{.Wait}}: the certificate was sent without its issuing CA certificate.")
	fallbackPHA         = msg.Define("probe.fallback.post_handshake_auth", "Over TLS 1.3 the server asks for the certificate only after the request (post-handshake authentication), which Go cannot answer, so the test used TLS 1.2, where the server asks by renegotiation.")
	fallbackNoPSS       = msg.Define("probe.fallback.no_pss", "The card cannot make RSA-PSS signatures (no CKM_RSA_PKCS_PSS), which TLS 1.3 requires for RSA keys, so the test used TLS 1.2.")
	errTLS13NeedsPSS    = msg.Define("probe.error.tls13_needs_pss", "TLS 1.3 needs an RSA-PSS signature from an RSA key, and this card cannot make one (its module lacks CKM_RSA_PKCS_PSS). Test with TLS 1.2 (or auto) instead.")
	errBadTLSVersion    = msg.Define("probe.error.bad_tls_version", "the TLS version must be auto, 1.2 or 1.3")
	serverNotTrustedCA  = msg.Define("probe.server.unknown_authority", "the server's certificate was issued by a CA this computer does not trust")
	serverWrongHost     = msg.Define("probe.server.wrong_host", "the server's certificate is not valid for this host name ({{.Host}})")
	serverExpired       = msg.Define("probe.server.expired", "the server's certificate has expired or is not valid yet")
	serverWrongUsage    = msg.Define("probe.server.wrong_usage", "the server's certificate is not meant for TLS servers (its extended key usage does not include server authentication)")
	serverWeakSignature = msg.Define("probe.server.weak_signature", "the server's certificate chain is signed with {{.Algorithm}}, which is no longer accepted as secure")
	serverNotVerified   = msg.Define("probe.server.not_verified", "the server's certificate could not be verified: {{.Reason}}")
	checkNoMechanism    = msg.Define("probe.check.no_mechanism", "the token lists no mechanism this key can sign TLS with")
	checkSchemeMismatch = msg.Define("probe.check.scheme_mismatch", "the server accepts {{.Server}}; the card can sign {{.Card}}")
	checkSchemeFits     = msg.Define("probe.check.scheme_fits", "the card can sign {{.Schemes}}, which the server accepts")
)

// Pre-flight summaries.
var (
	pfServerUntrusted = msg.Define("probe.preflight.server_untrusted", "The server's own certificate could not be verified: the test stops before the PIN is needed.")
	pfPHAFallback     = msg.Define("probe.preflight.post_handshake_tls12", "Over TLS 1.3 the server asks for no certificate in the handshake and then refuses the request: it wants post-handshake authentication. The test with the card runs over TLS 1.2.")
	pfPHAFailed       = msg.Define("probe.preflight.post_handshake_tls13", "Over TLS 1.3 the server asks for the certificate only after the request (post-handshake authentication), which cardcheck cannot answer: the card cannot be tested with TLS 1.3.")
	pfFailed          = msg.Define("probe.preflight.failed", "The server could not be tested: {{.Error}}")
	pfNotRequested    = msg.Define("probe.preflight.not_requested", "The server did not ask for a client certificate: the card is not needed.")
	pfRequest         = msg.Define("probe.preflight.request", "The server asks for a client certificate{{.Issuers}}{{.How}}{{.Fit}}")
	pfIssuedBy        = msg.Define("probe.preflight.issued_by", " issued by {{.Names}}")
	pfIssuedByMore    = msg.DefinePlural("probe.preflight.issued_by_more", " issued by {{.Names}} and {{.Count}} more", " issued by {{.Names}} and {{.Count}} more")
	pfByReneg         = msg.Define("probe.preflight.by_renegotiation", " (by renegotiation, after the request)")
	pfNoCard          = msg.Define("probe.preflight.end", ".")
	pfFits            = msg.Define("probe.preflight.fits", " — yours fits.")
	pfMayNotFit       = msg.Define("probe.preflight.may_not_fit", " — yours may not fit (see the fit checks).")
)
