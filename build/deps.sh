#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages cardcheck needs, idempotently:
#   build/deps.sh run    what building and running needs (C toolchain and
#                        X11/Wayland/GL headers for Fyne, PKCS#11 modules,
#                        PC/SC headers)
#   build/deps.sh test   the above plus the test rig: SoftHSM2, OpenSC tools
#                        (and pkcs11-spy), nginx, openssl, the servers of the
#                        interop suite (Apache httpd + mod_ssl, HAProxy,
#                        stunnel), Xvfb, xdotool, ImageMagick, D-Bus,
#                        and the emulated-card stack: pcscd, vpcd (the
#                        virtual reader driver), pcsc-tools (ATR list),
#                        iproute2 (loopback in the private namespace),
#                        libp11's OpenSSL engine (the comparison with openssl)
# Quiet when everything is there; uses sudo only when not root.
set -euo pipefail

run_pkgs=(gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev
  libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev libegl-dev
  p11-kit p11-kit-modules opensc-pkcs11 softhsm2
  libpcsclite-dev libpcsclite1  # PC/SC headers for token/pcsc (the library is loaded at run time)
  fonts-wqy-microhei)  # Fyne falls back to system fonts: names such as 张三 need a CJK font
test_pkgs=(opensc openssl nginx-light apache2 haproxy stunnel4 xvfb xdotool imagemagick
  x11-utils dbus gnome-keyring xauth
  pcscd vsmartcard-vpcd pcsc-tools iproute2
  libengine-pkcs11-openssl)  # openssl s_client -engine pkcs11, compared with check through the emulated card

want=("${run_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "build/deps.sh: not a Debian/Ubuntu system; install the equivalents of: ${want[*]}" >&2
  exit 0
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq -o DPkg::Lock::Timeout=600
$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
