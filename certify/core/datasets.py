"""The instances shipped in ``data/instances/`` and the code that makes them.

* ``example1-rank-two``: Example 1 (Section 4): 8 points on the unit circle,
  x_j = (sin(2 pi j/8), cos(2 pi j/8)), G = ((-1)^j), j = 1..8, with the
  weights of eq. (2) exactly as printed (W1 = 1/2 [I; -I], W2 = 1/2 [1 -1 1 -1],
  W3 = [1]).  The float64 X is the nearest float to the circle points.
* ``random-depth3``, ``random-depth5``: Gaussian networks rescaled onto the
  sphere ||theta||^2 = L (rounded so that the exact sum is <= L), with
  Gaussian data and cost gradients.

* ``nearly-rank-one-depth8``, ``nearly-rank-one-depth4``: nearly rank-one data aligned with G and a
  perturbed rank-one direction: the constants of Prop. 3.4 and Theorem 3.1 are small there.
* ``digits-trained``: a bias-free MLP trained from small initialisation on scikit-learn's digits.

Regenerate with ``python -m certify.core.datasets [DIR [NAME ...]]``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from certify.core.instances import Instance, save_instance
from certify.kernel.arith import EXACT
from certify.core.network import squared_norm, to_sphere

EXAMPLE1_N = 8


def example1_data() -> tuple[np.ndarray, np.ndarray]:
    """X (2 x 8) and G (1 x 8) of Example 1, each entry the float nearest the exact value.

    The exact coordinates are 0, +-1 and +-sqrt(2)/2; numpy's sin(pi) = 1.2e-16 would split each line
    x_k . u = 0 into a sliver cell, so the values come from sympy's exact sines and cosines.
    """
    import sympy as sp

    j = range(1, EXAMPLE1_N + 1)
    X = np.array([[float(f(2 * sp.pi * k / EXAMPLE1_N)) for k in j] for f in (sp.sin, sp.cos)])
    G = ((-1.0) ** np.arange(1, EXAMPLE1_N + 1))[None, :]
    return X, G


def example1_rank_two_weights() -> list[np.ndarray]:
    """The rank-two direction of eq. (2), exactly as printed."""
    W1 = 0.5 * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    W2 = 0.5 * np.array([[1.0, -1.0, 1.0, -1.0]])
    W3 = np.array([[1.0]])
    return [W1, W2, W3]


def _inside_sphere(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Float rescaling onto ||theta||^2 = L, nudged inward until exact sum <= L."""
    L = len(weights)
    Ws = to_sphere(weights)
    while squared_norm(Ws, EXACT) > L:
        Ws = [W * (1.0 - 2.0**-50) for W in Ws]
    return Ws


