"""A plain (non-editable) install carries everything `certify all` needs and installs one package.

The wheel test builds the wheel, installs it into a fresh, isolated virtual environment (dependencies
from the package index, so an undeclared dependency fails here) and runs `certify all --quick` from a
directory outside the repository.  It takes about a minute and a half, most of it installing numpy,
scipy, sympy, cvxpy and the rest into the new environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_of_the_tree_is_listed():
    setup = _pyproject()["tool"]["setuptools"]
    listed = set(setup["packages"])
    in_tree = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "certify").rglob("__init__.py")}
    assert in_tree <= listed, f"packages missing from pyproject.toml: {sorted(in_tree - listed)}"
    assert setup["package-dir"] == {"certify.proofs": "proofs", "certify.data": "data"}
    assert listed - in_tree == {"certify.proofs", "certify.data"}
    assert not any(name == "proofs" or name.startswith("proofs.") for name in listed)


def test_nothing_imports_a_top_level_proofs_package():
    pattern = re.compile(r"^\s*(from|import)\s+proofs\b|[\"']proofs\.[a-z_0-9]+:", re.M)
    offenders = [str(p.relative_to(ROOT)) for folder in ("certify", "proofs", "tests", "benchmarks")
                 for p in (ROOT / folder).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
    from certify.gate.registry import REGISTRY

    for claim in REGISTRY.values():
        if claim.check:
            assert claim.check.startswith("certify."), claim.id


def test_a_checkout_without_an_install_finds_its_proofs():
    """No editable finder (as with PYTHONPATH=checkout and no install): certify.proofs is still proofs/."""
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
            "import certify.proofs.example1 as e, certify.core.paths as p; print(e.__file__); print(p.data_dir())")
    env = {k: v for k, v in os.environ.items() if k not in ("CERTIFY_DATA",)}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests", env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    module_file, data = out.stdout.split()
    assert Path(module_file) == ROOT / "proofs" / "example1.py" and Path(data) == ROOT / "data"


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_in_a_fresh_venv_runs_the_gate(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CERTIFY_DATA", "CERTIFY_RESULTS", "VIRTUAL_ENV", "PYTHONHOME")}
    import shutil

    source = tmp_path / "source"  # a clean copy: no stale build/ of the working tree, nothing written into it
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("certify", "proofs", "data"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                 tmp_path, env, 600)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("certify-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"certify"}
    shipped = [p.relative_to(ROOT / "data").as_posix() for sub in ("instances", "certificates")
               for p in (ROOT / "data" / sub).iterdir() if p.is_file()]
    assert shipped and all(f"certify/data/{s}" in names for s in shipped)
    proofs = [p.name for p in (ROOT / "proofs").glob("*.py")]
    assert all(f"certify/proofs/{p}" in names for p in proofs)

    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    py = home / ("Scripts" if os.name == "nt" else "bin") / "python"
    installed = _run([str(py), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env, 900)
    assert installed.returncode == 0, installed.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(py), "-c", "import certify, certify.core.paths as p; print(certify.__file__); print(p.data_dir())"],
                 elsewhere, env, 120)
    module_file, data = where.stdout.split()
    assert Path(module_file).is_relative_to(home) and Path(data).is_relative_to(home), where.stdout
    gate = _run([str(py), "-m", "certify", "all", "--quick", "--json", str(tmp_path / "report.json")],
                elsewhere, env, 900)
    assert gate.returncode == 0, (gate.stdout[-3000:], gate.stderr[-2000:])
    import json

    report = json.loads((tmp_path / "report.json").read_text())
    assert len(report["claims"]) > 40
    assert [c["id"] for c in report["claims"] if c["status"] == "error"] == []
    # --quick may make fewer runs, but it gives the verdicts the full gate recorded in the shipped baseline
    recorded = json.loads((ROOT / "certify-baseline.json").read_text())["claims"]
    quick = {c["id"]: {"status": c["status"], **({"corrected": c["corrected"]["status"]} if c.get("corrected") else {})}
             for c in report["claims"]}
    assert {k: (recorded.get(k), v) for k, v in quick.items() if recorded.get(k) != v} == {}
