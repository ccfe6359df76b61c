"""Depth 2 on data of any dimension d by branch and bound over simplicial cones (untrusted search; issue 17).

s*(2) = max over ||u|| <= 1 of |g . relu(X^T u)|.  For each sign e the search starts from the 2^d orthants and
splits a cone along its longest edge (the new generator is the sum of the edge's two, as the checker
:mod:`certify.kernel.speed_cones` rebuilds it).  A cone's bound is the smallest ||q|| with r_i . q >= omega_i on
its generators, omega the linear majorant of e g . relu(X^T u) on the cone (see the checker's docstring):
a bounded least-squares problem in d unknowns (scipy), with the multipliers of the crossing points of M set
from the sign of x_j . u at the cone's best direction.  The incumbent is the best unit u met (the directions
q/||q|| and the cones' centres).  Cones whose bound is within the gap of the incumbent are leaves; so are the
open cones when a time or node limit stops the search, which keeps the interval certified, only wider.

The leaves are then written exactly: the point signs and omega are recomputed in rational arithmetic on the
integer generators, and q (12-digit decimals) is moved along the cone's centre until every inequality holds
exactly, so the kernel's check passes by construction whenever the arithmetic here is right (and refuses the
file otherwise).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from flint import arb, fmpq

#: the default target width, relative to the incumbent (and at least this absolute)
DEFAULT_GAP = 1e-8



@dataclass
class _Cone:
    sign: int
    gens: tuple[tuple[int, ...], ...]  # exact integer generators
    unit: np.ndarray  # d x d, rows the generators scaled to norm one
    bound: float
    q: np.ndarray
    t: np.ndarray  # the multipliers of the crossing points of M (0 elsewhere)
    crossing: np.ndarray  # the points of M that cross the cone in floats (where t was optimised)
    children: tuple[int, int] | None = None
    split: tuple[int, int] | None = None


@dataclass
class ConeSearch:
    trees: list[dict[str, Any]]  # JSON-ready forests (numbers as exact text)
    upper: fmpq
    best_u: np.ndarray
    best_sign: int
    incumbent: float
    nodes: int
    leaves: int
    stopped: str | None
    seconds: float


def _bound(R: np.ndarray, S: np.ndarray, coef: np.ndarray,
           Mmask: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """min ||q|| subject to R q >= omega(t) over q and the multipliers t in [0, 1] of the crossing points of M
    (R rows: unit generators; S = X^T R^T, N x d).  With R q = omega(t) + s, s >= 0, this is a bounded least-squares
    problem in (s, t).  Returns (bound, q, t per point: 0 off the crossing points of M, those points)."""
    from scipy.optimize import lsq_linear

    d, N = R.shape[0], S.shape[0]
    active = np.all(S >= 0, axis=1)
    inactive = np.all(S <= 0, axis=1)
    crossing = ~active & ~inactive
    omega0 = (coef * active) @ S + (coef * (crossing & (coef > 0))) @ np.maximum(S, 0.0)
    cross_m = np.flatnonzero(crossing & Mmask)
    B = (coef[cross_m, None] * S[cross_m]).T  # d x k: omega(t) = omega0 + B t
    try:
        Rinv = np.linalg.inv(R)
    except np.linalg.LinAlgError:
        return math.inf, np.zeros(d), np.zeros(N), np.zeros(N, dtype=bool)
    k = len(cross_m)
    A = Rinv @ np.hstack([np.eye(d), B]) if k else Rinv
    lower = np.zeros(d + k)
    upper = np.concatenate([np.full(d, np.inf), np.ones(k)])
    res = lsq_linear(A, -Rinv @ omega0, bounds=(lower, upper), method="bvls")
    t = np.zeros(N)
    t[cross_m] = np.clip(res.x[d:], 0.0, 1.0)
    q = Rinv @ (omega0 + B @ t[cross_m] + res.x[:d]) if k else Rinv @ (omega0 + res.x)
    return float(np.linalg.norm(q)), q, t, crossing & Mmask


def _unit_rows(gens: tuple[tuple[int, ...], ...]) -> np.ndarray:
    R = np.array([[float(x) for x in r] for r in gens])
    return R / np.linalg.norm(R, axis=1, keepdims=True)


def search(Xf: np.ndarray, gf: np.ndarray, g: list[fmpq], gap: float = DEFAULT_GAP, time_limit: float | None = None,
           node_limit: int | None = None) -> tuple[list[list[_Cone]], list[int], np.ndarray, int, float, str | None, int]:
    """Best-first over both signs; returns the cones, the roots, the best u, its sign, its value, why it stopped
    and the number of nodes."""
    start = time.perf_counter()
    d, N = Xf.shape
    best = (0.0, np.eye(d)[0], 1)
    cones: list[_Cone] = []
    roots: list[int] = []
    heap: list[tuple[float, int]] = []
    stopped = None
    data = {}
    for e in (1, -1):
        coef = np.array([e * float(gf[j]) if g[j] != 0 else 0.0 for j in range(N)])
        data[e] = (coef, np.array([e * g[j] < 0 for j in range(N)]))

    def value(u: np.ndarray, e: int) -> float:
        n = np.linalg.norm(u)
        if not n > 0:
            return 0.0
        return float(data[e][0] @ np.maximum(Xf.T @ (u / n), 0.0))

    def evaluate(gens, e) -> _Cone:
        nonlocal best
        R = _unit_rows(gens)
        S = Xf.T @ R.T
        coef, Mmask = data[e]
        centre = R.sum(axis=0)
        b, q, t, crossing = _bound(R, S, coef, Mmask)
        for u in (q, centre):
            v = value(u, e)
            if v > best[0]:
                best = (v, u / np.linalg.norm(u), e)
        return _Cone(e, gens, R, b, q, t, crossing)

    def closing(b: float) -> bool:
        return b <= best[0] + gap * max(1.0, best[0]) / 2

    for e in (1, -1):
        for k in range(2**d):
            gens = tuple(tuple((-1 if (k >> a) & 1 else 1) if b == a else 0 for b in range(d)) for a in range(d))
            cones.append(evaluate(gens, e))
            roots.append(len(cones) - 1)
            heapq.heappush(heap, (-cones[-1].bound, len(cones) - 1))
    from certify.optimum.branch import _Status

    with _Status() as status:
        stopped = _branch(cones, heap, evaluate, closing, start, time_limit, node_limit, status, lambda: best[0])
    return [cones], roots, best[1], best[2], best[0], stopped, len(cones)


def _branch(cones: list[_Cone], heap: list, evaluate: Any, closing: Any, start: float, time_limit: float | None,
            node_limit: int | None, status: Any, incumbent: Any) -> str | None:
    """Best-first splitting until every cone closes or a limit is reached (returned: why it stopped)."""
    d = cones[0].unit.shape[0]
    while heap:
        top, idx = heap[0]
        cone = cones[idx]
        if closing(cone.bound):
            heapq.heappop(heap)
            continue
        if time_limit is not None and time.perf_counter() - start > time_limit:
            return "time limit"
        if node_limit is not None and len(cones) + 2 > node_limit:
            return "node limit"
        heapq.heappop(heap)
        if len(cones) % 64 == 0:
            status.update(f"cones: {len(cones)} nodes, {len(heap)} open, interval [{incumbent():.10g}, "
                          f"{max(-top, incumbent()):.10g}] (scaled data)")
        R = cone.unit
        dots = R @ R.T
        a, b = divmod(int(np.argmin(dots + 3 * np.eye(d))), d)  # the widest pair of generators
        m = tuple(x + y for x, y in zip(cone.gens[a], cone.gens[b]))
        if max(abs(x) for x in m) >= 2**90:  # the checker's limit on splits along a path: keep it a leaf
            continue
        kids = []
        for which in (a, b):
            gens = list(cone.gens)
            gens[which] = m
            cones.append(evaluate(tuple(gens), cone.sign))
            kids.append(len(cones) - 1)
            heapq.heappush(heap, (-cones[-1].bound, len(cones) - 1))
        cone.children, cone.split = (kids[0], kids[1]), (a, b)
    return None


def _decimal_vector(v: np.ndarray, digits: int = 12) -> list[fmpq]:
    """The entries rounded to ``digits`` significant digits of the largest one (exactly, from the floats)."""
    big = float(np.max(np.abs(v))) if np.size(v) else 0.0
    if not big > 0 or not math.isfinite(big):
        return [fmpq(0)] * len(v)
    den = 10 ** max(digits - math.floor(math.log10(big)), 0)
    out = []
    for x in v:
        num, dn = float(x).as_integer_ratio()
        out.append(fmpq((2 * num * den + dn) // (2 * dn), den))
    return out


def exact_leaf(X: list[list[fmpq]], g: list[fmpq], e: int, gens: tuple[tuple[int, ...], ...],
               q_float: np.ndarray, t_float: np.ndarray, crossing: np.ndarray | None = None,
               scale: int = 0) -> tuple[list[fmpq], dict[int, fmpq]]:
    """The leaf's exact q and multipliers: on the exact crossing points of M, the float search's t where it saw
    them cross too, else 1 where x_j . q > 0 (floats can miss a crossing: data of very different scales
    underflow), 0 otherwise; q the float one rounded and then moved along the centre c = sum r_i until
    r_i . q >= omega_i holds exactly."""
    d, N = len(X), len(g)
    zero = fmpq(0)
    factor = fmpq(2) ** scale if scale >= 0 else 1 / fmpq(2) ** (-scale)
    q = [x * factor for x in _decimal_vector(q_float)]
    t: dict[int, fmpq] = {}
    omega = [zero] * d
    for j in range(N):
        if g[j] == 0:
            continue
        s = [sum((X[k][j] * r[k] for k in range(d) if r[k]), zero) for r in gens]
        active, inactive = all(v >= 0 for v in s), all(v <= 0 for v in s)
        c = e * g[j]
        if inactive:
            continue
        if active:
            omega = [o + c * v for o, v in zip(omega, s)]
        elif c > 0:
            omega = [o + (c * v if v > 0 else zero) for o, v in zip(omega, s)]
        else:
            if crossing is None or crossing[j]:
                tj = _decimal_vector(np.array([min(max(float(t_float[j]), 0.0), 1.0)]))[0] if t_float[j] > 0 else 0
                tj = min(tj, fmpq(1))
            else:
                tj = fmpq(1) if sum((X[k][j] * q[k] for k in range(d)), zero) > 0 else 0
            if tj > 0:
                t[j] = tj
                omega = [o + c * tj * v for o, v in zip(omega, s)]
    centre = [sum((fmpq(r[k]) for r in gens), zero) for k in range(d)]
    lam = zero
    for i, r in enumerate(gens):
        rq = sum((q[k] * r[k] for k in range(d)), zero)
        rc = sum((centre[k] * r[k] for k in range(d)), zero)
        if omega[i] > rq:
            if rc <= 0:  # cannot happen for cones inside an orthant (generators pairwise at most 90 degrees)
                raise ValueError("a cone whose centre is not inside it")
            lam = max(lam, (omega[i] - rq) / rc)
    if lam > 0:
        step = _decimal_vector(np.array([float(lam)]))[0]
        while step < lam:
            step = step * fmpq(1000001, 1000000)
        q = [qk + step * ck for qk, ck in zip(q, centre)]
    return q, t


def rational_unit(u: np.ndarray) -> list[fmpq]:
    """A rational vector of norm at most one close to u/||u|| (12-digit decimals, shrunk until exactly inside)."""
    u = np.asarray(u, dtype=float)
    u = u / np.linalg.norm(u)
    q = [fmpq(int(round(float(c) * 10**12)), 10**12) for c in u]
    while sum((c * c for c in q), fmpq(0)) > 1:
        q = [c * fmpq(10**12 - 1, 10**12) for c in q]
    return q


def certify_cones(Xf: np.ndarray, gf: np.ndarray, X: list[list[fmpq]], G: list[list[fmpq]], gap: float | None,
                  time_limit: float | None, node_limit: int | None, scale: int = 0) -> ConeSearch:
    """Search, then write both forests exactly with the upper end (the largest ||q||, rounded up).  ``Xf``, ``gf``
    are the data times 2^-a and 2^-b with a + b = ``scale``: the floats' q is multiplied back by 2^scale."""
    from certify.kernel.speed_cones import MAX_CHECK_COST, cone_check_cost, cone_digits
    from certify.optimum.arrangement import round_up

    start = time.perf_counter()
    g = G[0]
    d, N = len(X), len(g)
    # the checker's cost limit caps the tree (k leaves come with about 2k nodes); the leaves' numbers are
    # 12-digit decimals scaled by a power of two (q) and 12-digit decimals (t)
    digits = cone_digits([v for r in X + G for v in r], [fmpq(1, 10**12), fmpq(10**12 - 1, 10**12 * 2**abs(scale))])
    per_leaf = cone_check_cost(1, 2, N, d, digits)
    cap = max(2 * 2**d, 2 * int(MAX_CHECK_COST * 0.95 // per_leaf))
    (cones,), roots, best_u, best_sign, incumbent, stopped, nodes = search(
        Xf, gf, g, gap if gap is not None else DEFAULT_GAP, time_limit, min(node_limit or cap, cap))
    if stopped == "node limit" and (node_limit is None or cap < node_limit):
        stopped = "checker's size limit"
    trees = []
    top = arb(0)
    leaves = 0
    from certify.kernel.speed_certificate import number_text

    for e in (1, -1):
        out = []
        for root in [r for r in roots if cones[r].sign == e]:
            stack = [root]
            while stack:
                cone = cones[stack.pop()]
                if cone.children is not None:
                    out.append({"split": list(cone.split)})
                    stack += [cone.children[1], cone.children[0]]
                    continue
                q, t = exact_leaf(X, g, e, cone.gens, cone.q, cone.t, cone.crossing, scale)

                norm = arb(sum((x * x for x in q), fmpq(0))).sqrt()
                if norm.mid() + norm.rad() > top.mid() + top.rad():
                    top = norm
                out.append({"q": [number_text(x) for x in q], "t": {str(j): number_text(v) for j, v in sorted(t.items())}})
                leaves += 1
        trees.append({"sign": e, "nodes": out})
    return ConeSearch(trees, round_up(top), best_u, best_sign, incumbent, nodes, leaves, stopped,
                      time.perf_counter() - start)