def random_instance(seed: int, widths: list[int], n_points: int, name: str) -> Instance:
    """Gaussian weights on the sphere, Gaussian X and G."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((widths[l + 1], widths[l])) for l in range(len(widths) - 1)]
    X = rng.standard_normal((widths[0], n_points))
    G = rng.standard_normal((widths[-1], n_points))
    meta = {
        "name": name,
        "description": f"Gaussian network, widths {widths}, {n_points} Gaussian points, on the sphere ||theta||^2 = L",
        "source": f"certify.core.datasets.random_instance(seed={seed})",
        "seed": seed,
    }
    return Instance(X=X, G=G, weights=tuple(_inside_sphere(weights)), meta=meta)


def nearly_rank_one_instance(seed: int, depth: int, width: int, n_points: int, noise: float, name: str) -> Instance:
    """Data u v^T + E (u, v >= 0, ||E||_F = noise ||u v^T||_F), G = g v^T, and theta a perturbed rank-one
    escape-like direction (W_1 = e_1 u^T/||u||, identities on e_1, W_L = -g e_1^T/||g||), on the sphere.

    Here ||X||_F ||G||_F / s is close to 1, so the constants of Prop. 3.4 and Theorem 3.1 are small and
    their bounds are not vacuous.
    """
    rng = np.random.default_rng(seed)
    d_in, d_out = 5, 2
    u = np.abs(rng.standard_normal(d_in)) + 0.1
    v = np.abs(rng.standard_normal(n_points)) + 0.1
    E = rng.standard_normal((d_in, n_points))
    X = np.outer(u, v) + noise * np.linalg.norm(np.outer(u, v)) * E / np.linalg.norm(E)
    g = rng.standard_normal(d_out)
    G = np.outer(g, v) + 0.01 * rng.standard_normal((d_out, n_points))
    e1 = np.eye(width)[0]
    Ws = [np.outer(e1, u / np.linalg.norm(u))]
    Ws += [np.outer(e1, e1) for _ in range(depth - 2)]
    Ws.append(-np.outer(g / np.linalg.norm(g), e1))
    Ws = [W + 0.02 * rng.standard_normal(W.shape) for W in Ws]
    meta = {
        "name": name,
        "description": f"nearly rank-one data (noise {noise}) aligned with G, depth {depth} perturbed rank-one direction",
        "source": f"certify.core.datasets.nearly_rank_one_instance(seed={seed})",
        "seed": seed,
    }
    return Instance(X=X, G=G, weights=tuple(_inside_sphere(Ws)), meta=meta)


def digits_trained_instance(seed: int = 0, n_points: int = 300, widths: tuple[int, ...] = (64, 32, 32, 32, 10),
                            steps: int = 5000, lr_scale: float = 0.5, name: str = "digits-trained") -> Instance:
    """A bias-free ReLU MLP trained by gradient descent from small initialisation on scikit-learn's
    digits (standardised pixels, squared loss on one-hot targets), stopped after the first saddle
    escape.  The instance holds the trained direction rescaled onto the sphere ||theta||^2 = L and
    G = grad C(0) = -(2/N) Y*, the cost gradient at the origin (Section 2)."""
    from sklearn.datasets import load_digits

    from certify.core.network import localized_loss, loss_gradient

    rng = np.random.default_rng(seed)
    digits = load_digits()
    idx = rng.choice(len(digits.target), size=n_points, replace=False)
    X = digits.data[idx].T.astype(float)
    X = (X - X.mean()) / X.std()
    Ystar = np.eye(10)[digits.target[idx]].T
    N = n_points
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) * 1e-2 / np.sqrt(widths[l]) for l in range(len(widths) - 1)]
    L = len(Ws)

    def loss(ws):
        Y = forward_float(ws, X)
        return float(np.sum((Y - Ystar) ** 2) / N)

    def forward_float(ws, A):
        for l, W in enumerate(ws, start=1):
            A = W @ A
            if l < len(ws):
                A = np.maximum(A, 0.0)
        return A

    start = loss(Ws)
    current = start
    for step in range(steps):
        Y = forward_float(Ws, X)
        current = float(np.sum((Y - Ystar) ** 2) / N)
        if current < 0.95 * start:  # the first escape: the plateau at C(0) is left (one-hot MSE drops ~10%)
            break
        grads = loss_gradient(Ws, X, 2 * (Y - Ystar) / N)  # chain rule through the cost at Y
        norm = np.sqrt(sum(float((W * W).sum()) for W in Ws))
        lr = lr_scale / max(norm, 1e-12) ** (L - 2)  # the q-time schedule of Section 2.1
        Ws = [W - lr * g for W, g in zip(Ws, grads)]
    G = -2 * Ystar / N
    meta = {
        "name": name,
        "description": f"digits, widths {list(widths)}, gradient descent from small initialisation for {step} steps "
                       f"(loss {start:.4f} -> {current:.4f}"
                       f"{', past the first escape' if current < 0.95 * start else ', stopped before the first escape'}); "
                       "direction rescaled to ||theta||^2 = L",
        "source": f"certify.core.datasets.digits_trained_instance(seed={seed})",
        "seed": seed,
        "steps": step,
        "loss_start": start,
        "loss_end": current,
        "trained_norm": float(np.sqrt(sum(float((W * W).sum()) for W in Ws))),
        "localized_loss_sign": float(np.sign(localized_loss(Ws, X, G))),
    }
    return Instance(X=X, G=G, weights=tuple(_inside_sphere(Ws)), meta=meta)


def example1_instance() -> Instance:
    X, G = example1_data()
    return Instance(
        X=X,
        G=G,
        weights=tuple(example1_rank_two_weights()),
        meta={
            "name": "example1-rank-two",
            "description": "Example 1 (Section 4): 8 points on the circle, G = (-1)^j, weights of eq. (2) as printed",
            "claimed_speed": 0.5,
            "source": "paper, Section 4, eq. (2)",
        },
    )


def example1_corrected_instance() -> Instance:
    """Example 1 with eq. (2)'s sign corrected (W3 = [-1]): speed exactly 1/2 on the sphere."""
    X, G = example1_data()
    W1, W2, W3 = example1_rank_two_weights()
    return Instance(
        X=X,
        G=G,
        weights=(W1, W2, -W3),
        meta={
            "name": "example1",
            "description": "Example 1 (Section 4): 8 points on the circle, G = (-1)^j, eq. (2) with W3 = [-1] "
            "(as printed its speed is -1/2); the data for 'certify optimum'",
            "claimed_speed": 0.5,
            "source": "paper, Section 4, eq. (2), sign corrected",
        },
    )


