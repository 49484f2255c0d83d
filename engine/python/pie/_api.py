"""pie.Context and the one-shot functions pie.mc, pie.hex and pie.digits."""

from __future__ import annotations

from . import _checks as check
from . import _pie
from ._results import DigitsResult, HexResult, McResult, _build

__all__ = ["Context", "mc", "hex", "digits"]

_MC_MAX_SAMPLES = 2**63
_DIGITS_MAX = _pie.DIGITS_MAX


class Context(_pie.Context):
    """The environment runs happen in: backend, workers, kernel variant, chunk timeout,
    checkpoint directory, worker placement (``pin``: "none", "cores", "threads",
    "compact", "scatter" or a CPU list such as "0,2,4-7"; see ``pie mc --help``). Reusable, and a context manager (``with pie.Context(...) as c``
    closes it at the end).

    A context runs one job at a time: calling it from a second thread while it runs
    raises ContextBusyError (a RuntimeError). Use one context per thread; two contexts
    in two threads run at once, on different cores, since the GIL is released for the
    whole run.
    """

    def __init__(self, *, backend="process", workers="auto", isa="auto", chunk_timeout=None,
                 checkpoint=None, pin="none"):
        super().__init__(
            backend=check.backend(backend),
            workers=check.workers(workers),
            isa=check.isa_name(isa),
            chunk_timeout=check.chunk_timeout(chunk_timeout),
            checkpoint=check.checkpoint(checkpoint),
            pin=check.pin(pin),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        if self.closed:
            return "pie.Context(closed)"
        s = self._settings()
        workers = s["workers"] or "'auto'"
        return (f"pie.Context(backend={s['backend']!r}, workers={workers}, isa={s['isa']!r}, "
                f"chunk_timeout={s['chunk_timeout'] or None!r}, "
                f"checkpoint={s['checkpoint']!r}, pin={s['pin']!r})")

    # The settings, read back from the C context (its getters).
    backend = property(lambda self: self._settings()["backend"], doc="The backend's name.")
    workers = property(lambda self: self._settings()["workers"] or "auto",
                       doc="The worker count, or 'auto' (the CPUs this process may use).")
    isa = property(lambda self: self._settings()["isa"], doc="The kernel variant asked for.")
    chunk_timeout = property(lambda self: self._settings()["chunk_timeout"] or None,
                             doc="Seconds a process-backend chunk may take, or None.")
    checkpoint = property(lambda self: self._settings()["checkpoint"],
                          doc="The checkpoint directory, or None.")
    pin = property(lambda self: self._settings()["pin"], doc="The worker placement spec.")

    def _isa_for(self, workload):
        return check.isa_for(workload, self._settings()["isa"])

    def mc(self, samples, *, seed=0, progress=None) -> McResult:
        """Estimate pi from `samples` random points (1 .. 2^63), with error bars.

        The inside count depends on (samples, seed) only, never on the backend,
        the workers or the kernel. ``progress(done, total)`` is called on this
        thread at most ten times a second, and once at the end with done == total.
        """
        samples = check.whole("samples", samples, 1, _MC_MAX_SAMPLES, "2^63")
        seed = check.seed(seed)
        self._isa_for("mc")
        d = self._mc(samples, seed, check.progress(progress))
        return _build(McResult, d)

    def hex(self, position, count=14, *, formula="bellard", progress=None) -> HexResult:
        """The `count` hex digits of pi from `position` (1-based after the point: pi =
        3.243F6A88..., position 1 is '2'), each one certain (checked by the other formula)."""
        position = check.whole("position", position, 1, _pie.HEX_MAX_POSITION, "1e12")
        count = check.whole("count", count, 1, _pie.HEX_MAX_COUNT)
        if count - 1 > _pie.HEX_MAX_POSITION - position:
            raise check.ArgumentError(
                f"invalid value for count: positions {position} .. {position + count - 1} go "
                f"beyond {_pie.HEX_MAX_POSITION}"
            )
        formula = check.formula(formula)
        self._isa_for("hex")
        d = self._hex(position, count, formula, check.progress(progress))
        return _build(HexResult, d)

    def digits(self, digits, *, base=10, path=None, verify=False, progress=None) -> DigitsResult:
        """"3." and exactly `digits` digits of pi after the point, truncated, in base 10 or
        16. With `path` the digits are written to that file (atomically) and the result's
        `pi` is None. A run that would not fit in memory raises RefusedError (a
        MemoryError) before any work; `verify` checks the digits independently."""
        digits = check.whole("digits", digits, 1, _DIGITS_MAX, "2^40")
        base = check.base(base)
        path = check.output_path(path)
        if not isinstance(verify, bool):
            raise check.ArgumentTypeError(
                f"verify must be a bool, not {type(verify).__name__!r}")
        d = self._digits(digits, base, path, verify, check.progress(progress))
        return _build(DigitsResult, d)

    def digits_estimate(self, digits, *, base=10) -> int:
        """The estimated peak memory of ``digits(digits, base=base)`` in bytes, over all
        processes."""
        digits = check.whole("digits", digits, 1, _DIGITS_MAX, "2^40")
        return self._digits_estimate(digits, check.base(base))


def _context(backend, workers, isa, chunk_timeout, checkpoint, pin):
    return Context(backend=backend, workers=workers, isa=isa, chunk_timeout=chunk_timeout,
                   checkpoint=checkpoint, pin=pin)


def mc(samples, *, seed=0, workers="auto", backend="process", isa="auto", progress=None,
       chunk_timeout=None, checkpoint=None, pin="none") -> McResult:
    """Estimate pi by Monte Carlo: ``pie mc -n SAMPLES``. See Context.mc."""
    with _context(backend, workers, isa, chunk_timeout, checkpoint, pin) as c:
        return c.mc(samples, seed=seed, progress=progress)


def hex(position, count=14, *, formula="bellard", workers="auto", backend="process",
        isa="auto", progress=None, chunk_timeout=None, checkpoint=None, pin="none") -> HexResult:
    """Hex digits of pi at a position: ``pie hex -p POSITION -c COUNT``. See Context.hex."""
    with _context(backend, workers, isa, chunk_timeout, checkpoint, pin) as c:
        return c.hex(position, count, formula=formula, progress=progress)


def digits(digits, *, base=10, path=None, verify=False, workers="auto", backend="process",
           progress=None, chunk_timeout=None, checkpoint=None, pin="none") -> DigitsResult:
    """The first digits of pi: ``pie digits -d DIGITS``. See Context.digits."""
    with _context(backend, workers, "auto", chunk_timeout, checkpoint, pin) as c:
        return c.digits(digits, base=base, path=path, verify=verify, progress=progress)
