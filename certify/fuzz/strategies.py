"""Implementation of :mod:`certify.strategies` (import from there)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from certify.core.instances import Instance

# readable entries: quarter-integers shrink to 0, 1, -1, 1/2, ...; general floats for the rest
_QUARTERS = st.integers(-8, 8).map(lambda k: k / 4)
_GENERAL = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
ENTRIES = st.one_of(_QUARTERS, _GENERAL)


def _check_range(name: str, lo: int, hi: int, floor: int = 0) -> None:
    if not isinstance(lo, int) or not isinstance(hi, int):
        raise InvalidArgument(f"min_{name} and max_{name} must be integers, got {lo!r} and {hi!r}")
    if lo < floor:
        raise InvalidArgument(f"min_{name}={lo} must be at least {floor}")
    if lo > hi:
        raise InvalidArgument(f"min_{name}={lo} is larger than max_{name}={hi}: swap them or widen the range")


@st.composite
def matrices(draw: Any, rows: int, cols: int, *, allow_zero_rows: bool = True, allow_zero_columns: bool = True,
             min_log10_scale: int = 0, max_log10_scale: int = 0) -> np.ndarray:
    """A rows x cols float64 matrix with readable entries; optionally zero rows/columns and a power-of-ten scale."""
    _check_range("log10_scale", min_log10_scale, max_log10_scale, floor=-300)
    flat = draw(st.lists(ENTRIES, min_size=rows * cols, max_size=rows * cols))
    M = np.array(flat, dtype=np.float64).reshape(rows, cols)
    if allow_zero_rows and rows > 1 and draw(st.booleans()):
        M[draw(st.integers(0, rows - 1)), :] = 0.0
    if allow_zero_columns and cols > 1 and draw(st.booleans()):
        M[:, draw(st.integers(0, cols - 1))] = 0.0
    exponent = draw(st.integers(min_log10_scale, max_log10_scale))
    return M * 10.0**exponent


@st.composite
def widths(draw: Any, *, min_depth: int = 1, max_depth: int = 4, min_width: int = 1, max_width: int = 5,
           d_in: int | None = None, d_out: int | None = None) -> list[int]:
    """Layer widths n_0 = d_in, n_1, ..., n_L = d_out for a depth drawn in [min_depth, max_depth]."""
    _check_range("depth", min_depth, max_depth, floor=1)
    _check_range("width", min_width, max_width, floor=1)
    depth = draw(st.integers(min_depth, max_depth))
    w = [draw(st.integers(min_width, max_width)) for _ in range(depth + 1)]
    if d_in is not None:
        w[0] = d_in
    if d_out is not None:
        w[-1] = d_out
    return w


@st.composite
def relu_networks(draw: Any, *, min_depth: int = 1, max_depth: int = 4, min_width: int = 1, max_width: int = 5,
                  d_in: int | None = None, d_out: int | None = None, allow_zero_rows: bool = True,
                  allow_dead_units: bool = True, min_log10_scale: int = 0, max_log10_scale: int = 0,
                  layer_widths: list[int] | None = None) -> tuple[np.ndarray, ...]:
    """Weights (W_1, ..., W_L) of a bias-free ReLU MLP (Section 2).

    ``allow_dead_units`` may make a hidden unit's incoming row entrywise negative, so that it is dead on
    non-negative inputs; ``allow_zero_rows`` may zero a row or a column of a layer.
    """
    w = layer_widths if layer_widths is not None else draw(
        widths(min_depth=min_depth, max_depth=max_depth, min_width=min_width, max_width=max_width, d_in=d_in,
               d_out=d_out))
    Ws = []
    for l in range(len(w) - 1):
        W = draw(matrices(w[l + 1], w[l], allow_zero_rows=allow_zero_rows, allow_zero_columns=allow_zero_rows,
                          min_log10_scale=min_log10_scale, max_log10_scale=max_log10_scale))
        if allow_dead_units and l < len(w) - 2 and draw(st.booleans()):
            i = draw(st.integers(0, w[l + 1] - 1))
            W[i, :] = -np.abs(W[i, :]) - 0.25
        Ws.append(W)
    return tuple(Ws)


def _rescale(weights: tuple[np.ndarray, ...], target_sq: float) -> tuple[np.ndarray, ...] | None:
    total = sum(float((W * W).sum()) for W in weights)
    if not (total > 0) or not math.isfinite(total):
        return None
    factor = math.sqrt(target_sq / total)
    out = tuple(W * factor for W in weights)
    # float rounding may land just outside: nudge in until the float sum is below the target
    while sum(float((W * W).sum()) for W in out) > target_sq:
        out = tuple(W * (1 - 2.0**-45) for W in out)
    return out


def parameters_on_sphere(networks: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """Networks rescaled so that ||theta||^2 = L up to rounding (never above L in floats)."""
    base = networks if networks is not None else relu_networks()
    return base.map(lambda ws: _rescale(ws, float(len(ws)))).filter(lambda ws: ws is not None)


@st.composite
def parameters_in_ball(draw: Any, networks: st.SearchStrategy | None = None) -> tuple[np.ndarray, ...]:
    """Networks with ||theta||^2 <= L: a point of the sphere times a radius in (0, 1]."""
    ws = draw(parameters_on_sphere(networks))
    r = draw(st.sampled_from([1.0, 0.75, 0.5, 0.25]) | st.floats(0.01, 1.0))
    return tuple(W * r for W in ws)


@st.composite
def datasets(draw: Any, *, d_in: int, n_points: int, rank: int | None = None, allow_duplicates: bool = True,
             allow_zero_points: bool = True, non_negative: bool = False) -> np.ndarray:
    """Data X (d_in x n_points) of rank at most ``rank`` (drawn as A B), with optional duplicated and
    zero columns, and optionally entrywise non-negative."""
    if d_in < 1 or n_points < 1:
        raise InvalidArgument(f"d_in={d_in} and n_points={n_points} must be at least 1")
    if rank is not None and rank < 1:
        raise InvalidArgument(f"rank={rank} must be at least 1 (use allow_zero_points for zero data)")
    if rank is None:
        X = draw(matrices(d_in, n_points, allow_zero_rows=False, allow_zero_columns=False))
    else:
        A = draw(matrices(d_in, rank, allow_zero_rows=False, allow_zero_columns=False))
        B = draw(matrices(rank, n_points, allow_zero_rows=False, allow_zero_columns=False))
        X = A @ B
    if non_negative:
        X = np.abs(X)
    if allow_duplicates and n_points > 1 and draw(st.booleans()):
        i, j = draw(st.integers(0, n_points - 1)), draw(st.integers(0, n_points - 1))
        X[:, j] = X[:, i]
    if allow_zero_points and n_points > 1 and draw(st.booleans()):
        X[:, draw(st.integers(0, n_points - 1))] = 0.0
    return X


@st.composite
def nearly_rank_one_data(draw: Any, *, d_in: int, n_points: int, max_eps: float = 0.1) -> tuple[np.ndarray, ...]:
    """(X, u, v, eps) with X = u v^T + E, u, v >= 0 entrywise and ||E||_F <= eps <= max_eps (Prop. 3.3)."""
    if not max_eps >= 0:
        raise InvalidArgument(f"max_eps={max_eps} must be >= 0")
    u = np.abs(draw(matrices(d_in, 1, allow_zero_rows=False, allow_zero_columns=False))).ravel()
    v = np.abs(draw(matrices(n_points, 1, allow_zero_rows=False, allow_zero_columns=False))).ravel()
    eps = draw(st.sampled_from([0.0, max_eps]) | st.floats(0.0, max_eps))
    E = draw(matrices(d_in, n_points, allow_zero_rows=False, allow_zero_columns=False))
    norm = float(np.linalg.norm(E))
    E = E * (eps / norm) * (1 - 1e-12) if norm > 0 else E * 0.0
    return np.outer(u, v) + E, u, v, eps


@st.composite
def cost_gradients(draw: Any, *, d_out: int, n_points: int, allow_zero: bool = True) -> np.ndarray:
    """G = grad C(0) (d_out x n_points); with ``allow_zero`` sometimes zero or zero on all but one point."""
    G = draw(matrices(d_out, n_points, allow_zero_rows=False, allow_zero_columns=True))
    if allow_zero and draw(st.integers(0, 9)) == 0:
        G = np.zeros((d_out, n_points))
    return G


@st.composite
def instances(draw: Any, *, min_depth: int = 1, max_depth: int = 4, max_width: int = 5, max_points: int = 6,
              on_sphere: bool = False, in_ball: bool = False, allow_degenerate: bool = True) -> Instance:
    """A whole instance (X, G, W_1..W_L) with consistent shapes; optionally theta on the sphere or in the ball."""
    w = draw(widths(min_depth=min_depth, max_depth=max_depth, max_width=max_width))
    n = draw(st.integers(1, max_points))
    nets = relu_networks(layer_widths=w, allow_zero_rows=allow_degenerate, allow_dead_units=allow_degenerate)
    if in_ball:
        Ws = draw(parameters_in_ball(nets))
    elif on_sphere:
        Ws = draw(parameters_on_sphere(nets))
    else:
        Ws = draw(nets)
    X = draw(datasets(d_in=w[0], n_points=n, allow_duplicates=allow_degenerate, allow_zero_points=allow_degenerate))
    G = draw(cost_gradients(d_out=w[-1], n_points=n, allow_zero=allow_degenerate))
    return Instance(X=X, G=G, weights=tuple(Ws))
