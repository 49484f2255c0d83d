#!/usr/bin/env bash
# @brief `pie digits` from the command line: known digits, file output, JSON keys, backends agree, bad input exits 2 and leaves no file.
set -u
PIE=${1:?usage: test_cli_digits.sh PATH_TO_PIE}
T=$(mktemp -d /tmp/pie_digits_cli.XXXXXX)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# Known prefixes (decimal and hex, truncated: the 7 after ...3846 must not round).
out=$("$PIE" digits -d 20 -q) || bad "digits -d 20 exited $?"
[ "$out" = "3.14159265358979323846" ] || bad "20 digits: got '$out'"
out=$("$PIE" digits -d 16 --base 16 -q) || bad "hex exited $?"
[ "$out" = "3.243F6A8885A308D3" ] || bad "16 hex digits: got '$out'"
# Truncation, not rounding: digit 13 is 9 followed by 7 (3.1415926535897|9...).
out=$("$PIE" digits -d 13 -q)
[ "$out" = "3.1415926535897" ] || bad "13 digits must be truncated: got '$out'"

# -o writes the same bytes as stdout, plus the newline; nothing else left.
"$PIE" digits -d 3000 -q > "$T/stdout.txt" || bad "stdout run"
"$PIE" digits -d 3000 -q -o "$T/file.txt" > "$T/empty" || bad "file run"
cmp -s "$T/stdout.txt" "$T/file.txt" || bad "-o content differs from stdout"
[ -s "$T/empty" ] && bad "-o with -q printed something"
ls "$T" | grep -q tmp && bad "temporary file left behind"

# JSON has every key, and the digest is of the digits after "3.".
json=$("$PIE" digits -d 1000 --json --verify -o "$T/j.txt") || bad "json run"
for k in digits base seconds workers backend algorithm sha256 peak_rss_bytes \
         memory_estimate_bytes verified; do
    echo "$json" | grep -q "\"$k\":" || bad "JSON lacks $k: $json"
done
echo "$json" | grep -q '"verified":true' || bad "--verify did not verify: $json"
want=$(tail -c +3 "$T/j.txt" | tr -d '\n' | sha256sum | cut -d' ' -f1)
echo "$json" | grep -q "\"sha256\":\"$want\"" || bad "sha256 is not of the digits after 3."
hexv=$("$PIE" digits -d 500 --base 16 --verify 2>&1 >/dev/null) || bad "hex verify"
echo "$hexv" | grep -q "digit extraction" || bad "hex --verify did not use digit extraction"

# Same digits on every backend and worker count.
ref=$("$PIE" digits -d 12345 -q --backend serial | sha256sum)
for b in process thread; do
    for j in 1 2 3; do
        got=$("$PIE" digits -d 12345 -q --backend "$b" -j "$j" 2>/dev/null | sha256sum)
        if [ "$b" = thread ] && ! "$PIE" digits -d 1 -q --backend thread >/dev/null 2>&1; then
            continue
        fi
        [ "$got" = "$ref" ] || bad "backend $b -j $j differs from serial"
    done
done

# Both algorithms, both bases: the same digits; the JSON names what ran.
for base in 10 16; do
    c=$("$PIE" digits -d 23456 --base "$base" -q --algorithm chudnovsky) || bad "chudnovsky base $base"
    b=$("$PIE" digits -d 23456 --base "$base" -q --algorithm BBP) || bad "bbp base $base"
    [ "$c" = "$b" ] || bad "chudnovsky and bbp differ in base $base"
done
"$PIE" digits -d 100 --json | grep -q '"algorithm":"chudnovsky"' || bad "default is not chudnovsky"
"$PIE" digits -d 100 --json --algorithm bbp | grep -q '"algorithm":"bbp"' || bad "JSON algorithm bbp"
"$PIE" digits --help | grep -q -- "--algorithm" || bad "--help lacks --algorithm"
# Where the big operations ran: threads by default, workers when asked (the
# process backend), threads on the thread backend; none for bbp.
"$PIE" digits -d 100 --json | grep -q '"big_ops":"threads"' || bad "default big_ops is not threads"
"$PIE" digits -d 100 -j 2 --json --big-ops WORKERS | grep -q '"big_ops":"workers"' ||
    bad "--big-ops workers not recorded"
"$PIE" digits -d 100 -j 2 --backend thread --json --big-ops workers | grep -q '"big_ops":"threads"' ||
    bad "thread backend: big_ops is not threads"
"$PIE" digits -d 100 --json --algorithm bbp | grep -q '"big_ops":""' || bad "bbp names big_ops"
"$PIE" digits --help | grep -q -- "--big-ops" || bad "--help lacks --big-ops"

# Bad input: exit 2, exactly one line on stderr, no output file, nothing on stdout.
check_bad() {
    local target="$T/bad.txt"
    rm -f "$target"
    "$PIE" digits "$@" > "$T/out" 2> "$T/err"
    local rc=$?
    [ $rc -eq 2 ] || bad "'$*' exited $rc, want 2"
    [ "$(wc -l < "$T/err")" -eq 1 ] || bad "'$*' stderr is not one line: $(cat "$T/err")"
    [ -s "$T/out" ] && bad "'$*' printed on stdout"
    [ -e "$target" ] && bad "'$*' left $target"
    ls "$T" | grep -q 'tmp\.' && bad "'$*' left a temporary file"
}
check_bad -d 0 -o "$T/bad.txt"
check_bad -d -5 -o "$T/bad.txt"
check_bad -d junk -o "$T/bad.txt"
check_bad -d 1.5 -o "$T/bad.txt"
check_bad -d 1e12 -o "$T/bad.txt"
check_bad -d 10 --base 8 -o "$T/bad.txt"
check_bad -d 10 -j 0 -o "$T/bad.txt"
check_bad -d 10 --backend nope -o "$T/bad.txt"
check_bad -d 10 --frobnicate -o "$T/bad.txt"
check_bad -d 10 -o "$T/missing/dir/bad.txt"
check_bad -d 10 -o "$T"
check_bad -d 10 -d 20
check_bad -d 10 extra
check_bad -d 10 --algorithm nope -o "$T/bad.txt"
check_bad -d 10 --algorithm -o "$T/bad.txt"
check_bad -d 10 --algorithm bbp --algorithm bbp
check_bad -d 10 --big-ops nope -o "$T/bad.txt"
check_bad -d 10 --big-ops threads --big-ops threads
check_bad -d 1e15 --algorithm bbp -o "$T/bad.txt"
if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro" && chmod 555 "$T/ro"
    check_bad -d 10 -o "$T/ro/bad.txt"
    [ -e "$T/ro/bad.txt" ] && bad "file written into a read-only directory"
fi
grep -q "GiB" <("$PIE" digits -d 1e12 2>&1) || bad "beyond-memory message does not give sizes"

"$PIE" digits --help | grep -q -- "--digits" || bad "--help"
[ $fail -eq 0 ] && echo ok
exit $fail
