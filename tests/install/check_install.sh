#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds a consumer with find_package(ssx) and
# another with pkg-config, and runs both.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
libdir=$(dirname "$(find "$tmp/prefix" -name 'libssx.so.0' | head -1)")
LD_LIBRARY_PATH=$libdir "$tmp/consumer/consumer"
PKG_CONFIG_PATH=$libdir/pkgconfig cc -o "$tmp/pc_consumer" "$src/consumer/main.c" \
  $(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs ssx)
LD_LIBRARY_PATH=$libdir "$tmp/pc_consumer"
echo "install check: find_package(ssx) and pkg-config consumers work"
