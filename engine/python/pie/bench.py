"""Glue for the scaling harness (``pie bench scaling``, docs/bench.md).

    >>> out = pie.bench.scaling(quick=True, backends=["process", "thread"], out="r")
    >>> df = pie.bench.load(out)          # a pandas DataFrame, one row per point
    >>> df[df.experiment == "strong"].pivot(index="workers", columns="backend",
    ...                                     values="speedup")

The harness is the ``pie`` command: found through $PIE_EXECUTABLE, next to this
package (the build tree's build/pie, an installed prefix's bin/pie), or on PATH.
pandas is imported by load() only; the rest of pie works without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["scaling", "load", "executable"]


def executable():
    """The path of the ``pie`` command the harness runs."""
    env = os.environ.get("PIE_EXECUTABLE")
    if env:
        return env
    here = Path(__file__).resolve().parent
    for parent in list(here.parents)[:6]:
        for candidate in (parent / "pie", parent / "bin" / "pie"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("pie")
    if found:
        return found
    raise FileNotFoundError(
        "the pie command was not found next to the pie package nor on PATH; "
        "set PIE_EXECUTABLE to its path"
    )


def _flag(name, value):
    flag = "--" + name.replace("_", "-")
    if value is True:
        return [flag]
    if value is False or value is None:
        return []
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [flag, str(value)]


def scaling(*, out="bench-scaling", workload=None, backends=None, workers=None, size=None,
            weak_size=None, repeats=None, quick=False, python=True, progress=False,
            algorithm=None, pin=None, warmup=None, cooldown=None, seed=None, check=True):
    """Run ``pie bench scaling`` with these options and return the output directory.

    Each keyword is the command's option of the same name (``weak_size`` is
    ``--weak-size``; lists such as ``backends=["process", "thread"]`` or
    ``workers=[1, 2]`` are joined with commas); ``python=False`` is
    ``--no-python``, ``progress=False`` is ``--no-progress``. A failed run
    raises subprocess.CalledProcessError (with ``check``), Ctrl-C stops the
    harness (it exits 130 and leaves no worker behind) and raises
    KeyboardInterrupt.
    """
    args = [executable(), "bench", "scaling"]
    options = dict(out=os.fspath(out), workload=workload, backends=backends, workers=workers,
                   size=size, weak_size=weak_size, repeats=repeats, quick=quick,
                   algorithm=algorithm, pin=pin, warmup=warmup, cooldown=cooldown, seed=seed)
    for name, value in options.items():
        args += _flag(name, value)
    if not python:
        args.append("--no-python")
    if not progress:
        args.append("--no-progress")
    proc = subprocess.Popen(args)
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()  # the harness cancels its run and reaps its workers
        proc.wait()
        raise
    if check and rc != 0:
        raise subprocess.CalledProcessError(rc, args)
    return Path(out)


def load(directory):
    """The harness's results in `directory` as a tidy pandas DataFrame.

    One row per measurement, read from results.csv: strong and weak scaling
    points (experiment = "strong" | "weak"), overheads ("overhead": metric,
    value, value_unit) and Python baselines ("python"); empty fields are NaN.
    ``df.attrs["machine"]`` and ``df.attrs["config"]`` hold results.json's
    machine and configuration when that file is there.
    """
    import pandas as pd  # lazily: the rest of pie does not need pandas

    directory = Path(directory)
    df = pd.read_csv(directory / "results.csv")
    meta = directory / "results.json"
    if meta.is_file():
        with open(meta) as f:
            info = json.load(f)
        df.attrs["machine"] = info.get("machine", {})
        df.attrs["config"] = info.get("config", {})
    return df
