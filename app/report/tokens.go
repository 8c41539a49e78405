// Package report turns token listings and probe results into the JSON of
// the command-line contract (SPEC §5) and into the plain-text reports that
// the CLI prints and the GUI copies. Field names here are a contract:
// scripts and tickets depend on them; add fields, never rename.
package report

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardcheck/cardcheck/app/msg"
	"github.com/cardcheck/cardcheck/token"
)

// Tokens is the `tokens --json` document.
type Tokens struct {
	Modules []Module `json:"modules"`
	Tokens  []Token  `json:"tokens"`
}

// Module is one discovered module.
type Module struct {
	Path            string  `json:"path"`
	Source          string  `json:"source"`
	Description     string  `json:"description"`
	Manufacturer    string  `json:"manufacturer"`
	LibraryVersion  string  `json:"library_version"`
	CryptokiVersion string  `json:"cryptoki_version"`
	Error           *string `json:"error"`
	ErrorKind       string  `json:"error_kind,omitempty"` // the token error kind of Error ("module", …)
	ErrorMsg        msg.Msg `json:"error_msg,omitzero"`   // Error as a message
}

// Token is one token with its certificates.
type Token struct {
	Module                string        `json:"module"`
	Label                 string        `json:"label"`
	Manufacturer          string        `json:"manufacturer"`
	Model                 string        `json:"model"`
	Serial                string        `json:"serial"`
	SlotDescription       string        `json:"slot_description"`
	HardwareVersion       string        `json:"hardware_version"`
	FirmwareVersion       string        `json:"firmware_version"`
	Flags                 token.Flags   `json:"flags"`
	Mechanisms            []string      `json:"mechanisms"`
	PrivateObjectsVisible bool          `json:"private_objects_visible"`
	Certificates          []Certificate `json:"certificates"`
	Keys                  []Key         `json:"keys"`
	Error                 *string       `json:"error"`
	ErrorKind             string        `json:"error_kind,omitempty"` // the token error kind of Error
	ErrorMsg              msg.Msg       `json:"error_msg,omitzero"`   // Error as a message
}

// Certificate is a certificate on a token.
type Certificate struct {
	Label         string   `json:"label"`
	ID            string   `json:"id"`
	URI           string   `json:"uri"`
	Subject       string   `json:"subject"`
	CommonName    string   `json:"common_name"`
	Issuer        string   `json:"issuer"`
	Serial        string   `json:"serial"`
	NotBefore     string   `json:"not_before"`
	NotAfter      string   `json:"not_after"`
	SHA256        string   `json:"sha256"`
	Key           string   `json:"key"`
	KeyUsage      []string `json:"key_usage"`
	ExtKeyUsage   []string `json:"ext_key_usage"`
	HasPrivateKey *bool    `json:"has_private_key"`
	Usable        bool     `json:"usable"`
	Problems      []string `json:"problems"`
	ParseError    *string  `json:"parse_error"`
}

// Key is a private key object, described without any secret.
type Key struct {
	ID                 string `json:"id"`
	Label              string `json:"label"`
	Type               string `json:"type"`
	Bits               int    `json:"bits"`
	AlwaysAuthenticate bool   `json:"always_authenticate"`
	HasCertificate     bool   `json:"has_certificate"`
}

// MaxInfoText bounds a string a module reports (labels, descriptions,
// manufacturer, serial) in a report. CK_INFO and CK_TOKEN_INFO fields are
// 32 bytes at most (16 for a serial) by the PKCS#11 ABI, but CKA_LABEL has
// no limit: a broken or hostile module may give megabytes.
const MaxInfoText = 256

