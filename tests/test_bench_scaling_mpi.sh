#!/usr/bin/env bash
# @brief pie bench scaling --backends serial,mpi: mpi rows (strong and weak) with sane numbers and the serial result, mpirun start-up reported; refusals exit 2.
# Usage: test_bench_scaling_mpi.sh PIE. Exit 77 (skip) when pie has no MPI
# backend, after checking that --backends mpi is then a one-line usage error.
set -u
PIE=${1:?usage: test_bench_scaling_mpi.sh PATH_TO_PIE}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

expect_usage() {
    "$PIE" "$@" >/dev/null 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "pie $* exited $rc, expected 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "pie $*: expected one line on stderr, got: $(cat "$tmp/err")"
}

if "$PIE" cpu-info | grep -q ' mpi(no)'; then
    expect_usage bench scaling --backends serial,mpi --out "$tmp/no"
    grep -q 'not in this build' "$tmp/err" || fail "no clear message: $(cat "$tmp/err")"
    echo "SKIP: pie is built without MPI (--backends mpi is a usage error, as it should be)"
    exit 77
fi

# No mpirun: one line, exit 2, before any run.
PIE_BENCH_MPIRUN=/nonexistent/mpirun expect_usage bench scaling --backends mpi --out "$tmp/no"
grep -q 'PIE_BENCH_MPIRUN' "$tmp/err" || fail "no-mpirun message should name PIE_BENCH_MPIRUN: $(cat "$tmp/err")"
[ ! -e "$tmp/no" ] || fail "a refused run created its output directory"
# An mpirun that fails: exit 1 with a line naming it.
PIE_BENCH_MPIRUN=/bin/false "$PIE" bench scaling --quick --backends mpi --workers 1 --size 16777216 \
    --weak-size 16777216 --no-python --no-progress --out "$tmp/false" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "a failing mpirun exited $rc, expected 1"
grep -q 'failed' "$tmp/err" || fail "a failing mpirun gave no clear message: $(cat "$tmp/err")"

# Sanitizer builds: MPI libraries leak at exit by design (as in test_mpi.sh).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
unset PIE_WORKERS PIE_MPI_LOCAL
# 4 chunks strong, 1 chunk per worker weak: a few mpirun start-ups of ~0.4 s.
out="$tmp/out"
start=$(date +%s)
PIE_BENCH_GNUPLOT=/nonexistent/gnuplot "$PIE" bench scaling --quick --backends serial,mpi \
    --workers 1,2 --size 67108864 --weak-size 16777216 --no-python --no-progress --out "$out" \
    >"$tmp/stdout" 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; fail "bench with mpi failed"; }
echo "serial,mpi quick run took $(( $(date +%s) - start ))s"
for f in results.csv results.json report.md; do
    [ -s "$out/$f" ] || fail "$f missing or empty"
done

csv="$out/results.csv"
for row in strong,mc,mpi,1, strong,mc,mpi,2, weak,mc,mpi,1, weak,mc,mpi,2, strong,mc,serial,1,; do
    grep -q "^$row" "$csv" || fail "CSV lacks a $row row"
done
# Columns: 1 experiment, 3 backend, 4 workers, 5 workers_used, 6 size, 9 median_s,
# 14 speedup, 15 efficiency, 21 check, 23 cpu_s.
awk -F, '
    ($1 == "strong" || $1 == "weak") && $3 == "mpi" {
        n++
        if ($5 != $4) { print "workers_used " $5 " != workers " $4; bad = 1 }
        if (!($9 > 0 && $9 < 30)) { print "median_s " $9; bad = 1 }
        if (!($14 > 0)) { print "speedup " $14; bad = 1 }
        if (!($15 > 0)) { print "efficiency " $15; bad = 1 }
        # strong: efficiency is the speed-up per worker (CSV keeps 9 digits)
        d = $15 - $14 / $4; if ($1 == "strong" && (d > 1e-6 * $15 || -d > 1e-6 * $15)) {
            print "efficiency " $15 " != speedup " $14 " / " $4; bad = 1 }
        if (!($23 > 0)) { print "cpu_s " $23; bad = 1 }
    }
    $1 == "strong" { if (ref == "") ref = $21; else if ($21 != ref) { print "check " $21 " != " ref; bad = 1 } }
    $1 == "overhead" && $3 == "mpi" && $18 == "mpi_startup" {
        s++
        if (!($19 > 0 && $19 < 30000)) { print "mpi_startup " $19 " ms"; bad = 1 }
    }
    END {
        if (n != 4) { print n " mpi rows, expected 4"; bad = 1 }
        if (s != 2) { print s " mpi_startup overheads, expected 2"; bad = 1 }
        if (ref !~ /^inside=[0-9]+$/) { print "no inside count: " ref; bad = 1 }
        exit bad
    }' "$csv" >"$tmp/awk" || fail "CSV numbers: $(cat "$tmp/awk")"

# The inside count of the strong runs is serial's own, from a plain run.
want=$("$PIE" mc -n 67108864 --backend serial --json --no-progress | sed -n 's/.*"inside":\([0-9]*\).*/\1/p')
grep -q "^strong,mc,mpi,2,.*,inside=$want," "$csv" || fail "mpi strong check is not serial's inside=$want"

if command -v python3 >/dev/null 2>&1; then
    python3 - "$out/results.json" <<'EOF' || fail "results.json"
import json, sys
d = json.load(open(sys.argv[1]))
mpi = [p for p in d["strong"] + d["weak"] if p["backend"] == "mpi"]
assert len(mpi) == 4, len(mpi)
for p in mpi:
    assert len(p["command_seconds"]) == len(p["seconds"]) == p["repeats"], p
    # the whole mpirun command outlasts the library run it contains
    assert all(c > s for c, s in zip(p["command_seconds"], p["seconds"])), p
assert "mpi" in d["config"]["backends"], d["config"]
EOF
fi
grep -q '^| mpi | 2 |' "$out/report.md" || fail "report.md lacks the mpi 2-worker row"
grep -q 'mpi_startup' "$out/report.md" || fail "report.md lacks mpi_startup"
echo "PASS"
