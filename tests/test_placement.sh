#!/usr/bin/env bash
# @brief --pin on mc, hex and digits over every backend: the CPUs recorded are the ones asked for; cpu-info --json; bad placements exit 2.
set -u
PIE=${1:?usage: test_placement.sh PATH_TO_PIE}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 0; }

# The CPUs this process may use, from cpu-info --json (topology or not).
"$PIE" cpu-info --json >"$tmp/info" || fail "cpu-info --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["topology"]; assert t["cpus"]>=1 and t["cores"]>=1 and t["threads_per_core"]>=1, t' "$tmp/info" \
    || fail "cpu-info --json: bad topology"
"$PIE" cpu-info | grep -q "^topology" || fail "cpu-info lacks the topology line"
cpus=$(python3 -c 'import os; print(",".join(str(c) for c in sorted(os.sched_getaffinity(0))))')
first=${cpus%%,*}
last=${cpus##*,}

# run WORKLOAD BACKEND PIN: prints worker_cpus after checking pin is recorded.
run() {
    local wl=$1 be=$2 pin=$3 args
    case $wl in
        mc) args="-n 50331648" ;;
        hex) args="-p 100000 -c 8" ;;
        digits) args="-d 20000" ;;
    esac
    "$PIE" "$wl" $args --backend "$be" -j 2 --pin "$pin" --json --no-progress >"$tmp/out" 2>"$tmp/err" \
        || fail "pie $wl --backend $be --pin $pin: $(cat "$tmp/err")"
    python3 - "$tmp/out" "$pin" <<'PY' || fail "pie $wl --backend $be --pin $pin: $(cat "$tmp/out")"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[0])
assert d["pin"] == sys.argv[2], d["pin"]
print(d["worker_cpus"])
PY
}

for wl in mc hex digits; do
    for be in serial process thread; do
        "$PIE" cpu-info | grep -q " $be(no)" && continue
        # A single CPU: every worker on it.
        for c in "$first" "$last"; do
            got=$(run "$wl" "$be" "$c") || exit 1
            for x in ${got//,/ }; do
                [ "$x" = "$c" ] || fail "$wl $be --pin $c ran a worker on CPU $x ($got)"
            done
        done
        # Policies: every worker on an allowed CPU; with 2 workers and 2+
        # CPUs, cores/compact/scatter put them on two different CPUs.
        for p in cores threads compact scatter "$cpus"; do
            got=$(run "$wl" "$be" "$p") || exit 1
            for x in ${got//,/ }; do
                case ",$cpus," in *",$x,"*) ;; *) fail "$wl $be --pin $p: CPU $x not allowed ($got)" ;; esac
            done
            n=$(echo "$got" | tr ',' '\n' | sort -u | wc -l)
            if [ "$be" != serial ] && [ "$first" != "$last" ] && [ "$p" != threads ]; then
                [ "$n" -eq 2 ] || fail "$wl $be --pin $p: expected two CPUs, got $got"
            fi
        done
        # Unpinned: recorded as none, CPUs still recorded.
        got=$(run "$wl" "$be" none) || exit 1
        [ -n "$got" ] || fail "$wl $be unpinned: no worker CPUs recorded"
    done
done

# The same inside count pinned and unpinned.
a=$("$PIE" mc -n 33554432 --pin cores --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["inside"])')
b=$("$PIE" mc -n 33554432 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["inside"])')
[ "$a" = "$b" ] || fail "pinning changed the result ($a vs $b)"

# Bad placements: exit 2, one line naming --pin, nothing on stdout, no file.
expect_usage() {
    "$PIE" "$@" >"$tmp/stdout" 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "pie $* exited $rc, expected 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "pie $*: expected one line, got: $(cat "$tmp/err")"
    grep -q -- "--pin" "$tmp/err" || fail "pie $*: the message does not name --pin: $(cat "$tmp/err")"
    [ ! -s "$tmp/stdout" ] || fail "pie $*: wrote to stdout"
}
for bad in bogus "" "0,,1" "1-0" "-1" "0-" "4096" "99999" "cores,0" " 0"; do
    expect_usage mc -n 1000 --pin "$bad"
done
expect_usage hex -p 1 --pin 4095
expect_usage digits -d 100 -o "$tmp/d.txt" --pin nope
[ ! -e "$tmp/d.txt" ] || fail "a refused digits run left its output file"
expect_usage mc --pin cores --pin cores
expect_usage bench scaling --quick --pin 4000 --out "$tmp/bench"
[ ! -e "$tmp/bench" ] || fail "a refused bench run created its directory"
expect_usage selftest --stress 1 --pin bad
# Under mpi, placement belongs to the launcher.
if ! "$PIE" cpu-info | grep -q " mpi(no)"; then
    "$PIE" mc -n 1000 --backend mpi --pin cores >/dev/null 2>"$tmp/err"
    [ $? -ne 0 ] && grep -q "bind-to" "$tmp/err" || fail "mpi with --pin should point to mpirun --bind-to: $(cat "$tmp/err")"
fi
echo "placement: ok"
