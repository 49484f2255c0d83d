"""pie: compute pi (Monte Carlo, hex digit extraction, digits) on every core, from Python.

    >>> import pie
    >>> r = pie.mc(10**9, workers=2)
    >>> r.estimate, r.std_error
    >>> pie.hex(10**6).hex
    '26C65E52CB4593'
    >>> pie.digits(50).pi
    '3.14159265358979323846264338327950288419716939937510'

Runs release the GIL, Ctrl-C (KeyboardInterrupt) cancels them and reaps their
workers, and ``progress=callable(done, total)`` reports progress. Results are
frozen dataclasses whose fields are the CLI's ``--json`` keys. See docs/python.md.
"""

from . import _pie
from ._api import Context, digits, hex, mc
from ._pie import (
    ArgumentError,
    ArgumentTypeError,
    ContextBusyError,
    PieError,
    RefusedError,
)
from ._results import Backend, DigitsResult, HexResult, McResult

__version__ = _pie.version()[0]

__all__ = [
    "mc",
    "hex",
    "digits",
    "Context",
    "McResult",
    "HexResult",
    "DigitsResult",
    "Backend",
    "PieError",
    "ArgumentError",
    "ArgumentTypeError",
    "RefusedError",
    "ContextBusyError",
    "backends",
    "cpu_info",
    "__version__",
]

# Bits of pie_backend_flags() (pie.h).
_ONE_WORKER, _IN_PROCESS, _FORKS, _NESTS, _NEEDS_LAUNCHER = 1, 2, 4, 8, 16


def backends():
    """libpie's backends, in table order, with whether this build has each."""
    return [
        Backend(
            name=name,
            available=available,
            default=name == "process",
            one_worker=bool(flags & _ONE_WORKER),
            in_process=bool(flags & _IN_PROCESS),
            forks=bool(flags & _FORKS),
            nests=bool(flags & _NESTS),
            needs_launcher=bool(flags & _NEEDS_LAUNCHER),
        )
        for name, available, flags in _pie.backends()
    ]


def cpu_info():
    """What ``pie cpu-info`` prints, as a dict: the CPUs this process may use, the CPU
    features pie uses (and those hidden by PIE_CPU_DISABLE), per workload the kernel
    variants this CPU runs and the one 'auto' picks, the backends built, the version."""
    cpu = _pie.cpu()
    isas = _pie.isas()
    return {
        "cpus": cpu["cpus"],
        "features": cpu["features"].split(),
        "disabled": cpu["disabled"].split(),
        "kernels": {
            w: [i for i, st in row["variants"].items() if i != "auto" and st == "ok"]
            for w, row in isas.items()
        },
        "auto": {w: row["best"] for w, row in isas.items()},
        "backends": [b.name for b in backends() if b.available],
        "version": __version__,
    }
