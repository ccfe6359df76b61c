"""Projected gradient descent on the sphere ||theta||^2 = L for the localized loss (untrusted search).

Finds candidate escape directions (Section 2.2, Definition 2.1): each run starts from a Gaussian point
of the sphere and iterates theta <- P(theta - lr grad L0(theta)), P the radial projection onto the
sphere ||theta||^2 = L.  Many runs go at once: the weights of R runs are stacked as arrays of shape
(R, n_l, n_{l-1}) and every product is one broadcast ``matmul``.  The results are witnesses (a speed
found is a lower bound on s* once evaluated rigorously), never certificates of optimality.

The step size is constant, then (``anneal``, the last quarter of the steps by default) decays
geometrically to ``lr_final_factor`` times its start.  The optima of Example 1 (Section 4) sit on kinks
of the ReLU, where a constant step makes the iterates oscillate around the optimum (measured on
Example 1 at depth 3: final speeds about 0.39 and 0.46-0.48 instead of sqrt(2) - 1 and 1/2); the decay
lets them settle.  The default step is ``LR_SCALE / (||X||_F ||G||_F)``, which makes the iterates
independent of the scale of X and G (0.1 on Example 1).

Per run the solver reports the speed s = -L0(rho), the relative residual of Definition 2.1,
||grad L0(rho) + s rho|| / ||grad L0(rho)||, and the numerical rank of each W_l: the number of
singular values above ``RANK_RTOL`` times the largest one of that layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from certify.core.errors import InputError
from certify.core.limits import env_limit

#: a singular value counts towards a layer's numerical rank when it exceeds RANK_RTOL * s_1(W_l)
RANK_RTOL = 1e-3
#: default step: LR_SCALE / (||X||_F ||G||_F)
LR_SCALE = 0.8
#: the data's speed scale max|X| max|G| must lie in [2^-SCALE_EXPONENT, 2^SCALE_EXPONENT]: speeds are at most
#: ||X||_F ||G||_F and are reported as float64 (normal from 2^-1022 to 2^1024), and a few powers of two are kept
#: for the sums over points.  Outside, rescale X or G by a power of two: speeds scale linearly in each.
SCALE_EXPONENT = 1000
#: budgets checked before anything is allocated: the estimated peak memory of a batch (weights, gradients,
#: activations of every run at every point, the recorded speeds and the step schedule) in bytes, and its
#: multiply-adds (steps x runs x sum_l n_l n_(l-1) x points x 3).  At about 1.4e9 multiply-adds per second
#: here, the work budget is some 12 minutes.  Raise them with the environment variables named below when
#: the machine has the memory and you have the time (the results do not depend on them).
ESCAPE_MAX_BYTES = 2 * 2**30
ESCAPE_MAX_WORK = 10**12
ESCAPE_MAX_BYTES_ENV = "CERTIFY_ESCAPE_MAX_BYTES"
ESCAPE_MAX_WORK_ENV = "CERTIFY_ESCAPE_MAX_WORK"
#: default fraction of the steps (the last ones) over which the step decays, and its final factor
ANNEAL = 0.25
LR_FINAL_FACTOR = 1e-3


@dataclass(frozen=True)
class Direction:
    weights: tuple[np.ndarray, ...]
    speed: float  # -L0 on the sphere (float)


@dataclass(frozen=True)
class EscapeRuns:
    """R runs of projected gradient descent, stacked along the first axis."""

    weights: tuple[np.ndarray, ...]  # W_l of every run, shape (R, n_l, n_{l-1}), on the sphere
    speeds: np.ndarray  # (R,) final speed s = -L0(rho)
    residuals: np.ndarray  # (R,) ||grad L0(rho) + s rho|| / ||grad L0(rho)|| (Definition 2.1)
    ranks: np.ndarray  # (R, L) numerical rank of each W_l (tolerance rank_rtol)
    history: np.ndarray | None  # (R, steps + 1) speed at every iterate, the initial one first
    steps: int
    lr: float  # the initial (and constant-phase) step
    seed: Any
    rank_rtol: float = RANK_RTOL
    anneal: float = 0.0
    lr_final: float | None = None

    @property
    def restarts(self) -> int:
        return int(self.speeds.shape[0])

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def best(self) -> int:
        """Index of the fastest run (the first one on ties)."""
        return int(np.argmax(self.speeds))

    def direction(self, r: int) -> Direction:
        return Direction(tuple(W[r].copy() for W in self.weights), float(self.speeds[r]))

    def summary(self) -> dict[str, Any]:
        """The numbers the ``certify escape`` command prints and writes (JSON-friendly)."""
        b = self.best
        q = np.quantile(self.speeds, [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
        widths = [int(self.weights[0].shape[2])] + [int(W.shape[1]) for W in self.weights]
        return {
            "method": "projected gradient descent on the sphere ||theta||^2 = L, batched (certify.optimum.escape)",
            "widths": widths, "depth": self.depth, "restarts": self.restarts, "steps": self.steps,
            "lr": self.lr, "anneal": self.anneal, "lr_final": self.lr_final if self.lr_final is not None else self.lr,
            "seed": self.seed, "rank_rtol": self.rank_rtol,
            "best": {"run": b, "speed": float(self.speeds[b]), "residual": _finite(self.residuals[b]),
                     "ranks": [int(k) for k in self.ranks[b]],
                     "singular_values": [[float(s) for s in np.linalg.svd(W[b], compute_uv=False)]
                                         for W in self.weights]},
            "speed_quantiles": dict(zip(("min", "q10", "q25", "median", "q75", "q90", "max"),
                                        (float(v) for v in q))),
            "speeds": [float(s) for s in self.speeds],
            "residuals": [_finite(r) for r in self.residuals],  # null: zero gradient, no residual
            "ranks": [[int(k) for k in row] for row in self.ranks],
        }


def _finite(x: Any) -> float | None:
    """A float for JSON, or None where it is not finite (JSON has no Infinity)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _speed_text(x: float, decimals: int) -> str:
    """Fixed point for the usual sizes, scientific for data scaled far from one."""
    return f"{x:.{decimals}f}" if x == 0 or 1e-3 <= abs(x) < 1e6 else f"{x:.{decimals + 1}g}"


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """A short text report of :meth:`EscapeRuns.summary` (what ``certify escape`` prints)."""
    best, q = summary["best"], summary["speed_quantiles"]
    speeds = np.asarray(summary["speeds"])
    # within 1e-3 of the best; relative to it for data scaled far from one
    tol = 1e-3 if 1e-3 <= abs(best["speed"]) < 1e6 else 1e-3 * abs(best["speed"])
    near = int(np.sum(speeds >= best["speed"] - tol))
    lines = [
        f"widths {summary['widths']} (depth {summary['depth']}), {summary['restarts']} restarts x {summary['steps']} "
        f"steps, step {summary['lr']:.4g} decaying to {summary['lr_final']:.3g} over the last "
        f"{summary['anneal']:.0%}, seed {summary['seed']}",
        f"best speed s = -L0 = {_speed_text(best['speed'], 6)} (run {best['run']}; {near} of {summary['restarts']} "
        f"runs within {_speed_text(tol, 3)} of it)",
        "speeds: " + ", ".join(f"{k} {_speed_text(v, 4)}" for k, v in q.items()),
        f"best run: numerical ranks of W_1..W_L {best['ranks']} (singular values > {summary['rank_rtol']:g} s_1), "
        "Definition 2.1 residual ||grad L0 + s rho||/||grad L0|| = "
        + (f"{best['residual']:.3g}" if best["residual"] is not None else "undefined (grad L0 = 0)"),
        "untrusted search: the speed is a lower bound on the optimal speed s*, not a certificate; at a ReLU kink "
        "L0 is not differentiable and the residual need not vanish",
    ]
    return lines


