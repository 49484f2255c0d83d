#!/usr/bin/env bash
# @brief The pie command where users and hosts are careless: -o onto devices, FIFOs, symlinks, other users' and read-only files; closed or full standard descriptors; SIGHUP/SIGQUIT and inherited ignores; exit codes and messages.
set -u
PIE=${1:?usage: test_cli_output.sh PATH_TO_PIE}
T=$(mktemp -d /tmp/pie_output_cli.XXXXXX)
chmod 755 "$T" # the unprivileged cases write below it
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
ref=$("$PIE" digits -d 10 -q)
no_temp() { # no .pie.XXXXXX left in the directory
    [ -z "$(find "$1" -maxdepth 1 -name '.pie.*' -print -quit)" ] || bad "$2: temporary file left in $1"
}

# --- -o onto what is not a plain new file ------------------------------
# Device nodes are made here, never the system's own.
mknod "$T/null" c 1 3
"$PIE" digits -d 10 -q -o "$T/null" || bad "-o a null device: exit $?"
[ -c "$T/null" ] || bad "-o a device node replaced it with a regular file"
mknod "$T/full" c 1 7
"$PIE" digits -d 10 -q -o "$T/full" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || bad "-o a full device: exit $rc"
grep -q "No space left on device" "$T/err" || bad "-o a full device: no cause: $(cat "$T/err")"
grep -q "input/output error" "$T/err" && bad "doubled wording: $(cat "$T/err")"
[ -c "$T/full" ] || bad "-o a full device replaced it"
mkfifo "$T/fifo"
timeout 20 cat "$T/fifo" >"$T/fifo.out" &
reader=$!
timeout 20 "$PIE" digits -d 10 -q -o "$T/fifo" || bad "-o a FIFO: exit $?"
wait $reader
[ -p "$T/fifo" ] || bad "-o a FIFO replaced it"
[ "$(cat "$T/fifo.out")" = "$ref" ] || bad "-o a FIFO: the reader got '$(cat "$T/fifo.out")'"
ln -s target.txt "$T/link"
"$PIE" digits -d 10 -q -o "$T/link" || bad "-o a dangling symlink: exit $?"
[ -L "$T/link" ] || bad "-o a symlink replaced the link"
[ "$(cat "$T/target.txt" 2>/dev/null)" = "$ref" ] || bad "-o a symlink: its target not written"
echo old >"$T/target.txt"
chmod 640 "$T/target.txt"
"$PIE" digits -d 10 -q -o "$T/link" || bad "-o a symlink to a file: exit $?"
[ -L "$T/link" ] && [ "$(cat "$T/target.txt")" = "$ref" ] || bad "-o a symlink to a file"
[ "$(stat -c %a "$T/target.txt")" = 640 ] || bad "-o a symlink: the target's mode changed"
no_temp "$T" "-o special files"

# --- modes and owners ----------------------------------------------------
touch "$T/s"
chmod 600 "$T/s"
chown nobody:nogroup "$T/s"
"$PIE" digits -d 10 -q -o "$T/s" || bad "-o over a 0600 file: exit $?"
[ "$(stat -c '%a %U %G' "$T/s")" = "600 nobody nogroup" ] ||
    bad "-o over a 0600 nobody file gave $(stat -c '%a %U %G' "$T/s")"
(umask 027 && "$PIE" digits -d 10 -q -o "$T/new") || bad "-o a new file: exit $?"
[ "$(stat -c %a "$T/new")" = 640 ] || bad "a new file under umask 027: mode $(stat -c %a "$T/new")"
name=$(printf 'a%.0s' $(seq 250))
"$PIE" digits -d 10 -q -o "$T/$name" || bad "-o a 250-character name: exit $?"
[ "$(cat "$T/$name" 2>/dev/null)" = "$ref" ] || bad "-o a 250-character name: not written"
"$PIE" digits -d 10 -q -o "$T/${name}bbbbbbb" 2>/dev/null
[ $? -eq 2 ] || bad "-o a 257-character name: not refused with 2"

