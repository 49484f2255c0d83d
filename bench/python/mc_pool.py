"""Pure-Python Monte Carlo pi over multiprocessing.Pool with a chosen start method (fork, spawn,
forkserver; pool start-up and pickling included)."""

import multiprocessing as mp

from mc_common import count_inside, parse_args, report, split, timed


def run(samples, seed, workers, method):
    # Each task gets its own seed so that the streams differ.
    tasks = [(n, seed * 1000003 + i) for i, n in enumerate(split(samples, workers))]
    with mp.get_context(method).Pool(workers) as pool:
        return sum(pool.starmap(count_inside, tasks))


if __name__ == "__main__":
    a = parse_args(__doc__, workers=True, start_method=True)
    method = a.start_method or mp.get_start_method()
    inside, seconds = timed(run, a.samples, a.seed, a.workers, method)
    report("python-pool-" + method, a.samples, inside, seconds, a.workers, start_method=method)
