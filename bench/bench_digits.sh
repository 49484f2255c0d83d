#!/usr/bin/env bash
# @brief Benchmark `pie digits` (Chudnovsky and the BBP series) with 1 and 2 workers beside mpfr_const_pi, in the same run, at 1e6 and 1e7 digits (and 1e8 with --1e8).
#
# Usage: bench/bench_digits.sh [--1e8] OUTDIR
# Environment (all optional):
#   BUILD=build            the build directory holding pie and bench/bench_digits_mpfr
#   SIZES="1e6 1e7"        digit counts for pie and MPFR (--1e8 appends 1e8)
#   ALGORITHMS="chudnovsky bbp"  pie's algorithms
#   WORKERS="1 2"          worker counts for pie
#   REPS=3                 repetitions of each measurement (medians are reported)
#   REPS_LARGE=$REPS       repetitions at 1e7 digits
#   REPS_HUGE=1            repetitions at 1e8 digits and more (each about 3 minutes
#                          for 1 worker, 2 workers and 1 worker on one CPU)
#   MPFR_MAX=1e7           MPFR and the BBP series only up to this size (1e8: ~300 s
#                          and ~500 s on 2 vCPUs); Chudnovsky is checked against
#                          MPFR where both ran, else by its own --verify window
#   PY_SIZES=""            sizes for the Python Decimal BBP baseline (e.g. "1000 5000")
#   BACKEND=process
#   ONE_CPU=1              also run Chudnovsky with 1 worker confined to one CPU
#                          (taskset; tool pie-chudnovsky-1cpu): the baseline of a
#                          speed-up per CPU (1 worker and its parent's merges take
#                          turns, so the two should agree)
#   VARIANTS=""            more Chudnovsky runs at the largest worker count, each
#                          BACKEND:BIG_OPS, e.g. "thread:threads process:workers"
#                          (tool pie-chudnovsky-BACKEND-BIG_OPS; its speedup is
#                          against pie-chudnovsky with 1 worker)
# Writes OUTDIR/digits_runs.csv (every run) and OUTDIR/digits_medians.csv, and
# prints the medians. Every pie run's digits are compared with MPFR's.
set -euo pipefail
BIG=0
if [ "${1:-}" = "--1e8" ]; then
    BIG=1
    shift
