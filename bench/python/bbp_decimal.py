"""Digits of pi from the BBP series summed with the decimal module (small digit counts only).

The Decimal baseline of `pie bench scaling` and bench/bench_digits.sh: prints one JSON line
with the seconds of the computation and the SHA-256 of the digits after "3." (as pie digits
--json gives it). --print also prints the digits first.
"""

import argparse
import hashlib
import json
import math
import time
from decimal import Decimal, getcontext


def bbp_pi(digits):
    """pi to `digits` decimals: sum 16^-k (4/(8k+1) - 2/(8k+4) - 1/(8k+5) - 1/(8k+6))."""
    getcontext().prec = digits + 10  # guard digits
    terms = int(digits * math.log(10) / math.log(16)) + 2
    total = Decimal(0)
    power = Decimal(1)  # 16^-k
    sixteenth = Decimal(1) / 16
    for k in range(terms):
        k8 = 8 * k
        total += power * (Decimal(4) / (k8 + 1) - Decimal(2) / (k8 + 4)
                          - Decimal(1) / (k8 + 5) - Decimal(1) / (k8 + 6))
        power *= sixteenth
    # Truncate, as pie does: "3." and exactly `digits` decimals.
    return str(total)[: digits + 2]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--digits", type=int, required=True)
    p.add_argument("--print", action="store_true", help="print the digits too")
    a = p.parse_args()
    t0 = time.perf_counter()
    text = bbp_pi(a.digits)
    seconds = time.perf_counter() - t0
    if a.print:
        print(text)
    print(json.dumps({"baseline": "python-decimal-bbp", "work": a.digits, "unit": "digits",
                      "workers": 1, "seconds": seconds,
                      "per_second": a.digits / seconds if seconds > 0 else 0,
                      "tail": text[-10:],
                      "sha256": hashlib.sha256(text[2:].encode()).hexdigest()}))
