"""Results of pie runs: frozen dataclasses whose fields are the CLI's --json keys.

``pandas.DataFrame(map(dataclasses.asdict, results))`` gives one row per run,
with the same columns as ``pie mc --json`` lines read with ``pandas.read_json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

__all__ = ["McResult", "HexResult", "DigitsResult", "Backend"]


@dataclass(frozen=True)
class McResult:
    """A Monte Carlo estimate (``pie mc --json``)."""

    estimate: float
    samples: int
    inside: int
    std_error: float
    ci95: Tuple[float, float]
    abs_error: float
    z_score: float
    seconds: float
    samples_per_second: float
    workers: int
    backend: str
    seed: int
    kernel: str
    chunks: int
    chunk_retries: int
    pin: str
    worker_cpus: str
    version: str


@dataclass(frozen=True)
class HexResult:
    """Hex digits of pi at a position (``pie hex --json``)."""

    position: int
    count: int
    hex: str
    formula: str
    checked_by: str
    seconds: float
    workers: int
    backend: str
    kernel: str
    passes: int
    chunks: int
    chunk_retries: int
    pin: str
    worker_cpus: str
    version: str


@dataclass(frozen=True)
class DigitsResult:
    """The first digits of pi (``pie digits --json``).

    ``pi`` holds "3." and the digits when no ``path`` was given; ``output``
    holds the path the digits were written to otherwise. ``pie digits --json``
    prints one key or the other; here both are fields and the unused one is
    None. ``pi`` is left out of the repr, which would otherwise print every
    digit.
    """

    digits: int
    base: int
    seconds: float
    workers: int
    backend: str
    algorithm: str
    big_ops: str
    sha256: str
    peak_rss_bytes: int
    memory_estimate_bytes: int
    verified: bool
    verify_note: str
    seconds_series: float
    seconds_division: float
    seconds_radix: float
    seconds_output: float
    seconds_verify: float
    terms: int
    precision_bits: int
    attempts: int
    chunks: int
    chunk_retries: int
    pin: str
    worker_cpus: str
    output: Optional[str] = None
    pi: Optional[str] = field(default=None, repr=False)
    version: str = ""
    # CPU seconds (user + system): the whole run's, this process's threads and
    # the process backend's workers; then this process's alone in each phase.
    cpu_seconds: float = 0.0
    cpu_seconds_series: float = 0.0
    cpu_seconds_division: float = 0.0
    cpu_seconds_radix: float = 0.0
    cpu_seconds_output: float = 0.0
    cpu_seconds_verify: float = 0.0


@dataclass(frozen=True)
class Backend:
    """A row of libpie's backend table (``pie.backends()``)."""

    name: str
    available: bool
    default: bool
    one_worker: bool
    in_process: bool
    forks: bool
    nests: bool
    needs_launcher: bool


def _build(cls, values: dict):
    """The dataclass from the C layer's dict (its keys are exactly the fields)."""
    return cls(**values)
