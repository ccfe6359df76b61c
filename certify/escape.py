"""Projected gradient descent on the sphere ||theta||^2 = L for the localized loss (untrusted search).

Finds candidate optimal escape directions (Section 2.2): each restart starts from a Gaussian point of
the sphere and iterates theta <- P(theta - lr grad L0(theta)), P the projection onto the sphere.  The
result is a witness for speeds (a lower bound on s* once evaluated rigorously), never a certificate
of optimality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from certify.network import localized_loss, loss_gradient


@dataclass(frozen=True)
class Direction:
    weights: tuple[np.ndarray, ...]
    speed: float  # -L0 on the sphere (float)


def _project(weights, L: int):
    total = math.sqrt(sum(float((W * W).sum()) for W in weights))
    return [W * (math.sqrt(L) / total) for W in weights]


def projected_gradient_descent(X: np.ndarray, G: np.ndarray, widths: list[int], *, restarts: int = 20,
                               steps: int = 400, lr: float = 0.05, seed: int = 0) -> Direction:
    """Best direction over ``restarts`` runs (widths n_0 = d_in, ..., n_L = d_out)."""
    rng = np.random.default_rng(seed)
    L = len(widths) - 1
    best: Direction | None = None
    for _ in range(restarts):
        Ws = _project([rng.standard_normal((widths[l + 1], widths[l])) for l in range(L)], L)
        for _ in range(steps):
            grads = loss_gradient(Ws, X, G)
            Ws = _project([W - lr * g for W, g in zip(Ws, grads)], L)
        speed = -float(localized_loss(Ws, X, G))
        if best is None or speed > best.speed:
            best = Direction(tuple(Ws), speed)
    assert best is not None
    return best
