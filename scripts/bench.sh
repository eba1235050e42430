#!/usr/bin/env bash
# Builds ssx in Release in its own folder and runs the benchmark harness (docs/performance.md):
# every scenario for ssx and its references (plain TCP, raw OpenSSL, Python ssl, openssl speed),
# interleaved, pinned, both placements. Prints the table; writes bench/results/latest.txt (the
# table), latest.json and latest.svg.
#   scripts/bench.sh            full run (about 10 minutes)
#   scripts/bench.sh --quick    development run (about a minute)
# Other arguments go to bench/run.py (--only GROUP,..., --placements same|split, --repeats N).
# BENCH_BUILD_DIR overrides the build folder (default: build-bench in the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$here/build-bench}
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=(bench_programs)
# The Python rows use the binding when it builds (python/ exists and SSX_BUILD_PYTHON is on).
if cmake --build "$build" --target help 2>/dev/null | grep -q '^ssx_python_ext'; then
  targets+=(ssx_python_ext)
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
results=$here/bench/results
mkdir -p "$results"
# The table also goes to latest.txt (pipefail keeps run.py's exit status).
/usr/bin/python3 "$here/bench/run.py" --build "$build" --json "$results/latest.json" \
  --svg "$results/latest.svg" "$@" | tee "$results/latest.txt"
