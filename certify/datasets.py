"""The instances shipped in ``data/instances/`` and the code that makes them.

* ``example1-rank-two``: Example 1 (Section 4): 8 points on the unit circle,
  x_j = (sin(2 pi j/8), cos(2 pi j/8)), G = ((-1)^j), j = 1..8, with the
  weights of eq. (2) exactly as printed (W1 = 1/2 [I; -I], W2 = 1/2 [1 -1 1 -1],
  W3 = [1]).  The float64 X is the nearest float to the circle points.
* ``random-depth3``, ``random-depth5``: Gaussian networks rescaled onto the
  sphere ||theta||^2 = L (rounded so that the exact sum is <= L), with
  Gaussian data and cost gradients.

Regenerate with ``python -m certify.datasets [DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from certify.instances import Instance, save_instance
from certify.kernel.arith import EXACT
from certify.network import squared_norm, to_sphere

EXAMPLE1_N = 8


def example1_data() -> tuple[np.ndarray, np.ndarray]:
    """X (2 x 8) and G (1 x 8) of Example 1, in float64."""
    j = np.arange(1, EXAMPLE1_N + 1)
    X = np.vstack([np.sin(2 * np.pi * j / EXAMPLE1_N), np.cos(2 * np.pi * j / EXAMPLE1_N)])
    G = ((-1.0) ** j)[None, :]
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
        "source": f"certify.datasets.random_instance(seed={seed})",
        "seed": seed,
    }
    return Instance(X=X, G=G, weights=tuple(_inside_sphere(weights)), meta=meta)


def shipped_instances() -> dict[str, Instance]:
    X, G = example1_data()
    ex1 = Instance(
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
    return {
        "example1-rank-two": ex1,
        "random-depth3": random_instance(20250301, [3, 5, 4, 1], 6, "random-depth3"),
        "random-depth5": random_instance(20250302, [4, 6, 6, 6, 6, 2], 10, "random-depth5"),
    }


def write_shipped_instances(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [save_instance(inst, directory / f"{name}.npz") for name, inst in shipped_instances().items()]




if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data" / "instances"
    for p in write_shipped_instances(target):
        print(p)
