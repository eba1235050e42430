#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root), builds the ssx library and command, and runs the demo:
# a secured client/server exchange on loopback with a development PKI created on the fly.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/setup-debian.sh"
echo "ssx demo: building the library and the ssx command in $build (about a minute the first time)..."
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target ssx_cli -j "$(nproc)"
exec "$build/out/ssx" demo
