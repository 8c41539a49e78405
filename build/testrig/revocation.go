package testrig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cardcheck/cardcheck/app/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// Paths of the revocation endpoints under Rig.RevocationURL.
const (
	IntermediateCRLPath  = "/intermediate.crl" // Intermediate's CRL (DER), listing the Revoked entry
	RootCRLPath          = "/root.crl"         // Root's empty CRL (DER)
	IntermediateCertPath = "/intermediate.crt" // Intermediate's certificate (DER), for AIA caIssuers
	OCSPPath             = "/ocsp"             // OCSP responder for Intermediate's certificates (POST, or GET /ocsp/<base64>)
)

// maxOCSPRequest bounds what the responder reads: a request is ~100 bytes.
const maxOCSPRequest = 64 << 10

// revocationServer serves the rig's CRLs, the intermediate for AIA and an
// OCSP responder, on 127.0.0.1. It listens before the PKI is built (the
// leaves need its URL) and serves once the content exists (serve).
type revocationServer struct {
	ln      net.Listener
	srv     *http.Server
	url     string
	offline atomic.Bool
	stalled atomic.Bool
	// ocspDown answers OCSP requests with 503 so that a client falls back
	// to the CRL; interCRLOverride, when set, is served instead of
	// interCRL (a huge CRL for the memory tests).
	ocspDown         atomic.Bool
	interCRLOverride atomic.Pointer[[]byte]

	// Set by serve, read-only afterwards.
	ca        *pki.CA
	interCRL  []byte
	rootCRL   []byte
	revokedAt map[string]time.Time // serial number → revocation time, from interCRL
}

func listenRevocation() (*revocationServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &revocationServer{ln: ln, url: "http://" + ln.Addr().String()}, nil
}

// serve starts answering with the intermediate ca and the two CRLs.
func (s *revocationServer) serve(ca *pki.CA, interCRL, rootCRL []byte) error {
	crl, err := x509.ParseRevocationList(interCRL)
	if err != nil {
		return err
	}
	s.ca, s.interCRL, s.rootCRL = ca, interCRL, rootCRL
	s.revokedAt = map[string]time.Time{}
	for _, e := range crl.RevokedCertificateEntries {
		s.revokedAt[e.SerialNumber.String()] = e.RevocationTime
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+IntermediateCRLPath, s.intermediateCRL)
	mux.HandleFunc("GET "+RootCRLPath, s.file("application/pkix-crl", s.rootCRL))
	mux.HandleFunc("GET "+IntermediateCertPath, s.file("application/pkix-cert", ca.Cert.Raw))
	mux.HandleFunc("POST "+OCSPPath, s.unlessOCSPDown(s.ocsp))
	mux.HandleFunc("GET "+OCSPPath+"/", s.unlessOCSPDown(s.ocsp))
	s.srv = &http.Server{Handler: s.unlessOffline(mux), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(s.ln)
	return nil
}

// close stops the server, or only the listener when serve never ran.
func (s *revocationServer) close() {
	if s.srv != nil {
		s.srv.Close()
		return
	}
	s.ln.Close()
}

// unlessOffline drops the connection without an answer while the rig is
// offline: to a client that is what an unreachable server looks like
// after connecting.
func (s *revocationServer) unlessOffline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.stalled.Load() {
			<-r.Context().Done() // never answer; the client gives up
			return
		}
		if !s.offline.Load() {
			next.ServeHTTP(w, r)
			return
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "revocation endpoints offline", http.StatusServiceUnavailable)
	})
}

// intermediateCRL serves the override when a test set one, else the
// intermediate's CRL.
func (s *revocationServer) intermediateCRL(w http.ResponseWriter, r *http.Request) {
	body := s.interCRL
	if o := s.interCRLOverride.Load(); o != nil {
		body = *o
	}
	s.file("application/pkix-crl", body)(w, r)
}

// unlessOCSPDown answers 503 while the responder is set down.
func (s *revocationServer) unlessOCSPDown(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.ocspDown.Load() {
			http.Error(w, "OCSP responder down", http.StatusServiceUnavailable)
			return
		}
		next(w, r)
	}
}

func (s *revocationServer) file(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body))) // as a web server sends a file
		w.Write(body)
	}
}

// ocsp answers RFC 6960 requests: revoked for the serials on the
// intermediate's CRL, good for any other serial of the intermediate, and
// "unauthorized" for other issuers. The intermediate signs the answers
// itself, so no responder certificate is needed.
func (s *revocationServer) ocsp(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/ocsp-response")
	req, err := readOCSPRequest(r)
	if err != nil {
		w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	if !s.issuedByCA(req) {
		w.Write(ocsp.UnauthorizedErrorResponse)
		return
	}
	resp, err := s.respond(req)
	if err != nil {
		w.Write(ocsp.InternalErrorErrorResponse)
		return
	}
	w.Write(resp)
}

// readOCSPRequest takes the DER request from a POST body or from the path
// of a GET (RFC 6960 §A.1: /ocsp/<url-encoded base64>).
func readOCSPRequest(r *http.Request) (*ocsp.Request, error) {
	var raw []byte
	var err error
	if r.Method == http.MethodPost {
		raw, err = io.ReadAll(io.LimitReader(r.Body, maxOCSPRequest))
	} else {
		raw, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(r.URL.Path, OCSPPath+"/"))
	}
	if err != nil {
		return nil, err
	}
	return ocsp.ParseRequest(raw)
}

