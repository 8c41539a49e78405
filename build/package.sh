#!/usr/bin/env bash
# Builds the Linux archives with the pinned fyne CLI (go tool fyne):
#   build/package.sh [OUTDIR]   (default build/out) prints the paths of
#     OUTDIR/cardcheck-VERSION-linux-ARCH.tar.xz           the desktop build (window and CLI)
#     OUTDIR/cardcheck-headless-VERSION-linux-ARCH.tar.xz  the headless build (CLI only: no
#                                                          Fyne, GL or X11; for servers)
# The desktop binary is built first with the normal Go build cache (fyne
# --exe then only packs it), FyneApp.toml is restored afterwards (fyne
# package bumps its Build number on every run), and the archive's Makefile
# is fixed: the generated one installs the icon without its .png extension.
# XZ_OPT may be set by the caller (make package-test uses a fast level).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/out}
version=$(sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
arch=$(go env GOARCH)
work=$(mktemp -d)
cp FyneApp.toml "$work/FyneApp.toml.orig"
trap 'cp "$work/FyneApp.toml.orig" FyneApp.toml; rm -rf "$work"' EXIT
ldflags="-s -w -X github.com/cardcheck/cardcheck/app/config.Version=$version"
export XZ_OPT=${XZ_OPT:-"-6 -T2"}
mkdir -p "$out"

go build -ldflags "$ldflags" -o "$work/cardcheck" .
go tool fyne package --os linux --exe "$work/cardcheck" --release >/dev/null
mkdir -p "$work/x"
tar -xJf cardcheck.tar.xz -C "$work/x"
rm cardcheck.tar.xz
sed -i 's/^Icon := "\(.*\)"$/Icon := "\1.png"/' "$work/x/cardcheck/Makefile"
archive="$out/cardcheck-$version-linux-$arch.tar.xz"
tar -cJf "$archive" -C "$work/x" cardcheck
echo "$archive"

# The headless build: the binary alone, in a directory of the same name.
mkdir -p "$work/h/cardcheck-headless"
go build -tags headless -ldflags "$ldflags" -o "$work/h/cardcheck-headless/cardcheck" .
headless="$out/cardcheck-headless-$version-linux-$arch.tar.xz"
tar -cJf "$headless" -C "$work/h" cardcheck-headless
echo "$headless"
