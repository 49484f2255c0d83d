"""Shared pieces of the Monte Carlo baselines: the tutorial loop, argument parsing, one JSON line."""

import argparse
import json
import platform
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


def parse_args(description, workers=False, start_method=False):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--samples", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    if workers:
        p.add_argument("--workers", type=int, required=True)
    if start_method:
        p.add_argument("--start-method", choices=["fork", "spawn", "forkserver"],
                       default=None, help="multiprocessing start method (default: Python's)")
    return p.parse_args()


def versions():
    """The interpreter and NumPy versions (NumPy None when not importable)."""
    try:
        import numpy
        np_version = numpy.__version__
    except ImportError:
        np_version = None
    return {"python": platform.python_version(),
            "implementation": platform.python_implementation(), "numpy": np_version}


def report(name, samples, inside, seconds, workers=1, unit="samples", **extra):
    """One JSON object on stdout; pie bench reads 'seconds' and 'work'."""
    d = {"baseline": name, "work": samples, "unit": unit, "workers": workers,
         "seconds": seconds, "per_second": samples / seconds if seconds > 0 else 0}
    if inside is not None:
        d["estimate"] = 4.0 * inside / samples
    d.update(versions())
    d.update(extra)
    print(json.dumps(d))


def timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0