// issuedByCA compares the request's CertID issuer hashes with the
// intermediate's name and key.
func (s *revocationServer) issuedByCA(req *ocsp.Request) bool {
	h := req.HashAlgorithm
	if !h.Available() {
		return false
	}
	key, err := subjectPublicKey(s.ca.Cert)
	if err != nil {
		return false
	}
	return bytes.Equal(req.IssuerNameHash, sum(h, s.ca.Cert.RawSubject)) &&
		bytes.Equal(req.IssuerKeyHash, sum(h, key))
}

func (s *revocationServer) respond(req *ocsp.Request) ([]byte, error) {
	now := time.Now()
	tmpl := ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: req.SerialNumber,
		IssuerHash:   req.HashAlgorithm, // answer with the CertID the client asked about
		ThisUpdate:   now.Add(-time.Minute),
		NextUpdate:   now.Add(time.Hour),
	}
	if at, ok := s.revokedAt[req.SerialNumber.String()]; ok {
		// Same time and (absent) reason as the CRL entry, so both
		// sources tell the same story.
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.Unspecified
	}
	return ocsp.CreateResponse(s.ca.Cert, s.ca.Cert, tmpl, s.ca.Key)
}

func sum(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

// subjectPublicKey returns the key bits an OCSP CertID hashes (RFC 6960
// §4.1.1: the BIT STRING value, without tag and length).
func subjectPublicKey(c *x509.Certificate) ([]byte, error) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if rest, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil || len(rest) > 0 {
		return nil, errors.New("testrig: bad SubjectPublicKeyInfo")
	}
	return spki.PublicKey.RightAlign(), nil
}

// SetRevocationStalled makes the revocation endpoints (CRLs, OCSP and
// the AIA certificate) accept requests and never answer them, until the
// client gives up: a slow CA, for the tests of cardcheck's deadlines. As
// SetRevocationOffline, it affects every test of the process.
func (r *Rig) SetRevocationStalled(stalled bool) {
	r.revocation.stalled.Store(stalled)
}

// SetRevocationOffline makes the revocation endpoints drop every
// connection without an answer (true) or serve again (false), so tests can
// check the "unknown" revocation result. It affects every test of the
// process that uses the rig: do not call it from parallel tests, and
// restore it with t.Cleanup.
func (r *Rig) SetRevocationOffline(offline bool) {
	r.revocation.offline.Store(offline)
}

// SetOCSPDown makes the OCSP responder answer 503 (true), so a client
// falls back to the CRL, or answer again (false). Like
// SetRevocationOffline it affects every test of the process.
func (r *Rig) SetOCSPDown(down bool) {
	r.revocation.ocspDown.Store(down)
}

// SetIntermediateCRL serves der at IntermediateCRLPath instead of the
// intermediate's own CRL; nil restores it. For tests with huge CRLs
// (LargeCRL).
func (r *Rig) SetIntermediateCRL(der []byte) {
	if der == nil {
		r.revocation.interCRLOverride.Store(nil)
		return
	}
	r.revocation.interCRLOverride.Store(&der)
}

// LargeCRL returns a CRL of the intermediate listing n made-up serial
// numbers (16 bytes each, as public CAs use; none of them the rig's),
// valid now: 35 bytes per entry, so 600,000 entries make the 21 MB that
// large public CAs publish. The DER is written directly: crypto/x509
// takes about 15 s under the race detector for that many entries.
func (r *Rig) LargeCRL(n int) ([]byte, error) {
	if _, ok := r.Intermediate.Key.Public().(*ecdsa.PublicKey); !ok {
		return nil, errors.New("testrig: LargeCRL needs the intermediate's ECDSA key")
	}
	now := time.Now().UTC()
	utc := func(b *cryptobyte.Builder, t time.Time) {
		b.AddASN1(cbasn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.Format("060102150405Z"))) })
	}
	ecdsaSHA256 := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2})
		})
	}
	var tbs cryptobyte.Builder
	tbs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1) // v2
		ecdsaSHA256(b)
		b.AddBytes(r.Intermediate.Cert.RawSubject)
		utc(b, now.Add(-time.Minute))
		utc(b, now.Add(24*time.Hour))
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			serial := make([]byte, 16)
			serial[0] = 0x5a
			for i := 0; i < n; i++ {
				binary.BigEndian.PutUint64(serial[8:], uint64(i))
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(serial) })
					utc(b, now.Add(-time.Hour))
				})
			}
		})
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbsDER)
	sig, err := r.Intermediate.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var crl cryptobyte.Builder
	crl.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		ecdsaSHA256(b)
		b.AddASN1BitString(sig)
	})
	return crl.Bytes()
}
