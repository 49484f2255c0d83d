#!/usr/bin/env bash
# @brief The mpi backend under mpirun -np 1..4: mc, hex and digits equal to serial, rank 0 alone prints and writes, a dead rank ends the job.
# Usage: test_mpi.sh PIE MPIEXEC. Exit 77 (skip) when pie has no MPI backend,
# after checking that --backend mpi is then a usage error.
set -u
PIE="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
MPIEXEC="${2:-}"
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if "$PIE" cpu-info | grep -q ' mpi(no)'; then
    "$PIE" mc -n 1000 --backend mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || { echo "FAIL: --backend mpi without MPI exited $rc, expected 2"; exit 1; }
    grep -q 'not in this build' "$tmp/err" || { echo "FAIL: no clear message: $(cat "$tmp/err")"; exit 1; }
    echo "SKIP: pie is built without MPI (--backend mpi is a usage error, as it should be)"
    exit 77
fi
if [ -z "$MPIEXEC" ] || ! command -v "$MPIEXEC" >/dev/null; then
    echo "FAIL: pie has the mpi backend but no mpiexec was given"
    exit 1
fi

# Open MPI refuses root without these; --oversubscribe lets 4 ranks share 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 # Open MPI 4.x spelling of --oversubscribe
unset PIE_WORKERS PIE_MPI_LOCAL
# Sanitizer builds: MPI libraries leak at exit by design (LeakSanitizer would
# fail every rank); pie's own leaks are checked by the other backends' tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
MPIRUN=("$MPIEXEC")
"$MPIEXEC" --version 2>/dev/null | grep -q 'Open MPI' && MPIRUN+=(--oversubscribe)

# mpi NP ARGS...: run pie under mpirun with NP ranks; stdout in $tmp/out.
mpi() {
    local np=$1
    shift
    timeout 60 "${MPIRUN[@]}" -np "$np" "$PIE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
}

# same NAME NP ARGS...: the mpi run's stdout equals the serial run's, byte for byte.
same() {
    local name=$1 np=$2
    shift 2
    local key
    key=$(echo "$*" | tr -c 'A-Za-z0-9\n' '_') # the serial answer, computed once
    [ -f "$tmp/serial.$key" ] || "$PIE" "$@" --backend serial >"$tmp/serial.$key" 2>/dev/null ||
        fail "$name: serial run failed"
    cp "$tmp/serial.$key" "$tmp/want"
    mpi "$np" "$@" --backend mpi
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$name -np $np: exit $rc: $(head -c 400 "$tmp/err")"
    cmp -s "$tmp/want" "$tmp/out" ||
        fail "$name -np $np: output differs from serial: $(head -c 200 "$tmp/out") vs $(head -c 200 "$tmp/want")"
    [ -s "$tmp/err" ] && fail "$name -np $np: wrote to stderr: $(head -c 300 "$tmp/err")"
    return 0
}

for np in 1 2 3 4; do
    # 5e7 samples = 3 chunks: with 4 ranks one rank has none.
    same "mc 5e7" "$np" mc -n 5e7 --seed 11 -q -j 1
    same "hex" "$np" hex -p 1000000 -c 24 -q -j 1
    same "digits 30000" "$np" digits -d 30000 -q -j 1
    same "digits 60000, 32 chunks" "$np" digits -d 60000 -q -j 1
done
same "digits bbp" 3 digits -d 20000 --algorithm bbp -q -j 1
# Workers inside each rank: threads (the default) and forked processes.
same "mc 2 threads/rank" 2 mc -n 123456789 --seed 3 -q -j 2
PIE_MPI_LOCAL=process same "mc 2 processes/rank" 2 mc -n 123456789 --seed 3 -q -j 2
same "digits base 16, 2 threads/rank" 3 digits -d 20000 --base 16 -q -j 2

# The JSON result names the backend and counts every rank's workers.
mpi 3 mc -n 1e8 --seed 4 --json -j 1 --backend mpi
grep -q '"backend":"mpi"' "$tmp/out" || fail "JSON names the mpi backend: $(cat "$tmp/out")"
grep -q '"workers":3' "$tmp/out" || fail "3 ranks x 1 worker = 3 workers: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "only rank 0 prints: $(cat "$tmp/out")"

# Only rank 0 writes the file; no temporary file is left behind.
mkdir "$tmp/d"
(cd "$tmp/d" && timeout 60 "${MPIRUN[@]}" -np 3 "$PIE" digits -d 10000 -o pi.txt -q -j 1 \
    --backend mpi >/dev/null 2>&1) || fail "digits -o under mpirun failed"