#: name -> recipe; recipes run only when asked (the digits one trains a network)
RECIPES: dict[str, Callable[[], Instance]] = {
    "example1-rank-two": example1_instance,
    "example1": example1_corrected_instance,
    "random-depth3": lambda: random_instance(20250301, [3, 5, 4, 1], 6, "random-depth3"),
    "random-depth5": lambda: random_instance(20250302, [4, 6, 6, 6, 6, 2], 10, "random-depth5"),
    "nearly-rank-one-depth8": lambda: nearly_rank_one_instance(20250303, 8, 6, 40, 1e-3, "nearly-rank-one-depth8"),
    "nearly-rank-one-depth4": lambda: nearly_rank_one_instance(20250304, 4, 5, 25, 1e-2, "nearly-rank-one-depth4"),
    "digits-trained": digits_trained_instance,
}


def shipped_instances(names: Iterable[str] | None = None) -> dict[str, Instance]:
    return {name: RECIPES[name]() for name in (names if names is not None else RECIPES)}


def write_shipped_instances(directory: Path, names: Iterable[str] | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [save_instance(inst, directory / f"{name}.npz") for name, inst in shipped_instances(names).items()]



# --- 2-D data with one output, for the depth sweep of s*(L) ('certify plateau') ---------------------
#
# Data only (X, G, meta; no weights): 'certify optimum' and 'certify plateau' read nothing else.  They live
# in data/instances/depth-sweep/, one level below the shipped instances, so the per-instance claims (which
# need a network) and RECIPES do not see them.
# Regenerate with ``python -c 'from pathlib import Path; from certify.core.datasets import *; write_depth_sweep_data(Path("data/instances") / DEPTH_SWEEP_DIR)'``.

DEPTH_SWEEP_DIR = "depth-sweep"


def circle_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Example 1's family with n points: x_j = (sin(2 pi j/n), cos(2 pi j/n)), G = ((-1)^j), j = 1..n.

    n must be even (else G would repeat a sign where the circle closes).  Each coordinate is the float
    nearest its exact value, taken from sympy as in :func:`example1_data` (so exact zeros stay zero).
    """
    import sympy as sp

    if n < 2 or n % 2:
        raise ValueError(f"the circle family needs an even number of points >= 2, got {n}")
    j = range(1, n + 1)
    X = np.array([[float(f(2 * sp.pi * k / n)) for k in j] for f in (sp.sin, sp.cos)])
    G = ((-1.0) ** np.arange(1, n + 1))[None, :]
    return X, G


def scattered_data(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n Gaussian points of the plane rounded to the grid 2^-8 (exact binary numbers, short rationals),
    and G = +-1 with random signs, redrawn until both signs occur and the signs do not alternate around
    the origin (so the data are not a relabelled circle example)."""
    rng = np.random.default_rng(seed)
    while True:
        X = np.round(rng.standard_normal((2, n)) * 256) / 256
        G = rng.choice([-1.0, 1.0], size=(1, n))
        order = np.argsort(np.arctan2(X[1], X[0]))
        s = G[0, order]
        alternating = bool(np.all(s != np.roll(s, 1)))
        distinct = len({(a, b) for a, b in zip(X[0], X[1])}) == n and np.all(np.abs(X).sum(axis=0) > 0)
        if 0 < (s > 0).sum() < n and not alternating and distinct:
            return X, G


def _data_meta(name: str, description: str, source: str, **extra: object) -> dict[str, object]:
    return {"name": name, "description": description, "source": source, **extra}


#: name -> (X, G, meta) of the 2-D data for the depth sweep
DEPTH_SWEEP_RECIPES: dict[str, Callable[[], tuple[np.ndarray, np.ndarray, dict[str, object]]]] = {
    **{f"circle{n}": (lambda n=n: (*circle_data(n), _data_meta(
        f"circle{n}", f"Example 1's family with {n} points: x_j = (sin(2 pi j/{n}), cos(2 pi j/{n})), G = (-1)^j",
        f"certify.core.datasets.circle_data({n})"))) for n in (4, 6, 10, 12)},
    "scattered7": lambda: (*scattered_data(20250316, 7), _data_meta(
        "scattered7", "7 Gaussian points on the grid 2^-8, G = +-1 with random signs (not alternating)",
        "certify.core.datasets.scattered_data(seed=20250316, n=7)", seed=20250316)),
}


def save_data(X: np.ndarray, G: np.ndarray, meta: dict[str, object], path: str | Path) -> Path:
    """Write X, G and meta (no weights) in the instance format; read back with ``instances.load_data``."""
    import json

    from certify.core.instances import exact_float64

    p = Path(path)
    with open(p, "wb") as fh:  # np.savez would append .npz to other suffixes
        np.savez(fh, X=exact_float64(X, "X"), G=exact_float64(G, "G"),
                 meta=np.array(json.dumps(meta, sort_keys=True, allow_nan=False)))
    return p


def write_depth_sweep_data(directory: Path, names: Iterable[str] | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [save_data(*DEPTH_SWEEP_RECIPES[name](), directory / f"{name}.npz")
            for name in (names if names is not None else DEPTH_SWEEP_RECIPES)]




if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "data" / "instances"
    for p in write_shipped_instances(target, sys.argv[2:] or None):
        print(p)