// Bounded cuts s to MaxInfoText bytes at a character boundary, marking
// the cut with "…".
func Bounded(s string) string {
	if len(s) <= MaxInfoText {
		return s
	}
	cut := MaxInfoText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// FromInventory converts a scan into the JSON document.
func FromInventory(inv *token.Inventory) Tokens {
	out := Tokens{Modules: []Module{}, Tokens: []Token{}}
	for _, m := range inv.Modules {
		out.Modules = append(out.Modules, Module{
			Path: m.Path, Source: string(m.Source), Description: Bounded(m.Info.Description),
			Manufacturer: Bounded(m.Info.Manufacturer), LibraryVersion: Bounded(m.Info.LibraryVersion),
			CryptokiVersion: m.Info.CryptokiVersion, Error: errString(m.Err),
			ErrorKind: string(token.KindOf(m.Err)), ErrorMsg: errMsg(m.Err),
		})
	}
	for _, t := range inv.Tokens {
		out.Tokens = append(out.Tokens, FromToken(t))
	}
	return out
}

// FromToken converts one token.
func FromToken(t *token.Token) Token {
	tj := Token{
		Module: t.Module.Path, Label: Bounded(t.Label), Manufacturer: Bounded(t.Manufacturer), Model: Bounded(t.Model),
		Serial: Bounded(t.Serial), SlotDescription: Bounded(t.SlotDescription), HardwareVersion: t.HardwareVersion,
		FirmwareVersion: t.FirmwareVersion, Flags: t.Flags, Mechanisms: []string{},
		PrivateObjectsVisible: t.PrivateObjectsVisible, Certificates: []Certificate{}, Keys: []Key{},
		Error: errString(t.Err), ErrorKind: string(token.KindOf(t.Err)), ErrorMsg: errMsg(t.Err),
	}
	for _, m := range t.Mechanisms {
		tj.Mechanisms = append(tj.Mechanisms, m.Name)
	}
	paired := map[*token.KeyInfo]bool{}
	for _, c := range t.Certificates {
		tj.Certificates = append(tj.Certificates, FromCertificate(c))
		if c.Key != nil {
			paired[c.Key] = true
		}
	}
	for _, k := range t.Keys {
		tj.Keys = append(tj.Keys, Key{ID: hex.EncodeToString(k.ID), Label: Bounded(k.Label), Type: k.Type,
			Bits: k.Bits, AlwaysAuthenticate: k.AlwaysAuthenticate, HasCertificate: paired[k]})
	}
	return tj
}

// FromCertificate converts one certificate; also used for `check --json`'s
// client_certificate.
func FromCertificate(c *token.Certificate) Certificate {
	fp := c.SHA256()
	cj := Certificate{
		Label: Bounded(c.Label), ID: hex.EncodeToString(c.ID), URI: c.URI, SHA256: hex.EncodeToString(fp[:]),
		Key: c.KeyDescription(), HasPrivateKey: c.HasPrivateKey, Usable: c.Usable(),
		Problems: []string{}, KeyUsage: []string{}, ExtKeyUsage: []string{},
	}
	for _, p := range c.Problems {
		cj.Problems = append(cj.Problems, string(p))
	}
	if c.ParseError != nil {
		cj.ParseError = errString(c.ParseError)
		return cj
	}
	x := c.X509
	cj.Subject, cj.CommonName, cj.Issuer = x.Subject.String(), x.Subject.CommonName, x.Issuer.String()
	cj.Serial = strings.ToLower(x.SerialNumber.Text(16))
	cj.NotBefore, cj.NotAfter = x.NotBefore.UTC().Format(time.RFC3339), x.NotAfter.UTC().Format(time.RFC3339)
	cj.KeyUsage, cj.ExtKeyUsage = KeyUsageNames(x), ExtKeyUsageNames(x)
	return cj
}

// errMsg is err as a message, the zero message for nil.
func errMsg(err error) msg.Msg {
	if err == nil {
		return msg.Msg{}
	}
	return token.MessageOf(err)
}

func errString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// KeyUsageNames lists the key usage bits by their RFC 5280 names.
func KeyUsageNames(x *x509.Certificate) []string {
	out := []string{}
	for _, k := range keyUsageNames {
		if x.KeyUsage&k.bit != 0 {
			out = append(out, k.name)
		}
	}
	return out
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
	x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
	x509.ExtKeyUsageMicrosoftServerGatedCrypto: "msSGC", x509.ExtKeyUsageNetscapeServerGatedCrypto: "nsSGC",
}

// ExtKeyUsageNames lists extended key usages by name (unknown ones by OID).
func ExtKeyUsageNames(x *x509.Certificate) []string {
	out := []string{}
	for _, u := range x.ExtKeyUsage {
		if n, ok := extKeyUsageNames[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku-%d", u))
		}
	}
	for _, oid := range x.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}
