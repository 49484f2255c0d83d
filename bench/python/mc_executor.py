"""Pure-Python Monte Carlo pi over concurrent.futures.ProcessPoolExecutor with a chosen start
method (executor start-up and pickling included)."""

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

from mc_common import count_inside, parse_args, report, split, timed


def run(samples, seed, workers, method):
    parts = split(samples, workers)
    seeds = [seed * 1000003 + i for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as ex:
        return sum(ex.map(count_inside, parts, seeds))


if __name__ == "__main__":
    a = parse_args(__doc__, workers=True, start_method=True)
    method = a.start_method or mp.get_start_method()
    inside, seconds = timed(run, a.samples, a.seed, a.workers, method)
    report("python-executor-" + method, a.samples, inside, seconds, a.workers,
           start_method=method)
