"""Pure-Python BBP digit extraction: the hex digits of pi at a position (1-based after the point),
the textbook algorithm with pow(16, n - k, 8k + j) and float tails."""

import argparse
import time

from mc_common import report


def series(j, n):
    """Fractional part of sum_k 16^(n-k) / (8k + j)."""
    s = 0.0
    for k in range(n + 1):
        d = 8 * k + j
        s = (s + pow(16, n - k, d) / d) % 1.0
    k = n + 1
    t = 16.0 ** -1 / (8 * k + j)
    while t > 1e-17:
        s += t
        k += 1
        t = 16.0 ** (n - k) / (8 * k + j)
    return s % 1.0


def hex_digits(position, count=8):
    n = position - 1
    x = (4 * series(1, n) - 2 * series(4, n) - series(5, n) - series(6, n)) % 1.0
    out = ""
    for _ in range(count):
        x *= 16
        out += "0123456789ABCDEF"[int(x)]
        x -= int(x)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--position", type=int, required=True)
    a = p.parse_args()
    t0 = time.perf_counter()
    digits = hex_digits(a.position)
    seconds = time.perf_counter() - t0
    report("python-bbp-hex", a.position, None, seconds, 1, unit="position", hex=digits)
