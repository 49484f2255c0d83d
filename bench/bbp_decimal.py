#!/usr/bin/env python3
"""@brief The tutorial baseline: BBP terms summed with Python's Decimal, D digits truncated.

Usage: bbp_decimal.py D [--print]
Prints one CSV-friendly line: digits,seconds,sha256-of-digits-after-"3."
"""
import hashlib
import sys
import time
from decimal import Decimal, getcontext


def bbp_digits(d):
    """'3.' followed by d digits of pi, from the BBP series in Decimal arithmetic."""
    getcontext().prec = d + 12
    eps = Decimal(10) ** -(d + 8)
    total = Decimal(0)
    scale = Decimal(1)  # 16^-k
    k = 0
    while True:
        k8 = 8 * k
        term = scale * (Decimal(4) / (k8 + 1) - Decimal(2) / (k8 + 4)
                        - Decimal(1) / (k8 + 5) - Decimal(1) / (k8 + 6))
        total += term
        if term < eps:
            break
        scale /= 16
        k += 1
    # Truncate (not round); the guard digits make a wrong last digit
    # improbable, not impossible: this is a baseline, not a reference.
    s = format(total, "f")
    return s[: d + 2]


def main():
    d = int(float(sys.argv[1]))
    t0 = time.perf_counter()
    text = bbp_digits(d)
    secs = time.perf_counter() - t0
    if "--print" in sys.argv[2:]:
        print(text)
    print("%d,%.6f,%s" % (d, secs, hashlib.sha256(text[2:].encode()).hexdigest()))


if __name__ == "__main__":
    main()
