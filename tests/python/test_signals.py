"""Ctrl-C: SIGINT cancels the run, its workers are stopped and reaped, KeyboardInterrupt is
raised within 0.5 s; the host's signal handlers stay as they were."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import pie
from conftest import children, exists

CHILD = textwrap.dedent("""
    import json, signal, sys, time
    from pathlib import Path
    import pie

    def children():
        found = []
        for task in Path("/proc/self/task").glob("*"):
            try:  # a thread may end between the listing and the read
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
        return found

    if sys.argv[1] == "default":
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        expect = KeyboardInterrupt
    else:
        class Custom(Exception):
            pass
        def handler(signum, frame):
            raise Custom
        signal.signal(signal.SIGINT, handler)
        expect = Custom
    before = signal.getsignal(signal.SIGINT)
    print("ready", flush=True)
    try:
        exec(compile(sys.argv[2], "<call>", "exec"))  # a string would set rc 130 at exit
        out = {"finished": True}
    except expect:
        out = {"caught": time.monotonic(), "children": children()}
    out["handler_kept"] = signal.getsignal(signal.SIGINT) is before
    print(json.dumps(out), flush=True)
""")


def interrupt(call, handler="default", workers_expected=2):
    """Start `call` in a child interpreter, SIGINT it once its workers run; the child's
    report and the time the signal was sent."""
    p = subprocess.Popen([sys.executable, "-c", CHILD, handler, call],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 30
        workers = []
        while len(workers) < workers_expected and time.monotonic() < deadline:
            time.sleep(0.02)
            workers = children(p.pid)
        time.sleep(0.2)  # well into the run
        workers = children(p.pid)
        sent = time.monotonic()
        os.kill(p.pid, signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    report = json.loads(out)
    return report, sent, workers, p.returncode


@pytest.mark.parametrize("call", [
    "pie.mc(10**14, workers=2)",
    "pie.mc(10**14, workers=2, backend='thread')",
    "pie.hex(10**12 - 20, workers=2)",
], ids=["mc-process", "mc-thread", "hex"])
def test_sigint_raises_keyboard_interrupt_quickly(call):
    forks = "thread" not in call
    report, sent, workers, rc = interrupt(call, workers_expected=2 if forks else 0)
    assert rc == 0
    assert "caught" in report, report
    assert report["caught"] - sent < 0.5, f"KeyboardInterrupt after {report['caught'] - sent:.3f} s"
    assert report["children"] == []
    assert report["handler_kept"]
    if forks:
        assert len(workers) == 2
    for pid in workers:
        assert not exists(pid), f"worker {pid} still alive"


def test_host_handler_runs_and_stays():
    report, sent, workers, rc = interrupt("pie.mc(10**14, workers=2)", handler="custom")
    assert "caught" in report and report["caught"] - sent < 0.5
    assert report["children"] == [] and report["handler_kept"]


def test_no_handler_replaced():
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD,
                                                 signal.SIGPIPE)}
    pie.mc(1e8, workers=2)
    pie.mc(1e8, workers=2, backend="thread")
    pie.hex(10**5)
    pie.digits(1000)
    assert handlers == {s: signal.getsignal(s) for s in handlers}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert mask == set(), "the calling thread's signal mask changed"
