#!/usr/bin/env bash
# @brief Hostile input: every bad invocation of every subcommand exits 2 with one line and writes no file.
#
# usage: test_hostile.sh PIE
# Each row of the table is one invocation (fields split on '|': environment
# assignments, then the arguments; '<empty>' stands for an empty argument).
# Each runs in an empty directory, with stdin closed; it must exit 2, print
# exactly one line on stderr (naming what was wrong) and nothing on stdout,
# and leave the directory empty (and /tmp/pie_hostile_out absent).
set -u
PIE=${1:?usage: test_hostile.sh PIE}
case "$PIE" in /*) ;; *) PIE=$PWD/$PIE ;; esac

read -r -d '' TABLE <<'ROWS'
|
|<empty>
|frobnicate
|--frob
|mc|-n|<empty>
|mc|-n|abc
|mc|-n|-5
|mc|-n|0
|mc|-n|1.5
|mc|-n|1e20
|mc|-n|99999999999999999999999
|mc|-n|1e
|mc|-n|1__000
|mc|-n|0x10
|mc|-n|+7
|mc|-n|1e-3
|mc|-j|0
|mc|-j|-1
|mc|-j|1.5
|mc|-j|99999
|mc|-j|abc
|mc|--backend|gpu
|mc|--backend|<empty>
|mc|--seed|-1
|mc|--seed|1e3
|mc|--seed|99999999999999999999999
|mc|--isa|sse9
|mc|--json|-q
|mc|-n|10|-n|10
|mc|--seed|1|--seed|2
|mc|--bogus
|mc|-n
|mc|--seed
|mc|extra
|mc|--chunk-timeout|0
|mc|--chunk-timeout|-1
|mc|--chunk-timeout|abc
|mc|--chunk-timeout|1e3
|mc|--chunk-timeout|9999999
|mc|--chunk-timeout|1|--chunk-timeout|2
|mc|--checkpoint|<empty>
|mc|--checkpoint|/proc/no/such/dir
|mc|--checkpoint|/etc/hostname
|mc|--checkpoint|a|--checkpoint|b
PIE_WORKERS=abc|mc|-n|10
PIE_WORKERS=0|mc|-n|10
PIE_ISA=bogus|mc|-n|10
|hex
|hex|-p|0
|hex|-p|1e13
|hex|-p|1.5
|hex|-p|-3
|hex|-p|10|-c|0
|hex|-p|10|-c|1001
|hex|-p|1e12|-c|2
|hex|-p|10|--formula|pi
|hex|-p|10|-p|11
|hex|-p|10|--chunk-timeout|0.0
|hex|-p|10|--checkpoint|/proc/no/such/dir
|hex|-p
|digits|-d|0
|digits|-d|abc
|digits|-d|1e30
|digits|-d|1e12
|digits|-d|10|--base|7
|digits|-d|10|--base|<empty>
|digits|-d|10|-o|/proc/no/such/dir/pi.txt
|digits|-d|10|-o|<empty>
|digits|-d|10|-o|/tmp/pie_hostile_out|-o|/tmp/pie_hostile_out
|digits|-d|1e12|-o|/tmp/pie_hostile_out
|digits|-d|10|--chunk-timeout|-2
|digits|-d|10|--checkpoint|/etc/hostname
|digits|-d|10|extra
|cpu-info|extra
ROWS

fail=0
n=0
work=$(mktemp -d)
trap 'rm -rf "$work" /tmp/pie_hostile_out' EXIT
rm -f /tmp/pie_hostile_out
while IFS= read -r row; do
    IFS='|' read -r -a f <<<"$row"
    envs=()
    [ -n "${f[0]}" ] && envs=("${f[0]}")
    args=()
    for ((i = 1; i < ${#f[@]}; i++)); do
        a=${f[i]}
        [ "$a" = "<empty>" ] && a=""
        args+=("$a")
    done
    n=$((n + 1))
    dir="$work/$n"
    mkdir "$dir"
    (cd "$dir" && env ${envs[@]+"${envs[@]}"} timeout 20 "$PIE" ${args[@]+"${args[@]}"} \
        >"$work/out" 2>"$work/err" </dev/null)
    rc=$?
    lines=$(wc -l <"$work/err")
    left=$(ls -A "$dir")
    msg=$(head -c 300 "$work/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$work/out" ] || [ -n "$left" ] ||
        [ -e /tmp/pie_hostile_out ] || ! grep -q '^pie' "$work/err"; then
        echo "FAIL: ${envs[*]-} pie ${args[*]-}: exit $rc, $lines stderr line(s), stdout $(wc -c <"$work/out") bytes, files [$left]: $msg"
        fail=$((fail + 1))
        rm -f /tmp/pie_hostile_out
    else
        echo "ok: ${envs[*]-} pie ${args[*]-} -> $msg"
    fi
done <<<"$TABLE"
echo "test_hostile: $n invocations, $fail failure(s)"
[ "$n" -ge 40 ] || { echo "FAIL: fewer than 40 invocations"; exit 1; }
[ "$fail" -eq 0 ]
