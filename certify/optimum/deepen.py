"""Proposition 3.2 = A.3: the construction that deepens a network without raising L0 (Appendix A.4).

Given W_1..W_L (L >= 2), data X and G, with a_i = ||W_L[:, i]|| and b_i = ||W_{L-1}[i, :]||, each
hidden unit i of layer L-1 contributes a_i b_i c_i to L0, where
c_i = Tr[G^T wbar_i relu(rbar_i Z_{L-2}^s)] for the unit vectors wbar_i = W_L[:, i]/a_i and
rbar_i = W_{L-1}[i, :]/b_i.  With i* the unit of smallest c_i and S = sum_i a_i b_i, the depth-(L+k)
network keeps W_1..W_{L-2} and uses

    W'_{L-1}   = sqrt(S) [rbar_{i*}; 0; ...; 0]       (same shape as W_{L-1})
    W'_l       = e_1 e_1^T,  l = L..L+k-1             (n_{L-1} x n_{L-1})
    W'_{L+k}   = sqrt(S) [wbar_{i*}, 0, ..., 0]        (same shape as W_L)

so that L0(theta') = S c_{i*} <= sum_i a_i b_i c_i = L0(theta) and
||theta'||^2 = sum_{l <= L-2} ||W_l||^2 + 2S + k <= ||theta||^2 + k.

What the construction needs: L >= 2 (it rewrites layer L-1), and at least one unit with
a_i b_i > 0; units with a_i b_i = 0 contribute nothing and are left out of the choice of i* (their
normalisation is undefined).  Ties for i* are broken by the smallest index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from certify.core.network import forward


class ConstructionError(ValueError):
    """The construction does not apply (depth 1, or no unit with a_i b_i > 0)."""


@dataclass(frozen=True)
class Deepened:
    weights: tuple[np.ndarray, ...]
    chosen_unit: int
    S: float
    contributions: np.ndarray  # c_i (nan where a_i b_i = 0)


def safe_norms(A: np.ndarray, axis: int) -> np.ndarray:
    """Euclidean norms along ``axis`` without underflow: scale by the largest entry first.

    (Plain sqrt(sum(x^2)) returns 0 for a vector like [5e-279]; fuzzing Prop. 3.2 found exactly that:
    the unit with the best contribution was dropped as if it had norm 0.)
    """
    A = np.asarray(A, dtype=np.float64)
    m = np.max(np.abs(A), axis=axis, keepdims=True)
    safe = np.where(m > 0, m, 1.0)
    return (np.squeeze(m, axis=axis) * np.linalg.norm(A / safe, axis=axis))


def unit_contributions(weights, X, G) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, c): column norms of W_L, row norms of W_{L-1}, and the normalised contributions c_i."""
    if len(weights) < 2:
        raise ConstructionError("the construction rewrites layer L-1: it needs depth L >= 2")
    WL, WL1 = np.asarray(weights[-1], float), np.asarray(weights[-2], float)
    fp = forward(weights[:-1], X)
    prev = fp.post[-1]  # Z_{L-2}^s (X itself when L = 2)
    a = safe_norms(WL, axis=0)
    b = safe_norms(WL1, axis=1)
    c = np.full(a.shape, np.nan)
    for i in np.nonzero((a > 0) & (b > 0))[0]:
        unit = np.maximum((WL1[i] / b[i]) @ prev, 0.0)
        c[i] = float(np.sum(G * np.outer(WL[:, i] / a[i], unit)))
    return a, b, c


def deepen(weights, X, G, k: int) -> Deepened:
    """The depth-(L+k) network of Prop. A.3 (k >= 1)."""
    if k < 1:
        raise ConstructionError(f"k must be at least 1, got {k}")
    a, b, c = unit_contributions(weights, X, G)
    live = np.nonzero(~np.isnan(c))[0]
    if live.size == 0:
        raise ConstructionError("no unit of layer L-1 has a_i b_i > 0: L0(theta) = 0 and there is nothing to keep")
    i_star = int(live[np.argmin(c[live])])
    S = float(np.sum(a * b))
    WL, WL1 = np.asarray(weights[-1], float), np.asarray(weights[-2], float)
    n = WL1.shape[0]
    root = np.sqrt(S)
    first = np.zeros_like(WL1)
    first[0] = root * WL1[i_star] / b[i_star]
    last = np.zeros_like(WL)
    last[:, 0] = root * WL[:, i_star] / a[i_star]
    e11 = np.zeros((n, n))
    e11[0, 0] = 1.0
    new = tuple(np.asarray(W, float) for W in weights[:-2]) + (first,) + tuple(e11.copy() for _ in range(k)) + (last,)
    return Deepened(new, i_star, S, c)
