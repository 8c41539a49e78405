package certcheck

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// SignatureRecord is one signature the card made: the digest it was given
// (the message itself for Ed25519), the options, and the signature, exactly
// as crypto.Signer.Sign saw them.
type SignatureRecord struct {
	Digest    []byte
	Opts      crypto.SignerOpts
	Signature []byte
}

// SignChallenge signs a random 32-byte SHA-256 digest with signer (the
// card's key) and records it, for Input.Challenge. RSA keys sign with
// PKCS #1 v1.5, which every card supports; Ed25519 signs the random bytes.
func SignChallenge(signer crypto.Signer) (SignatureRecord, error) {
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return SignatureRecord{}, err
	}
	rec := SignatureRecord{Digest: random, Opts: crypto.Hash(0)}
	if _, ok := signer.Public().(ed25519.PublicKey); !ok {
		sum := sha256.Sum256(random)
		rec.Digest, rec.Opts = sum[:], crypto.SHA256
	}
	sig, err := signer.Sign(rand.Reader, rec.Digest, rec.Opts)
	if err != nil {
		return SignatureRecord{}, err
	}
	rec.Signature = sig
	return rec, nil
}

// KeyPossession verifies in software that every signature the card made
// checks out with the leaf's public key. A server does the same with the
// TLS CertificateVerify message; when it fails, the card holds a key that
// does not belong to the certificate. With no records, challenge (if not
// nil) is called once to make one.
func KeyPossession(leaf *x509.Certificate, records []SignatureRecord, challenge func() (SignatureRecord, error)) Check {
	if leaf == nil {
		return result(NameKeyPossession, Skipped, noCertificate.New())
	}
	fromChallenge := false
	if len(records) == 0 {
		if challenge == nil {
			return result(NameKeyPossession, Skipped, kpNoSignature.New())
		}
		rec, err := challenge()
		if err != nil {
			return result(NameKeyPossession, Fail, kpChallengeFail.New("Reason", err.Error()))
		}
		records, fromChallenge = []SignatureRecord{rec}, true
	}
	for _, rec := range records {
		if err := verifySignature(leaf.PublicKey, rec); err != nil {
			return possessionFailure(err)
		}
	}
	if fromChallenge {
		return result(NameKeyPossession, Pass, kpChallengeOK.New())
	}
	return result(NameKeyPossession, Pass, kpSignedOK.New())
}

// errUnsupportedKey marks public keys this package cannot verify with: the
// result is then unknown rather than a false accusation.
var errUnsupportedKey = errors.New("unsupported key type")

func possessionFailure(err error) Check {
	if errors.Is(err, errUnsupportedKey) {
		return result(NameKeyPossession, Unknown, kpUnsupported.New("Reason", err.Error()))
	}
	return result(NameKeyPossession, Fail, kpMismatch.New())
}

func verifySignature(pub crypto.PublicKey, rec SignatureRecord) error {
	if len(rec.Signature) == 0 {
		return errors.New("empty signature")
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := rec.Opts.(*rsa.PSSOptions); ok {
			return rsa.VerifyPSS(pub, pss.HashFunc(), rec.Digest, rec.Signature, pss)
		}
		return rsa.VerifyPKCS1v15(pub, hashOf(rec.Opts), rec.Digest, rec.Signature)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, rec.Digest, rec.Signature) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, rec.Digest, rec.Signature) {
			return errors.New("Ed25519 signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("%w %T", errUnsupportedKey, pub)
}

// hashOf tolerates nil options, which crypto.Signer callers sometimes pass
// for raw RSA signatures.
func hashOf(opts crypto.SignerOpts) crypto.Hash {
	if opts == nil {
		return 0
	}
	return opts.HashFunc()
}
