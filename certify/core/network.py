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


def checkpoint_stride(depth: int) -> int:
    """Keep the activations of every this-many layers for a backward pass (about sqrt(depth))."""
    return max(1, math.isqrt(max(depth - 1, 0)) + 1)


def escape_report(weights: Weights, X: np.ndarray, G: np.ndarray,
                  checkpoints: dict[int, np.ndarray] | None = None, l0: float | None = None,
                  on_sphere: bool = False) -> EscapeReport:
    """Speed and residual of Definition 2.1 for the direction of theta (floats).

    By Euler's identity rho^T grad L0(rho) = L L0(rho) = -L s = -s ||rho||^2, so
    s = -L0(rho) is the only speed for which grad L0(rho) = -s rho can hold.

    Computed on theta itself: with rho = c theta, c = sqrt(L)/||theta||, homogeneity gives
    L0(rho) = c^L L0(theta) and grad_l L0(rho) = c^(L-1) g_l (g_l = grad_l L0(theta)), so
    grad L0(rho) + s rho = c^(L-1) (g - c^2 L0(theta) theta): the relative residual needs no power of c,
    and s and the residual get theirs through logarithms (no overflow for extreme ||theta||).

    Lean in memory: one forward pass keeps the activations of every :func:`checkpoint_stride`-th layer
    (``checkpoints`` may supply them, with ``l0`` = L0(theta), from a pass already made), the backward
    pass recomputes each segment from its checkpoint, and each gradient block is folded into the sums as
    soon as it is formed.
    """
    L = len(weights)
    Ws = [np.asarray(W, dtype=np.float64) for W in weights]
    peak = max((float(np.max(np.abs(W), initial=0.0)) for W in Ws), default=0.0)
    if not (peak > 0 and math.isfinite(peak)):
        norm = peak
    elif 1e-100 < peak < 1e100:  # the squares neither overflow nor underflow: no scaled copy of theta
        norm = math.sqrt(sum(float(np.dot(W.ravel(), W.ravel())) for W in Ws))
    else:
        norm = peak * math.sqrt(sum(float(np.sum((W / peak) ** 2)) for W in Ws))
    if norm == 0.0:
        raise ValueError("theta = 0 has no direction")
    if not math.isfinite(norm):  # ||theta|| overflows: no float estimate
        return EscapeReport(math.nan, math.nan, math.nan)
    c = math.sqrt(L) / norm
    if not on_sphere and not abs(L * math.log(c)) < 200:
        # theta far from the sphere: its own L0 and gradient may overflow or underflow where rho's do not,
        # so work on rho = c theta itself (there c is 1 up to rounding)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return escape_report([W * c for W in Ws], X, G, on_sphere=True)
    every = checkpoint_stride(L)
    reuse = (checkpoints is not None and l0 is not None and math.isfinite(l0)
             and all(np.all(np.isfinite(a)) for a in checkpoints.values()))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # estimates: inf/nan are reported as such
        if not reuse:
            checkpoints = {0: np.asarray(X, dtype=np.float64)}
            act = checkpoints[0]
            for l in range(1, L + 1):
                Z = Ws[l - 1] @ act
                if l < L:
                    act = np.maximum(Z, 0.0)
                    if l % every == 0:
                        checkpoints[l] = act
            l0 = float(np.sum(np.asarray(G, dtype=np.float64) * Z))
            del Z, act
        t = c * c * l0  # g - t theta is the residual direction, up to c^(L-1)
        res_sq, grad_sq = 0.0, 0.0
        delta = np.asarray(G, dtype=np.float64)  # dL0/dZ_L at theta
        top = L
        while top >= 1:
            base = ((top - 1) // every) * every  # the checkpoint at or below layer top - 1
            acts = [checkpoints[base]]
            for l in range(base + 1, top):  # recompute Z_l^s for l = base+1..top-1
                acts.append(np.maximum(Ws[l - 1] @ acts[-1], 0.0))
            for l in range(top, base, -1):  # layers top..base+1, with acts[l - 1 - base] = Z_(l-1)^s
                prev = acts[l - 1 - base]
                g = delta @ prev.T
                grad_sq += float(np.einsum("ij,ij->", g, g))
                g -= t * Ws[l - 1]
                res_sq += float(np.einsum("ij,ij->", g, g))
                del g
                if l > 1:
                    back = Ws[l - 1].T @ delta
                    np.multiply(back, prev > 0, out=back)
                    delta = back
            top = base
        if not (math.isfinite(l0) and math.isfinite(res_sq)):  # an overflow somewhere: nothing to estimate
            return EscapeReport(math.nan, math.nan, math.nan)
        log_c = math.log(c)

        def times_power(x: float, power: int) -> float:  # x c^power without forming c^power
            if x == 0:
                return 0.0
            e = power * log_c + math.log(abs(x))
            return math.copysign(math.exp(e) if e < 709.7 else math.inf, x)

        s = -times_power(l0, L)
        res_theta = math.sqrt(res_sq)
        res = times_power(res_theta, L - 1)
        rel = res_theta / math.sqrt(grad_sq) if grad_sq > 0 else math.inf
        return EscapeReport(s, res, rel)

