#!/usr/bin/env bash
# Installs the Debian packages lockstep builds and tests with. Idempotent and quiet when
# everything is present; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libboost-context-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler
  g++-aarch64-linux-gnu
  clang lld libclang-rt-14-dev
  libunicorn-dev qemu-system-x86 qemu-system-arm
  acpica-tools device-tree-compiler libfdt-dev
  chromium
  slurm-wlm munge
  gdb gdb-multiarch
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# The viewer's browser tests drive Debian's Chromium with playwright-core (npm). Node and npm come
# from Debian unless the machine already has them (nodesource packages conflict with Debian's).
if ! command -v npm >/dev/null 2>&1; then
  for p in nodejs npm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "lockstep: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "lockstep: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
