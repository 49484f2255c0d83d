#!/usr/bin/env python3
"""Idle CPU time by phase of `pie digits` runs, from the scheduler's trace.

Each run is traced with `perf record -a -e sched:sched_switch` (root, or a
perf_event_paranoid that allows it). The intervals in which a CPU ran its idle
task are set against the phases the run's JSON reports (series, division,
radix, output), laid back from the run's last scheduler event. Prints, per
phase, the medians over the runs of its length and of the idle CPU-seconds in
it. Usage:

    python3 bench/python/digits_idle.py build/pie --digits 1e6 --runs 9 [-j 2]
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import os

PHASES = ("series", "division", "radix", "output")
SWITCH = re.compile(r"\s*\[(\d+)\]\s+([\d.]+):\s+\S+\s+prev_comm=(.*?) prev_pid=(\d+) "
                    r".*next_comm=(.*?) next_pid=(\d+)")


def one_run(pie, digits, workers, tmp):
    data, out = os.path.join(tmp, "sched.data"), os.path.join(tmp, "pi.txt")
    run = subprocess.run(["perf", "record", "-q", "-a", "-e", "sched:sched_switch", "-o", data,
                          "--", pie, "digits", "-d", digits, "-j", str(workers), "-o", out,
                          "--json"], capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    trace = subprocess.run(["perf", "script", "-i", data, "-F", "cpu,time,event,trace"],
                           capture_output=True, text=True, check=True).stdout
    idle_since, idle, pie_times = {}, [], []
    for line in trace.splitlines():
        m = SWITCH.match(line)
        if not m:
            continue
        cpu, t = int(m.group(1)), float(m.group(2))
        if m.group(3).startswith("pie") or m.group(5).startswith("pie"):
            pie_times.append(t)
        if int(m.group(6)) == 0:
            idle_since[cpu] = t
        elif int(m.group(4)) == 0 and cpu in idle_since:
            idle.append((idle_since.pop(cpu), t))
    end = max(pie_times)
    row = {}
    for name in reversed(PHASES):
        length = result["seconds_" + name]
        start = end - length
        row[name] = (length, sum(max(0.0, min(b, end) - max(a, start)) for a, b in idle))
        end = start
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pie")
    ap.add_argument("--digits", default="1e6")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("-j", "--workers", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [one_run(a.pie, a.digits, a.workers, tmp) for _ in range(a.runs)]
    print("phase,median_seconds,median_idle_cpu_seconds")
    for name in PHASES:
        print("%s,%.4f,%.4f" % (name, statistics.median(r[name][0] for r in rows),
                                statistics.median(r[name][1] for r in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
