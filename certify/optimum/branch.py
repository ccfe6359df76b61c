"""Depth 3 on 2-D data by branch and bound over the subsets S (untrusted search; Section 4, footnote 2).

Enumerating the 2^|P| + 2^|M| sign patterns of ``certify optimum --depth 3`` stops near N = 22.  This search
covers the same subsets with a binary tree instead: a node fixes some points of P inside S and some outside,
and its bound (derived in :mod:`certify.kernel.speed_certificate`, schema_version 3) is

    min over t in [0, 1]^M of max(0, max_u v_+(t) . relu(X^T u), max_u -v_-(t) . relu(X^T u)),

a second-order cone program over the cells of the line arrangement (cvxpy, Clarabel), one per node, with
the node's data as parameters so it is compiled once per sign.  The dual of that program is a measure on
directions u: it gives a point f of the feasible set K, whose true value e g . relu(f) is the incumbent (and
the lower end's network), and the points of the open set where the relaxation relu(f_j) <= sum l_i p_j(u_i)
is loosest, on which the search branches.  Nodes whose bound is within the gap of the incumbent become
leaves; so do the open nodes when a time or node limit stops the search, which widens the interval but keeps
it certified.  Nothing here is trusted: the tree, its multipliers (12-digit decimals) and the network are
re-checked in exact arithmetic by the kernel.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flint import arb, fmpq

from certify.kernel.speed_certificate import cell_changes, cell_sums

#: the default target width of the certified interval, relative to the incumbent (and at least this absolute)
DEFAULT_GAP = 1e-8
#: Clarabel's tolerances: tighter than its defaults, so that bounds within the gap can be told apart
SOLVER_OPTIONS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


@dataclass
class _Node:
    sign: int
    s_in: frozenset[int]
    s_out: frozenset[int]
    open: tuple[int, ...]
    bound: float
    t: np.ndarray  # multipliers on M_e (in the order of the sign's M)
    looseness: np.ndarray  # per point: how loose the relaxation is at the node's dual measure
    children: tuple[int, int] | None = None


@dataclass
class BranchSearch:
    """The outcome of the search: the trees as JSON-ready nodes, the witness, and what it cost."""

    branches: list[dict[str, Any]]
    leaves: list[tuple[int, frozenset[int], frozenset[int], dict[int, fmpq]]]  # (sign, S_in, open, t) per leaf
    witness: list[tuple[float, np.ndarray]]  # (signed mass, unit direction) of the best point f of K
    witness_sign: int
    incumbent: float
    float_upper: float
    nodes: int
    solves: int
    stopped: str | None  # "time limit" / "node limit" when the search was cut short
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)


class _NodeProgram:
    """The cone program of one sign e, compiled once; the node's S_in and open set enter as parameters."""

    def __init__(self, Xf: np.ndarray, gf: np.ndarray, e: int, M: list[int], masks: np.ndarray,
                 normals: np.ndarray) -> None:
        import cvxpy as cp

        m, N = masks.shape
        self.Xf, self.gf, self.e, self.M, self.masks = Xf, gf, e, M, masks
        D = np.zeros((N, max(len(M), 1)))
        for c, j in enumerate(M):
            D[j, c] = e * gf[j]
        self.t = cp.Variable(max(len(M), 1))
        self.top = cp.Variable()
        self.base_plus = cp.Parameter((m, 2))
        self.base_minus = cp.Parameter((m, 2))
        # the cell's vector w_i(v) = sum over its active points of v_k x_k, linear in t
        B = np.einsum("ij,aj,jc->iac", masks, Xf, D)  # cells x 2 x |M|
        Bt = cp.reshape(B.reshape(m * 2, -1) @ self.t, (m, 2), order="C")
        y_plus = cp.Variable((m, 3), nonneg=True)
        y_minus = cp.Variable((m, 3), nonneg=True)
        # n . u >= 0 on cell i (rows of normals[i]); y >= 0 moves w inside the cell's dual cone
        ny_plus = cp.reshape(cp.sum(cp.multiply(y_plus[:, :, None], normals), axis=1), (m, 2), order="C")
        ny_minus = cp.reshape(cp.sum(cp.multiply(y_minus[:, :, None], normals), axis=1), (m, 2), order="C")
        self.cone_plus = cp.SOC(self.top * np.ones(m), self.base_plus + Bt + ny_plus, axis=1)
        self.cone_minus = cp.SOC(self.top * np.ones(m), -(self.base_minus + Bt) + ny_minus, axis=1)
        self.problem = cp.Problem(cp.Minimize(self.top), [self.t >= 0, self.t <= 1, self.cone_plus,
                                                            self.cone_minus])

    def solve(self, s_in: frozenset[int], open_: tuple[int, ...]) -> tuple[float, np.ndarray, float, list, np.ndarray]:
        """(bound, t, value of the dual's point f, its measure [(signed mass, unit u)], looseness per point)."""
        import warnings

        import cvxpy as cp

        N = len(self.gf)
        plus, minus = np.zeros(N), np.zeros(N)
        idx_in, idx_open = list(s_in), list(open_)
        minus[idx_in] = self.e * self.gf[idx_in]
        plus[idx_in + idx_open] = self.e * self.gf[idx_in + idx_open]
        self.base_plus.value = self.masks @ (self.Xf * plus).T
        self.base_minus.value = self.masks @ (self.Xf * minus).T
        with warnings.catch_warnings():  # "may be inaccurate": the exact check decides, any t is valid
            warnings.simplefilter("ignore", UserWarning)
            try:
                self.problem.solve(solver=cp.CLARABEL, **SOLVER_OPTIONS)
            except cp.error.SolverError:
                pass
        if self.t.value is None or self.problem.value is None or not math.isfinite(self.problem.value):
            return math.inf, np.ones(max(len(self.M), 1)), 0.0, [], np.zeros(N)
        t = np.clip(np.asarray(self.t.value, dtype=float), 0.0, 1.0)
        measure = []
        for cone, s in ((self.cone_plus, 1.0), (self.cone_minus, -1.0)):
            dual = cone.dual_value
            if dual is None:
                continue
            for z in np.asarray(dual[1], dtype=float):
                mass = float(np.linalg.norm(z))
                if mass > 1e-12:
                    measure.append((s * mass, -z / mass))
        total = sum(abs(c) for c, _ in measure)
        if total > 1:
            measure = [(c / total, u) for c, u in measure]
        f = np.zeros(N)
        lifted = np.zeros(N)
        atoms = []
        for c, u in measure:
            p = np.maximum(self.Xf.T @ u, 0.0)
            f += c * p
            atoms.append(c * p)
            if c > 0:
                lifted += c * p
        value = float(self.e * self.gf @ np.maximum(f, 0.0))
        looseness = np.abs(self.gf) * (lifted - np.maximum(f, 0.0))
        # where the relaxation is loose, f itself can be poor: also try its positive part and its single atoms
        # (each a point of K once rescaled to mass one), and keep the best as the node's primal point
        dual = list(measure)
        positive = [(c, u) for c, u in dual if c > 0]
        mass = sum(c for c, _ in positive)
        if mass > 0:
            v = float(self.e * self.gf @ (lifted / mass))
            if v > value:
                value, measure = v, [(c / mass, u) for c, u in positive]
        for (c, u), a in zip(dual, atoms):
            if c != 0:
                v = float(self.e * self.gf @ np.maximum(a / abs(c), 0.0))
                if v > value:
                    value, measure = v, [(1.0 if c > 0 else -1.0, u)]
        return float(self.problem.value), t, value, measure, looseness


