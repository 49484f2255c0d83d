"""Pure-Python Monte Carlo pi, one core: the serial baseline."""

from mc_common import count_inside, parse_args, report, timed

if __name__ == "__main__":
    a = parse_args(__doc__)
    inside, seconds = timed(count_inside, a.samples, a.seed)
    report("python-serial", a.samples, inside, seconds)