# --- as an unprivileged user -------------------------------------------
NB=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
if "${NB[@]}" true 2>/dev/null && "${NB[@]}" "$PIE" --version >/dev/null 2>&1; then
    mkdir "$T/sticky"
    chmod 1777 "$T/sticky"
    echo x >"$T/sticky/rf"
    chmod 666 "$T/sticky/rf" # writable, but another user's in a sticky directory
    start=$(date +%s)
    timeout 60 "${NB[@]}" "$PIE" digits -d 2e6 -o "$T/sticky/rf" 2>"$T/err"
    rc=$?
    [ $rc -eq 2 ] || bad "sticky directory, another user's file: exit $rc"
    [ $(($(date +%s) - start)) -le 3 ] || bad "sticky directory: refused only after the work"
    grep -q sticky "$T/err" || bad "sticky directory: message '$(cat "$T/err")'"
    [ "$(cat "$T/sticky/rf")" = x ] || bad "sticky directory: the file changed"
    echo x >"$T/sticky/ro"
    chmod 444 "$T/sticky/ro"
    chown nobody "$T/sticky/ro"
    "${NB[@]}" "$PIE" digits -d 10 -q -o "$T/sticky/ro" 2>/dev/null
    [ $? -eq 2 ] && [ "$(cat "$T/sticky/ro")" = x ] || bad "a read-only file silently replaced"
    no_temp "$T/sticky" "unprivileged"
else
    echo "SKIP: the unprivileged cases (setpriv to nobody is not possible here)"
fi

# --- closed or full standard descriptors --------------------------------
"$PIE" digits -d 2e4 -o "$T/o.txt" --progress 2>&-
[ $? -eq 0 ] || bad "stderr closed: exit $?"
[ "$(wc -c <"$T/o.txt")" -eq 20003 ] && ! grep -q "pie digits" "$T/o.txt" ||
    bad "stderr closed: the progress went into the digits file"
"$PIE" digits -d 100 -q -o "$T/o2.txt" <&- >&- || bad "stdin and stdout closed, -o: exit $?"
for args in "--help" "--version" "cpu-info" "mc --help" "digits --help" "bench scaling --help"; do
    # shellcheck disable=SC2086
    "$PIE" $args >&- 2>"$T/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "Bad file descriptor" "$T/err" || bad "pie $args >&-: exit $rc"
    # shellcheck disable=SC2086
    "$PIE" $args >"$T/full" 2>"$T/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "No space left" "$T/err" || bad "pie $args >full: exit $rc"
done
"$PIE" digits -d 10 >"$T/full" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || bad "digits to a full stdout: exit $rc"
grep -q "writing the result failed: No space left on device" "$T/err" ||
    bad "digits to a full stdout: '$(cat "$T/err")'"
grep -q "^sha256" "$T/err" && bad "digits to a full stdout: the summary was printed"

# --- signals -----------------------------------------------------------
mkdir "$T/sig"
for sig in HUP QUIT INT TERM; do
    env --default-signal "$PIE" digits -d 4e6 -j 1 -o "$T/sig/pi.txt" 2>"$T/err" &
    pid=$!
    sleep 0.7
    no_temp "$T/sig" "during the series (a temporary file before the digits are ready)"
    kill -$sig $pid
    wait $pid
    rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc -eq $want ] || bad "SIG$sig: exit $rc, not $want"
    [ -z "$(ls -A "$T/sig")" ] || bad "SIG$sig: left $(ls -A "$T/sig")"
