#!/usr/bin/env bash
# @brief CLI tests of `pie hex`: known digits, -q and --json output, backends agree, bad input exits 2.
set -u
PIE=${1:?usage: test_cli_hex.sh PATH_TO_PIE}
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# expect_out EXPECTED ARGS...: stdout must be exactly EXPECTED, exit 0.
expect_out() {
    local want=$1 got rc
    shift
    got=$("$PIE" hex "$@" 2>/dev/null)
    rc=$?
    [ "$rc" -eq 0 ] || fail "pie hex $* exited $rc"
    [ "$got" = "$want" ] || fail "pie hex $*: got '$got', expected '$want'"
}

expect_out 2 -p 1 -c 1 -q
expect_out 243F6A8885A308D3 -p 1 -c 16 -q
expect_out 43F6A8885A308D31 --position 2 --count 16 -q
expect_out 5A308D313198A2E0 -p 10 -c 16 -q --formula bbp
expect_out C29B7C97C50DD3F8 -p 100 -c 16 -q
expect_out 349F1C09B075372C -p 1000 -c 16 -q --formula bellard
expect_out 26C65E52CB4593 -p 1e6 -q
expect_out 26C65E52CB4593 -p 1_000_000 -q --formula bbp
expect_out 26C65E52CB4593 -p 1000000 -q --isa scalar -j 2 --backend thread
expect_out 26C65E52CB4593 -p 1000000 -q --backend serial

# The same digits on every backend and worker count.
ref=$("$PIE" hex -p 123457 -c 30 -q --backend serial)
for b in process thread; do
    for j in 1 2 3; do
        got=$("$PIE" hex -p 123457 -c 30 -q --backend $b -j $j 2>/dev/null)
        [ "$got" = "$ref" ] || fail "backend $b -j $j: '$got' vs '$ref'"
    done
done

# JSON carries the documented keys.
json=$("$PIE" hex -p 1e6 -c 14 --json)
for key in position count hex formula checked_by seconds workers backend kernel; do
    case $json in
    *"\"$key\":"*) ;;
    *) fail "--json lacks $key: $json" ;;
    esac
done
case $json in
*'"hex":"26C65E52CB4593"'*'"checked_by":"bbp"'*) ;;
*) fail "--json content: $json" ;;
esac

# Human output names the check.
human=$("$PIE" hex -p 1e6)
case $human in
*26C65E52CB4593*checked\ by\ bbp*) ;;
*) fail "human output: $human" ;;
esac

# Bad input: exit 2 and exactly one line on stderr, nothing on stdout.
bad() {
    local out err rc
    out=$("$PIE" hex "$@" 2>/tmp/pie_hex_err.$$)
    rc=$?
    err=$(cat /tmp/pie_hex_err.$$)
    [ "$rc" -eq 2 ] || fail "pie hex $* exited $rc, expected 2"
    [ -z "$out" ] || fail "pie hex $* printed '$out' on stdout"
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ -n "$err" ] ||
        fail "pie hex $*: stderr not one line: '$err'"
}
bad
bad -p 0
bad -p -5
bad -p abc
bad -p 1.5
bad -p ''
bad -p 1e13
bad -p 1000000000001
bad -p 1000000000000 -c 2
bad -p 1 -c 0
bad -p 1 -c -3
bad -p 1 -c 1001
bad -p 1 -c x
bad -p 1 --formula pi
bad -p 1 --backend nope
bad -p 1 -j 0
bad -p 1 --json -q
bad -p 1 -p 2
bad -p 1 extra
bad -p 1 --bogus
bad -p

rm -f /tmp/pie_hex_err.$$
if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)" >&2
    exit 1
fi
echo "pie hex CLI: all passed"
