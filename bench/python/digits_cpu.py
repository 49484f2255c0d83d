#!/usr/bin/env python3
"""CPU time by phase of `pie digits` runs, from the run's own accounting.

Each run's JSON reports, per phase, its seconds and the CPU time of pie's own
process (all its threads); `cpu_seconds` is the whole run's, the process
backend's workers included. With the big operations on threads (the default)
the workers compute only in the series, so the series is given the workers'
time too (the run's CPU time outside the parent's phases). Over the CPUs the
run may use (its affinity mask), a phase's idle CPU time is then
CPUs x seconds - CPU time. Prints, per phase, the medians over the runs of
its seconds, its CPU time, the CPUs it kept busy and its idle CPU time.
Usage:

    python3 bench/python/digits_cpu.py build/pie --digits 1e6 --runs 9 [-j 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PHASES = ("series", "division", "radix", "output")


def one_run(pie, digits, workers, tmp):
    out = os.path.join(tmp, "pi.txt")
    run = subprocess.run([pie, "digits", "-d", digits, "-j", str(workers), "-o", out, "--json"],
                         capture_output=True, text=True, check=True)
    r = json.loads(run.stdout)
    own = sum(r["cpu_seconds_" + p] for p in PHASES + ("verify",))
    rows = {}
    for p in PHASES:
        cpu = r["cpu_seconds_" + p]
        if p == "series" and r["big_ops"] != "workers":
            cpu += r["cpu_seconds"] - own  # the workers' chunks
        rows[p] = (r["seconds_" + p], cpu)
    rows["run"] = (r["seconds"], r["cpu_seconds"])
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pie")
    ap.add_argument("--digits", default="1e6")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("-j", "--workers", type=int, default=2)
    a = ap.parse_args()
    cpus = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(a.pie, a.digits, a.workers, tmp) for _ in range(a.runs)]
    print("# %d runs of %s digits -j %d on %d CPUs" % (a.runs, a.digits, a.workers, cpus))
    print("phase,median_seconds,median_cpu_seconds,median_cpus_busy,median_idle_cpu_seconds")
    for p in PHASES + ("run",):
        sec = [r[p][0] for r in runs]
        cpu = [r[p][1] for r in runs]
        busy = [c / s if s > 0 else 0.0 for s, c in zip(sec, cpu)]
        idle = [max(0.0, cpus * s - c) for s, c in zip(sec, cpu)]
        print("%s,%.4f,%.4f,%.2f,%.4f" % (p, statistics.median(sec), statistics.median(cpu),
                                          statistics.median(busy), statistics.median(idle)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
