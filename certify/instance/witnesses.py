"""Untrusted float witnesses for the instance enclosures: top singular vectors by power iteration.

Nothing here decides anything.  A witness only makes a rigorous bound tight; a poor witness gives a
wider (still valid) ball in :mod:`certify.instance.enclosure`.
"""

from __future__ import annotations

import math

import numpy as np


def power_iteration(A: np.ndarray, iterations: int = 60, rtol: float = 1e-15) -> np.ndarray:
    """Untrusted float estimate of the top right singular vector of A (deterministic start).

    Stops early once the Rayleigh quotient of A^T A changes by less than ``rtol`` (relative) between two
    iterations: the witness is then as good as float arithmetic makes it.  A is rescaled (a copy) only
    when its largest entry is far enough from 1 for A^T A v to overflow or underflow."""
    A = np.asarray(A, dtype=np.float64)
    top = float(np.max(np.abs(A), initial=0.0))
    if 0 < top < math.inf and not (1e-100 < top < 1e100):  # singular vectors do not change with scale
        A = A / top
    n = A.shape[1]
    v = np.ones(n) / math.sqrt(n)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # a witness: no warnings to print
        return _power_steps(A, v, iterations, rtol)


def _power_steps(A: np.ndarray, v: np.ndarray, iterations: int, rtol: float) -> np.ndarray:
    last = -1.0
    for _ in range(iterations):
        w = A.T @ (A @ v)
        nrm = float(np.linalg.norm(w))
        if not nrm > 0 or not math.isfinite(nrm):
            break
        rayleigh = float(v @ w)
        v = w / nrm
        if abs(rayleigh - last) <= rtol * abs(rayleigh):
            break
        last = rayleigh
    return v
