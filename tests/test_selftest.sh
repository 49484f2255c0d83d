#!/usr/bin/env bash
# @brief pie selftest passes in under 10 s; --stress runs for the time asked; bad input exits 2 with one line.
set -u
PIE=${1:?usage: test_selftest.sh PATH_TO_PIE}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

t0=$(now)
"$PIE" selftest >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; fail "selftest failed"; }
t1=$(now)
el=$(echo "$t1 - $t0" | bc)
echo "selftest took ${el}s"
[ "$(echo "$el < 10" | bc)" -eq 1 ] || fail "selftest took ${el}s (limit 10 s)"
grep -q " 0 failed" "$tmp/out" || fail "selftest table: $(tail -2 "$tmp/out")"
for k in "mc scalar" "hex scalar" "digits bbp 100000 b16" "process -j"; do
    grep -q "$k" "$tmp/out" || fail "selftest table lacks '$k'"
done

t0=$(now)
"$PIE" selftest --stress 2 -j 2 --pin cores >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; fail "stress failed"; }
el=$(echo "$(now) - $t0" | bc)
echo "stress 2 s took ${el}s"
[ "$(echo "$el >= 2 && $el < 8" | bc)" -eq 1 ] || fail "--stress 2 took ${el}s"
grep -q "checks, 0 errors" "$tmp/out" || fail "stress summary: $(tail -1 "$tmp/out")"
grep -q "^digits" "$tmp/out" || fail "stress table lacks the digits kernel"

expect_usage() {
    "$PIE" "$@" >"$tmp/stdout" 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "pie $* exited $rc, expected 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "pie $*: expected one line, got: $(cat "$tmp/err")"
    [ ! -s "$tmp/stdout" ] || fail "pie $*: wrote to stdout"
}
expect_usage selftest --stress 0
expect_usage selftest --stress -3
expect_usage selftest --stress abc
expect_usage selftest --stress
expect_usage selftest --stress 1 --stress 1
expect_usage selftest --stress 1 -j 0
expect_usage selftest -j 2
expect_usage selftest --bogus
expect_usage selftest extra
grep -q -- "--stress" "$tmp/err" || true
"$PIE" selftest --stress -3 2>&1 | grep -q -- "--stress" || fail "the message should name --stress"
echo "selftest: ok"
