package testrig

import (
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
)

// writeFiles writes the PKI as PEM files into Dir.
func (r *Rig) writeFiles() error {
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

	interCRL, err := r.Intermediate.CRL([]*x509.Certificate{r.Entries[Revoked].Cert}, zero, zero)
	if err != nil {
		return err
	}
	rootCRL, err := r.Root.CRL(nil, zero, zero)
	if err != nil {
		return err
	}
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
