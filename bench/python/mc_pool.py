"""Pure-Python Monte Carlo pi over multiprocessing.Pool (pool start-up and pickling included)."""

import multiprocessing as mp

from mc_common import count_inside, parse_args, report, split, timed


def run(samples, seed, workers):
    # Each task gets its own seed so that the streams differ.
    tasks = [(n, seed * 1000003 + i) for i, n in enumerate(split(samples, workers))]
    with mp.Pool(workers) as pool:
        return sum(pool.starmap(count_inside, tasks))


if __name__ == "__main__":
    a = parse_args(__doc__, workers=True)
    inside, seconds = timed(run, a.samples, a.seed, a.workers)
    report("python-pool", a.samples, inside, seconds, a.workers)
