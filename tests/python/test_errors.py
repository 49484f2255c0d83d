"""Every bad argument raises ValueError or TypeError (pie.PieError too) naming the argument;
a refused digits run raises MemoryError with the estimate; a failed run raises pie.PieError."""

import os
import textwrap

import pytest

import pie
from conftest import run_python

V, T = ValueError, TypeError

BAD = [
    # (call, exception, the name the message must contain)
    (lambda: pie.mc(0), V, "samples"),
    (lambda: pie.mc(-5), V, "samples"),
    (lambda: pie.mc(1.5), V, "samples"),
    (lambda: pie.mc(float("nan")), V, "samples"),
    (lambda: pie.mc(2**63 + 1), V, "samples"),
    (lambda: pie.mc(10**30), V, "samples"),
    (lambda: pie.mc("1e9"), T, "samples"),
    (lambda: pie.mc(None), T, "samples"),
    (lambda: pie.mc(True), T, "samples"),
    (lambda: pie.mc(10, workers=0), V, "workers"),
    (lambda: pie.mc(10, workers=-1), V, "workers"),
    (lambda: pie.mc(10, workers=99999), V, "workers"),
    (lambda: pie.mc(10, workers="abc"), V, "workers"),
    (lambda: pie.mc(10, workers=1.5), T, "workers"),
    (lambda: pie.mc(10, backend="gpu"), V, "backend"),
    (lambda: pie.mc(10, backend=""), V, "backend"),
    (lambda: pie.mc(10, backend=1), T, "backend"),
    (lambda: pie.mc(10, seed=-1), V, "seed"),
    (lambda: pie.mc(10, seed=2**64), V, "seed"),
    (lambda: pie.mc(10, seed="7"), T, "seed"),
    (lambda: pie.mc(10, isa="sse9"), V, "isa"),
    (lambda: pie.mc(10, isa=None), T, "isa"),
    (lambda: pie.mc(10, chunk_timeout=0), V, "chunk_timeout"),
    (lambda: pie.mc(10, chunk_timeout=-1), V, "chunk_timeout"),
    (lambda: pie.mc(10, chunk_timeout=9999999), V, "chunk_timeout"),
    (lambda: pie.mc(10, chunk_timeout="1"), T, "chunk_timeout"),
    (lambda: pie.mc(10, checkpoint=""), V, "checkpoint"),
    (lambda: pie.mc(10, checkpoint="/proc/no/such/dir"), V, "checkpoint"),
    (lambda: pie.mc(10, checkpoint="/etc/hostname"), V, "checkpoint"),
    (lambda: pie.mc(10, checkpoint=5), T, "checkpoint"),
    (lambda: pie.mc(10, progress=5), T, "progress"),
    (lambda: pie.hex(0), V, "position"),
    (lambda: pie.hex(10**13), V, "position"),
    (lambda: pie.hex(1.5), V, "position"),
    (lambda: pie.hex(-3), V, "position"),
    (lambda: pie.hex(10, 0), V, "count"),
    (lambda: pie.hex(10, 1001), V, "count"),
    (lambda: pie.hex(10**12, 2), V, "count"),
    (lambda: pie.hex(10, formula="pi"), V, "formula"),
    (lambda: pie.hex(10, isa="aesni"), V, "isa"),
    (lambda: pie.digits(0), V, "digits"),
    (lambda: pie.digits("abc"), T, "digits"),
    (lambda: pie.digits(10**30), V, "digits"),
    (lambda: pie.digits(10, base=7), V, "base"),
    (lambda: pie.digits(10, base="16"), T, "base"),
    (lambda: pie.digits(10, path=""), V, "path"),
    (lambda: pie.digits(10, path="/proc/no/such/dir/pi.txt"), V, "/proc/no/such/dir"),
    (lambda: pie.digits(10, verify="yes"), T, "verify"),
    (lambda: pie.Context(backend="gpu"), V, "backend"),
    (lambda: pie.Context(workers=0), V, "workers"),
]


@pytest.mark.parametrize("call,exc,name", BAD, ids=range(len(BAD)))
def test_bad_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert isinstance(info.value, pie.PieError)
    assert name in str(info.value), str(info.value)


def test_messages_follow_the_cli():
    with pytest.raises(ValueError, match=r"^invalid value for samples: 0 must be positive$"):
        pie.mc(0)
    with pytest.raises(ValueError, match=r"expected serial, process, thread"):
        pie.mc(10, backend="gpu")
    with pytest.raises(TypeError, match="unexpected keyword"):
        pie.mc(10, samples_per_chunk=5)


def test_unsupported_isa_names_the_cpu():
    info = pie.cpu_info()
    missing = [i for i in ("aesni", "avx2", "avx512") if i not in info["kernels"]["mc"]]
    if not missing:
        pytest.skip("this CPU runs every mc kernel")
    with pytest.raises(ValueError, match="not supported on this CPU"):
        pie.mc(10, isa=missing[0])


def test_digits_refused_with_the_estimate():
    with pytest.raises(MemoryError) as info:
        pie.digits(10**12)
    e = info.value
    assert isinstance(e, pie.RefusedError) and isinstance(e, pie.PieError)
    assert e.status == "ENOMEM" and "GiB" in str(e)
    assert e.estimate_bytes > e.available_bytes > 0
    with pie.Context() as c:
        assert c.digits_estimate(10**12) == e.estimate_bytes


@pytest.mark.skipif(os.environ.get("PIE_FAULT_INJECTION") != "ON",
                    reason="needs a build with -DPIE_FAULT_INJECTION=ON")
def test_failed_run_raises_pie_error():
    # A chunk that fails at every attempt ends the run with EWORKER (docs/faults.md).
    code = textwrap.dedent("""
        import pie
        try:
            pie.mc(10**9, workers=2, backend="process")
        except pie.PieError as e:
            assert type(e) is pie.PieError, type(e)
            print(e.status, "|", e.detail, "|", e)
    """)
    r = run_python(code, env={**os.environ, "PIE_FAULT": "exit:5:all"}, timeout=60)
    assert r.returncode == 0, r.stderr
    status, detail, message = (s.strip() for s in r.stdout.split("|"))
    assert status == "EWORKER"
    assert "chunk 5 failed 3 times" in detail
    assert message.startswith("EWORKER: chunk 5 failed 3 times")
