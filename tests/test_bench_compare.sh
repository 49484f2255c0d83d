#!/usr/bin/env bash
# @brief pie bench compare on synthetic result directories: verdicts, --json, warnings; bad input exits 2 with one line.
set -u
PIE=${1:?usage: test_bench_compare.sh PATH_TO_PIE}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

hdr="workload,experiment,backend,workers,workers_used,size,unit,pin,round,order,seconds,user_s,system_s,cpu_s,steal_pct,outlier,check,worker_cpus"
# mkdir DIR CPU then rows "backend workers size t1 t2 ..."
make_dir() {
    local d=$1 cpu=$2; shift 2
    mkdir -p "$d"
    printf '{"machine":{"cpu_model":"%s","cores":2}}\n' "$cpu" >"$d/results.json"
    echo "$hdr" >"$d/runs.csv"
    local o=0
    for spec in "$@"; do
        set -- $spec
        local be=$1 w=$2 size=$3; shift 3
        local r=0
        for t in "$@"; do
            echo "mc,strong,$be,$w,$w,$size,samples,none,$r,$o,$t,$t,0,$t,0,0,inside=1,\"0\"" >>"$d/runs.csv"
            r=$((r + 1)); o=$((o + 1))
        done
    done
}
ten_a="1.00 1.01 0.99 1.02 0.98 1.00 1.01 0.99 1.03 0.97"
ten_b="0.50 0.51 0.49 0.52 0.48 0.50 0.51 0.49 0.53 0.47"
make_dir "$tmp/A" "CPU X" "process 1 1000 $ten_a" "thread 2 1000 $ten_a" "serial 1 1000 $ten_a"
make_dir "$tmp/B" "CPU X" "process 1 1000 $ten_b" "thread 2 1000 $ten_a" "serial 1 1000 $(echo $ten_a | tr ' ' '\n' | awk '{print $1*2}' | tr '\n' ' ')"

"$PIE" bench compare "$tmp/A" "$tmp/B" >"$tmp/out" 2>"$tmp/err" || fail "compare: $(cat "$tmp/err")"
grep -q "process 1 .* faster" "$tmp/out" || fail "B's process point should be faster: $(cat "$tmp/out")"
grep -q "thread 2 .* no significant difference" "$tmp/out" || fail "equal samples: $(cat "$tmp/out")"
grep -q "serial 1 .* slower" "$tmp/out" || fail "doubled times should be slower: $(cat "$tmp/out")"
grep -q "warning" "$tmp/out" && fail "no warning expected with 10 runs on one machine: $(cat "$tmp/out")"

if command -v python3 >/dev/null; then
    "$PIE" bench compare --json "$tmp/A" "$tmp/B" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = {p["point"]: p for p in d["points"]}
p = v["mc strong process 1"]
assert p["verdict"] == "faster" and p["p_value"] < 0.05 and p["ratio_ci95"][1] < 1, p
assert abs(p["ratio_b_over_a"] - 0.5) < 0.01, p
assert v["mc strong thread 2"]["verdict"] == "no significant difference"
assert v["mc strong serial 1"]["verdict"] == "slower"
assert d["warnings"] == []
' || fail "compare --json"
fi

# Few runs, another machine, different sizes (compared per unit).
make_dir "$tmp/C" "CPU Y" "process 1 2000 2.0 2.1 1.9"
"$PIE" bench compare "$tmp/A" "$tmp/C" >"$tmp/out" || fail "compare A C"
grep -q "only 3 runs" "$tmp/out" || fail "expected the few-repeats warning: $(cat "$tmp/out")"
grep -q "machines differ" "$tmp/out" || fail "expected the machines warning: $(cat "$tmp/out")"
grep -q "seconds per work unit" "$tmp/out" || fail "expected the per-unit note"

expect_usage() {
    "$PIE" "$@" >"$tmp/stdout" 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "pie $* exited $rc, expected 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "pie $*: expected one line, got: $(cat "$tmp/err")"
    [ ! -s "$tmp/stdout" ] || fail "pie $*: wrote to stdout"
}
mkdir -p "$tmp/empty" "$tmp/junk"
echo "a,b,c" >"$tmp/junk/runs.csv"
make_dir "$tmp/D" "CPU X" "process 7 1000 1 1 1"
expect_usage bench compare "$tmp/A"
expect_usage bench compare "$tmp/A" "$tmp/B" "$tmp/C"
expect_usage bench compare "$tmp/A" "$tmp/empty"
expect_usage bench compare "$tmp/nosuch" "$tmp/A"
expect_usage bench compare "$tmp/A" "$tmp/junk"
expect_usage bench compare "$tmp/A" "$tmp/D"
grep -q "share no point" "$tmp/err" || fail "no shared point: $(cat "$tmp/err")"
expect_usage bench compare "$tmp/A" "$tmp/B" --alpha 0
expect_usage bench compare "$tmp/A" "$tmp/B" --alpha x
expect_usage bench compare "$tmp/A" "$tmp/B" --bogus
ls "$tmp/A" "$tmp/B" | grep -qv -e results.json -e runs.csv -e '^$' -e ':$' && fail "compare wrote a file"
echo "compare: ok"