# --- batched network: weights of shape (R, n_l, n_{l-1}) -------------------------------------------


def batched_loss_and_gradient(weights: Sequence[np.ndarray], X: np.ndarray,
                              G: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """L0 = Tr[G^T Y] of every run, shape (R,), and its gradient per layer, shape (R, n_l, n_{l-1}).

    Same conventions as :func:`certify.core.network.loss_gradient` (relu'(0) = 0), one broadcast matmul per
    layer and direction instead of a loop over runs.
    """
    L = len(weights)
    post = [X]  # Z_0^s = X, shared by every run
    pre = []
    act: np.ndarray = X
    for l, W in enumerate(weights, start=1):
        Z = W @ act  # (R, n_l, N)
        pre.append(Z)
        if l < L:
            act = np.maximum(Z, 0.0)
            post.append(act)
    Y = pre[-1]
    loss = np.einsum("ij,rij->r", G, Y)
    delta: np.ndarray = G  # dL0/dZ_L, the same for every run (broadcast by matmul)
    grads: list[np.ndarray] = [None] * L  # type: ignore[list-item]
    for l in range(L, 0, -1):
        # a contiguous transpose keeps matmul on BLAS (a strided one is several times slower)
        grads[l - 1] = delta @ np.ascontiguousarray(np.swapaxes(post[l - 1], -1, -2))
        if l > 1:
            delta = (np.swapaxes(weights[l - 1], -1, -2) @ delta) * (pre[l - 2] > 0)
    if grads[-1].ndim == 2:  # depth 1: G X^T is the same for every run
        grads[-1] = np.broadcast_to(grads[-1], np.shape(weights[-1])).copy()
    return loss, grads


def squared_norms(weights: Sequence[np.ndarray]) -> np.ndarray:
    """||theta||^2 of every run, shape (R,)."""
    return sum(np.einsum("rij,rij->r", W, W) for W in weights)


def project(weights: Sequence[np.ndarray], inplace: bool = False) -> list[np.ndarray]:
    """Rescale every run onto the sphere ||theta||^2 = L (overwriting ``weights`` when ``inplace``)."""
    L = len(weights)
    scale = np.sqrt(L / squared_norms(weights))[:, None, None]
    if inplace:
        for W in weights:
            W *= scale
        return list(weights)
    return [W * scale for W in weights]


def residuals(weights: Sequence[np.ndarray], X: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speed s = -L0(rho) and relative residual ||grad L0(rho) + s rho|| / ||grad L0(rho)|| of every run
    (Definition 2.1), for runs already on the sphere.  By Euler's identity s is the only candidate speed.
    A zero gradient gives an infinite residual, as in :func:`certify.core.network.escape_report`."""
    loss, grads = batched_loss_and_gradient(weights, X, G)
    s = -loss
    r2 = sum(np.einsum("rij,rij->r", g + s[:, None, None] * W, g + s[:, None, None] * W)
             for g, W in zip(grads, weights))
    g2 = sum(np.einsum("rij,rij->r", g, g) for g in grads)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(g2 > 0, np.sqrt(r2) / np.sqrt(g2), np.inf)
    return s, rel


def numerical_ranks(weights: Sequence[np.ndarray], rtol: float = RANK_RTOL) -> np.ndarray:
    """Number of singular values of each W_l above rtol * s_1(W_l), shape (R, L); 0 for a zero layer."""
    cols = []
    for W in weights:
        sv = np.linalg.svd(W, compute_uv=False)  # (R, min(n_l, n_{l-1})), descending
        cols.append(np.sum(sv > rtol * sv[:, :1], axis=1))
    return np.stack(cols, axis=1)


def sphere_starts(rng: np.random.Generator, widths: Sequence[int], restarts: int) -> list[np.ndarray]:
    """Gaussian starting points projected onto the sphere, drawn run after run and layer after layer (the
    order of the former one-run-at-a-time solver, so its results are unchanged)."""
    L = len(widths) - 1
    draws = [[rng.standard_normal((widths[l + 1], widths[l])) for l in range(L)] for _ in range(restarts)]
    return project([np.stack([d[l] for d in draws]) for l in range(L)])


def max_exponent(A: np.ndarray) -> int:
    """e with max|A| in [2^(e-1), 2^e), or 0 for a zero (or empty) array."""
    big = float(np.max(np.abs(A))) if np.size(A) else 0.0
    return math.frexp(big)[1] if big > 0 else 0


def scale_exponents(X: np.ndarray, G: np.ndarray) -> tuple[int, int]:
    """(a, b) with max|X| in [2^(a-1), 2^a) and max|G| in [2^(b-1), 2^b) (0 for a zero array)."""
    return max_exponent(X), max_exponent(G)


def check_scale(X: np.ndarray, G: np.ndarray) -> None:
    """Refuse data whose speeds would leave the range float64 reports (see SCALE_EXPONENT)."""
    a, b = scale_exponents(X, G)
    if np.any(X) and np.any(G) and not -SCALE_EXPONENT <= a + b <= SCALE_EXPONENT:
        raise InputError(f"max|X| max|G| is about 2^{a + b}: speeds must lie within 2^-{SCALE_EXPONENT}.."
                         f"2^{SCALE_EXPONENT} to be reported as float64; rescale X or G by a power of two "
                         "(speeds scale linearly in each)")


def learning_rates(steps: int, lr: float, anneal: float = ANNEAL, final_factor: float = LR_FINAL_FACTOR) -> np.ndarray:
    """The step of every iteration: ``lr``, then over the last ``anneal`` fraction of the steps a geometric
    decay from ``lr`` to ``lr * final_factor`` (reached at the last step)."""
    rates = np.full(steps, float(lr))
    n = int(round(anneal * steps))
    if n >= 2:
        rates[steps - n:] = lr * final_factor ** (np.arange(n) / (n - 1))
    return rates


def batch_cost(widths: Sequence[int], points: int, restarts: int, steps: int, record: bool) -> tuple[int, int]:
    """(bytes, multiply-adds): an estimate of the peak memory and the work of :func:`escape_directions`."""
    L = len(widths) - 1
    params = sum(int(widths[l + 1]) * int(widths[l]) for l in range(L))
    units = sum(int(n) for n in widths[1:])
    floats = restarts * (4 * params + 4 * units * points) + (restarts * (steps + 1) if record else 0) + steps
    return 8 * floats, 3 * steps * restarts * params * points


def check_budget(widths: Sequence[int], points: int, restarts: int, steps: int, record: bool = False) -> None:
    """Refuse, before allocating, a batch beyond ESCAPE_MAX_BYTES or ESCAPE_MAX_WORK (or their variables)."""
    nbytes, work = batch_cost(widths, points, restarts, steps, record)
    max_bytes = env_limit(ESCAPE_MAX_BYTES_ENV, ESCAPE_MAX_BYTES)
    max_work = env_limit(ESCAPE_MAX_WORK_ENV, ESCAPE_MAX_WORK)
    what = f"{restarts} restarts x widths {_short(widths)} x {points} points x {steps} steps"
    if nbytes > max_bytes:
        raise InputError(f"{what} needs about {nbytes / 2**30:.3g} GiB, beyond the budget of {max_bytes} bytes; use "
                         f"fewer restarts, a smaller width or fewer steps, or raise {ESCAPE_MAX_BYTES_ENV} if the "
                         "machine has the memory")
    if work > max_work:
        raise InputError(f"{what} is about {work:.3g} multiply-adds, beyond the budget of {max_work:.3g}; use fewer "
                         f"restarts or steps, or raise {ESCAPE_MAX_WORK_ENV} if you have the time")


def _short(widths: Sequence[int]) -> str:
    w = [int(n) for n in widths]
    return str(w) if len(w) <= 8 else f"[{w[0]}, {w[1]}, ... ({len(w) - 1} layers), {w[-1]}]"


def _float_data(A: Any, name: str) -> np.ndarray:
    A = np.asarray(A)
    if A.dtype.kind not in "fiu":
        raise InputError(f"{name} must hold real numbers, got dtype {A.dtype}")
    with np.errstate(over="ignore"):
        return A.astype(np.float64)


def _validate(X: np.ndarray, G: np.ndarray, widths: Sequence[int], restarts: int, steps: int, lr: float) -> None:
    if len(widths) < 2:
        raise InputError("depth must be at least 1")
    if any(int(n) < 1 for n in widths):
        raise InputError(f"every width must be at least 1, got {_short(widths)}")
    if restarts < 1:
        raise InputError(f"restarts must be at least 1, got {restarts}")
    if steps < 0:
        raise InputError(f"steps must be non-negative, got {steps}")
    if not (lr > 0 and math.isfinite(lr)):
        raise InputError(f"the learning rate must be a positive number, got {lr}")
    if X.ndim != 2 or G.ndim != 2 or X.shape[1] != G.shape[1]:
        raise InputError(f"X ({X.shape}) and G ({G.shape}) must be matrices with one column per data point")
    if X.shape[0] != widths[0] or G.shape[0] != widths[-1]:
        raise InputError(f"widths {_short(widths)} must start at d_in = {X.shape[0]} and end at d_out = {G.shape[0]}")
    if X.size == 0:
        raise InputError("X has no data points")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(G))):
        raise InputError("X and G must be finite float64 numbers")
    if not np.any(G):
        raise InputError("G is zero: L0 vanishes identically and there is no escape direction")
    if not np.any(X):
        raise InputError("every data point is zero: L0 vanishes identically and there is no escape direction")
    check_scale(X, G)


def escape_directions(X: np.ndarray, G: np.ndarray, widths: Sequence[int], *, restarts: int = 64,
                      steps: int = 1000, lr: float | None = None, anneal: float = ANNEAL,
                      lr_final_factor: float = LR_FINAL_FACTOR, seed: Any = 0,
                      init: Sequence[np.ndarray] | None = None, record: bool = True,
                      rank_rtol: float = RANK_RTOL) -> EscapeRuns:
    """``restarts`` runs of projected gradient descent at once (widths n_0 = d_in, ..., n_L = d_out).

    ``seed`` is anything ``numpy.random.default_rng`` takes; ``init`` (arrays of shape (R, n_l, n_{l-1}))
    replaces the Gaussian starts and is projected onto the sphere first.  With ``record`` the speed of
    every iterate is kept in ``history``.  ``anneal = 0`` gives a constant step.
    """
    X = _float_data(X, "X")
    G = _float_data(G, "G")
    widths = [int(n) for n in widths]
    if init is not None:
        restarts = int(np.shape(init[0])[0])
    if lr is not None and not (lr > 0 and math.isfinite(lr)):
        raise InputError(f"the learning rate must be a positive number, got {lr}")
    _validate(X, G, widths, restarts, steps, LR_SCALE if lr is None else lr)
    if not 0 <= anneal <= 1 or not 0 < lr_final_factor <= 1:
        raise InputError("anneal must lie in [0, 1] and lr_final_factor in (0, 1]")
    check_budget(widths, X.shape[1], restarts, steps, record)
    # The iteration is run on X 2^-a and G 2^-b, with max-norms in [1/2, 1), and the step times 2^(a+b):
    # gradients scale by 2^-(a+b), so every iterate is the same float as on the data as given (powers of
    # two are exact), while the products can no longer overflow or underflow.  Speeds are scaled back.
    a, b = scale_exponents(X, G)
    Xs, Gs = np.ldexp(X, -a), np.ldexp(G, -b)
    if lr is None:
        lr_s = LR_SCALE / (float(np.linalg.norm(Xs)) * float(np.linalg.norm(Gs)))
    else:
        lr_s = math.ldexp(lr, a + b) if math.frexp(lr)[1] + a + b < 1024 else math.inf
        if not math.isfinite(lr_s) or lr_s == 0:
            raise InputError(f"the learning rate {lr} is out of range for data of scale 2^{a + b}")
    lr_out = math.ldexp(lr_s, -(a + b))  # the step in the units of the data as given
    rates = learning_rates(steps, lr_s, anneal, lr_final_factor)
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise InputError(f"seed {str(seed)[:40]}: not a seed numpy accepts ({exc})") from None
    if init is None:
        Ws = sphere_starts(rng, widths, restarts)
    else:
        shapes = [(restarts, widths[l + 1], widths[l]) for l in range(len(widths) - 1)]
        if [np.shape(W) for W in init] != shapes:
            raise InputError(f"init must have shapes {shapes}")
        init_f = [np.asarray(W, dtype=np.float64) for W in init]
        if not all(np.all(np.isfinite(W)) for W in init_f) or not np.all(squared_norms(init_f) > 0):
            raise InputError("init has a run with theta = 0 or a non-finite weight")
        Ws = project(init_f)
    history = np.empty((restarts, steps + 1)) if record else None
    for k in range(steps):
        loss, grads = batched_loss_and_gradient(Ws, Xs, Gs)
        if history is not None:
            history[:, k] = -loss
        for W, g in zip(Ws, grads):  # g <- W - rate g, in place (g is a fresh array)
            g *= -rates[k]
            g += W
        Ws = project(grads, inplace=True)
    speeds, rel = residuals(Ws, Xs, Gs)
    speeds = np.ldexp(speeds, a + b)
    if history is not None:
        history[:, steps] = speeds
        history[:, :steps] = np.ldexp(history[:, :steps], a + b)
    lr = lr_out
    rates = np.ldexp(rates, -(a + b))
    return EscapeRuns(tuple(Ws), speeds, rel, numerical_ranks(Ws, rank_rtol), history, steps, float(lr), seed,
                      rank_rtol, anneal, float(rates[-1]) if steps else float(lr))


def projected_gradient_descent(X: np.ndarray, G: np.ndarray, widths: list[int], *, restarts: int = 20,
                               steps: int = 400, lr: float = 0.05, seed: int = 0) -> Direction:
    """Best direction over ``restarts`` runs (widths n_0 = d_in, ..., n_L = d_out), all run at once with a
    constant step (the former one-run-at-a-time solver's iteration and starting points)."""
    runs = escape_directions(X, G, widths, restarts=restarts, steps=steps, lr=lr, anneal=0.0, seed=seed,
                             record=False)
    return runs.direction(runs.best)
