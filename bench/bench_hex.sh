#!/usr/bin/env bash
# @brief Benchmark `pie hex` (positions x formulas x workers) beside a plain scalar one-core extractor built in the same run.
#
#   bench/bench_hex.sh OUTDIR [PATH_TO_PIE]
#
# Environment (defaults in brackets):
#   POSITIONS      positions for pie hex                 ["1e6 1e7 1e8"]
#   REF_POSITIONS  positions for the scalar baseline     ["1e6 1e7 1e8"]
#   FORMULAS       formulas                              ["bellard bbp"]
#   WORKERS        worker counts                         ["1 2"]
#   BACKEND        pie backend                           [process]
#   REPEATS        runs per configuration (median kept)  [3]
#   REF_REPEATS    runs of the baseline                  [1]
#   CC, CFLAGS     compiler for the baseline             [cc, -O2]
#
# Writes OUTDIR/hex_raw.csv (one row per run: wall seconds and the CPU seconds
# of the process and its workers) and OUTDIR/hex_summary.csv (medians; wall
# speedup against the baseline's median with the same formula at the same
# position). pie's time includes its check: every digit is also
# computed with the other formula, so pie does about 2.4x the baseline's
# arithmetic (bellard + bbp); the baseline computes one formula, unchecked.
set -eu
OUT=${1:?usage: bench_hex.sh OUTDIR [PATH_TO_PIE]}
HERE=$(cd "$(dirname "$0")" && pwd)
PIE=${2:-$HERE/../build/pie}
POSITIONS=${POSITIONS:-"1e6 1e7 1e8"}
REF_POSITIONS=${REF_POSITIONS:-"1e6 1e7 1e8"}
FORMULAS=${FORMULAS:-"bellard bbp"}
WORKERS=${WORKERS:-"1 2"}
BACKEND=${BACKEND:-process}
REPEATS=${REPEATS:-3}
REF_REPEATS=${REF_REPEATS:-1}
mkdir -p "$OUT"
[ -x "$PIE" ] || {
    echo "bench_hex: no pie binary at $PIE" >&2
    exit 2
}

# The baseline, built now with the same compiler as everything else here.
REF=$OUT/hex_ref
${CC:-cc} ${CFLAGS:--O2} -std=c11 -o "$REF" "$HERE/hex_ref.c"

now() { date +%s.%N; }
RAW=$OUT/hex_raw.csv
echo "tool,formula,position,workers,backend,kernel,repeat,seconds,cpu_seconds,hex" >"$RAW"

# cputime CMD...: run CMD, its stdout to $OUT/.stdout, and print the user+system
# CPU seconds of it and its children (worker processes included): on a shared
# machine this stays honest when wall time does not.
cputime() {
    local TIMEFORMAT='%U %S'
    { time "$@" >"$OUT/.stdout"; } 2>"$OUT/.time"
    awk '{ printf "%.3f", $1 + $2 }' "$OUT/.time"
}

for pos in $REF_POSITIONS; do
    for f in $FORMULAS; do
        for r in $(seq 1 "$REF_REPEATS"); do
            t0=$(now)
            cpu=$(cputime "$REF" "$pos" "$f")
            t1=$(now)
            hex=$(cat "$OUT/.stdout")
            s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
            echo "baseline,$f,$pos,1,none,scalar-u128,$r,$s,$cpu,$hex" >>"$RAW"
            echo "baseline $f position $pos: ${s}s $hex" >&2
        done
    done
done

for pos in $POSITIONS; do
    for f in $FORMULAS; do
        for w in $WORKERS; do
            for r in $(seq 1 "$REPEATS"); do
                cpu=$(cputime "$PIE" hex -p "$pos" -c 14 --formula "$f" -j "$w" \
                    --backend "$BACKEND" --json --no-progress)
                json=$(cat "$OUT/.stdout")
                s=$(printf '%s' "$json" | sed 's/.*"seconds":\([0-9.e+-]*\).*/\1/')
                hex=$(printf '%s' "$json" | sed 's/.*"hex":"\([0-9A-F]*\)".*/\1/')
                kernel=$(printf '%s' "$json" | sed 's/.*"kernel":"\([a-z0-9]*\)".*/\1/')
                echo "pie,$f,$pos,$w,$BACKEND,$kernel,$r,$s,$cpu,$hex" >>"$RAW"
                echo "pie $f position $pos -j $w: ${s}s $hex" >&2
            done
        done
    done
done

# Medians, the baseline's digits checked against pie's, speedups.
awk -F, '
NR == 1 { next }
{ key = $1 "," $2 "," $3 "," $4; n[key]++; v[key, n[key]] = $8; c[key, n[key]] = $9
  hex[$1 "," $2 "," $3] = $10 }
function median(key,   i, j, t, m, a) { return med(key, 0) }
function med(key, cpu,   i, j, t, m, a) {
    m = n[key]
    for (i = 1; i <= m; i++) a[i] = cpu ? c[key, i] : v[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
    print "tool,formula,position,workers,runs,median_seconds,median_cpu_seconds,speedup_vs_baseline,digits_agree"
    for (key in n) {
        split(key, k, ",")
        m0 = median(key)
        base = "baseline," k[2] "," k[3] ",1"
        sp = (base in n && m0 > 0) ? sprintf("%.2f", median(base) / m0) : ""
        agree = ""
        if (k[1] == "pie" && ("baseline," k[2] "," k[3]) in hex)
            agree = (substr(hex["pie," k[2] "," k[3]], 1, 8) == hex["baseline," k[2] "," k[3]]) ? "yes" : "NO"
        printf "%s,%s,%s,%s,%d,%.4f,%.3f,%s,%s\n", k[1], k[2], k[3], k[4], n[key], m0, med(key, 1), sp, agree
    }
}' "$RAW" | (
    read -r header
    echo "$header"
    sort -t, -k1,1 -k2,2 -k3,3g -k4,4n
) >"$OUT/hex_summary.csv"

rm -f "$OUT/.stdout" "$OUT/.time"
cat "$OUT/hex_summary.csv"
if grep -q ',NO$' "$OUT/hex_summary.csv"; then
    echo "bench_hex: pie and the baseline disagree on some digits" >&2
    exit 1
fi
