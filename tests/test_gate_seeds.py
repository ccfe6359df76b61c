"""The gate's verdicts do not depend on the global seed, and the repository's own gate holds its baseline.

`certify all --seed S --baseline certify-baseline.json` runs, for S = 0..4, at the budgets the gate uses
(not --quick), and every claim's status (and an erratum's corrected status) must equal the one recorded
in the shipped baseline: a verdict that moves with the seed is not evidence.  Seed 0 is the CI gate
itself.  About half a minute per seed on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "certify-baseline.json"


def _statuses(claims: list[dict]) -> dict[str, tuple[str, str | None]]:
    return {c["id"]: (c["status"], (c.get("corrected") or {}).get("status")) for c in claims}


def _recorded() -> dict[str, tuple[str, str | None]]:
    data = json.loads(BASELINE.read_text())
    return {k: (v["status"], v.get("corrected")) for k, v in data["claims"].items()}


def test_the_shipped_baseline_covers_the_catalog_at_the_gate_budget():
    from certify.gate.registry import REGISTRY

    data = json.loads(BASELINE.read_text())
    assert data["seed"] == 0 and data["quick"] is False
    assert set(data["claims"]) == set(REGISTRY)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_every_status_is_the_same_for_every_seed(seed, tmp_path):
    env = dict(os.environ, CERTIFY_RESULTS=str(tmp_path / "results"))
    env.pop("CERTIFY_DATA", None)
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "certify", "all", "--seed", str(seed), "--baseline", str(BASELINE),
                           "--json", str(report)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    got = _statuses(json.loads(report.read_text())["claims"])
    recorded = _recorded()
    moved = {k: (recorded.get(k), got.get(k)) for k in set(got) | set(recorded) if got.get(k) != recorded.get(k)}
    assert moved == {}, f"seed {seed}: statuses that differ from the baseline (recorded, now): {moved}"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
