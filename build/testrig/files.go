package testrig

import (
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// crls makes the intermediate's CRL, listing the Revoked entry, and the
// root's empty CRL: the files and the revocation endpoints share them.
func (r *Rig) crls() (interCRL, rootCRL []byte, err error) {
	interCRL, err = r.Intermediate.CRL([]*x509.Certificate{r.Entries[Revoked].Cert}, zero, zero)
	if err != nil {
		return nil, nil, err
	}
	rootCRL, err = r.Root.CRL(nil, zero, zero)
	return interCRL, rootCRL, err
}

// writeFiles writes the PKI as PEM files into Dir.
func (r *Rig) writeFiles(interCRL, rootCRL []byte) error {
	path := func(name string) string { return filepath.Join(r.Dir, name) }
	r.CAFile = path("ca.pem")
	r.IntermediateFile = path("intermediate.pem")
	r.ChainFile = path("chain.pem")
	r.UntrustedCAFile = path("untrusted-ca.pem")
	r.CRLFile = path("crl.pem")
	r.CRLAllFile = path("crl-all.pem")
	r.ServerCertFile = path("server.pem")
	r.ServerKeyFile = path("server-key.pem")
	r.UntrustedServerCertFile = path("untrusted-server.pem")
	r.UntrustedServerKeyFile = path("untrusted-server-key.pem")

	writes := []func() error{
		func() error { return pki.WriteCerts(r.CAFile, r.Root.Cert) },
		func() error { return pki.WriteCerts(r.IntermediateFile, r.Intermediate.Cert) },
		func() error { return pki.WriteCerts(r.ChainFile, r.Root.Cert, r.Intermediate.Cert) },
		func() error { return pki.WriteCerts(r.UntrustedCAFile, r.Untrusted.Cert) },
		func() error { return pki.WriteCRL(r.CRLFile, interCRL) },
		func() error { return pki.WriteCRL(r.CRLAllFile, interCRL, rootCRL) },
		func() error { return pki.WriteCerts(r.ServerCertFile, r.Server.Certificates()...) },
		func() error { return pki.WriteKey(r.ServerKeyFile, r.Server.Key) },
		func() error { return pki.WriteCerts(r.UntrustedServerCertFile, r.UntrustedServer.Certificates()...) },
		func() error { return pki.WriteKey(r.UntrustedServerKeyFile, r.UntrustedServer.Key) },
	}
	for _, w := range writes {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

// zero asks pki for its default CRL timing (valid from a minute ago for a
// week).
var zero time.Time
