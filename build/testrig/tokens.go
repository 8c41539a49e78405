package testrig

import "github.com/cardcheck/cardcheck/token/softhsm"

// tokenSpecs turns the entries into the two tokens.
func (r *Rig) tokenSpecs() []softhsm.TokenSpec {
	main := softhsm.TokenSpec{Label: MainToken, PIN: PIN, SOPIN: SOPIN}
	for _, n := range EntryNames() {
		main.Objects = append(main.Objects, objects(r.Entries[n])...)
	}
	big := softhsm.TokenSpec{Label: BigToken, PIN: PIN, SOPIN: SOPIN}
	for _, e := range r.Bulk {
		big.Objects = append(big.Objects, objects(e)...)
	}
	return []softhsm.TokenSpec{main, big}
}

// objects are the PKCS#11 objects of one entry: its certificate, and its
// private key with the public key, as far as the entry has them.
func objects(e *Entry) []softhsm.Object {
	var out []softhsm.Object
	if e.DER != nil {
		out = append(out, softhsm.CertObject{ID: e.ID, Label: e.Label, Value: e.DER,
			Authority: e.Cert != nil && e.Cert.IsCA})
	}
	if e.Key != nil {
		out = append(out, softhsm.KeyObject{ID: e.ID, Label: e.Label, Key: e.Key,
			WithPublic: true, AlwaysAuthenticate: e.Name == AlwaysAuth})
	}
	return out
}
