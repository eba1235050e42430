#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root), builds ssx and runs the demo: a secured client/server
# exchange on loopback with a development PKI created on the fly.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup-debian.sh"
echo "ssx demo: building (first time takes a few minutes)..."
"$here/scripts/build.sh" -DCMAKE_BUILD_TYPE=RelWithDebInfo
exec "${BUILD_DIR:-$here/build}/out/ssx" demo