done
# A background job of this script starts with SIGINT ignored: it stays so.
"$PIE" mc -n 1e12 -j 1 -q 2>/dev/null &
pid=$!
sleep 0.3
kill -INT $pid
sleep 0.5
kill -0 $pid 2>/dev/null || bad "an inherited ignore of SIGINT was overridden"
kill -TERM $pid
wait $pid
[ $? -eq 143 ] || bad "SIGTERM after an ignored SIGINT"
(trap '' TERM && exec env --default-signal=INT "$PIE" mc -n 1e12 -j 1 -q 2>/dev/null) &
pid=$!
sleep 0.3
kill -TERM $pid
sleep 0.5
kill -0 $pid 2>/dev/null || bad "an inherited ignore of SIGTERM was overridden"
kill -INT $pid
wait $pid
[ $? -eq 130 ] || bad "SIGINT after an ignored SIGTERM"
# The hex interrupt line gives no percentage of a whole it cannot know.
env --default-signal=INT "$PIE" hex -p 1e10 -c 40 -j 1 2>"$T/err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
grep -q "interrupted after .* chunks of the 1 pass started" "$T/err" && ! grep -q "%" "$T/err" ||
    bad "hex interrupt line: '$(cat "$T/err")'"

# --- environment, messages, bench --------------------------------------
PIE_WORKERS=junk "$PIE" mc -n 1000 -j 1 -q >/dev/null || bad "bad PIE_WORKERS with -j: exit $?"
PIE_ISA=bogus "$PIE" mc -n 1000 --isa scalar -q >/dev/null || bad "bad PIE_ISA with --isa: exit $?"
PIE_ISA=bogus "$PIE" digits -d 10 -q >/dev/null || bad "bad PIE_ISA with digits: exit $?"
PIE_WORKERS=junk "$PIE" mc -n 1000 -q >/dev/null 2>&1
[ $? -eq 2 ] || bad "bad PIE_WORKERS alone: not exit 2"
"$PIE" mc -n $'1\n2\e[31m' 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ! grep -q $'\e' "$T/err" ||
    bad "control characters in an argument: exit $rc, '$(cat -v "$T/err")'"
grep -qF '\n2\x1b[31m' "$T/err" || bad "control characters not escaped: '$(cat -v "$T/err")'"
"$PIE" digits -d 10 -o $'x\ny/z' 2>"$T/err"
[ "$(wc -l <"$T/err")" -eq 1 ] || bad "a newline in -o split the message"
echo x >"$T/f"
start=$(date +%s)
timeout 120 "$PIE" bench scaling --quick --out "$T/f" >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && [ $(($(date +%s) - start)) -le 5 ] || bad "bench --out a regular file: exit $rc"
[ "$(cat "$T/f")" = x ] || bad "bench --out a regular file: the file changed"

# --- with fault injection (test builds) --------------------------------
if PIE_FAULT=no-such-fault:1 "$PIE" mc -n 1000 -q 2>&1 | grep -q PIE_FAULT; then
    PIE_FAULT=baddata:2 "$PIE" mc -n 1e8 -j 2 -q 2>"$T/err"
    [ "$(grep -o "integrity check" "$T/err" | wc -l)" -eq 1 ] || bad "doubled: $(cat "$T/err")"
    PIE_FAULT=kill:3:all "$PIE" mc -n 1e8 -j 2 -q 2>"$T/err"
    grep -q "killed by signal 9 .*out-of-memory killer" "$T/err" || bad "SIGKILL: $(cat "$T/err")"
    PIE_FAULT=kill:99999 "$PIE" mc -n 1e8 -j 2 -q 2>"$T/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q "can never fire" "$T/err" || bad "unreachable fault: exit $rc"
    out=$(PIE_FAULT=forkfail:2 "$PIE" mc -n 1e8 -j 3 --json)
    echo "$out" | grep -q '"workers":2,' || bad "3 workers asked, one fork failed: $out"
    # (hex --checkpoint across passes: tests/test_run_phases.c)
else
    echo "SKIP: the PIE_FAULT cases (built without -DPIE_FAULT_INJECTION=ON)"
fi

echo "test_cli_output: $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
