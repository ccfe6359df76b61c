"""Exact geometry of 2-D data: the arrangement of the lines x_k . u = 0 on the unit circle (Section 4).

Rays, cells and the support values of a direction, in exact rationals (fmpq) with arb balls for the
lengths.  The searches use these to place their witnesses; the trusted checker
(:mod:`certify.kernel.speed_certificate`) recomputes everything it relies on.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from flint import arb, fmpq

from certify.kernel.compare import endpoints

Vec = tuple[fmpq, fmpq]


def to_rational(x: float) -> fmpq:
    num, den = float(x).as_integer_ratio()
    return fmpq(num, den)


def cross(a: Vec, b: Vec) -> fmpq:
    return a[0] * b[1] - a[1] * b[0]


def dot(a: Vec, b: Vec) -> fmpq:
    return a[0] * b[0] + a[1] * b[1]


def _angle_order(a: Vec, b: Vec) -> int:
    """Exact counterclockwise order of directions, starting at the positive x axis."""
    ha = 0 if (a[1] > 0 or (a[1] == 0 and a[0] > 0)) else 1
    hb = 0 if (b[1] > 0 or (b[1] == 0 and b[0] > 0)) else 1
    if ha != hb:
        return ha - hb
    c = cross(a, b)
    return -1 if c > 0 else (1 if c < 0 else 0)


@dataclass(frozen=True)
class Arrangement:
    """Rays in counterclockwise order and each cell's active points (cell i lies between rays i, i+1)."""

    points: list[Vec]
    rays: list[Vec]
    active: list[frozenset[int]]

    @property
    def cells(self) -> int:
        return len(self.rays)


def arrangement(points: list[Vec]) -> Arrangement:
    """The cells cut by the lines x_k . u = 0 (plus the axes, so every turn is below pi)."""
    cand: list[Vec] = [(fmpq(1), fmpq(0)), (fmpq(0), fmpq(1)), (fmpq(-1), fmpq(0)), (fmpq(0), fmpq(-1))]
    for x in points:
        if x[0] != 0 or x[1] != 0:
            cand += [(-x[1], x[0]), (x[1], -x[0])]
    cand.sort(key=functools.cmp_to_key(_angle_order))
    rays: list[Vec] = []
    for r in cand:  # drop repeated directions (exactly parallel, same orientation)
        if rays and cross(rays[-1], r) == 0 and dot(rays[-1], r) > 0:
            continue
        rays.append(r)
    if cross(rays[-1], rays[0]) == 0 and dot(rays[-1], rays[0]) > 0:
        rays.pop()
    active = []
    for i in range(len(rays)):
        ra, rb = rays[i], rays[(i + 1) % len(rays)]
        active.append(frozenset(k for k, x in enumerate(points) if dot(x, ra) > 0 or dot(x, rb) > 0))
    return Arrangement(points, rays, active)


def arc_max(w: Vec, ra: Vec, rb: Vec) -> arb:
    """An enclosure of max {w . u : ||u|| = 1, u in cone(ra, rb)} (the set is decided exactly)."""
    if cross(ra, w) >= 0 and cross(w, rb) >= 0:
        return arb(dot(w, w)).sqrt()
    return max((arb(dot(w, r)) / arb(dot(r, r)).sqrt() for r in (ra, rb)), key=lambda v: v.mid())


def support_value(arr: Arrangement, v: list[fmpq]) -> tuple[arb, int, int]:
    """max_u |v . relu(X^T u)| as an enclosure, with the cell and sign where the largest value sits."""
    best: tuple[arb, int, int] | None = None
    for i in range(arr.cells):
        ra, rb = arr.rays[i], arr.rays[(i + 1) % arr.cells]
        w = (sum((v[k] * arr.points[k][0] for k in arr.active[i]), fmpq(0)),
             sum((v[k] * arr.points[k][1] for k in arr.active[i]), fmpq(0)))
        for s in (1, -1):
            val = arc_max((s * w[0], s * w[1]), ra, rb)
            if best is None or val.mid() > best[0].mid():
                best = (val, i, s)
    assert best is not None
    return best


def round_up(x: arb, digits: int = 12) -> fmpq:
    """A short decimal rational >= every point of the ball ``x``: ``digits`` decimals, more for a small
    positive x (about ``digits`` significant digits, so data scaled by 1e-300 keep a relative width)."""
    hi = endpoints(x)[1]
    if hi > 0:
        magnitude = len(str(hi.p)) - len(str(hi.q))  # 10^(magnitude - 1) < hi < 10^(magnitude + 1)
        digits = max(digits, digits - magnitude)
    scale = 10**digits
    n = hi * scale
    return fmpq(-((-n.p) // n.q), scale)


def decimal_rational(x: float, digits: int = 12) -> fmpq:
    """x rounded to ``digits`` decimals, as an exact rational (short certificates)."""
    return fmpq(int(round(x * 10**digits)), 10**digits)


def float_direction(r: Vec) -> np.ndarray:
    """A float vector pointing along the exact vector r, of max-norm one (no overflow or underflow of
    the larger entry, whatever r's scale); (1, 0) for r = 0."""
    big = max(abs(r[0]), abs(r[1]))
    if big == 0:
        return np.array([1.0, 0.0])
    return np.array([float(r[0] / big), float(r[1] / big)])


def rational_unit(u: np.ndarray) -> list[fmpq]:
    """A rational vector of norm at most one close to u/||u|| (exactly checked)."""
    u = u / np.linalg.norm(u)
    q = [decimal_rational(c) for c in u]
    while q[0] * q[0] + q[1] * q[1] > 1:
        q = [c * fmpq(10**12 - 1, 10**12) for c in q]
    return q


def scale_inside(weights: list[list[list[fmpq]]], L: int) -> list[list[list[fmpq]]]:
    """Scale the hidden layers by one rational c <= 1 so that ||theta||^2 <= L holds exactly."""
    def sq(ws):
        return sum((v * v for W in ws for row in W for v in row), fmpq(0))
    hidden, last = sq(weights[:-1]), sq(weights[-1:])
    if hidden + last <= L:
        return weights
    if last > L:
        raise ValueError("the last layer alone is outside the sphere")
    c = fmpq(math.floor(math.sqrt(float((L - last) / hidden)) * (1 - 1e-12) * 10**12), 10**12)
    while c * c * hidden + last > L:
        c *= fmpq(10**6 - 1, 10**6)
    return [[[v * c for v in row] for row in W] for W in weights[:-1]] + [weights[-1]]
