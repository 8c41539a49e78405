// Package token is cardcheck's PKCS#11 layer: it finds modules, lists the
// tokens in their slots with their certificates and keys, logs in safely,
// and signs with a key that never leaves the card.
//
// The path through Cryptoki is module → slot → token → session → login:
//
//	m := token.NewManager(token.Options{})
//	inv := m.Scan(token.Discover(token.DiscoverOptions{}))   // modules, tokens, certificates (no login)
//	s, _ := inv.Tokens[0].Module.Open(inv.Tokens[0].Ref())   // found by serial, not slot ID
//	err := s.Login(token.LoginOptions{PIN: pin})             // at most one C_Login
//	signer, _ := s.Signer(cert)                              // crypto.Signer on the card
//
// PIN safety (docs/contract.md) is enforced here, below every caller: a locked token
// is never sent a PIN, a token on its final try only with explicit consent,
// a PIN the token rejected is never sent again by this process, and no
// error or log line carries a PIN.
//
// All calls into a library are serialized per module; the Backend interface
// is the seam where tests inject faults into a real SoftHSM module.
package token
