"""Bias-free ReLU MLPs and their localized loss (paper, Section 2).

The network has weights W_1, ..., W_L (W_l of shape n_l x n_{l-1}), data X
(d_in x N) and cost gradient G = grad C(0) (d_out x N):

    Z_0^s = X,   Z_l = W_l Z_{l-1}^s,   Z_l^s = relu(Z_l),   Y = Z_L (no ReLU).

The localized loss is L0(theta) = Tr[G^T Y_theta] (eq. 1).  Every function takes a
:class:`~certify.kernel.arith.NumberSystem`, so one body of code evaluates the
network on floats (to search), exact rationals and balls (to check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from certify.kernel.arith import FLOAT, NumberSystem

Weights = Sequence[np.ndarray]


@dataclass(frozen=True)
class ForwardPass:
    """Every layer of one forward pass.

    ``pre[l-1]`` is Z_l for l = 1..L; ``post[l]`` is Z_l^s for l = 0..L-1
    (``post[0]`` is X); ``output`` is Y = Z_L.
    """

    pre: tuple[np.ndarray, ...]
    post: tuple[np.ndarray, ...]

    @property
    def output(self) -> np.ndarray:
        return self.pre[-1]


def _prepare(weights: Weights, ns: NumberSystem) -> list[np.ndarray]:
    if len(weights) == 0:
        raise ValueError("a network needs at least one weight matrix")
    return [ns.array(W) for W in weights]


def forward(weights: Weights, X: np.ndarray, ns: NumberSystem = FLOAT) -> ForwardPass:
    """Forward pass over the number system ``ns``."""
    Ws = _prepare(weights, ns)
    act = ns.array(X)
    pre: list[np.ndarray] = []
    post: list[np.ndarray] = [act]
    for l, W in enumerate(Ws, start=1):
        Z = W @ act
        pre.append(Z)
        if l < len(Ws):
            act = ns.relu(Z)
            post.append(act)
    return ForwardPass(tuple(pre), tuple(post))


def frobenius_inner(A: np.ndarray, B: np.ndarray) -> object:
    """Tr[A^T B], summed in the number system of the entries."""
    return (A * B).sum()


def localized_loss(weights: Weights, X: np.ndarray, G: np.ndarray, ns: NumberSystem = FLOAT) -> object:
    """L0(theta) = Tr[G^T Y_theta] (eq. 1)."""
    return frobenius_inner(ns.array(G), forward(weights, X, ns).output)


def loss_gradient(
    weights: Weights, X: np.ndarray, G: np.ndarray, ns: NumberSystem = FLOAT
) -> list[np.ndarray]:
    """Gradient of L0 with respect to each W_l, by backpropagation.

    Uses relu'(0) = 0.  Where no preactivation is zero L0 is differentiable and
    this is its gradient; on a tie it is the gradient of the linear piece chosen
    by the convention, for which Euler's identity still holds exactly.
    """
    Ws = _prepare(weights, ns)
    fp = forward(Ws, X, ns)
    delta = ns.array(G)  # dL0/dZ_L
    grads: list[np.ndarray] = [None] * len(Ws)  # type: ignore[list-item]
    for l in range(len(Ws), 0, -1):
        grads[l - 1] = delta @ fp.post[l - 1].T
        if l > 1:
            delta = (Ws[l - 1].T @ delta) * ns.relu_derivative(fp.pre[l - 2])
    return grads


def squared_norm(weights: Weights, ns: NumberSystem = FLOAT) -> object:
    """||theta||^2 = sum_l ||W_l||_F^2."""
    total = None
    for W in _prepare(weights, ns):
        s = (W * W).sum()
        total = s if total is None else total + s
    return total


def frobenius_norm(A: np.ndarray) -> float:
    """||A||_F in floats without underflow or overflow in the squares (scaled by the largest entry)."""
    A = np.asarray(A, dtype=np.float64)
    m = float(np.max(np.abs(A))) if A.size else 0.0
    if m == 0.0 or not math.isfinite(m):
        return m
    return m * float(np.linalg.norm(A / m))


def flatten(weights: Weights) -> np.ndarray:
    """theta as one vector: W_1, ..., W_L, each row-major."""
    return np.concatenate([np.asarray(W).ravel() for W in weights])


def unflatten(theta: np.ndarray, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """Inverse of :func:`flatten` for the given weight shapes."""
    theta = np.asarray(theta)
    sizes = [r * c for r, c in shapes]
    if theta.ndim != 1 or theta.size != sum(sizes):
        raise ValueError(f"theta has {theta.size} entries, the shapes need {sum(sizes)}")
    out, start = [], 0
    for (r, c), n in zip(shapes, sizes):
        out.append(theta[start : start + n].reshape(r, c))
        start += n
    return out


def shapes_of(weights: Weights) -> list[tuple[int, int]]:
    return [tuple(np.shape(W)) for W in weights]  # type: ignore[misc]


def to_sphere(weights: Weights) -> list[np.ndarray]:
    """Rescale (in floats) so that ||theta||^2 = L, the sphere of Definition 2.1."""
    L = len(weights)
    norm = math.sqrt(float(squared_norm(weights)))
    if norm == 0.0:
        raise ValueError("theta = 0 has no direction")
    return [np.asarray(W, dtype=float) * (math.sqrt(L) / norm) for W in weights]


@dataclass(frozen=True)
class EscapeReport:
    """Float summary of a direction (untrusted): Definition 2.1."""

    speed: float  # s = -L0(rho) on the sphere ||rho||^2 = L
    residual: float  # ||grad L0(rho) + s rho||
    relative_residual: float  # residual / ||grad L0(rho)||


def escape_report(weights: Weights, X: np.ndarray, G: np.ndarray) -> EscapeReport:
    """Speed and residual of Definition 2.1 for the direction of theta (floats).

    By Euler's identity rho^T grad L0(rho) = L L0(rho) = -L s = -s ||rho||^2, so
    s = -L0(rho) is the only speed for which grad L0(rho) = -s rho can hold.

    Lean in memory: rho_l = c W_l is formed one layer at a time, one forward pass keeps the activations
    of every ceil(sqrt(L))-th layer only, and the backward pass recomputes each segment from its
    checkpoint (about sqrt(L) activations held at once instead of 2L); each gradient block is folded into
    the residual as soon as it is formed.  The arithmetic is the same as backpropagation on rho.
    """
    L = len(weights)
    norm = math.sqrt(float(squared_norm(weights)))
    if norm == 0.0:
        raise ValueError("theta = 0 has no direction")
    c = math.sqrt(L) / norm

    def rho(l: int) -> np.ndarray:  # rho_l, for l = 1..L
        return np.asarray(weights[l - 1], dtype=float) * c

    every = max(1, math.isqrt(L - 1) + 1) if L > 1 else 1
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # estimates: inf/nan are reported as such
        checkpoints = {0: np.asarray(X, dtype=np.float64)}
        act = checkpoints[0]
        for l in range(1, L + 1):
            Z = rho(l) @ act
            if l < L:
                act = np.maximum(Z, 0.0)
                if l % every == 0:
                    checkpoints[l] = act
        s = -float(np.sum(np.asarray(G, dtype=np.float64) * Z))
        del Z, act
        res_sq, grad_sq = 0.0, 0.0
        delta = np.asarray(G, dtype=np.float64)  # dL0/dZ_L
        top = L
        while top >= 1:
            base = ((top - 1) // every) * every  # the checkpoint at or below layer top - 1
            acts = [checkpoints[base]]
            for l in range(base + 1, top):  # recompute Z_l^s for l = base+1..top-1
                acts.append(np.maximum(rho(l) @ acts[-1], 0.0))
            for l in range(top, base, -1):  # layers top..base+1, with acts[l - 1 - base] = Z_(l-1)^s
                prev = acts[l - 1 - base]
                R = rho(l)
                g = delta @ prev.T
                res_sq += float(np.sum((g + s * R) ** 2))
                grad_sq += float(np.sum(g * g))
                if l > 1:
                    delta = (R.T @ delta) * (prev > 0)
            top = base
        res, gn = math.sqrt(res_sq), math.sqrt(grad_sq)
        return EscapeReport(s, res, res / gn if gn > 0 else math.inf)
