"""Argument checks with the CLI's messages, the Python argument's name in place of the flag.

Each check returns the value the C layer takes or raises ArgumentError (a
ValueError) or ArgumentTypeError (a TypeError) whose message names the argument.
"""

from __future__ import annotations

import operator
import os

from . import _pie

ArgumentError = _pie.ArgumentError
ArgumentTypeError = _pie.ArgumentTypeError


def _bad(name, value, why):
    return ArgumentError(f"invalid value for {name}: {value!r} {why}")


def whole(name, value, low, high, high_text=None):
    """An integer in low .. high. Floats that are whole numbers (1e9) are accepted."""
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be an integer, not bool")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _bad(name, value, "is not a number")
        if not value.is_integer():
            raise _bad(name, value, "is not a whole number")
        value = int(value)
    else:
        try:
            value = operator.index(value)
        except TypeError:
            raise ArgumentTypeError(
                f"{name} must be an integer, not {type(value).__name__!r}"
            ) from None
    if value < 0:
        raise _bad(name, value, "is negative")
    if value < low:
        raise _bad(name, value, "must be positive" if low == 1 else f"must be at least {low}")
    if value > high:
        raise _bad(name, value, f"is too large (at most {high_text or high})")
    return value


def seed(value):
    """0 .. 2^64-1."""
    return whole("seed", value, 0, 2**64 - 1, "2^64-1")


def workers(value):
    """'auto' (0) or 1 .. MAX_WORKERS."""
    if isinstance(value, str):
        if value.lower() == "auto":
            return 0
        raise _bad("workers", value, "must be a positive integer or 'auto'")
    if value is None:
        return 0
    if isinstance(value, float):
        raise ArgumentTypeError("workers must be an integer or 'auto', not 'float'")
    return whole("workers", value, 1, _pie.MAX_WORKERS)


def backend(value):
    """A backend this build has, by name (any case)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"backend must be a str, not {type(value).__name__!r}")
    table = _pie.backends()
    names = [n for n, available, _ in table if available]
    for name, available, _ in table:
        if name == value.lower():
            if not available:
                raise ArgumentError(
                    f"invalid value for backend: the {name} backend is not in this build"
                )
            return name
    expected = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    raise _bad("backend", value, f"(expected {expected})")


def isa_name(value):
    """A kernel-variant name (any case), not yet checked against a workload."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"isa must be a str, not {type(value).__name__!r}")
    known = ["auto", "scalar", "aesni", "avx2", "avx512"]
    if value.lower() not in known:
        raise _bad("isa", value, f"(expected {', '.join(known)})")
    return value.lower()


def pin(value):
    """A placement spec; the library checks its form and the CPUs (ArgumentError)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"pin must be a str, not {type(value).__name__!r}")
    if not value:
        raise ArgumentError("invalid value for pin: '' (expected none, cores, threads, compact, "
                            "scatter or a CPU list)")
    return value


def isa_for(workload, value):
    """The variant `value` for `workload`: one it has and this CPU runs."""
    variants = _pie.isas()[workload]["variants"]
    if value not in variants:
        raise _bad("isa", value, f"(expected {', '.join(variants)}) for {workload}")
    if variants[value] != "ok":
        raise ArgumentError(
            f"invalid value for isa: the {value} {workload} kernel is not supported on this "
            "CPU or not built in (see pie.cpu_info())"
        )
    return value


def chunk_timeout(value):
    """None (no limit) or seconds in (0, 1e6]."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(
            f"chunk_timeout must be a number of seconds or None, not {type(value).__name__!r}"
        )
    if not value > 0:
        raise _bad("chunk_timeout", value, "must be positive")
    if value > 1e6:
        raise _bad("chunk_timeout", value, "must be at most 1e+06")
    return float(value)


def _path(name, value):
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise ArgumentTypeError(
            f"{name} must be a path (str or os.PathLike) or None, not {type(value).__name__!r}"
        )
    value = os.fsencode(value)
    if not value:
        raise ArgumentError(f"invalid value for {name}: empty path")
    if b"\0" in value:
        raise _bad(name, os.fsdecode(value), "contains a NUL byte")
    return value


def checkpoint(value):
    """None or a directory that exists and is writable, or can be created (as the CLI checks)."""
    if value is None:
        return None
    value = _path("checkpoint", value)
    if len(value) >= 1000:
        raise ArgumentError("invalid value for checkpoint: the name is too long")
    text = os.fsdecode(value)
    if os.path.exists(value):
        if not os.path.isdir(value):
            raise ArgumentError(f"invalid value for checkpoint: {text!r} is not a directory")
        if not os.access(value, os.W_OK | os.X_OK):
            raise ArgumentError(f"invalid value for checkpoint: {text!r} is not writable")
    else:
        parent = os.path.dirname(value.rstrip(b"/")) or b"."
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
            raise ArgumentError(f"invalid value for checkpoint: cannot create {text!r}")
    return value


def output_path(value):
    """None or a file path (the library checks that its directory takes a new file)."""
    return None if value is None else _path("path", value)


def formula(value):
    if not isinstance(value, str):
        raise ArgumentTypeError(f"formula must be a str, not {type(value).__name__!r}")
    if value.lower() not in ("bellard", "bbp"):
        raise _bad("formula", value, "(bellard or bbp)")
    return value.lower()


def base(value):
    value = whole("base", value, 0, 2**64)
    if value not in (10, 16):
        raise _bad("base", value, "(10 or 16)")
    return value


def progress(value):
    if value is not None and not callable(value):
        raise ArgumentTypeError(
            f"progress must be callable as progress(done, total) or None, not "
            f"{type(value).__name__!r}"
        )
    return value