def _float_bound(Xf, gf, e, M, masks, rays, s_in, open_, t) -> float:
    """The node's bound for given multipliers, in floats (to keep a parent's t when it already prunes)."""
    N = len(gf)
    minus = np.zeros(N)
    idx = list(s_in)
    minus[idx] = e * gf[idx]
    for c, j in enumerate(M):
        minus[j] = e * gf[j] * t[c]
    plus = minus.copy()
    plus[list(open_)] = e * gf[list(open_)]
    ra, rb = rays, np.roll(rays, -1, axis=0)

    def top(W):
        inside = (ra[:, 0] * W[:, 1] - ra[:, 1] * W[:, 0] >= 0) & (W[:, 0] * rb[:, 1] - W[:, 1] * rb[:, 0] >= 0)
        ends = np.maximum((W * ra).sum(1), (W * rb).sum(1))
        return float(np.where(inside, np.linalg.norm(W, axis=1), np.maximum(ends, 0.0)).max())

    return max(0.0, top(masks @ (Xf * plus).T), top(-(masks @ (Xf * minus).T)))


class _Status:
    """A one-line live status on stderr when it is a terminal (nodes, open nodes, interval), else nothing."""

    def __init__(self) -> None:
        import sys

        self.live = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.live = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=True)

    def __enter__(self) -> "_Status":
        if self.live is not None:
            self.live.__enter__()
            self.task = self.live.add_task("branch and bound")
        return self

    def __exit__(self, *exc: Any) -> bool:
        if self.live is not None:
            self.live.__exit__(*exc)
        return False

    def update(self, text: str) -> None:
        if self.live is not None:
            self.live.update(self.task, description=text)


