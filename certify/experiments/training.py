"""Training bias-free ReLU MLPs from small initialisation (paper, Section 3.3 and Appendices B-C).

The network is the one of Section 2: Z_0^s = X, Z_l = W_l Z_{l-1}^s, Z_l^s = relu(Z_l), Y = Z_L,
with W_l of shape n_l x n_(l-1) and no biases.  Weights start i.i.d. N(0, sigma0^2).  Gradient
descent (full batch or mini-batch) uses the schedule of Section 2.1 and Appendix B,

    lr(t) = c / ||theta(t)||^k,

which for k = L - 2 is the q-time of Section 2.1: the direction theta/||theta|| then moves at a
rate that does not depend on the norm (the paper uses k = 4 at depths 4 and 6).

The arithmetic lives in a *backend* (:class:`NumpyBackend`; anything with the same four methods,
for instance a torch one, can be registered in :data:`BACKENDS`).  What the analysis reads is a
:class:`TrainingRun` of plain numpy arrays: the loss, the parameter norm and the top singular
values of every W_l along training, plus weight checkpoints.  Nothing here decides a verdict.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

from certify.core.errors import InputError

LOSSES = ("ce", "mse")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; every hidden layer has ``width`` units (n_1 = ... = n_(L-1))."""

    depth: int = 6
    width: int = 100
    sigma0: float = 1e-2
    lr_c: float = 0.3
    lr_power: int | None = None  # k in lr = c/||theta||^k; None: L - 2
    steps: int = 1500
    batch_size: int | None = None  # None: full batch
    loss: str = "ce"
    seed: int = 0
    record_every: int = 5
    top_k: int = 10
    max_checkpoints: int = 1000
    backend: str = "numpy"
    dtype: str = "float32"  # arithmetic of training, as in PyTorch (the analysis reads float64 copies)

    def __post_init__(self) -> None:
        problems = []
        if not (isinstance(self.depth, int) and self.depth >= 2):
            problems.append(f"depth must be an integer >= 2, got {self.depth!r}")
        if not (isinstance(self.width, int) and self.width >= 1):
            problems.append(f"width must be a positive integer, got {self.width!r}")
        if not (self.sigma0 > 0 and math.isfinite(self.sigma0)):
            problems.append(f"sigma0 must be a positive number, got {self.sigma0!r}")
        if not (self.lr_c > 0 and math.isfinite(self.lr_c)):
            problems.append(f"the learning-rate constant c must be positive, got {self.lr_c!r}")
        if self.lr_power is not None and not (isinstance(self.lr_power, int) and self.lr_power >= 0):
            problems.append(f"the learning-rate power k must be a non-negative integer, got {self.lr_power!r}")
        if not (isinstance(self.steps, int) and self.steps >= 1):
            problems.append(f"steps must be a positive integer, got {self.steps!r}")
        if self.batch_size is not None and not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            problems.append(f"batch size must be a positive integer, got {self.batch_size!r}")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if not (isinstance(self.record_every, int) and self.record_every >= 1):
            problems.append(f"record_every must be a positive integer, got {self.record_every!r}")
        if not (isinstance(self.top_k, int) and self.top_k >= 1):
            problems.append(f"top_k must be a positive integer, got {self.top_k!r}")
        if self.dtype not in ("float64", "float32"):
            problems.append(f"dtype must be float64 or float32, got {self.dtype!r}")
        if self.backend not in BACKENDS:
            problems.append(f"unknown backend {self.backend!r} (available: {', '.join(sorted(BACKENDS))})")
        if problems:
            raise InputError("; ".join(problems))

    @property
    def k(self) -> int:
        return self.depth - 2 if self.lr_power is None else self.lr_power

    def widths(self, d_in: int, d_out: int) -> list[int]:
        return [d_in] + [self.width] * (self.depth - 1) + [d_out]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lr_power"] = self.k
        return d


# --- losses: value and gradient with respect to the outputs Y (d_out x n) ---------------------


