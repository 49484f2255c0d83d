"""Shared helpers for the pie Python package's tests (run by ctest as test_python).

ctest sets PYTHONPATH to build/python, PIE_EXECUTABLE to the built pie command,
PIE_BUILD_DIR to the build tree and PIE_FAULT_INJECTION to ON or OFF. By hand:

    PYTHONPATH=build/python PIE_EXECUTABLE=build/pie /usr/bin/python3 -m pytest tests/python
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pie
import pie.bench


def pie_executable():
    return os.environ.get("PIE_EXECUTABLE") or pie.bench.executable()


def cli_json(*args):
    """`pie ARGS --json` parsed; the command must succeed."""
    out = subprocess.run([pie_executable(), *map(str, args), "--json", "--no-progress"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def children(pid="self"):
    """The live and zombie child processes of a process (every thread's)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def run_python(code, **kw):
    """Run `code` in a fresh interpreter (this one) with this test's environment."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **kw)


@pytest.fixture
def no_children_after():
    """Fails the test if it leaves a child process (a pie worker) behind."""
    before = set(children())
    yield
    left = set(children()) - before
    assert not left, f"child processes left behind: {sorted(left)}"
