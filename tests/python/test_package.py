"""The package itself: importable from both interpreters, no pandas at import, the bench
glue, and `cmake --install` putting it where the prefix's Python finds it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pie
import pie.bench
from conftest import run_python


def test_imports_without_pandas_or_numpy():
    r = run_python("import sys, pie, pie.bench; pie.mc(10); "
                   "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_other_interpreter_on_path_imports_it():
    # This machine has a second Python 3.11 first on PATH (pyenv) beside Debian's: the
    # module, built for Debian's, loads in any CPython with the same ABI tag.
    other = shutil.which("python3")
    if not other or os.path.realpath(other) == os.path.realpath(sys.executable):
        pytest.skip("no second python3 on PATH")
    r = subprocess.run([other, "-c", "import sys, sysconfig, pie; "
                        "print(sysconfig.get_config_var('SOABI'), pie.mc(1e6).inside)"],
                       capture_output=True, text=True)
    if r.returncode != 0 and "No module named 'pie._pie'" in r.stderr:
        pytest.skip(f"{other} has another ABI")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[1] == str(pie.mc(1e6).inside)


def test_bench_scaling_and_load(tmp_path):
    pd = pytest.importorskip("pandas")
    out = pie.bench.scaling(out=tmp_path / "r", quick=True, backends=["serial", "process"],
                            workers=[1, 2], size=20000000, weak_size=16777216, repeats=1,
                            python=False)
    assert out == tmp_path / "r"
    df = pie.bench.load(out)
    assert isinstance(df, pd.DataFrame)
    strong = df[df.experiment == "strong"]
    assert set(strong.backend) == {"serial", "process"} and set(strong.workers) == {1, 2}
    assert strong.speedup.notna().all() and (strong.median_s > 0).all()
    assert strong.check.nunique() == 1  # the same inside count everywhere
    assert df.attrs["machine"] and df.attrs["config"]


def test_bench_scaling_digits_algorithm(tmp_path):
    # The command's other options pass through too: the seed lands in results.json.
    out = pie.bench.scaling(out=tmp_path / "r", workload="digits", algorithm="bbp",
                            backends=["process"], workers=[1, 2], size=20000, weak_size=5000,
                            repeats=1, warmup=0, seed=11, python=False)
    rows = (tmp_path / "r" / "results.csv").read_text().splitlines()
    header = rows[0].split(",")
    kernels = {r.split(",")[header.index("kernel")] for r in rows[1:]
               if r.startswith(("strong,", "weak,"))}
    assert kernels == {"bbp"}
    config = json.loads((out / "results.json").read_text())["config"]
    assert config["shuffle_seed"] == 11 and config["algorithm"] == "bbp"


def test_bench_scaling_failure_raises(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        pie.bench.scaling(out=tmp_path / "r", backends=["nope"])


def test_install(tmp_path):
    build = os.environ.get("PIE_BUILD_DIR")
    if not build:
        pytest.skip("PIE_BUILD_DIR not set (ctest sets it)")
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", build, "--prefix", str(prefix)], check=True,
                   capture_output=True)
    found = list(prefix.glob("lib*/python3*/*-packages/pie/__init__.py"))
    assert len(found) == 1, list(prefix.rglob("pie/__init__.py"))
    site = found[0].parent.parent
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIE_EXECUTABLE")}
    env["PYTHONPATH"] = str(site)
    r = subprocess.run([sys.executable, "-c", "import pie, pie.bench; "
                        "print(pie.__file__); print(pie.bench.executable()); print(pie.hex(1).hex)"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    where, exe, digits = r.stdout.split()
    assert where.startswith(str(site)) and exe == str(prefix / "bin" / "pie")
    assert digits == "243F6A8885A308"
