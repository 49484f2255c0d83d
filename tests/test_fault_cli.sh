#!/usr/bin/env bash
# @brief Faults through the pie command: same output after worker faults, exit 1 naming chunk and cause, --chunk-timeout, --checkpoint resume.
#
# usage: test_fault_cli.sh PIE   (needs -DPIE_FAULT_INJECTION=ON; exits 77 without it)
set -u
PIE=${1:?usage: test_fault_cli.sh PIE}
case "$PIE" in /*) ;; *) PIE=$PWD/$PIE ;; esac
if PIE_FAULT=no-such-fault:1 "$PIE" hex -p 10 -c 1 -q 2>&1 | grep -q PIE_FAULT; then :; else
    echo "SKIP: built without -DPIE_FAULT_INJECTION=ON"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { # check DESCRIPTION CONDITION...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}

# workload name, arguments (-q: the bare result), a chunk a fault can hit, a
# later chunk, a chunk timeout well above one chunk's time (sanitizer builds
# included) for the hang case
WORKLOADS=(
    "mc|-n 40000000 --seed 9 -j 2 -q|1|2|4"
    "hex|-p 100000 -c 8 -j 2 -q|3|60|0.5"
    "digits|-d 20000 -j 2 -q|2|9|1"
)
for row in "${WORKLOADS[@]}"; do
    IFS='|' read -r name args early late timeout <<<"$row"
    # shellcheck disable=SC2086
    ref=$("$PIE" $name $args --backend serial 2>"$work/err")
    check "$name: reference run" [ -n "$ref" ]
    for fault in "kill:$early" "signal=11:$late" "exit=3:$early" "garbage:$late" "eof:$early" \
        "oom:$late" "kill:w1#1"; do
        # shellcheck disable=SC2086
        out=$(PIE_FAULT=$fault "$PIE" $name $args 2>"$work/err")
        rc=$?
        # (A sanitizer build notes the failed 64 TiB allocation of "oom".)
        noise=$(grep -vc 'AddressSanitizer failed to allocate' "$work/err")
        check "$name $fault: exit 0, same output, quiet stderr" \
            [ "$rc" -eq 0 -a "$out" = "$ref" -a "$noise" -eq 0 ]
    done
    # shellcheck disable=SC2086
    out=$(PIE_FAULT=hang:$early "$PIE" $name $args --chunk-timeout $timeout 2>"$work/err")
    check "$name hang + --chunk-timeout $timeout: same output" [ $? -eq 0 -a "$out" = "$ref" ]
    # shellcheck disable=SC2086
    out=$(PIE_FAULT=exit=42:$late:all "$PIE" $name $args 2>"$work/err")
    rc=$?
    check "$name exit=42 on every attempt: exit 1, one line naming chunk $late and the cause" \
        [ "$rc" -eq 1 -a -z "$out" -a "$(wc -l <"$work/err")" -eq 1 ]
    check "$name: message '$(head -c 200 "$work/err")'" \
        grep -q "chunk $late failed 3 times.*exited with code 42" "$work/err"

    # Checkpoint: a run that fails at a late chunk keeps what it finished;
    # the same command resumes and prints the same result; success cleans up.
    ck="$work/ck-$name"
    # shellcheck disable=SC2086
    PIE_FAULT=exit=42:$late:all "$PIE" $name $args --checkpoint "$ck" >/dev/null 2>&1
    check "$name: failed run kept its checkpoint" [ "$(ls "$ck" 2>/dev/null | wc -l)" -eq 1 ]
    # shellcheck disable=SC2086
    out=$("$PIE" $name $args --checkpoint "$ck" 2>"$work/err")
    check "$name: resumed run prints the same result" [ $? -eq 0 -a "$out" = "$ref" ]
    check "$name: checkpoint removed after success" [ ! -e "$ck" ]
done

# Chudnovsky's big operations after the series run as tasks on the workers
# (products, then the conversion's two halves): a worker lost in one is
# replaced and the piece runs again, same digits; one that fails every
# attempt fails the run, naming the task's chunk.
"$PIE" digits -d 1500000 --backend serial -o "$work/big-ref.txt" -q
for fault in kill:5 kill:products@0 garbage:products@1 kill:text@1 oom:text@0; do
    PIE_FAULT=$fault "$PIE" digits -d 1500000 -j 2 --big-ops workers -o "$work/big.txt" -q 2>"$work/err"
    rc=$?
    noise=$(grep -vc 'AddressSanitizer failed to allocate' "$work/err")
    same=0
    cmp -s "$work/big.txt" "$work/big-ref.txt" && same=1
    check "digits 1.5e6 $fault: exit 0, same digits, quiet stderr" \
        [ "$rc" -eq 0 -a "$noise" -eq 0 -a "$same" -eq 1 ]
done
PIE_FAULT=exit=42:text@0:all "$PIE" digits -d 1500000 -j 2 --big-ops workers -o "$work/big2.txt" -q 2>"$work/err"
rc=$?
check "digits 1.5e6 exit=42:text@0:all: exit 1, no file, the cause named" \
    [ "$rc" -eq 1 -a ! -e "$work/big2.txt" ]
check "digits 1.5e6: message '$(head -c 200 "$work/err")'" \
    grep -q "chunk 0 failed 3 times.*exited with code 42" "$work/err"
# A run that fails after its series keeps the series' checkpoint; the same
# command resumes from it to the same digits and then removes it.
PIE_FAULT=exit=42:text@0:all "$PIE" digits -d 1500000 -j 2 --big-ops workers \
    --checkpoint "$work/ck-big" -o "$work/big3.txt" -q 2>/dev/null
check "digits 1.5e6 failed after the series: checkpoint kept" \
    [ "$(ls "$work/ck-big" 2>/dev/null | wc -l)" -eq 1 ]
# (chunk 5 failing on every attempt: the resumed run must compute no chunk)
PIE_FAULT=exit=42:5:all "$PIE" digits -d 1500000 -j 2 --checkpoint "$work/ck-big" \
    -o "$work/big3.txt" -q 2>/dev/null
check "digits 1.5e6 resumed: every series chunk from the checkpoint" [ $? -eq 0 ]
check "digits 1.5e6 resumed: same digits" cmp -s "$work/big3.txt" "$work/big-ref.txt"
check "digits 1.5e6 resumed: checkpoint removed" [ ! -e "$work/ck-big" ]

# digits -o with a worker killed: the file has exactly the reference bytes.
ref=$("$PIE" digits -d 5000 --backend serial -q)
PIE_FAULT=kill:1 "$PIE" digits -d 5000 -j 2 -o "$work/pi.txt" -q 2>/dev/null
check "digits -o after a killed worker: same bytes" [ "$(cat "$work/pi.txt")" = "$ref" ]
PIE_FAULT=exit=5:1:all "$PIE" digits -d 5000 -j 2 -o "$work/pi2.txt" -q 2>/dev/null
check "digits -o failing run: exit 1 and no file" [ $? -eq 1 -a ! -e "$work/pi2.txt" ]
check "digits -o failing run: no temporary file left" [ "$(ls -A "$work" | grep -c pi2)" -eq 0 ]

echo "test_fault_cli: $fail failure(s)"
[ "$fail" -eq 0 ]
