// Package certcheck runs, on the user's computer, the checks a TLS server
// makes on a client certificate, so that cardcheck can say *why* a server
// refuses a card instead of only *that* it does (SPEC §4, "Client
// certificate checks").
//
// There are six checks, each reported as a Check with a stable name and
// status (they are part of the `checks` JSON contract, SPEC §5):
//
//	key-possession  the card's signature verifies with the certificate's key
//	validity        the certificate is inside its validity period
//	chain           it chains to a trusted root (CA file or system store)
//	revocation      OCSP, else the CRL distribution points, say it is not revoked
//	key-usage       key usage and extended key usage allow client authentication
//	acceptable-ca   it chains to a CA the server named in its CertificateRequest
//
// The package is pure Go and never talks to a token: the caller passes the
// signatures the card made during the handshake (SignatureRecord) and,
// when there were none, a function that signs one random challenge — so a
// test costs at most one signature on the card. Network access (AIA
// caIssuers, OCSP, CRL) goes through the caller's http.Client and is bounded
// by one deadline for all fetches together: a check that cannot reach a
// server says "unknown", it never hangs the test.
//
// Details are one plain-language sentence for end users; they name
// certificates by their common name. Each is a message of the catalog
// (messages.go, package msg): Check.Detail is its English, Check.DetailMsg
// the message a GUI shows in its language.
package certcheck
