#!/usr/bin/env bash
# @brief pie bench scaling --quick: files written, parseable, and holding sane numbers; bad usage exits 2.
set -u
PIE=${1:?usage: test_bench_scaling.sh PATH_TO_PIE}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# --- usage errors --------------------------------------------------------------
expect_usage() {
    "$PIE" "$@" >/dev/null 2>"$tmp/err"; rc=$?
    [ "$rc" -eq 2 ] || fail "pie $* exited $rc, expected 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "pie $*: expected one line on stderr, got: $(cat "$tmp/err")"
}
expect_usage bench
expect_usage bench nosuch
expect_usage bench scaling --workload nope
expect_usage bench scaling --workers 0
expect_usage bench scaling --workers 1,x
expect_usage bench scaling --backends process,bogus
expect_usage bench scaling --repeats 0
expect_usage bench scaling --size -5
expect_usage bench scaling --quick --quick
expect_usage bench scaling extra
"$PIE" bench scaling --help | grep -q -- "--quick" || fail "--help lacks --quick"
"$PIE" bench scaling --quick --out /proc/no/such/dir >/dev/null 2>&1
[ $? -eq 1 ] || fail "an unwritable --out should exit 1"

# --- a quick run (4 chunks strong, 1 chunk per worker weak) ---------------------
out="$tmp/out"
start=$(date +%s)
"$PIE" bench scaling --quick --pin cores --seed 7 --size 67108864 --weak-size 16777216 --out "$out" >"$tmp/stdout" 2>"$tmp/stderr" \
    || { cat "$tmp/stderr" >&2; fail "pie bench scaling --quick failed"; }
elapsed=$(( $(date +%s) - start ))
echo "quick run took ${elapsed}s"
[ "$elapsed" -le 120 ] || fail "--quick took ${elapsed}s (target 60 s on 2 cores)"
for f in results.csv results.json report.md; do
    [ -s "$out/$f" ] || fail "$f missing or empty"
done
grep -q "^experiment,workload,backend,workers" "$out/results.csv" || fail "CSV header"
grep -q "^strong,mc,process,1," "$out/results.csv" || fail "CSV lacks the process 1-worker point"
grep -q "^weak,mc,thread,2," "$out/results.csv" || grep -q "thread(no)" <("$PIE" cpu-info) \
    || fail "CSV lacks the thread 2-worker weak point"
grep -q "## Strong scaling" "$out/report.md" || fail "report lacks the strong-scaling table"
grep -q '"git_commit"' "$out/results.json" || fail "JSON lacks git_commit"
# Placement, topology, environment, warnings and intervals (docs/bench.md).
for k in "## Warnings" "## Topology and environment" "placement (--pin) | cores" "speed-up [95% CI]" \
    "frequency during the runs" "bootstrap"; do
    grep -qF "$k" "$out/report.md" || fail "report lacks '$k'"
done
head -1 "$out/runs.csv" | grep -q "^workload,experiment,backend,workers,workers_used,size,unit,pin,round,order,seconds,user_s,system_s" \
    || fail "runs.csv header"
for k in '"environment"' '"topology"' '"warnings"' '"speedup_ci95"' '"shuffle_seed":7' '"worker_cpus"'; do
    grep -qF "$k" "$out/results.json" || fail "results.json lacks $k"