def search(g: list[fmpq], Xf: np.ndarray, gf: np.ndarray, rays_f: np.ndarray, masks: np.ndarray,
           normals: np.ndarray, gap: float = DEFAULT_GAP, time_limit: float | None = None,
           node_limit: int | None = None, start_direction: np.ndarray | None = None) -> BranchSearch:
    """Best-first branch and bound over both signs.  ``g``: the exact G (its signs decide P and M);
    ``Xf``, ``gf``: the data as scaled floats; ``rays_f`` (cells x 2, unit), ``masks`` (cells x N, 1 where a
    point is active) and ``normals`` (cells x 3 x 2) describe the arrangement.  A node is closed when its bound
    is at most incumbent + gap * max(1, incumbent) / 2 (half the target width; the rest is left for rounding)."""
    start = time.perf_counter()
    N = len(g)
    nodes: list[_Node] = []
    programs = {}
    heap: list[tuple[float, int]] = []
    best = (0.0, 1, [])  # (value, sign, measure)
    if start_direction is not None:  # p(u) for the depth-2 optimum u lies in K: a first incumbent
        u = np.asarray(start_direction, dtype=float) / np.linalg.norm(start_direction)
        value = float(gf @ np.maximum(Xf.T @ u, 0.0))
        best = (abs(value), 1 if value >= 0 else -1, [(1.0, u)])
    solves = 0
    stopped = None

    def closing(b: float) -> bool:
        return b <= best[0] + gap * max(1.0, best[0]) / 2

    Ms = {e: [j for j in range(N) if e * g[j] < 0] for e in (1, -1)}
    roots = []
    for e in (1, -1):
        programs[e] = _NodeProgram(Xf, gf, e, Ms[e], masks, normals)
        P = tuple(j for j in range(N) if e * g[j] > 0)
        b, t, value, measure, loose = programs[e].solve(frozenset(), P)
        solves += 1
        if value > best[0]:
            best = (value, e, measure)
        nodes.append(_Node(e, frozenset(), frozenset(), P, b, t, loose))
        roots.append(len(nodes) - 1)
        heapq.heappush(heap, (-b, len(nodes) - 1))
    with _Status() as status:
        while heap:
            b, idx = heap[0]
            node = nodes[idx]
            if closing(node.bound) or not node.open:
                heapq.heappop(heap)  # a leaf: its bound is within the gap, or it decides every point
                continue
            # a node that needs branching: only now do the limits stop the search (two more nodes)
            if time_limit is not None and time.perf_counter() - start > time_limit:
                stopped = "time limit"
                break
            if node_limit is not None and len(nodes) + 2 > node_limit:
                stopped = "node limit"
                break
            heapq.heappop(heap)
            e = node.sign
            loose = node.looseness[list(node.open)]
            if loose.max() > 0:
                j = node.open[int(np.argmax(loose))]
            else:  # the relaxation looks tight but the bound did not close: the largest weight
                j = max(node.open, key=lambda k: abs(gf[k]) * float(np.linalg.norm(Xf[:, k])))
            rest = tuple(k for k in node.open if k != j)
            kids = []
            for s_in, s_out in ((node.s_in | {j}, node.s_out), (node.s_in, node.s_out | {j})):
                b = _float_bound(Xf, gf, e, Ms[e], masks, rays_f, s_in, rest, node.t)
                t, loose_child = node.t, node.looseness
                if not closing(b):
                    b2, t2, value, measure, loose2 = programs[e].solve(s_in, rest)
                    solves += 1
                    if value > best[0]:
                        best = (value, e, measure)
                    if b2 < b:
                        b, t, loose_child = b2, t2, loose2
                nodes.append(_Node(e, s_in, s_out, rest, b, t, loose_child))
                kids.append(len(nodes) - 1)
                heapq.heappush(heap, (-b, len(nodes) - 1))
            node.children = (kids[0], kids[1])
            top = -heap[0][0] if heap else best[0]
            status.update(f"branch and bound: {len(nodes)} nodes, {len(heap)} open, interval "
                          f"[{best[0]:.10g}, {max(top, best[0]):.10g}]")
    # the leaves: every node without children (closed, decided, or still open at a limit)
    branches, leaves = [], []
    float_upper = best[0]
    for root in roots:
        e = nodes[root].sign
        M = Ms[e]
        order, stack = [], [root]
        while stack:
            idx = stack.pop()
            node = nodes[idx]
            if node.children is not None:
                order.append({"split": int(next(iter((nodes[node.children[0]].s_in - node.s_in))))})
                stack.append(node.children[1])
                stack.append(node.children[0])
                continue
            t = {j: _multiplier(node.t[c]) for c, j in enumerate(M)}
            t = {j: v for j, v in t.items() if v != 0}
            order.append({"t": t})
            leaves.append((e, node.s_in, frozenset(node.open), t))
            float_upper = max(float_upper, node.bound)
        branches.append({"sign": e, "nodes": order})
    return BranchSearch(branches, leaves, best[2], best[1], best[0], float_upper, len(nodes), solves, stopped,
                        time.perf_counter() - start, {"open_at_stop": len(heap) if stopped else 0})


