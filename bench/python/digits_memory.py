"""Memory of one `pie digits` run by phase: the parent's and its workers' RSS, sampled from /proc.

The JSON's peak_rss_bytes adds each process's own peak, whenever it came; this samples
VmRSS of the parent and of its children every 0.2 s, and reports for each phase (the names
--progress prints) the parent's largest RSS, the children's largest sum, and the largest
sum of both at one instant, beside the JSON's peak and the estimate that the run was
admitted on. `precision_bits / 8` is W/8, the unit of docs/digits.md's memory model.

    python3 bench/python/digits_memory.py build/pie -d 5e8 -j 2 -o /tmp/pi.txt
    python3 bench/python/digits_memory.py build/pie -d 5e8 -o /tmp/pi.txt --out mem.json

Runs the command with --json and --progress added; exits with the command's status.
"""

import argparse
import json
import subprocess
import sys
import threading
import time

INTERVAL = 0.2


def vm_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pie", help="the pie command")
    ap.add_argument("--out", help="write the phases and the run's JSON here")
    args, rest = ap.parse_known_args()
    cmd = [args.pie, "digits"] + rest + ["--json", "--progress"]
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    phase = {"name": "start", "at": {"start": 0.0}}

    def read_progress():
        line = ""
        while True:
            c = proc.stderr.read(1)
            if not c:
                return
            if c not in "\r\n":
                line += c
                continue
            if "pie digits:" in line and line.endswith("elapsed"):
                name = line.split("pie digits:")[1].split(",")[0].split(":")[0].strip()
                if name != phase["name"]:
                    phase["name"] = name
                    phase["at"].setdefault(name, time.time() - start)
            elif line.strip():
                print(line, file=sys.stderr)
            line = ""

    reader = threading.Thread(target=read_progress)
    reader.start()
    peaks = {}
    while proc.poll() is None:
        parent = vm_rss(proc.pid)
        kids = sum(vm_rss(c) for c in children(proc.pid))
        p = peaks.setdefault(phase["name"], {"parent": 0, "children": 0, "sum": 0})
        p["parent"] = max(p["parent"], parent)
        p["children"] = max(p["children"], kids)
        p["sum"] = max(p["sum"], parent + kids)
        time.sleep(INTERVAL)
    reader.join()
    out = proc.stdout.read()
    if proc.returncode != 0:
        sys.exit(proc.returncode)
    run = json.loads(out)
    wbytes = run["precision_bits"] / 8
    print(f"{'phase':<18} {'from s':>8} {'parent GB':>10} {'W/8':>6} {'children GB':>12} {'sum GB':>8}")
    for name, p in peaks.items():
        print(f"{name:<18} {phase['at'].get(name, 0):8.1f} {p['parent'] / 1e9:10.3f} "
              f"{p['parent'] / wbytes:6.1f} {p['children'] / 1e9:12.3f} {p['sum'] / 1e9:8.3f}")
    print(f"digits {run['digits']}, {run['workers']} workers, {run['seconds']:.1f} s; "
          f"JSON peak {run['peak_rss_bytes'] / 1e9:.3f} GB, "
          f"estimate {run['memory_estimate_bytes'] / 1e9:.3f} GB, W/8 {wbytes / 1e6:.1f} MB")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"command": cmd, "interval_s": INTERVAL, "phases": peaks,
                       "phase_start_s": phase["at"], "run": run}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