done
usage_bad() { "$PIE" "$@" >/dev/null 2>&1; [ $? -eq 2 ] || fail "pie $* should exit 2"; }
usage_bad bench scaling --pin nope
usage_bad bench scaling --warmup -1
usage_bad bench scaling --cooldown x
usage_bad bench scaling --seed y
PIE_BENCH_DIGITS_ALGORITHM=nope usage_bad bench scaling --workload digits --out "$tmp/alg-nope"
usage_bad bench scaling --workload digits --algorithm nope --out "$tmp/alg-nope"
usage_bad bench scaling --algorithm bbp --out "$tmp/alg-mc" # mc has no algorithm
[ ! -e "$tmp/alg-nope" ] && [ ! -e "$tmp/alg-mc" ] || fail "a refused run created its --out"
# A repeated option is named, also when its value is the next argument.
expect_usage bench scaling --seed 1 --seed 2
grep -q -- "--seed given more than once" "$tmp/err" || fail "repeated --seed: $(cat "$tmp/err")"
# The digits workload runs the algorithm asked for, by option or by environment (the
# option wins), and its kernel column names it.
for how in "--algorithm bbp" "--algorithm chudnovsky" "ENV bbp" "ENV chudnovsky --algorithm bbp"; do
    set -- $how
    env=() args=()
    if [ "$1" = ENV ]; then env=(PIE_BENCH_DIGITS_ALGORITHM="$2"); shift 2; fi
    args=("$@")
    want=${args[1]:-${env[0]#*=}}
    d="$tmp/alg-$RANDOM"
    env "${env[@]}" "$PIE" bench scaling --workload digits "${args[@]}" --backends process \
        --workers 1,2 --size 20000 --weak-size 5000 --repeats 1 --warmup 0 --no-python \
        --no-progress --out "$d" >/dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; fail "digits bench ($how) failed"; }
    kernels=$(awk -F, '$1 == "strong" || $1 == "weak" {print $22}' "$d/results.csv" | sort -u)
    [ "$kernels" = "$want" ] || fail "digits bench ($how): kernel column '$kernels', expected '$want'"
done

if command -v gnuplot >/dev/null 2>&1; then
    for f in speedup.png throughput.png weak.png; do
        [ "$(head -c 4 "$out/$f" | od -An -tx1 | tr -d ' \n')" = "89504e47" ] || fail "$f is not a PNG"
    done
else
    grep -qi "gnuplot not found" "$out/report.md" || fail "report should say gnuplot is missing"
fi

# Without gnuplot and without Python: one clear line each, data and report still written.
out2="$tmp/out2"
PIE_BENCH_GNUPLOT=/nonexistent/gnuplot PIE_BENCH_PYTHON=/nonexistent/python3 \
    "$PIE" bench scaling --quick --backends serial,process --workers 1,2 --size 33554432 \
    --weak-size 16777216 --out "$out2" --no-progress >/dev/null 2>"$tmp/stderr2" \
    || { cat "$tmp/stderr2" >&2; fail "run without gnuplot and python failed"; }
grep -q "gnuplot not found" "$tmp/stderr2" || fail "no 'gnuplot not found' line on stderr"
grep -q "Python baselines skipped" "$tmp/stderr2" || fail "no 'Python baselines skipped' line"
for f in results.csv results.json report.md; do
    [ -s "$out2/$f" ] || fail "$f missing without gnuplot/python"
done
[ ! -e "$out2/speedup.png" ] || fail "a PNG appeared without gnuplot"
grep -q "gnuplot not found" "$out2/report.md" || fail "report should say gnuplot is missing"
grep -q "^strong,mc,process,2," "$out2/results.csv" || fail "second run lacks the process point"

if ! command -v python3 >/dev/null 2>&1; then
    grep -qi "python.*not found\|Python baselines skipped" "$out/report.md" || fail "report should say python3 is missing"
    grep -q "^strong,mc,serial,1," "$out/results.csv" || fail "CSV lacks the serial point"
    echo "python3 absent: grep-level checks only"
    exit 0
fi

python3 - "$out" <<'PY' || fail "content checks"
import csv, json, math, statistics, sys
d = sys.argv[1]
j = json.load(open(f"{d}/results.json"))
m = j["machine"]
for k in ("cpu_model", "cores", "compiler", "pie_version", "git_commit", "date", "kernel"):
    assert m.get(k) not in (None, ""), f"machine.{k} missing"
assert m["cores"] >= 1
strong, weak = j["strong"], j["weak"]
assert strong and weak, "no points"
checks = {p["check"] for p in strong}
assert len(checks) == 1, f"strong points disagree: {checks}"
assert all(p["size"] == 67108864 for p in strong)
backends = {p["backend"] for p in strong}
assert "process" in backends and "serial" in backends, backends
def close(a, b):
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300)
for p in strong + weak:
    assert p["repeats"] == 3 and len(p["seconds"]) == 3, p
    assert all(t > 0 for t in p["seconds"]), p
    assert p["min_s"] <= p["median_s"] <= p["max_s"], p
    assert p["throughput_per_s"] > 0
    assert p["speedup"] > 0 and p["efficiency"] > 0, p
    assert p["cpu_s"] > 0 and p["cpus_used"] > 0 and p["cpu_efficiency"] > 0, p
    assert abs(p["throughput_per_s"] * p["median_s"] - p["size"]) < 1e-6 * p["size"]
    # Every derived figure follows from the recorded times (the times themselves
    # depend on the machine's load, so no bound is put on them).
    assert close(p["median_s"], statistics.median(p["seconds"])), p
    assert close(p["cpus_used"] * p["median_s"], p["cpu_s"]), p
