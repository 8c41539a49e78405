package tlstrace

import (
	"bytes"
	"encoding/hex"
)

// Key log labels of the NSS key log format that crypto/tls writes.
const (
	labelTLS12           = "CLIENT_RANDOM"
	labelClientHandshake = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	labelServerHandshake = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	labelClientTraffic   = "CLIENT_TRAFFIC_SECRET_0"
	labelServerTraffic   = "SERVER_TRAFFIC_SECRET_0"
)

const (
	maxKeyLogLine    = 1024 // real lines are < 250 bytes
	maxKeyLogSecrets = 64   // one connection needs at most 5 per handshake
	maxSecretLen     = 64   // SHA-384 secrets are 48 bytes, master secrets 48
)

// keyLog collects secrets from key log lines, which may arrive split or
// joined in arbitrary Write calls.
type keyLog struct {
	partial  []byte
	overlong bool // discarding the rest of a too long line
	secrets  map[string][]byte
}

func secretKey(label string, clientRandom []byte) string {
	return label + " " + string(clientRandom)
}

func (k *keyLog) lookup(label string, clientRandom []byte) []byte {
	return k.secrets[secretKey(label, clientRandom)]
}

// write consumes p and returns true when at least one new secret was stored.
func (k *keyLog) write(p []byte) bool {
	added := false
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			k.appendPartial(p)
			return added
		}
		k.appendPartial(p[:i])
		if !k.overlong && k.parseLine(k.partial) {
			added = true
		}
		k.partial, k.overlong, p = k.partial[:0], false, p[i+1:]
	}
	return added
}

func (k *keyLog) appendPartial(p []byte) {
	if k.overlong || len(k.partial)+len(p) > maxKeyLogLine {
		k.overlong, k.partial = true, k.partial[:0]
		return
	}
	k.partial = append(k.partial, p...)
}

// parseLine stores "LABEL <client random hex> <secret hex>". Other labels,
// comments and malformed lines are ignored.
func (k *keyLog) parseLine(line []byte) bool {
	parts := bytes.Fields(line)
	if len(parts) != 3 || !knownLabel(string(parts[0])) {
		return false
	}
	cr, err1 := hex.DecodeString(string(parts[1]))
	secret, err2 := hex.DecodeString(string(parts[2]))
	if err1 != nil || err2 != nil || len(cr) != 32 || len(secret) == 0 || len(secret) > maxSecretLen {
		return false
	}
	if k.secrets == nil {
		k.secrets = map[string][]byte{}
	}
	key := secretKey(string(parts[0]), cr)
	if _, dup := k.secrets[key]; !dup && len(k.secrets) >= maxKeyLogSecrets {
		return false
	}
	k.secrets[key] = secret
	return true
}

func knownLabel(l string) bool {
	switch l {
	case labelTLS12, labelClientHandshake, labelServerHandshake, labelClientTraffic, labelServerTraffic:
		return true
	}
	return false
}