"$PIE" digits -d 10000 -q --backend serial >"$tmp/want"
cmp -s "$tmp/want" "$tmp/d/pi.txt" || fail "digits -o: file differs from serial"
[ "$(ls "$tmp/d" | wc -l)" -eq 1 ] || fail "digits -o left other files: $(ls "$tmp/d")"

# A usage error: every rank exits 2, one line on stderr (rank 0's).
mpi 3 mc -n 0 --backend mpi
rc=$?
[ "$rc" -eq 2 ] || fail "bad -n under mpirun exited $rc, expected 2"
[ "$(grep -c 'pie mc' "$tmp/err")" -eq 1 ] || fail "one usage line expected: $(cat "$tmp/err")"

# Fail-stop: kill rank 1 in the middle of a long run; the job must end
# non-zero within a bounded time and say which rank died.
timeout 60 "${MPIRUN[@]}" -np 3 "$PIE" mc -n 1e13 -j 1 --backend mpi -q >"$tmp/out" 2>"$tmp/err" &
job=$!
victim=
for _ in $(seq 100); do
    for p in $(pgrep -P "$job" 2>/dev/null; pgrep -f "^$PIE mc -n 1e13" 2>/dev/null); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1\|PMI_RANK=1'; then
            victim=$p
        fi
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
if [ -z "$victim" ]; then
    fail "fail-stop: rank 1 never appeared"
    kill "$job" 2>/dev/null
    wait "$job" 2>/dev/null
else
    sleep 1
    t0=$(date +%s)
    kill -9 "$victim"
    wait "$job"
    rc=$?
    dt=$(($(date +%s) - t0))
    [ "$rc" -ne 0 ] || fail "fail-stop: the job exited 0 after a rank died"
    [ "$rc" -ne 124 ] || fail "fail-stop: the job hung after a rank died"
    [ "$dt" -le 30 ] || fail "fail-stop: took ${dt}s to end"
    # Open MPI's mpirun reports on stderr, MPICH's Hydra on stdout.
    cat "$tmp/out" "$tmp/err" | grep -qi 'signal 9\|killed' ||
        fail "fail-stop: no word of the dead rank: $(head -c 400 "$tmp/err")"
    grep -q '^[0-9]' "$tmp/out" && fail "fail-stop: printed a result: $(cat "$tmp/out")"
fi
sleep 0.5
left=$(pgrep -f "^$PIE mc -n 1e13" || true)
[ -z "$left" ] || { fail "ranks left behind: $left"; kill -9 $left 2>/dev/null; }

# --checkpoint: kill rank 1 once rank 0 has saved some chunks; the same
# command resumes (rank 0 reads the file, every rank gets its chunks) and
# gives the serial answer; the file is gone after success. A checkpoint left
# by the mpi backend also resumes on another backend (same file format).
ck="$tmp/ck"
"$PIE" mc -n 1.5e9 --seed 9 -q --backend serial >"$tmp/want"
for resume in mpi serial; do
    rm -rf "$ck"
    timeout 60 "${MPIRUN[@]}" -np 3 "$PIE" mc -n 1.5e9 --seed 9 -q -j 1 --backend mpi \
        --checkpoint "$ck" >"$tmp/out" 2>"$tmp/err" &
    job=$!
    for _ in $(seq 300); do # until the file holds more than its header
        f=$(ls "$ck"/*.ckpt 2>/dev/null | head -1)
        [ -n "$f" ] && [ "$(stat -c %s "$f")" -gt 500 ] && break
        sleep 0.05
    done
    for p in $(pgrep -f "^$PIE mc -n 1.5e9" 2>/dev/null); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1\|PMI_RANK=1' &&
            kill -9 "$p"
    done
    wait "$job"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "note: the run finished before the kill; checkpoint resume not exercised ($resume)"
        continue
    fi
    ls "$ck"/*.ckpt >/dev/null 2>&1 || fail "checkpoint: no file left after the killed run"
    if [ "$resume" = mpi ]; then
        mpi 3 mc -n 1.5e9 --seed 9 -q -j 1 --backend mpi --checkpoint "$ck"
    else
        "$PIE" mc -n 1.5e9 --seed 9 -q -j 1 --backend serial --checkpoint "$ck" >"$tmp/out" 2>"$tmp/err"
    fi
    rc=$?
    [ "$rc" -eq 0 ] || fail "checkpoint resume on $resume exited $rc: $(head -c 300 "$tmp/err")"
    cmp -s "$tmp/want" "$tmp/out" || fail "checkpoint resume on $resume: $(cat "$tmp/out") vs $(cat "$tmp/want")"
    [ -e "$ck" ] && fail "checkpoint resume on $resume: $ck still there"
done

[ "$fails" -eq 0 ] && echo "PASS" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
