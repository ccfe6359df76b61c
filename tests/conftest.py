import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("CERTIFY_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def random_net(rng: np.random.Generator, widths: list[int], n_points: int):
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) for l in range(len(widths) - 1)]
    X = rng.standard_normal((widths[0], n_points))
    G = rng.standard_normal((widths[-1], n_points))
    return Ws, X, G


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real entry point in a subprocess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "certify", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=300)


def one_line_error(capsys, *needles: str) -> str:
    """What a refused input must print: exactly one line on stderr, 'certify: error: ...', holding each needle."""
    err = capsys.readouterr().err
    assert err.startswith("certify: error:") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err
    return err
