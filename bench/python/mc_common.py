"""Shared pieces of the Monte Carlo baselines: the tutorial loop, argument parsing, one JSON line."""

import argparse
import json
import random
import time


def count_inside(n, seed):
    """The loop every multiprocessing tutorial starts from: n points, count those in the disc."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n):
        x = rng.random()
        y = rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


def split(n, parts):
    """n cut into `parts` nearly equal whole pieces."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def parse_args(description, workers=False):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--samples", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    if workers:
        p.add_argument("--workers", type=int, required=True)
    return p.parse_args()


def report(name, samples, inside, seconds, workers=1):
    """One JSON object on stdout; pie bench reads 'seconds' and 'work'."""
    print(json.dumps({"baseline": name, "work": samples, "unit": "samples", "workers": workers,
                      "seconds": seconds, "per_second": samples / seconds if seconds > 0 else 0,
                      "estimate": 4.0 * inside / samples}))


def timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0
