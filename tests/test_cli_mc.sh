#!/usr/bin/env bash
# @brief CLI tests for `pie mc`: good and bad arguments, exit codes, JSON keys, help and version.
set -u
PIE="$1"
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE ARGS...: run pie with ARGS, check the exit code; stderr in $tmp/err
expect() {
    local want=$1; shift
    "$PIE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    [ "$got" -eq "$want" ] || fail "pie $* exited $got, expected $want: $(head -c 300 "$tmp/err")"
    if [ "$want" -eq 2 ]; then
        local lines
        lines=$(wc -l <"$tmp/err")
        [ "$lines" -eq 1 ] || fail "pie $*: expected one line on stderr, got $lines"
        [ -s "$tmp/out" ] && fail "pie $*: wrote to stdout on a usage error"
    fi
    return 0
}

# --- good invocations ------------------------------------------------------
for n in 1000000 1e6 2.5e6 1_000_000 1000000.0 1E6 100e-2 ; do
    expect 0 mc -n "$n" --json
done
expect 0 mc --samples=1e5 -j 2 --backend serial -q
grep -Eq '^3\.[0-9]{10}$' "$tmp/out" || fail "-q prints the bare estimate: $(cat "$tmp/out")"
expect 0 mc -n 1e5 -j auto --seed 0xff --no-progress
grep -q 'pi ~' "$tmp/out" || fail "human output names the estimate"
grep -q '95% CI' "$tmp/out" || fail "human output has the CI"
grep -q 'samples/s' "$tmp/out" || fail "human output has the throughput"
expect 0 mc -n 5e7 --json --backend thread -j 3
for key in estimate samples inside std_error ci95 abs_error seconds samples_per_second workers \
    backend seed kernel version; do
    grep -q "\"$key\":" "$tmp/out" || fail "JSON lacks key $key"
done
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["samples"]==50000000 and len(d["ci95"])==2 and d["workers"]==3 and d["backend"]=="thread"' "$tmp/out" ||
        fail "JSON does not parse or holds wrong values"
fi
# The same (N, seed) gives the same count whatever backend and workers.
ref=$("$PIE" mc -n 40000001 --seed 7 --backend serial --json | grep -o '"inside":[0-9]*')
for b in process thread; do
    for j in 1 2 3; do
        got=$("$PIE" mc -n 40000001 --seed 7 --backend "$b" -j "$j" --json | grep -o '"inside":[0-9]*')
        [ "$got" = "$ref" ] || fail "backend $b -j $j: $got vs serial $ref"
    done
done
PIE_WORKERS=3 "$PIE" mc -n 5e7 --json --backend process | grep -q '"workers":3' ||
    fail "PIE_WORKERS applies when -j is absent"
PIE_WORKERS=3 "$PIE" mc -n 1e5 -j 1 --json | grep -q '"workers":1' || fail "-j beats PIE_WORKERS"
expect 0 --help
grep -q 'mc' "$tmp/out" || fail "--help lists mc"
expect 0 mc --help
grep -q -- '--samples' "$tmp/out" || fail "mc --help documents --samples"
expect 0 --version
grep -Eq '^pie [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "--version"
expect 0 cpu-info
grep -Eq '^mc +.*auto = [a-z0-9]+$' "$tmp/out" || fail "cpu-info names the auto kernel"

# Progress: silent when stderr is not a terminal, unless forced; forced shows the end.
"$PIE" mc -n 5e7 -j 2 >/dev/null 2>"$tmp/err"
[ -s "$tmp/err" ] && fail "progress or noise on a non-terminal stderr: $(head -c 200 "$tmp/err")"
"$PIE" mc -n 5e7 -j 2 --progress >/dev/null 2>"$tmp/err"
grep -q '100.0% (3/3 chunks)' "$tmp/err" || fail "--progress reports completion: $(cat "$tmp/err")"

# --- bad invocations: exit 2, one line naming the argument --------------------
for n in 0 -5 1.5 1e-3 abc '' 1e19 9223372036854775809 18446744073709551616 1__0 _1 1_ 1e 1.2.3 \
    0x10 '1 000' 1e1000 +5 ; do
    expect 2 mc -n "$n"
    grep -q -- '--samples' "$tmp/err" || fail "error for -n '$n' names --samples: $(cat "$tmp/err")"
done
for j in 0 -1 abc 1.5 99999 ''; do
    expect 2 mc -n 10 -j "$j"
    grep -q -- '--workers' "$tmp/err" || fail "error for -j '$j' names --workers"
done
PIE_WORKERS=zero expect 2 mc -n 10
expect 2 mc -n 10 --backend gpu
expect 2 mc -n 10 --seed -1
expect 2 mc -n 10 --seed 18446744073709551616
expect 2 mc -n 10 --isa sse9
expect 2 mc -n 10 --frobnicate
expect 2 mc -n
expect 2 mc -n 10 -n 20
expect 2 mc -n 10 --json -q
expect 2 mc -n 10 stray
expect 2 frobnicate
expect 2
expect 2 cpu-info extra

# --- no child processes survive (checked by the C tests too) ------------------
"$PIE" mc -n 1e6 -j 3 >/dev/null &
wait $!
sleep 0.1
[ -z "$(pgrep -P $$ pie || true)" ] || fail "pie workers outlived the run"

if [ "$fails" -ne 0 ]; then
    echo "$fails failures"
    exit 1
fi
echo "ok"
