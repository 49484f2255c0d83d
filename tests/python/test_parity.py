"""The Python API gives what the CLI gives: same counts, digits and --json keys."""

import dataclasses

import pytest

import pie
from conftest import cli_json

# Timings, and where unpinned workers happened to run, differ from run to run.
TIMING = {"seconds", "samples_per_second", "peak_rss_bytes", "seconds_series",
          "seconds_division", "seconds_radix", "seconds_output", "seconds_verify", "worker_cpus",
          "cpu_seconds", "cpu_seconds_series", "cpu_seconds_division", "cpu_seconds_radix",
          "cpu_seconds_output", "cpu_seconds_verify"}


def same(result, js, skip=()):
    """Every --json key is a field with the same value (timings aside)."""
    fields = dataclasses.asdict(result)
    assert set(js) <= set(fields), f"--json keys missing as fields: {set(js) - set(fields)}"
    for key, value in js.items():
        if key in TIMING or key in skip:
            continue
        got = list(fields[key]) if isinstance(fields[key], tuple) else fields[key]
        assert got == value, f"{key}: python {got!r}, cli {value!r}"


@pytest.mark.parametrize("backend", ["process", "thread", "serial"])
def test_mc(backend):
    workers = 1 if backend == "serial" else 2
    r = pie.mc(5e7, seed=7, workers=workers, backend=backend)
    js = cli_json("mc", "-n", "5e7", "--seed", 7, "-j", workers, "--backend", backend)
    same(r, js)
    assert set(js) == {f.name for f in dataclasses.fields(pie.McResult)}
    assert isinstance(r.ci95, tuple) and r.ci95[0] < r.estimate < r.ci95[1]


def test_hex():
    r = pie.hex(10**6, 20, workers=2)
    js = cli_json("hex", "-p", "1e6", "-c", 20, "-j", 2)
    same(r, js)
    assert set(js) == {f.name for f in dataclasses.fields(pie.HexResult)}
    assert r.hex.startswith("26C65E52CB4593")


@pytest.mark.parametrize("base", [10, 16])
def test_digits(base):
    r = pie.digits(2000, base=base, workers=2)
    js = cli_json("digits", "-d", 2000, "--base", base, "-j", 2)
    same(r, js)
    assert set(js) | {"output"} == {f.name for f in dataclasses.fields(pie.DigitsResult)}
    assert r.pi.startswith("3.14159" if base == 10 else "3.243F6A88")
    assert len(r.pi) == 2002 and r.output is None


def test_digits_to_file(tmp_path):
    path = tmp_path / "pi.txt"
    r = pie.digits(1000, path=path, verify=True)
    js = cli_json("digits", "-d", 1000, "-o", tmp_path / "cli.txt", "--verify")
    same(r, js, skip={"output"})
    assert set(js) | {"pi"} == {f.name for f in dataclasses.fields(pie.DigitsResult)}
    assert r.pi is None and r.output == str(path) and r.verified
    assert path.read_text() == (tmp_path / "cli.txt").read_text()


def test_results_make_a_dataframe():
    pd = pytest.importorskip("pandas")
    rs = [pie.mc(1e6, seed=s, workers=1) for s in range(3)]
    df = pd.DataFrame(map(dataclasses.asdict, rs))
    assert list(df.columns) == [f.name for f in dataclasses.fields(pie.McResult)]
    assert list(df.seed) == [0, 1, 2]


def test_results_are_frozen():
    r = pie.mc(1e5, workers=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 3.0


def test_context_reuse_and_settings():
    with pie.Context(backend="THREAD", workers=2, isa="scalar") as c:
        assert (c.backend, c.workers, c.isa, c.chunk_timeout, c.checkpoint) == \
            ("thread", 2, "scalar", None, None)
        a = c.mc(2e7, seed=3)
        b = c.mc(2e7, seed=3)
        assert a.inside == b.inside and a.kernel == "scalar" and a.backend == "thread"
        assert c.hex(1, 8, formula="bbp").hex == "243F6A88"
    assert c.closed
    with pytest.raises(ValueError, match="closed"):
        c.mc(10)
    assert pie.Context().workers == "auto"


def test_version_and_tables():
    assert pie.__version__ == cli_json("mc", "-n", 10)["version"]
    names = [b.name for b in pie.backends()]
    assert names[:3] == ["serial", "process", "thread"]
    info = pie.cpu_info()
    assert info["cpus"] >= 1 and "scalar" in info["kernels"]["mc"]
    assert info["auto"]["digits"] == "scalar"


def test_pin_is_recorded():
    """--pin in Python as in the CLI: the spec and one CPU per worker."""
    r = pie.mc(10**8, workers=2, pin="0")
    assert r.pin == "0" and r.worker_cpus == "0,0", r
    with pytest.raises(ValueError, match="placement 'nope'"):
        pie.mc(10, pin="nope")
    with pytest.raises(TypeError, match="pin must be a str"):
        pie.mc(10, pin=0)
    with pie.Context(pin="cores") as c:
        assert c.pin == "cores"
