#!/usr/bin/env bash
# Builds the Linux archive with the pinned fyne CLI (go tool fyne):
#   build/package.sh [OUTDIR]   → OUTDIR/cardcheck-VERSION-linux-ARCH.tar.xz (default build/out)
# The binary is built first with the normal Go build cache (fyne --exe then
# only packs it), FyneApp.toml is restored afterwards (fyne package bumps
# its Build number on every run), and the archive's Makefile is fixed: the
# generated one installs the icon without its .png extension.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/out}
version=$(sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
arch=$(go env GOARCH)
work=$(mktemp -d)
cp FyneApp.toml "$work/FyneApp.toml.orig"
trap 'cp "$work/FyneApp.toml.orig" FyneApp.toml; rm -rf "$work"' EXIT

go build -ldflags "-s -w -X github.com/cardcheck/cardcheck/app/config.Version=$version" -o "$work/cardcheck" .
go tool fyne package --os linux --exe "$work/cardcheck" --release >/dev/null
mkdir -p "$work/x"
tar -xJf cardcheck.tar.xz -C "$work/x"
rm cardcheck.tar.xz
sed -i 's/^Icon := "\(.*\)"$/Icon := "\1.png"/' "$work/x/cardcheck/Makefile"
mkdir -p "$out"
archive="$out/cardcheck-$version-linux-$arch.tar.xz"
XZ_OPT="-6 -T2" tar -cJf "$archive" -C "$work/x" cardcheck
echo "$archive"
