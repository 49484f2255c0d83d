#!/usr/bin/env bash
# @brief Robustness at the pie command: an unremovable checkpoint is a warning, a FIFO or a huge file in its place is recomputed, ulimit -v refuses up front, a silent worker ends the run, the thread backend under a process limit fails cleanly.
#
# usage: test_robust_cli.sh PIE
# Cases that need an unprivileged user run as nobody when this runs as root
# (setpriv), and as the current user otherwise; where neither works they
# print "skip" and the rest still runs.
set -u
PIE=${1:?usage: test_robust_cli.sh PIE}
case "$PIE" in /*) ;; *) PIE=$PWD/$PIE ;; esac
work=$(mktemp -d)
chmod 777 "$work"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
fail=0
check() { # check DESCRIPTION CONDITION...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
not() { ! "$@"; }
# Run as an unprivileged user: nobody when root.
unpriv=()
if [ "$(id -u)" = 0 ]; then
    unpriv=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    "${unpriv[@]}" "$PIE" mc -n 1000 -q >/dev/null 2>&1 || unpriv=(none)
fi

# The name of the mc job's checkpoint: a run that fails keeps its file.
ref=$("$PIE" mc -n 1e9 --seed 4 -q)
if PIE_FAULT=no-such-fault:1 "$PIE" mc -n 1000 -q 2>&1 | grep -q PIE_FAULT; then injection=1; else injection=0; fi

# D5: the checkpoint directory turns read-only during the run: the result is
# still printed (exit 0) and the failed removal is one warning line.
if [ "${unpriv[0]:-}" = none ]; then
    echo "skip: read-only checkpoint directory (cannot run as nobody here)"
else
    mkdir ro && chmod 777 ro
    "${unpriv[@]}" "$PIE" mc -n 3e9 --seed 4 -j 2 -q --checkpoint ro >out 2>err &
    pid=$!
    for _ in $(seq 500); do
        ls ro/pie-*.ckpt >/dev/null 2>&1 && break
        sleep 0.01
    done
    chmod 555 ro
    wait $pid
    rc=$?
    check "read-only checkpoint directory: exit 0 (got $rc)" [ "$rc" = 0 ]
    check "read-only checkpoint directory: the estimate is printed" grep -q '^3\.14' out
    check "read-only checkpoint directory: one warning line" \
        [ "$(grep -c '^pie mc: warning: could not remove checkpoint ro/pie-.*\.ckpt: Permission denied$' err)" = 1 ]
    chmod 755 ro
fi

# D11: a FIFO at the checkpoint's path does not block; a 50 GiB sparse file
# there is not read into memory. Both are recomputed and the result is the
# reference.
mkdir ck
PIE_FAULT= "$PIE" mc -n 1e9 --seed 4 -q --checkpoint ck --backend serial >/dev/null 2>&1 &
pid=$!
for _ in $(seq 500); do
    ls ck/pie-*.ckpt >/dev/null 2>&1 && break
    sleep 0.01
done
kill -TERM $pid 2>/dev/null
wait $pid 2>/dev/null
name=$(ls ck/pie-*.ckpt 2>/dev/null | head -1)
if [ -z "$name" ]; then
    echo "FAIL: no checkpoint name found"
    fail=$((fail + 1))
else
    rm -f "$name" && mkfifo "$name"
    out=$(timeout 20 "$PIE" mc -n 1e9 --seed 4 -q --checkpoint ck)
    rc=$?
    check "FIFO at the checkpoint path: exit 0, no hang (got $rc)" [ "$rc" = 0 ]
    check "FIFO at the checkpoint path: the reference result" [ "$out" = "$ref" ]
    mkdir -p ck && rm -f "$name" && truncate -s 50G "$name"
    out=$(timeout 20 "$PIE" mc -n 1e9 --seed 4 -q --checkpoint ck 2>err)
    rc=$?
    check "50 GiB sparse checkpoint: exit 0 (got $rc: $(head -c 200 err))" [ "$rc" = 0 ]
    check "50 GiB sparse checkpoint: the reference result" [ "$out" = "$ref" ]
fi

# D12: under ulimit -v a digits run that cannot fit is refused before any
# work (exit 2, one line naming the limit, no file). (A sanitizer build
# cannot start under such a limit: then skip.)
if prlimit --as=$((64 << 20)) "$PIE" digits -d 10 -q >/dev/null 2>&1; then
    prlimit --as=$((24 << 20)) "$PIE" digits -d 2e6 -o as.txt 2>err
    rc=$?
    check "digits under ulimit -v: exit 2 (got $rc)" [ "$rc" = 2 ]
    check "digits under ulimit -v: names the limit" grep -q 'address-space limit' err
    check "digits under ulimit -v: no file" [ ! -e as.txt ]
else
    echo "skip: digits under ulimit -v (pie does not start under a 64 MiB limit here)"
fi

# D8: a worker that stops reading its requests but stays alive, with no
# --chunk-timeout: the run ends (a retry, or exit 1 naming the cause).
if [ "$injection" = 1 ]; then
    out=$(PIE_FAULT='epipe:w0#1:all' timeout 15 "$PIE" mc -n 1e9 -q 2>err)
    rc=$?
    check "epipe:w0#1:all without a timeout: ends (got $rc)" test "$rc" = 0 -o "$rc" = 1
    if [ "$rc" = 1 ]; then
        check "epipe:w0#1:all: names the cause" grep -q 'stopped reading its requests' err
    fi
    out=$(PIE_FAULT='epipe:w0#1' timeout 15 "$PIE" mc -n 1e9 --seed 4 -q 2>err)
    check "epipe:w0#1 without a timeout: the reference result" [ "$out" = "$ref" ]
else
    echo "skip: epipe (built without -DPIE_FAULT_INJECTION=ON)"
fi

# D13: the thread backend when no thread can be created: exit 1 with pie's
# own message, not libgomp's exit. (RLIMIT_NPROC does not bind root.)
if [ "${unpriv[0]:-}" = none ] || ! "$PIE" mc -n 1000 --backend thread -q >/dev/null 2>&1; then
    echo "skip: thread backend under a process limit (no OpenMP, or cannot run as nobody)"
else
    # LeakSanitizer needs a thread of its own at exit, which the limit refuses
    # (a sanitizer build only; the option is ignored elsewhere).
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "${unpriv[@]}" prlimit --nproc=1 "$PIE" mc -n 1e9 --backend thread -j 4 -q >out 2>err
    rc=$?
    check "thread backend, nproc=1: exit 1 (got $rc)" [ "$rc" = 1 ]
    check "thread backend, nproc=1: pie's message" grep -q '^pie mc: the thread backend could start only' err
    check "thread backend, nproc=1: no libgomp message" not grep -q libgomp err
fi

[ "$fail" = 0 ] && echo "all passed" || echo "$fail failed"
[ "$fail" = 0 ]
