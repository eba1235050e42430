#!/bin/sh
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) in a separate build folder and
# runs each one for SECONDS (default 60) on a copy of its corpus. Fails if any target finds a crash,
# a leak, undefined behaviour or a timeout; each such input is copied to
# tests/fuzz/regressions/<target>/ so that, once fixed, it is replayed by CTest in every build
# (fuzz.replay.<target>, label fuzz) and stays fixed.
#
#   scripts/fuzz.sh [SECONDS]
#   SSX_FUZZ_BUILD_DIR   build folder (default: <repo>/build-fuzz)
#   SSX_FUZZ_TARGETS     targets to run (default: all five)
#   SSX_FUZZ_JOBS        parallel build jobs (default: 2)
set -eu

seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSX_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=${SSX_FUZZ_TARGETS:-"fuzz_policy fuzz_target_name fuzz_winsock_structs fuzz_winsock_api fuzz_native"}
jobs=${SSX_FUZZ_JOBS:-2}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang)" >&2; exit 1; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSSX_BUILD_FUZZERS=ON \
  -DSSX_BUILD_PYTHON=OFF -DSSX_BUILD_SWIG=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets

work=$(mktemp -d "${TMPDIR:-/tmp}/ssx-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
failed=""
for target in $targets; do
  corpus=${target#fuzz_}  # tests/fuzz/corpus/<target without fuzz_>
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  cp -R "$root/tests/fuzz/corpus/$corpus/." "$work/$target/corpus/"
  echo "== $target: ${seconds}s on $(ls "$work/$target/corpus" | wc -l) seed inputs"
  # -timeout: one input running longer than 10 s is a hang; -rss_limit_mb: a runaway allocation.
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$build/out/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" \
       >"$work/$target/log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$target/log" || true
  else
    echo "!! $target failed; log tail:" >&2
    tail -n 40 "$work/$target/log" >&2
    mkdir -p "$root/tests/fuzz/regressions/$target"
    for crash in "$work/$target/artifacts"/*; do
      [ -f "$crash" ] || continue
      cp "$crash" "$root/tests/fuzz/regressions/$target/"
      echo "!! reproducer saved: tests/fuzz/regressions/$target/$(basename "$crash")" >&2
      echo "   reproduce: $build/out/$target $root/tests/fuzz/regressions/$target/$(basename "$crash")" >&2
    done
    failed="$failed $target"
  fi
done

if [ -n "$failed" ]; then
  echo "fuzz.sh: FAILED:$failed" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran ${seconds}s without a finding"
