#!/usr/bin/env bash
# Installs what building and testing Uranus needs on a Debian machine. Idempotent: installs
# only what is missing. Run as root (or with sudo available).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(protobuf-compiler clang libclang-dev libssl-dev pkg-config make git curl ca-certificates nodejs npm
  runc skopeo umoci docker-registry busybox-static e2fsprogs iproute2 gcc libc6-dev iptables
  chromium)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from outside Debian's packages: accept any working node >= 18.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
to_install=()
for p in "${missing[@]}"; do [ -n "$p" ] && to_install+=("$p"); done
if [ "${#to_install[@]}" -gt 0 ]; then
  echo "==> apt-get install ${to_install[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${to_install[@]}"
fi

# Where the kernel has AppArmor, jobs run under deploy/apparmor/uranus-job: load it (the
# agent refuses to start there without it).
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = "Y" ]; then
  command -v apparmor_parser >/dev/null || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends apparmor
  $SUDO install -m 0644 "$(dirname "$0")/../deploy/apparmor/uranus-job" /etc/apparmor.d/uranus-job
  $SUDO apparmor_parser -r -W /etc/apparmor.d/uranus-job
  echo "==> AppArmor profile uranus-job loaded"
fi

if ! command -v rustup >/dev/null; then
  echo "rustup is required (https://rustup.rs)" >&2
  exit 1
fi
installed_targets="$(rustup target list --installed)"
for t in wasm32v1-none wasm32-unknown-unknown; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
echo "==> prerequisites ready"