def loss_and_output_gradient(Y: np.ndarray, targets: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """The mean cost C(Y) over the n columns and its gradient dC/dY.

    ``targets`` is one-hot (d_out x n).  Cross-entropy uses a softmax over each column; the squared
    loss is (1/n) ||Y - Y*||_F^2 as in eq. (1)'s example.
    """
    n = Y.shape[1]
    if loss == "ce":
        Z = Y - Y.max(axis=0, keepdims=True)
        logsum = np.log(np.exp(Z).sum(axis=0, keepdims=True))
        logp = Z - logsum
        value = float(-(targets * logp).sum() / n)
        return value, (np.exp(logp) - targets) / n
    R = Y - targets
    return float((R * R).sum() / n), 2.0 * R / n


def cost_gradient_at_zero(targets: np.ndarray, loss: str) -> np.ndarray:
    """G = grad C(0) (Section 2): what the localized loss L0 = Tr[G^T Y] sees."""
    _, G = loss_and_output_gradient(np.zeros_like(targets, dtype=float), targets, loss)
    return G


# --- backends -------------------------------------------------------------------------------


class Backend(Protocol):
    """The arithmetic of training.  Weights go in and out as numpy arrays."""

    def __init__(self, weights: Sequence[np.ndarray], dtype: str = "float64") -> None: ...

    def step(self, X: np.ndarray, targets: np.ndarray, loss: str, lr_c: float, k: int) -> tuple[float, float]:
        """One gradient step on the batch; returns (loss before the step, ||theta|| before the step)."""

    def evaluate(self, X: np.ndarray, targets: np.ndarray, loss: str) -> float: ...

    def weights(self) -> list[np.ndarray]:
        """Copies of the current weights as float64 numpy arrays."""


class NumpyBackend:
    """numpy (float64 or float32): forward pass, backpropagation (relu'(0) = 0), one step."""

    def __init__(self, weights: Sequence[np.ndarray], dtype: str = "float64") -> None:
        self.dtype = np.dtype(dtype)
        self.W = [np.array(W, dtype=self.dtype) for W in weights]

    def _cast(self, X: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """No copy when the data already has the backend's dtype (train() casts it once)."""
        return np.asarray(X, dtype=self.dtype), np.asarray(targets, dtype=self.dtype)

    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        acts = [X]
        A = X
        for l, W in enumerate(self.W, start=1):
            Z = W @ A
            if l < len(self.W):
                A = np.maximum(Z, 0.0)
                acts.append(A)
            else:
                A = Z
        return acts, A

    def evaluate(self, X: np.ndarray, targets: np.ndarray, loss: str) -> float:
        X, targets = self._cast(X, targets)
        return loss_and_output_gradient(self._forward(X)[1].astype(np.float64), targets.astype(np.float64), loss)[0]

    def step(self, X: np.ndarray, targets: np.ndarray, loss: str, lr_c: float, k: int) -> tuple[float, float]:
        X, targets = self._cast(X, targets)
        acts, Y = self._forward(X)
        value, delta = loss_and_output_gradient(Y, targets, loss)
        delta = delta.astype(self.dtype, copy=False)
        norm = math.sqrt(sum(float(np.vdot(W, W)) for W in self.W))
        lr = lr_c / norm**k if k else lr_c
        for l in range(len(self.W), 0, -1):
            grad = delta @ acts[l - 1].T
            if l > 1:
                delta = (self.W[l - 1].T @ delta) * (acts[l - 1] > 0)
            self.W[l - 1] -= self.dtype.type(lr) * grad
        return value, norm

    def weights(self) -> list[np.ndarray]:
        return [np.array(W, dtype=np.float64) for W in self.W]


#: name -> backend class; the analysis only ever sees numpy arrays
BACKENDS: dict[str, Callable[..., Backend]] = {"numpy": NumpyBackend}


# --- the record of a run --------------------------------------------------------------------


@dataclass
class TrainingRun:
    """What training leaves for the analysis (numpy arrays only).

    ``steps[i]`` is the number of gradient steps taken when record i was made; ``loss[i]`` the
    loss on the whole training set there, ``norm[i]`` = ||theta||, ``singular_values[i, l]`` the
    top ``top_k`` singular values of W_(l+1) and ``frobenius[i, l]`` its Frobenius norm (so the
    rank-one ratio over *all* singular values is available).  ``checkpoints`` maps a step to the
    weights at that step (a thinned subset of the records, always the first and the last).
    """

    config: TrainConfig
    steps: np.ndarray
    loss: np.ndarray
    norm: np.ndarray
    singular_values: np.ndarray
    frobenius: np.ndarray
    checkpoints: dict[int, list[np.ndarray]]
    seconds: float
    data_name: str = ""
    n_points: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return self.config.depth


def top_singular_values(W: np.ndarray, k: int) -> np.ndarray:
    """The k largest singular values of W, zero-padded when W has fewer."""
    s = np.linalg.svd(W, compute_uv=False)
    out = np.zeros(k)
    out[: min(k, s.size)] = s[:k]
    return out


def init_weights(config: TrainConfig, d_in: int, d_out: int, rng: np.random.Generator) -> list[np.ndarray]:
    """W_l i.i.d. N(0, sigma0^2) (the small initialisation of Section 2 and Appendix B)."""
    widths = config.widths(d_in, d_out)
    return [config.sigma0 * rng.standard_normal((widths[l + 1], widths[l])) for l in range(config.depth)]


#: memory the weight checkpoints of one run may take
CHECKPOINT_BYTES = 512 * 2**20


def _checkpoint_steps(config: TrainConfig, n_params: int) -> set[int]:
    """Evenly spaced records (always the first and the last) whose weights are kept."""
    records = list(range(0, config.steps + 1, config.record_every))
    if records[-1] != config.steps:
        records.append(config.steps)
    most = max(2, min(config.max_checkpoints, CHECKPOINT_BYTES // max(1, 8 * n_params)))
    if len(records) <= most:
        return set(records)
    idx = np.unique(np.linspace(0, len(records) - 1, most).round().astype(int))
    return {records[i] for i in idx}


@contextmanager
def _blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS threads (threadpoolctl, a scikit-learn dependency): on a small shared machine,
    one thread is often faster for these matrix sizes than two that compete with other work."""
    if n is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(n):
        yield


def train(config: TrainConfig, X: np.ndarray, targets: np.ndarray, *, data_name: str = "",
          progress: Callable[[int, int, float], None] | None = None, threads: int | None = 1) -> TrainingRun:
    """Train from small initialisation and record the run.

    ``X`` is d_in x N (one column per point), ``targets`` one-hot d_out x N.  Mini-batches (when
    ``config.batch_size`` is set) are drawn by reshuffling the data each epoch with the run's seed;
    the recorded loss is always on the whole training set.  ``progress(step, total, loss)`` is
    called at every record.  ``threads`` limits BLAS threads (None: leave them alone).
    """
    X = np.asarray(X, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if X.ndim != 2 or targets.ndim != 2 or X.shape[1] != targets.shape[1] or X.shape[1] == 0:
        raise InputError(f"data and targets do not match: X is {X.shape}, targets {targets.shape}")
    if not np.all(np.isfinite(X)):
        raise InputError("the data has non-finite entries")
    rng = np.random.default_rng(config.seed)
    d_in, N = X.shape
    d_out = targets.shape[0]
    initial = init_weights(config, d_in, d_out, rng)
    keep = _checkpoint_steps(config, sum(W.size for W in initial))
    backend = BACKENDS[config.backend](initial, config.dtype)
    top = config.top_k
    steps: list[int] = []
    losses: list[float] = []
    norms: list[float] = []
    svals: list[list[np.ndarray]] = []
    fros: list[list[float]] = []
    checkpoints: dict[int, list[np.ndarray]] = {}
    batch = config.batch_size if config.batch_size and config.batch_size < N else None

    def record(step: int) -> None:
        value = backend.evaluate(X, targets, config.loss)
        Ws = backend.weights()
        steps.append(step)
        losses.append(value)
        norms.append(math.sqrt(sum(float(np.vdot(W, W)) for W in Ws)))
        svals.append([top_singular_values(W, top) for W in Ws])
        fros.append([float(np.linalg.norm(W)) for W in Ws])
        if step in keep:
            checkpoints[step] = Ws
        if progress is not None:
            progress(step, config.steps, value)
        if not math.isfinite(value):
            raise InputError(f"training diverged by step {step} (the loss is not finite): lower the "
                             f"learning-rate constant c (now {config.lr_c}) or sigma0 (now {config.sigma0})")

    X, targets = X.astype(config.dtype), targets.astype(config.dtype)
    start = time.perf_counter()
    with _blas_threads(threads), np.errstate(over="ignore", invalid="ignore"):  # divergence is checked
        order = rng.permutation(N) if batch else None
        cursor = 0
        record(0)
        for step in range(1, config.steps + 1):
            if batch:
                if cursor + batch > N:
                    order, cursor = rng.permutation(N), 0
                idx = order[cursor : cursor + batch]
                cursor += batch
                backend.step(X[:, idx], targets[:, idx], config.loss, config.lr_c, config.k)
            else:
                backend.step(X, targets, config.loss, config.lr_c, config.k)
            if step % config.record_every == 0 or step == config.steps:
                record(step)
    seconds = time.perf_counter() - start
    return TrainingRun(
        config=config,
        steps=np.array(steps),
        loss=np.array(losses),
        norm=np.array(norms),
        singular_values=np.array(svals),
        frobenius=np.array(fros),
        checkpoints=checkpoints,
        seconds=seconds,
        data_name=data_name,
        n_points=N,
    )
