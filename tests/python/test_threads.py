"""The GIL is released for the whole run; one context per thread; progress on the calling
thread; an exception in progress cancels the run and leaves no worker."""

import threading

import pytest

import pie
from conftest import children


class Stop(Exception):
    pass


def test_other_thread_runs_while_pie_runs(no_children_after):
    # The run is cancelled from its own progress callback once the main thread has
    # counted to 100000 while the run was in flight. Were the GIL held by the run, the
    # main thread could not count until the run ended, and the run would finish (about
    # 10 s here) instead of raising Stop.
    running, stop = threading.Event(), threading.Event()
    outcome = {}

    def progress(done, total):
        running.set()
        if stop.is_set():
            raise Stop

    def run():
        try:
            outcome["result"] = pie.mc(2e10, workers=1, progress=progress)
        except Stop:
            outcome["stopped"] = True

    t = threading.Thread(target=run)
    t.start()
    assert running.wait(60)
    counter = 0
    while counter < 100000:
        counter += 1
    stop.set()
    t.join()
    assert outcome == {"stopped": True}


@pytest.mark.parametrize("backend", ["process", "thread", "serial"])
def test_two_contexts_in_two_threads(backend, no_children_after):
    expect = {s: pie.mc(3e7, seed=s, workers=1, backend="serial").inside for s in (1, 2)}
    got, errors = {}, []
    barrier = threading.Barrier(2)

    def run(seed):
        try:
            with pie.Context(backend=backend, workers=1) as c:
                barrier.wait()
                got[seed] = [c.mc(3e7, seed=seed).inside for _ in range(3)]
        except Exception as e:  # noqa: BLE001 -- reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert got == {s: [expect[s]] * 3 for s in (1, 2)}


def test_one_context_in_two_threads_raises(no_children_after):
    running, stop = threading.Event(), threading.Event()
    outcome = {}

    def progress(done, total):
        running.set()
        if stop.is_set():
            raise Stop

    with pie.Context(workers=1) as c:
        def run():
            try:
                c.mc(10**14, progress=progress)
            except Stop:
                outcome["stopped"] = True

        t = threading.Thread(target=run)
        t.start()
        assert running.wait(60)
        try:
            with pytest.raises(pie.ContextBusyError) as info:
                c.mc(10)
            assert isinstance(info.value, RuntimeError)
            with pytest.raises(RuntimeError):
                c.close()
        finally:
            stop.set()
            t.join()
        assert outcome == {"stopped": True}
        assert c.mc(1e6).samples == 10**6  # usable again


@pytest.mark.parametrize("call", [
    lambda p: pie.mc(2e9, workers=2, progress=p),
    lambda p: pie.mc(1e9, workers=2, backend="thread", progress=p),
    lambda p: pie.hex(10**7, 30, workers=2, progress=p),
    lambda p: pie.digits(3 * 10**5, base=16, workers=2, verify=True, progress=p),
], ids=["mc-process", "mc-thread", "hex", "digits"])
def test_progress_monotone_ending_at_total(call):
    seen, threads = [], set()

    def progress(done, total):
        seen.append((done, total))
        threads.add(threading.get_ident())

    call(progress)
    assert seen, "progress was never called"
    assert threads == {threading.get_ident()}
    dones = [d for d, _ in seen]
    totals = [t for _, t in seen]
    assert dones == sorted(dones) and totals == sorted(totals)
    assert all(d <= t for d, t in seen)
    assert seen[-1][0] == seen[-1][1] > 0
    assert seen.count(seen[-1]) == 1 or len(seen) == 1


def test_progress_is_rate_limited():
    import time

    calls = []
    t0 = time.monotonic()
    pie.hex(2 * 10**7, workers=2, progress=lambda d, t: calls.append(time.monotonic()))
    elapsed = time.monotonic() - t0
    assert len(calls) <= elapsed * 10 + 2
    gaps = [b - a for a, b in zip(calls, calls[1:-1])]  # the last call may follow at once
    assert all(g >= 0.099 for g in gaps), gaps


@pytest.mark.parametrize("backend", ["process", "thread"])
def test_exception_in_progress_cancels(backend, no_children_after):
    seen = []

    def progress(done, total):
        seen.append(done)
        if len(seen) == 2:
            raise Stop("from the callback")

    with pytest.raises(Stop, match="from the callback"):
        pie.mc(10**14, workers=2, backend=backend, progress=progress)
    assert len(seen) == 2
    assert children() == []