def _multiplier(x: float) -> fmpq:
    """A multiplier as a 12-digit decimal in [0, 1] (a solver's nan becomes 1, always allowed)."""
    if not math.isfinite(x):
        x = 1.0
    x = min(max(x, 0.0), 1.0)
    return fmpq(int(round(x * 10**12)), 10**12)


def exact_upper(search_result: BranchSearch, g: list[fmpq], pts: list, rays: list, active: list) -> arb:
    """The largest one-sided support value over the leaves, as an enclosure (exact sums, arb arc maxima)."""
    from certify.optimum.arrangement import arc_max

    m = len(rays)
    changes = cell_changes(active)
    top = arb(0)
    for e, s_in, open_, t in search_result.leaves:
        common = [(j, e * g[j] * v) for j, v in t.items()]
        for side, support in ((1, s_in | open_), (-1, s_in)):
            v = [(j, e * g[j]) for j in sorted(support)] + common
            for i, (w0, w1) in enumerate(cell_sums(v, pts, active, changes)):
                val = arc_max((side * w0, side * w1), rays[i], rays[(i + 1) % m])
                if val.mid() + val.rad() > top.mid() + top.rad():
                    top = val
    return top


def tidy_measure(measure: list[tuple[float, np.ndarray]], Xf: np.ndarray, gf: np.ndarray,
                 e: int) -> list[tuple[float, np.ndarray]]:
    """An interior-point dual spreads a little mass over every cell.  Drop masses below 1e-6 of the largest
    and rescale the rest to the same total; keep whichever measure has the larger value e g . relu(f)
    (floats: the exact speed of the resulting network is what the kernel checks)."""
    def value(ms):
        f = sum((c * np.maximum(Xf.T @ u, 0.0) for c, u in ms), np.zeros(len(gf)))
        return float(e * gf @ np.maximum(f, 0.0))

    if not measure:
        return measure
    top = max(abs(c) for c, _ in measure)
    kept = [(c, u) for c, u in measure if abs(c) >= 1e-6 * top]
    total, kept_total = sum(abs(c) for c, _ in measure), sum(abs(c) for c, _ in kept)
    kept = [(c * total / kept_total, u) for c, u in kept]
    return kept if value(kept) >= value(measure) else measure
