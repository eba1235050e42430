#!/usr/bin/env bash
# Installs everything ssx needs to build, demo and test on Debian 12 (run as root; idempotent).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev openssl
  libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev
  python3 python3-dev python3-pybind11 pybind11-dev python3-pytest python3-setuptools python3-pip python3-wheel
  swig openjdk-17-jdk-headless junit4
  clang libclang-rt-14-dev
  iproute2 procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ssx setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "ssx setup: these Debian packages are missing; run this script as root (sudo)." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "ssx setup: note: the .NET SDK (dotnet) is not installed; the .NET suite will report itself as unavailable." >&2
fi
