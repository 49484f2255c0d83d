#!/usr/bin/env bash
# @brief Build the libFuzzer targets with clang and run each for SECONDS seconds on the seed corpus.
#
# usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]
#   BUILD_DIR defaults to build-fuzz at the repository root (configured with
#   CC=clang -DPIE_FUZZ=ON). New inputs the fuzzer finds go to a temporary
#   directory, not into tests/fuzz/corpus. Exit 0 when no target crashed;
#   a crash leaves its input in BUILD_DIR/fuzz-artifacts/ and exits 1.
set -eu
SECONDS_EACH=${1:?usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$ROOT/build-fuzz}
JOBS=$(nproc 2>/dev/null || echo 2)
command -v clang >/dev/null || { echo "run.sh: clang is required (apt-get install clang)"; exit 1; }
CC=clang cmake -S "$ROOT" -B "$BUILD" -DPIE_FUZZ=ON -DPIE_BUILD_TESTS=OFF -DPIE_BUILD_BENCH=OFF \
    -DPIE_WITH_MPI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target fuzz_wire fuzz_checkpoint fuzz_cli >/dev/null
mkdir -p "$BUILD/fuzz-artifacts"
status=0
for t in wire checkpoint cli; do
    scratch=$(mktemp -d)
    echo "fuzz_$t: ${SECONDS_EACH}s"
    if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 "$BUILD/tests/fuzz/fuzz_$t" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz-artifacts/$t-" "$scratch" "$ROOT/tests/fuzz/corpus/$t" \
        >"$BUILD/fuzz-$t.log" 2>&1; then
        echo "fuzz_$t: FAILED (see $BUILD/fuzz-$t.log and $BUILD/fuzz-artifacts/)"
        tail -n 30 "$BUILD/fuzz-$t.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$BUILD/fuzz-$t.log" | tail -n 2
    fi
    rm -rf "$scratch"
done
exit $status
