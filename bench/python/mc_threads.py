"""Pure-Python Monte Carlo pi over threads: the GIL serializes the loop."""

from concurrent.futures import ThreadPoolExecutor

from mc_common import count_inside, parse_args, report, split, timed


def run(samples, seed, workers):
    parts = split(samples, workers)
    with ThreadPoolExecutor(workers) as ex:
        futures = [ex.submit(count_inside, n, seed * 1000003 + i) for i, n in enumerate(parts)]
        return sum(f.result() for f in futures)


if __name__ == "__main__":
    a = parse_args(__doc__, workers=True)
    inside, seconds = timed(run, a.samples, a.seed, a.workers)
    report("python-threads", a.samples, inside, seconds, a.workers)
