"""Two pie builds (or two sets of options) timed alternately on `pie digits`: the paired ratio.

On a shared or drifting host a run's speed changes by several percent within minutes, more
than many changes are worth. Timing A and B in alternation (A B, then B A, ...) and taking the
median of the per-pair ratios B/A cancels most of that drift. Every run writes its digits to a
file (as a user's would); the SHA-256 of A's and B's digits must agree.

    python3 bench/python/digits_ab.py --digits 1e6 --pairs 21 OLD/pie build/pie
    python3 bench/python/digits_ab.py --digits 1e6 --b-args "--backend thread" build/pie build/pie

Prints one line per side (median seconds, median paired ratio to A with its quartiles) and,
with --csv FILE, writes every run (side, pair, seconds, sha256).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run(binary, digits, jobs, extra, out):
    cmd = [binary, "digits", "-d", digits, "-j", str(jobs), "--json", "-o", out] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"digits_ab: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    r = json.loads(p.stdout)
    return r["seconds"], r["sha256"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", help="pie binary A (the reference)")
    ap.add_argument("b", help="pie binary B")
    ap.add_argument("--digits", default="1e6")
    ap.add_argument("--pairs", type=int, default=21)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--a-args", default="", help="extra options for A")
    ap.add_argument("--b-args", default="", help="extra options for B")
    ap.add_argument("--csv", help="write every run here")
    o = ap.parse_args()
    if o.pairs < 1:
        ap.error("--pairs must be at least 1")
    sides = [("A", o.a, o.a_args.split()), ("B", o.b, o.b_args.split())]
    times = {"A": [], "B": []}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pi.txt")
        for i in range(o.pairs):
            sha = {}
            for name, binary, extra in sides if i % 2 == 0 else sides[::-1]:
                sec, sha[name] = run(binary, o.digits, o.jobs, extra, out)
                times[name].append(sec)
                rows.append((name, i + 1, sec, sha[name]))
            if sha["A"] != sha["B"]:
                sys.exit(f"digits_ab: pair {i + 1}: A and B printed different digits")
    ratios = [b / a for a, b in zip(times["A"], times["B"])]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"digits {o.digits}, -j {o.jobs}, {o.pairs} pairs, alternating")
    print(f"A {o.a} {o.a_args}: median {statistics.median(times['A']):.4f} s")
    print(
        f"B {o.b} {o.b_args}: median {statistics.median(times['B']):.4f} s, "
        f"B/A paired: median {statistics.median(ratios):.3f} (quartiles {q[0]:.3f}-{q[2]:.3f})"
    )
    if o.csv:
        with open(o.csv, "w", encoding="utf-8") as f:
            f.write("side,pair,seconds,sha256\n")
            for r in rows:
                f.write(f"{r[0]},{r[1]},{r[2]:.6f},{r[3]}\n")


if __name__ == "__main__":
    main()
