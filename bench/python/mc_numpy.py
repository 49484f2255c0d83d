"""NumPy Monte Carlo pi, vectorized in blocks of a million points, one core."""

import sys

from mc_common import parse_args, report, timed

try:
    import numpy as np
except ImportError:
    print('{"skipped": "numpy is not importable"}')
    sys.exit(3)

BLOCK = 1 << 20


def run(samples, seed):
    rng = np.random.default_rng(seed)
    inside = 0
    for start in range(0, samples, BLOCK):
        n = min(BLOCK, samples - start)
        x = rng.random(n)
        y = rng.random(n)
        inside += int(np.count_nonzero(x * x + y * y <= 1.0))
    return inside


if __name__ == "__main__":
    a = parse_args(__doc__)
    inside, seconds = timed(run, a.samples, a.seed)
    report("python-numpy", a.samples, inside, seconds)
