#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs every test suite:
#   1. build (RelWithDebInfo) and run all CTest suites: unit, integration, interop, winsock, cli,
#      examples, docs, python, dotnet, java;
#   2. rebuild the C/C++ code with AddressSanitizer + UndefinedBehaviorSanitizer and run the C/C++
#      suites again;
#   3. run every fuzz target for a bounded time (SSX_FUZZ_SECONDS, default 60 s each).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/setup-debian.sh"
jobs=$(nproc)

build=${BUILD_DIR:-$here/build}
echo "== [1/3] build and run every suite ($build)"
BUILD_DIR=$build "$here/scripts/build.sh" -DCMAKE_BUILD_TYPE=RelWithDebInfo
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ctest --test-dir "$build" --output-on-failure --no-tests=error -j "$jobs" --timeout 900 | tee "$log"

asan=${ASAN_BUILD_DIR:-$here/build-asan}
echo "== [2/3] C/C++ suites under AddressSanitizer + UndefinedBehaviorSanitizer ($asan)"
BUILD_DIR=$asan "$here/scripts/build.sh" -DCMAKE_BUILD_TYPE=Debug -DSSX_SANITIZE=address,undefined \
  -DSSX_BUILD_PYTHON=OFF -DSSX_BUILD_SWIG=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$asan" --output-on-failure --no-tests=error -j "$jobs" --timeout 900 -LE 'python|dotnet|java|docs'

echo "== [3/3] fuzzing, ${SSX_FUZZ_SECONDS:-60} s per target"
"$here/scripts/fuzz.sh" "${SSX_FUZZ_SECONDS:-60}"

# One closing line with the totals of the main run (step 1); steps 2 and 3 failed the script above
# if anything in them failed.
total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$log" | tail -1)
read -r failed all <<<"$total"
echo "ssx: $((all - failed)) passed, $failed failed"