for exp, pts in (("strong", strong), ("weak", weak)):
    for p in pts:
        one = [q for q in pts if q["backend"] == p["backend"] and q["workers"] == 1][0]
        n = p["workers"]
        if exp == "strong":
            assert close(p["speedup"], one["median_s"] / p["median_s"]), p
            assert close(p["efficiency"], p["speedup"] / n), p
            if n > 1:
                kf = (1 / p["speedup"] - 1 / n) / (1 - 1 / n)
                assert p["karp_flatt"] is not None and close(p["karp_flatt"], kf), p
        else:
            assert close(p["efficiency"], one["median_s"] / p["median_s"]), p
        scale = n if exp == "weak" else 1
        assert close(p["cpu_efficiency"], scale * one["cpu_s"] / p["cpu_s"]), p
# weak: work per worker fixed, and the same size gives the same count on every backend
for p in weak:
    assert p["size"] == 16777216 * p["workers"], p
by_size = {}
for p in strong + weak:
    by_size.setdefault(p["size"], set()).add(p["check"])
assert all(len(v) == 1 for v in by_size.values()), by_size
one = [p for p in strong if p["workers"] == 1 and p["backend"] == "process"][0]
assert abs(one["speedup"] - 1) < 1e-9 and abs(one["efficiency"] - 1) < 1e-9
names = {o["name"] for o in j["overheads"]}
for n in ("serial_chunk_time", "run_fixed_cost", "startup_team", "dispatch_per_chunk",
          "memory_per_worker", "tail_after_last_merge"):
    assert n in names, f"overhead {n} missing"
for o in j["overheads"]:
    if o["name"] == "run_fixed_cost":
        assert 0 < o["value"] < 1e6, o  # microseconds: under a second
    if o["name"] == "memory_per_worker" and o["backend"] == "process":
        assert o["value"] is not None and 0 < o["value"] < 1 << 20, o  # KiB, under 1 GiB
py = {b["name"]: b for b in j["python"]["baselines"]}
for n in ("python-serial", "python-pool-fork", "python-pool-spawn", "python-pool-forkserver", "python-executor", "python-threads"):
    assert py[n]["ran"], f"{n} did not run: {py[n]['note']}"
    assert py[n]["per_second"] > 0 and py[n]["pie_over_python"] > 0, py[n]
rows = list(csv.DictReader(open(f"{d}/results.csv")))
assert len([r for r in rows if r["experiment"] in ("strong", "weak")]) == len(strong) + len(weak)
for r in rows:
    if r["experiment"] == "strong":
        assert float(r["speedup"]) > 0 and float(r["efficiency"]) > 0, r
        assert r["check"] == strong[0]["check"]
# Statistics and placement per point; the tidy runs.csv has every timed run.
allowed = set(int(c) for c in j["topology"]["cpu_list"].replace("-", ",").split(",") if c) or None
for p in strong + weak:
    lo, hi = p["median_ci95_s"]
    assert lo <= p["median_s"] <= hi, p
    slo, shi = p["speedup_ci95"]
    assert slo <= p["speedup"] <= shi, p
    elo, ehi = p["efficiency_ci95"]
    assert abs(elo * (1 if p in weak else p["workers"]) - (slo if p in strong else elo)) < 1e-9 or p in weak
    assert p["sd_s"] >= 0 and p["mean_s"] > 0 and len(p["user_s"]) == 3 and len(p["system_s"]) == 3
    cpus = [int(c) for c in p["worker_cpus"].split(",")]
    assert len(cpus) == p["workers_used"] or p["backend"] == "serial", p
    if p["workers_used"] <= j["topology"]["cores"] and p["backend"] != "serial":
        assert len(set(cpus)) == len(cpus), p  # --pin cores: one worker per core
assert j["config"]["pin"] == "cores" and j["environment"]["pin"] == "cores"
for k in ("governor", "boost", "hypervisor", "cpu_max", "build_type", "openmp_runtime", "sched_policy"):
    assert k in j["environment"], k
runs = list(csv.DictReader(open(f"{d}/runs.csv")))
assert len(runs) == sum(p["repeats"] for p in strong + weak), len(runs)
assert sorted(int(r["order"]) for r in runs) == list(range(len(runs)))
assert all(r["pin"] == "cores" and float(r["seconds"]) > 0 for r in runs)
print(f"ok: {len(strong)} strong, {len(weak)} weak points, {len(j['overheads'])} overheads, "
      f"{sum(b['ran'] for b in py.values())} Python baselines")
PY
echo "PASS"
