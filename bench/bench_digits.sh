#!/usr/bin/env bash
# @brief Benchmark `pie digits` at 1e4..1e7 digits with 1 and 2 workers, beside mpfr_const_pi and a Python Decimal BBP baseline, in the same run.
#
# Usage: bench/bench_digits.sh OUTDIR
# Environment (all optional):
#   BUILD=build            the build directory holding pie and bench/bench_digits_mpfr
#   SIZES="1e4 1e5 1e6 1e7" digit counts for pie and MPFR
#   WORKERS="1 2"          worker counts for pie
#   REPS=3                 repetitions of each measurement (medians are reported)
#   REPS_LARGE=$REPS       repetitions at 1e7 digits and more
#   PY_SIZES="1000 2000 5000"  sizes for the Python baseline (10,000 takes ~30 s)
#   BACKEND=process
# Writes OUTDIR/digits_runs.csv (every run) and OUTDIR/digits_medians.csv, and
# prints the medians. Every pie run's digits are compared with MPFR's.
set -euo pipefail
OUT=${1:?usage: bench_digits.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PIE=${PIE:-$BUILD/pie}
MPFRB=${MPFRB:-$BUILD/bench/bench_digits_mpfr}
SIZES=${SIZES:-"1e4 1e5 1e6 1e7"}
WORKERS=${WORKERS:-"1 2"}
REPS=${REPS:-3}
REPS_LARGE=${REPS_LARGE:-$REPS}
PY_SIZES=${PY_SIZES:-"1000 2000 5000"}
BACKEND=${BACKEND:-process}
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

for s in $SIZES; do
    D=$(n "$s")
    reps=$REPS
    [ "$D" -ge 10000000 ] && reps=$REPS_LARGE
    for r in $(seq 1 "$reps"); do
        timed "$MPFRB" "$D" "$TMP/mpfr.txt" > "$TMP/mpfr.out"
        line=$(cat "$TMP/mpfr.out")
        mcpu=$(cpusec)
        IFS=, read -r _ tconst ttotal <<< "$line"
        sha=$(tail -c +3 "$TMP/mpfr.txt" | tr -d '\n' | sha256sum | cut -d' ' -f1)
        echo "mpfr_const_pi,$D,1,$r,$tconst,,,,$sha" >> "$RUNS"
        echo "mpfr_const_pi+get_str,$D,1,$r,$ttotal,$mcpu,,,$sha" >> "$RUNS"
        for w in $WORKERS; do
            timed "$PIE" digits -d "$D" -j "$w" --backend "$BACKEND" --json -o "$TMP/pie.txt" \
                > "$TMP/pie.json"
            pcpu=$(cpusec)
            psha=$(jget "$TMP/pie.json" sha256)
            echo "pie,$D,$w,$r,$(jget "$TMP/pie.json" seconds),$pcpu,$(jget "$TMP/pie.json" peak_rss_bytes),$(jget "$TMP/pie.json" memory_estimate_bytes),$psha" >> "$RUNS"
            [ "$psha" = "$sha" ] || echo "bench_digits: WARNING pie and MPFR differ at $D digits" >&2
        done
        echo "  $D digits, rep $r done" >&2
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
        echo "pie,$D,1,$r,$(jget "$TMP/pie.json" seconds),,$(jget "$TMP/pie.json" peak_rss_bytes),$(jget "$TMP/pie.json" memory_estimate_bytes),$(jget "$TMP/pie.json" sha256)" >> "$RUNS"
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
print("%-24s %10s %7s %10s %9s %8s %8s" % ("tool", "digits", "workers", "median_s", "cpu_s",
                                          "vs_mpfr", "speedup"))
for k in sorted(med, key=lambda k: (k[1], k[0], k[2])):
    m = med.get(("mpfr_const_pi+get_str", k[1], 1))
    one = med.get((k[0], k[1], 1))
    print("%-24s %10d %7d %10.4f %9s %8s %8s" % (k[0], k[1], k[2], med[k],
          "%.3f" % cpum[k] if cpum.get(k) is not None else "",
          "%.2fx" % (med[k] / m) if m else "", "%.2fx" % (one / med[k]) if one and k[2] > 1 else ""))
PY
echo "runs: $RUNS; medians: $OUT/digits_medians.csv"