fi
OUT=${1:?usage: bench_digits.sh [--1e8] OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PIE=${PIE:-$BUILD/pie}
MPFRB=${MPFRB:-$BUILD/bench/bench_digits_mpfr}
SIZES=${SIZES:-"1e6 1e7"}
[ "$BIG" = 1 ] && SIZES="$SIZES 1e8"
ALGORITHMS=${ALGORITHMS:-"chudnovsky bbp"}
WORKERS=${WORKERS:-"1 2"}
REPS=${REPS:-3}
REPS_LARGE=${REPS_LARGE:-$REPS}
REPS_HUGE=${REPS_HUGE:-1}
MPFR_MAX=${MPFR_MAX:-1e7}
PY_SIZES=${PY_SIZES:-""}
BACKEND=${BACKEND:-process}
VARIANTS=${VARIANTS:-""}
ONE_CPU=${ONE_CPU:-1}
CPU0=""
if [ "$ONE_CPU" = 1 ] && command -v taskset > /dev/null; then
    # The first CPU this script may use.
    CPU0=$(python3 -c "import os; print(min(os.sched_getaffinity(0)))")
fi
WMAX=$(printf '%s\n' $WORKERS | sort -n | tail -1)
for f in "$PIE" "$MPFRB"; do
    [ -x "$f" ] || { echo "bench_digits: $f not built (cmake --build $BUILD)" >&2; exit 2; }
done
mkdir -p "$OUT"
RUNS=$OUT/digits_runs.csv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "tool,digits,workers,rep,seconds,cpu_seconds,peak_rss_bytes,memory_estimate_bytes,sha256" > "$RUNS"
n() { python3 -c "print(int(float('$1')))"; }
jget() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
# CPU seconds (user + sys) of the command and the children it waited for: on a
# shared machine this is steadier than wall time.
timed() { /usr/bin/time -f "%U %S" -o "$TMP/cpu" "$@"; }
cpusec() { awk '{printf "%.3f", $1 + $2}' "$TMP/cpu"; }

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/digits_machine.txt"
echo "# pie $("$PIE" --version), MPFR via $MPFRB, $(python3 --version)" | tee -a "$OUT/digits_machine.txt"
"$PIE" cpu-info >> "$OUT/digits_machine.txt" 2>&1 || true

# pie_run TOOL WORKERS ARGS...: one pie digits run of $D digits, recorded as TOOL; its
# digits compared with MPFR's ($sha), or beyond MPFR checked by --verify.
pie_run() {
    local tool=$1 w=$2 verify=()
    shift 2
    [ -z "$sha" ] && verify=(--verify) # beyond MPFR: the BBP window check
    local pin=()
    if [ "$tool" = pie-chudnovsky-1cpu ]; then
        pin=(taskset -c "$CPU0")
    fi
    timed "${pin[@]}" "$PIE" digits -d "$D" -j "$w" "$@" "${verify[@]}" --json -o "$TMP/pie.txt" \
        > "$TMP/pie.json"
    local pcpu psha
    pcpu=$(cpusec)
    psha=$(jget "$TMP/pie.json" sha256)
    echo "$tool,$D,$w,$r,$(jget "$TMP/pie.json" seconds),$pcpu,$(jget "$TMP/pie.json" peak_rss_bytes),$(jget "$TMP/pie.json" memory_estimate_bytes),$psha" >> "$RUNS"
    if [ -n "$sha" ] && [ "$psha" != "$sha" ]; then
        echo "bench_digits: WARNING $tool and MPFR differ at $D digits" >&2
    fi
    [ -z "$sha" ] && echo "  $tool $D -j $w: $(jget "$TMP/pie.json" verify_note)" >&2
    return 0
}

MAXD=$(python3 -c "print(int(float('$MPFR_MAX')))")
for s in $SIZES; do
    D=$(n "$s")
    reps=$REPS
    [ "$D" -ge 10000000 ] && reps=$REPS_LARGE
    [ "$D" -ge 100000000 ] && reps=$REPS_HUGE
    for r in $(seq 1 "$reps"); do
        sha=""
        if [ "$D" -le "$MAXD" ]; then
            timed "$MPFRB" "$D" "$TMP/mpfr.txt" > "$TMP/mpfr.out"
            line=$(cat "$TMP/mpfr.out")
            mcpu=$(cpusec)
            IFS=, read -r _ tconst ttotal <<< "$line"
            sha=$(tail -c +3 "$TMP/mpfr.txt" | tr -d '\n' | sha256sum | cut -d' ' -f1)
            rm -f "$TMP/mpfr.txt"
            echo "mpfr_const_pi,$D,1,$r,$tconst,,,,$sha" >> "$RUNS"
            echo "mpfr_const_pi+get_str,$D,1,$r,$ttotal,$mcpu,,,$sha" >> "$RUNS"
        fi
        for a in $ALGORITHMS; do
            [ "$a" = bbp ] && [ "$D" -gt "$MAXD" ] && continue
            for w in $WORKERS; do
                pie_run "pie-$a" "$w" --backend "$BACKEND" --algorithm "$a"
            done
        done
        if [ -n "$CPU0" ] && [[ " $ALGORITHMS " == *" chudnovsky "* ]]; then
            pie_run pie-chudnovsky-1cpu 1 --backend "$BACKEND" --algorithm chudnovsky
        fi
        for v in $VARIANTS; do
            IFS=: read -r vb vo <<< "$v"
            pie_run "pie-chudnovsky-$vb-$vo" "$WMAX" --backend "$vb" --big-ops "$vo"
        done
        echo "  $D digits, rep $r done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    done
done
for D in $PY_SIZES; do
    reps=$REPS
    [ "$D" -gt 3000 ] && reps=1
    for r in $(seq 1 "$reps"); do
        python3 "$ROOT/bench/python/bbp_decimal.py" --digits "$D" > "$TMP/py.json"
        t=$(jget "$TMP/py.json" seconds)
        sha=$(jget "$TMP/py.json" sha256)
        echo "python_decimal_bbp,$D,1,$r,$t,,,,$sha" >> "$RUNS"
        "$PIE" digits -d "$D" -j 1 --json > "$TMP/pie.json"
        echo "pie-chudnovsky,$D,1,$r,$(jget "$TMP/pie.json" seconds),,$(jget "$TMP/pie.json" peak_rss_bytes),$(jget "$TMP/pie.json" memory_estimate_bytes),$(jget "$TMP/pie.json" sha256)" >> "$RUNS"
    done
done

python3 - "$RUNS" "$OUT/digits_medians.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["tool"], int(r["digits"]), int(r["workers"])), []).append(r)
med = {}
cpum = {}
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["tool", "digits", "workers", "runs", "median_seconds", "median_cpu_seconds",
                "median_peak_rss_bytes"])
    for k in sorted(groups, key=lambda k: (k[1], k[0], k[2])):
        g = groups[k]
        t = statistics.median(float(r["seconds"]) for r in g)
        rss = [int(r["peak_rss_bytes"]) for r in g if r["peak_rss_bytes"]]
        cpu = [float(r["cpu_seconds"]) for r in g if r["cpu_seconds"]]
        med[k] = t
        cpum[k] = statistics.median(cpu) if cpu else None
        w.writerow([k[0], k[1], k[2], len(g), "%.4f" % t, "%.3f" % cpum[k] if cpu else "",
                    int(statistics.median(rss)) if rss else ""])
# speedup: against 1 worker of the same tool (Chudnovsky's variants: against
# pie-chudnovsky); per_cpu: against 1 worker confined to one CPU.
print("%-32s %10s %7s %10s %9s %8s %8s %8s" % ("tool", "digits", "workers", "median_s", "cpu_s",
                                               "vs_mpfr", "speedup", "per_cpu"))
for k in sorted(med, key=lambda k: (k[1], k[0], k[2])):
    m = med.get(("mpfr_const_pi+get_str", k[1], 1))
    one = med.get((k[0], k[1], 1)) or med.get(("pie-chudnovsky", k[1], 1))
    cpu1 = med.get(("pie-chudnovsky-1cpu", k[1], 1)) if "chudnovsky" in k[0] else None
    print("%-32s %10d %7d %10.4f %9s %8s %8s %8s" % (k[0], k[1], k[2], med[k],
          "%.3f" % cpum[k] if cpum.get(k) is not None else "",
          "%.2fx" % (med[k] / m) if m else "", "%.2fx" % (one / med[k]) if one and k[2] > 1 else "",
          "%.2fx" % (cpu1 / med[k]) if cpu1 and k[2] > 1 else ""))
PY
echo "runs: $RUNS; medians: $OUT/digits_medians.csv"
