#!/usr/bin/env bash
# Whole-process `cardcheck check` (headless build) against
# `openssl s_client -engine pkcs11` on the same token and server: the demo's
# SoftHSM token and its `cardcheck serve` servers (TLS 1.3 with the RSA
# certificate, TLS 1.2 with the ECDSA one), in one hyperfine run.
#
#   build/bench/check-vs-openssl.sh [RUNS]     (default 60)
#
# It also runs `cardcheck --version` against `openssl version` (process
# start alone). Ratios: divide each cardcheck mean by the openssl line
# above it, in the table it prints at the end.
#
# Needs hyperfine, openssl with libp11's engine (libengine-pkcs11-openssl),
# pkcs11-tool and python3. Run it on a quiet machine: both sides share its
# cores with the server. s_client is given the certificate and its chain as
# files (it cannot read them from the token); cardcheck finds them on the
# token, runs its pre-flight and its six certificate checks besides.
set -euo pipefail
runs=${1:-60}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -tags headless -o "$work/cardcheck" .
"$work/cardcheck" demo --no-gui --json >"$work/demo.json" 2>"$work/demo.err" &
demo=$!
for _ in $(seq 100); do [ -s "$work/demo.json" ] && break; sleep 0.1; done
[ -s "$work/demo.json" ] || { cat "$work/demo.err" >&2; exit 1; }

eval "$(python3 - "$work/demo.json" <<'EOF'
import json, shlex, sys
d = json.loads(open(sys.argv[1]).readline())
s = {x["name"]: x for x in d["scenarios"]}
for k, v in {"MODULE": d["module"], "CONF": d["softhsm2_conf"], "PIN": d["pin"],
             "URL13": s["accepted-tls13"]["url"], "URL12": s["accepted-tls12"]["url"],
             "CA": s["accepted-tls13"]["ca_file"]}.items():
    print(f"{k}={shlex.quote(v)}")
EOF
)"
export SOFTHSM2_CONF=$CONF
for obj in demo-rsa demo-ecdsa demo-issuing-ca; do
  pkcs11-tool --module "$MODULE" --token-label "cardcheck demo" --read-object --type cert \
    --label "$obj" -o "$work/$obj.der" >/dev/null 2>&1
  openssl x509 -inform DER -in "$work/$obj.der" -out "$work/$obj.pem"
done
printf '%s\n' "$PIN" >"$work/pin.txt"
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >"$work/req.txt"

hostport() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(f"{p.hostname}:{p.port}")' "$1"; }
client() { # name url object tls
  cat >"$work/$1.sh" <<EOF
"$work/cardcheck" check --url "$2" --module "$MODULE" --cert "pkcs11:token=cardcheck%20demo;object=$3;type=cert" \\
  --ca "$CA" --pin-stdin --tls $4 <"$work/pin.txt" >/dev/null 2>&1
EOF
}
sclient() { # name url object
  cat >"$work/$1.sh" <<EOF
openssl s_client -connect $(hostport "$2") -engine pkcs11 -keyform engine \\
  -key "pkcs11:token=cardcheck%20demo;object=$3;type=private;pin-value=$PIN" \\
  -cert "$work/$3.pem" -cert_chain "$work/demo-issuing-ca.pem" -CAfile "$CA" -quiet -ign_eof \\
  <"$work/req.txt" >/dev/null 2>&1
EOF
}
client cardcheck-tls13 "$URL13" demo-rsa 1.3
sclient openssl-tls13 "$URL13" demo-rsa
client cardcheck-tls12 "$URL12" demo-ecdsa 1.2
sclient openssl-tls12 "$URL12" demo-ecdsa
for s in cardcheck-tls13 openssl-tls13 cardcheck-tls12 openssl-tls12; do
  bash "$work/$s.sh" || { echo "$s failed" >&2; exit 1; }
done

cd "$work"
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/result.md" \
  'openssl version' "$work/cardcheck --version" \
  'bash openssl-tls13.sh' 'bash cardcheck-tls13.sh' 'bash openssl-tls12.sh' 'bash cardcheck-tls12.sh'
cat "$work/result.md"
