"""The untrusted search for optimal escape speeds and the certificate it proposes (Section 4).

:func:`propose` finds the cells of the line arrangement, the multipliers t of the dual bound (a
second-order cone program per sign pattern, or per subtree at depth 4 and more, solved by
cvxpy/Clarabel; branch and bound in :mod:`certify.optimum.branch` and :mod:`certify.optimum.cones`)
and an explicit network for the lower bound, and writes them into a certificate document.  Nothing
here is trusted: :mod:`certify.optimum.certificates` has the document checked by the kernel.  The
mathematics is in the checker's docstring and in ``proofs/section4_optimal_speed.py``.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from flint import arb, fmpq

from certify.core.errors import InputError
from certify.kernel.speed_certificate import (
    BRANCH_VERSION,
    MAX_CHECK_COST,
    MAX_DEPTH,
    MAX_PATTERN_CELLS,
    MAX_PATTERNS,
    MAX_POINTS,
    MAX_TREE_NODES,
    SCHEMA,
    branch_check_cost,
    branch_digits,
    data_digest,
    number_text,
)
from certify.optimum.arrangement import (
    Arrangement,
    arrangement,
    cross,
    decimal_rational,
    dot,
    float_direction,
    rational_unit,
    round_up,
    scale_inside,
    support_value,
    to_rational,
)

#: depth 2 and 3 keep writing the flat version-1 document; deeper ones write the tree (version 2)
FLAT_VERSION = 1
TREE_VERSION = 2


# --- the searches ----------------------------------------------------------------------------------


@dataclass
class Proposal:
    depth: int
    lower_weights: list[list[list[fmpq]]]
    upper: fmpq
    multipliers: list[dict[str, Any]]
    solver_seconds: float
    patterns: int
    tree: list[dict[str, Any]] | None = None  # depth >= 4: the root's children (exact multipliers)
    branches: list[dict[str, Any]] | None = None  # depth 3 by branch and bound: the two trees in preorder
    search_stats: dict[str, Any] | None = None


def _depth2_direction(arr: Arrangement, g: list[fmpq]) -> tuple[arb, np.ndarray, int]:
    """The depth-2 optimum: (an enclosure of s*(2), a float direction u attaining it, the sign of g . p(u))."""
    val, i, s = support_value(arr, g)
    ra, rb = arr.rays[i], arr.rays[(i + 1) % arr.cells]
    w = (s * sum((g[k] * arr.points[k][0] for k in arr.active[i]), fmpq(0)),
         s * sum((g[k] * arr.points[k][1] for k in arr.active[i]), fmpq(0)))
    if cross(ra, w) >= 0 and cross(w, rb) >= 0:
        best = w
    else:  # the end ray with the larger w . r/||r||, compared in arb (floats of 1e300-sized data overflow)
        best = max((ra, rb), key=lambda r: (arb(dot(w, r)) / arb(dot(r, r)).sqrt()).mid())
    return val, float_direction(best), s


def _depth2(arr: Arrangement, g: list[fmpq]) -> Proposal:
    start = time.perf_counter()
    val, u, s = _depth2_direction(arr, g)
    unit = rational_unit(u)
    # speed = -g . (W2 relu(X^T u)); the sign s says which sign of g . relu(X^T u) is the large one
    weights = scale_inside([[unit], [[fmpq(-s)]]], 2)
    return Proposal(2, weights, round_up(val), [], time.perf_counter() - start, 1)


def _cone_normals(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Rows n with n . u >= 0 on cone(ra, rb) (unit rays, angle below pi): cross(ra, u) >= 0, cross(u, rb) >= 0
    and (ra + rb) . u >= 0.  The third row is implied in exact arithmetic, but when a sliver cell's two rays
    round to the same float the first two describe a whole line, and the third keeps its orientation."""
    return np.array([[-ra[1], ra[0]], [rb[1], -rb[0]], [ra[0] + rb[0], ra[1] + rb[1]]])


def _depth3(arr: Arrangement, g: list[fmpq], Xf: np.ndarray, gf: np.ndarray, upper: bool = True) -> Proposal:
    """``Xf`` and ``gf``: the data as floats scaled to max-norm about one (:func:`scaled_floats`); the speed
    is homogeneous in X and in G, so the multipliers and the witness's direction do not change, and the
    exact values are computed from ``arr`` and ``g``, the data as given.  ``upper=False`` skips the exact
    support values (the deeper searches only want the witness; the upper end is then 0)."""
    import cvxpy as cp

    start = time.perf_counter()
    N, m = len(g), arr.cells
    rays = [float_direction(r) for r in arr.rays]
    rays = [r / np.linalg.norm(r) for r in rays]
    normals = [_cone_normals(rays[i], rays[(i + 1) % m]) for i in range(m)]
    masks = [np.array([1.0 if k in arr.active[i] else 0.0 for k in range(N)]) for i in range(m)]
    XA = [Xf * mk for mk in masks]  # 2 x N: the active points of cell i

    multipliers: list[dict[str, Any]] = []
    best: tuple[float, int, tuple[int, ...]] | None = None
    patterns = 0
    for e in (1, -1):  # the signs of the exact g (an entry of gf may have underflowed to 0)
        P = [j for j in range(N) if e * g[j] > 0]
        M = [j for j in range(N) if e * g[j] < 0]
        patterns += 2 ** len(P)
        D = np.zeros((N, max(len(M), 1)))
        for c, j in enumerate(M):
            D[j, c] = e * gf[j]
        t = cp.Variable(max(len(M), 1))
        tau = cp.Variable()
        base = cp.Parameter((m, 2))
        cons = [t >= 0, t <= 1]
        for i in range(m):
            B = XA[i] @ D
            for s in (1, -1):
                y = cp.Variable(3, nonneg=True)
                cons.append(cp.norm(s * (base[i] + B @ t) + normals[i].T @ y) <= tau)
        prob = cp.Problem(cp.Minimize(tau), cons)
        for size in range(len(P) + 1):
            for S in combinations(P, size):
                c = np.zeros(N)
                c[list(S)] = e * gf[list(S)]
                base.value = np.array([XA[i] @ c for i in range(m)])
                prob.solve(solver=cp.CLARABEL)
                tv = np.clip(np.asarray(t.value, dtype=float), 0.0, 1.0) if t.value is not None else np.ones(len(M))
                tq = {j: fmpq(int(round(tv[c_] * 10**12)), 10**12) for c_, j in enumerate(M)}
                multipliers.append({"sign": e, "subset": list(S), "t": tq})
                if best is None or (prob.value is not None and prob.value > best[0]):
                    best = (float(prob.value), e, S)
    # the upper bound: the largest exact support value over all patterns (with the rounded multipliers)
    U = fmpq(0)
    for mult in (multipliers if upper else []):
        e = mult["sign"]
        v = [fmpq(0)] * N
        for j in mult["subset"]:
            v[j] = e * g[j]
        for j, tj in mult["t"].items():
            v[j] = e * g[j] * tj
        U = max(U, round_up(support_value(arr, v)[0]))
    assert best is not None
    weights = _depth3_witness(arr, Xf, gf, normals, *best[1:], M=[j for j in range(N) if best[1] * g[j] < 0])
    return Proposal(3, weights, U, multipliers, time.perf_counter() - start, patterns)


def _depth3_branch(arr: Arrangement, g: list[fmpq], Xf: np.ndarray, gf: np.ndarray, gap: float | None,
                   time_limit: float | None, node_limit: int | None) -> Proposal:
    """Depth 3 by branch and bound (:mod:`certify.optimum.branch`): the trees, the exact upper end over their
    leaves, and the network of the best point of K the search met."""
    from certify.optimum import branch as bb

    m = arr.cells
    rays = np.array([float_direction(r) for r in arr.rays])
    rays = rays / np.linalg.norm(rays, axis=1, keepdims=True)
    normals = np.stack([_cone_normals(rays[i], rays[(i + 1) % m]) for i in range(m)])
    masks = np.array([[1.0 if k in arr.active[i] else 0.0 for k in range(len(g))] for i in range(m)])
    # the checker's cost limit caps the leaves (two one-sided vectors each); a tree with k leaves has 2k - 2 nodes.
    # The multipliers are 12-digit decimals: digits as for the number 10^12 (and its denominator).
    digits = branch_digits([v for p in arr.points for v in p] + list(g) + [v for r in arr.rays for v in r],
                           [fmpq(1, 10**12), fmpq(10**12 - 1, 10**12)])
    changes = sum(len(a ^ b) for a, b in zip(arr.active, arr.active[1:]))
    fixed = branch_check_cost(len(g), m, changes, 0, digits)
    per_leaf = branch_check_cost(len(g), m, changes, 2, digits) - fixed
    cap = max(2, 2 * int((MAX_CHECK_COST * 0.95 - fixed) // per_leaf) - 2)
    # the depth-2 optimum u: p(u) lies in K, so the search starts with s*(2) as its incumbent
    _, start, _ = _depth2_direction(arr, g)
    found = bb.search(g, Xf, gf, rays, masks, normals, gap=gap if gap is not None else bb.DEFAULT_GAP,
                      time_limit=time_limit, node_limit=min(node_limit or cap, cap), start_direction=start)
    if found.stopped == "node limit" and (node_limit is None or cap < node_limit):
        found.stopped = "checker's size limit"
    U = round_up(bb.exact_upper(found, g, arr.points, arr.rays, arr.active))
    weights = _measure_witness(bb.tidy_measure(found.witness, Xf, gf, found.witness_sign), found.witness_sign)
    stats = {"solves": found.solves, "leaves": len(found.leaves), "stopped": found.stopped,
             "open_at_stop": found.stats.get("open_at_stop", 0)}
    return Proposal(3, weights, U, [], found.seconds, found.nodes, branches=found.branches, search_stats=stats)


def _measure_witness(measure: list[tuple[float, np.ndarray]], e: int) -> list[list[list[fmpq]]]:
    """The depth-3 network of a point f = sum_i c_i relu(X^T u_i) of K (sum |c_i| <= 1, unit u_i): first layer
    rows sqrt|c_i| u_i, second layer the row sign(c_i) sqrt|c_i|, output -e (speed e g . relu(f))."""
    rows, second = [], []
    for c, u in measure:
        if abs(c) > 1e-12:
            rows.append(math.sqrt(abs(c)) * np.asarray(u, dtype=float))
            second.append(math.copysign(math.sqrt(abs(c)), c))
    if not rows:
        rows, second = [np.array([1.0, 0.0])], [0.0]
    W1 = [[decimal_rational(a), decimal_rational(b)] for a, b in rows]
    W2 = [[decimal_rational(c) for c in second]]
    return scale_inside([W1, W2, [[fmpq(-e)]]], 3)


def _depth3_witness(arr: Arrangement, Xf, gf, normals, e: int, S: tuple[int, ...],
                    M: list[int]) -> list[list[list[fmpq]]]:
    """A network for the lower bound: the maximiser f = sum_i P_i (y_i - z_i) of the pattern (e, S)."""
    import cvxpy as cp

    N, m = len(gf), arr.cells
    ys = [cp.Variable(2) for _ in range(m)]
    zs = [cp.Variable(2) for _ in range(m)]
    f = sum((Xf * np.array([1.0 if k in arr.active[i] else 0.0 for k in range(N)])).T @ (ys[i] - zs[i])
            for i in range(m))
    r = cp.Variable(max(len(M), 1))
    obj = sum(e * gf[j] * f[j] for j in S) + sum(e * gf[j] * r[c] for c, j in enumerate(M))
    cons = [sum(cp.norm(ys[i]) + cp.norm(zs[i]) for i in range(m)) <= 1, r >= 0]
    cons += [r[c] >= f[j] for c, j in enumerate(M)]
    cons += [normals[i] @ ys[i] >= 0 for i in range(m)] + [normals[i] @ zs[i] >= 0 for i in range(m)]
    cp.Problem(cp.Maximize(obj), cons).solve(solver=cp.CLARABEL)
    rows, second = [], []
    for i in range(m):
        for var, sign in ((ys[i], 1.0), (zs[i], -1.0)):
            val = np.asarray(var.value, dtype=float)
            mass = float(np.linalg.norm(val))
            if mass > 1e-10:
                rows.append(val / math.sqrt(mass))  # sqrt(mass) times a unit vector
                second.append(sign * math.sqrt(mass))
    if not rows:
        rows, second = [np.array([1.0, 0.0])], [0.0]
    W1 = [[decimal_rational(a), decimal_rational(b)] for a, b in rows]
    W2 = [[decimal_rational(c) for c in second]]
    return scale_inside([W1, W2, [[fmpq(-e)]]], 3)


# --- depth 4 and more: a tree of multipliers ----------------------------------------------------------
#
# The root g sits at level L - 1; a node v of level >= 2 has one child per sign e and subset S of
# P_e(v) = {j : e v_j > 0}, with multipliers t in [0, 1] on M_e(v) = {j : e v_j < 0}; level-1 nodes are
# checked on the arcs.  Along a path every entry is (product of the signs) * g_j * (product of the
# multipliers), so the search works with tau_j, that product (1 at the root): tau is copied on S, set to
# 0 off S u M, and may only shrink on M.  These are linear constraints, so the tree below one child of the
# root is a single cone program.  Which entries of a node are nonzero is not known before the solve; the
# search lays out the tree as if every entry it may carry were nonzero (the *layout*), and the exact tree
# keeps the branches whose subsets avoid the entries that came out zero (those leave P and M).


@functools.cache
def _subtree_size(level: int, a: int, b: int) -> tuple[int, int]:
    """(nodes, leaves) of a layout subtree at ``level`` whose node has a positive and b negative entries
    (itself included).  A child of sign e takes S from one side (k entries, now positive) and keeps the
    other side whole (now negative): the counts only depend on (k, other side)."""
    if level <= 1:
        return 1, 1
    nodes, leaves = 1, 0
    for x, y in ((a, b), (b, a)):
        for k in range(x + 1):
            n, l = _subtree_size(level - 1, k, y)
            nodes += math.comb(x, k) * n
            leaves += math.comb(x, k) * l
    return nodes, leaves


def tree_size(g: list[fmpq], depth: int) -> tuple[int, int]:
    """(nodes, leaves) of the layout tree below the root g, the root not counted; an upper bound on those
    of the exact tree (which drops the branches of entries that came out zero)."""
    pos, neg = sum(1 for v in g if v > 0), sum(1 for v in g if v < 0)
    if 2**pos + 2**neg > MAX_TREE_NODES:
        return 2**pos + 2**neg, 2**pos + 2**neg  # already too many; no need to count the rest
    nodes, leaves = _subtree_size(depth - 1, pos, neg)
    return nodes - 1, leaves


@dataclass
class _Slot:
    """One node of the layout of a root child's subtree."""

    sign: int  # e of the edge from the parent
    subset: tuple[int, ...]  # S, copied from the parent
    shrink: tuple[int, ...]  # M_e(parent) in the layout: may shrink
    path_sign: int  # the product of the signs from the root: the node is path_sign * g_j * tau_j
    parent: int  # index of the parent slot; -1 for the root g
    level: int
    children: list[int]


def _layout(gsign: list[int], e: int, S: tuple[int, ...], level: int) -> list[_Slot]:
    """The layout of the subtree of the root's child (e, S), in preorder (parents before children)."""
    slots: list[_Slot] = []

    def add(parent: int, support: list[int], path: int, e: int, S: tuple[int, ...], level: int) -> int:
        M = tuple(j for j in support if e * path * gsign[j] < 0)
        idx = len(slots)
        slots.append(_Slot(e, S, M, e * path, parent, level, []))
        if level >= 2:
            own = sorted(S + M)
            for e2 in (1, -1):
                P2 = [j for j in own if e2 * e * path * gsign[j] > 0]
                for size in range(len(P2) + 1):
                    for S2 in combinations(P2, size):
                        slots[idx].children.append(add(idx, own, e * path, e2, S2, level - 1))
        return idx

    add(-1, [j for j in range(len(gsign)) if gsign[j] != 0], 1, e, S, level)
    return slots


def _solve_layout(slots: list[_Slot], gf: np.ndarray, XA: list[np.ndarray], normals: list[np.ndarray],
                  root_support: np.ndarray) -> np.ndarray:
    """tau for every slot (slots x N) minimising the largest arc support value over the leaves (floats,
    untrusted; a failed solve gives tau = the parent's, i.e. multipliers 1, still a valid certificate)."""
    import cvxpy as cp
    from scipy import sparse

    n, N = len(slots), len(gf)
    keep, copy_, shrink = np.zeros((n, N)), np.zeros((n, N)), np.zeros((n, N))
    rows, cols = [], []
    from_root = np.zeros((n, N))
    signed_g = np.zeros((n, N))
    for i, sl in enumerate(slots):
        copy_[i, list(sl.subset)] = 1.0
        shrink[i, list(sl.shrink)] = 1.0
        keep[i] = copy_[i] + shrink[i]
        signed_g[i] = sl.path_sign * gf
        if sl.parent < 0:
            from_root[i] = root_support
        else:
            rows.append(i)
            cols.append(sl.parent)
    parent_of = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    leaves = [i for i, sl in enumerate(slots) if sl.level == 1]
    pick = sparse.csr_matrix((np.ones(len(leaves)), (range(len(leaves)), leaves)), shape=(len(leaves), n))

    tau = cp.Variable((n, N), nonneg=True)
    top = cp.Variable()
    parent = parent_of @ tau + from_root
    cons = [cp.multiply(1.0 - keep, tau) == 0, cp.multiply(copy_, tau - parent) == 0,
            cp.multiply(shrink, tau - parent) <= 0]
    V = cp.multiply(pick @ tau, signed_g[leaves])  # the leaves' vectors (scaled floats)
    for i, A in enumerate(XA):
        W = V @ A.T  # leaves x 2: w_i(v) = sum over the active points of v_k x_k
        for s in (1.0, -1.0):
            y = cp.Variable((len(leaves), 3), nonneg=True)
            cons.append(cp.norm(s * W + y @ normals[i], 2, axis=1) <= top)
    prob = cp.Problem(cp.Minimize(top), cons)
    import warnings

    with warnings.catch_warnings():  # "may be inaccurate": any tau is valid, the exact check decides
        warnings.simplefilter("ignore", UserWarning)
        try:
            prob.solve(solver=cp.CLARABEL)
        except cp.error.SolverError:
            pass
    if tau.value is None:  # multipliers 1 everywhere: the layout's own tau
        value = np.zeros((n, N))
        for i, sl in enumerate(slots):
            base = root_support if sl.parent < 0 else value[sl.parent]
            value[i] = base * keep[i]
        return value
    return np.clip(np.asarray(tau.value, dtype=float), 0.0, 1.0)


def _coefficient(x: float) -> fmpq:
    """A multiplier as a 12-digit decimal in [0, 1]."""
    if not math.isfinite(x):  # a solver's nan: the multiplier 1 is always allowed
        x = 1.0
    return decimal_rational(min(max(x, 0.0), 1.0))


def _exact_subtree(slots: list[_Slot], tau: np.ndarray, idx: int, parent_coef: dict[int, fmpq],
                   parent_sign: int, gsign: list[int], g: list[fmpq], arr: Arrangement,
                   leaves: list[list[fmpq]]) -> dict[str, Any]:
    """The exact node of slot ``idx`` (its parent's nonzero coefficients ``parent_coef``, all > 0, and the
    parent's path sign), with its exact children; the leaves' exact vectors are appended to ``leaves``.

    Each multiplier is the float ratio tau_child / parent coefficient, clamped to [0, 1] and rounded to a
    12-digit decimal: every t then has a power of ten as its denominator (the checker bounds the common
    denominator of all of them), and the coefficient child = parent * t is kept exactly, so the leaf
    vectors here are those the checker recomputes."""
    sl = slots[idx]
    e = sl.sign
    coef = {j: parent_coef[j] for j in sl.subset}
    t: dict[int, fmpq] = {}
    for j, pc in parent_coef.items():
        if e * parent_sign * gsign[j] < 0:  # M_e(parent), exactly: the parent's entry is nonzero
            ratio = float(tau[idx, j]) / float(pc) if float(pc) > 0 else 1.0
            t[j] = _coefficient(ratio)
            if t[j] > 0:
                coef[j] = pc * t[j]
    node: dict[str, Any] = {"sign": e, "subset": sorted(sl.subset), "t": t}
    if sl.level >= 2:
        node["children"] = [_exact_subtree(slots, tau, c, coef, sl.path_sign, gsign, g, arr, leaves)
                            for c in sl.children if all(j in coef for j in slots[c].subset)]
    else:
        v = [fmpq(0)] * len(g)
        for j, c in coef.items():
            v[j] = sl.path_sign * g[j] * c
        leaves.append(v)
    return node


def _count_exact(tree: list[dict[str, Any]]) -> tuple[int, int]:
    nodes = leaves = 0
    stack = list(tree)
    while stack:
        node = stack.pop()
        nodes += 1
        if "children" in node:
            stack.extend(node["children"])
        else:
            leaves += 1
    return nodes, leaves


def _progress(total: int, what: str) -> Any:
    """A rich progress bar on stderr when it is a terminal, else a do-nothing stand-in."""
    import sys

    class _Quiet:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def advance(self) -> None:
            pass

    if not sys.stderr.isatty():
        return _Quiet()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    class _Bar(_Quiet):
        def __enter__(self):
            self.p = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              console=Console(stderr=True), transient=True)
            self.p.__enter__()
            self.task = self.p.add_task(what, total=total)
            return self

        def __exit__(self, *exc):
            return self.p.__exit__(*exc)

        def advance(self) -> None:
            self.p.advance(self.task)

    return _Bar()


def _deep(arr: Arrangement, g: list[fmpq], Xf: np.ndarray, gf: np.ndarray, depth: int,
          Xq: list[list[fmpq]], Gq: list[list[fmpq]]) -> Proposal:
    """Depth >= 4: one cone program per child of the root over its whole subtree, then the exact tree and
    the largest exact leaf support value as the upper end.  The lower end: the depth-3 witness with
    depth - 3 layers [[1]] inserted before its last layer, or a network found by gradient ascent at this
    depth, whichever is faster exactly."""
    start = time.perf_counter()
    N, m = len(g), arr.cells
    gsign = [1 if v > 0 else (-1 if v < 0 else 0) for v in g]
    rays = [float_direction(r) for r in arr.rays]
    rays = [r / np.linalg.norm(r) for r in rays]
    normals = [_cone_normals(rays[i], rays[(i + 1) % m]) for i in range(m)]
    XA = [Xf * np.array([1.0 if k in arr.active[i] else 0.0 for k in range(N)]) for i in range(m)]
    root_support = np.array([1.0 if s else 0.0 for s in gsign])
    root_coef = {j: fmpq(1) for j in range(N) if gsign[j]}

    roots = [(e, S) for e in (1, -1) for size in range(sum(1 for s in gsign if e * s > 0) + 1)
             for S in combinations([j for j in range(N) if e * gsign[j] > 0], size)]
    tree: list[dict[str, Any]] = []
    leaves: list[list[fmpq]] = []
    with _progress(len(roots), f"depth {depth}: cone programs") as bar:
        for e, S in roots:
            slots = _layout(gsign, e, S, depth - 2)
            tau = _solve_layout(slots, gf, XA, normals, root_support)
            tree.append(_exact_subtree(slots, tau, 0, root_coef, 1, gsign, g, arr, leaves))
            bar.advance()
    U = fmpq(0)
    for v in leaves:
        U = max(U, round_up(support_value(arr, v)[0]))
    nodes, _ = _count_exact(tree)
    weights = _deep_witness(arr, g, Xf, gf, depth, Xq, Gq)
    prop = Proposal(depth, weights, U, [], time.perf_counter() - start, nodes)
    prop.tree = tree
    return prop


def _padded(weights3: list[list[list[fmpq]]], depth: int) -> list[list[list[fmpq]]]:
    """The depth-3 network with depth - 3 layers [[1]] before its last: relu(1 * relu(z)) = relu(z), so the
    speed is the same and ||theta||^2 grows by depth - 3 (at most 3 + depth - 3 = depth)."""
    return weights3[:-1] + [[[fmpq(1)]] for _ in range(depth - 3)] + weights3[-1:]


def _deep_witness(arr: Arrangement, g: list[fmpq], Xf: np.ndarray, gf: np.ndarray, depth: int,
                  Xq: list[list[fmpq]], Gq: list[list[fmpq]]) -> list[list[list[fmpq]]]:
    from certify.kernel.speed_certificate import exact_speed

    best = _padded(_depth3(arr, g, Xf, gf, upper=False).lower_weights, depth)
    best_speed = exact_speed(best, Xq, Gq)
    for cand in _ascent_witnesses(Xf, gf, depth):
        s = exact_speed(cand, Xq, Gq)
        if s > best_speed:
            best, best_speed = cand, s
    return best


def _ascent_witnesses(Xf: np.ndarray, gf: np.ndarray, depth: int, width: int = 8, restarts: int = 4,
                      steps: int = 1000) -> list[list[list[list[fmpq]]]]:
    """Projected gradient ascent of the speed -g . Y_theta on the sphere ||theta||^2 = depth (numpy, fixed
    seed): a few depth-L networks of the given width, rounded to rationals and scaled inside the ball.
    Steps of decreasing length along the normalised tangent gradient (the speed is homogeneous of degree
    L, so plain gradients are tiny near a random start).  Untrusted: the caller evaluates them exactly."""
    rng = np.random.default_rng(20240531)
    out = []
    shapes = [(width, 2)] + [(width, width)] * (depth - 2) + [(1, width)]
    for _ in range(restarts):
        Ws = _onto_sphere([rng.standard_normal(s) for s in shapes], depth)
        for k in range(steps):
            grads = _speed_grad(Ws, Xf, gf)
            radial = sum(float(np.sum(G * W)) for G, W in zip(grads, Ws)) / depth
            tangent = [G - radial * W for G, W in zip(grads, Ws)]
            size = math.sqrt(sum(float(np.sum(T * T)) for T in tangent))
            if not math.isfinite(size) or size == 0:
                break
            lr = 0.3 * (1 - k / steps) + 0.002
            Ws = _onto_sphere([W + (lr / size) * T for W, T in zip(Ws, tangent)], depth)
        if all(np.all(np.isfinite(W)) for W in Ws):
            exact = [[[decimal_rational(v) for v in row] for row in W] for W in Ws]
            try:
                exact = scale_inside(exact, depth)
            except ValueError:  # the last layer alone is outside the ball: not a candidate
                continue
            out.append(exact)
    return out


def _onto_sphere(Ws: list[np.ndarray], depth: int) -> list[np.ndarray]:
    sq = sum(float(np.sum(W * W)) for W in Ws)
    c = math.sqrt(depth / sq) if sq > 0 else 1.0
    return [W * c for W in Ws]


def _speed_grad(Ws: list[np.ndarray], Xf: np.ndarray, gf: np.ndarray) -> list[np.ndarray]:
    """The gradient of the speed -g . Y_theta(X) in each weight matrix (backpropagation in floats)."""
    acts, pre = [Xf], []
    for l, W in enumerate(Ws):
        Z = W @ acts[-1]
        pre.append(Z)
        acts.append(Z if l == len(Ws) - 1 else np.maximum(Z, 0))
    delta = -gf[None, :]  # d speed / d Y
    grads = [np.zeros_like(W) for W in Ws]
    for l in range(len(Ws) - 1, -1, -1):
        grads[l] = delta @ acts[l].T
        if l:
            delta = (Ws[l].T @ delta) * (pre[l - 1] > 0)
    return grads


# --- the command -------------------------------------------------------------------------------------


def scaled_floats(A: np.ndarray) -> np.ndarray:
    """A times a power of two that brings its largest entry into [0.5, 1): exact, except that entries
    below 2^-1074 of the largest one underflow (the search is untrusted; the checker uses the data as
    given).  A zero array is returned as it is."""
    from certify.optimum.escape import max_exponent

    A = np.asarray(A, dtype=np.float64)
    return np.ldexp(A, -max_exponent(A))  # a zero array stays as it is (exponent 0)


def validate_data(X: np.ndarray, G: np.ndarray, depth: int | None = None) -> None:
    """The inputs the optimum command handles; anything else is a one-line InputError.  Data of dimension
    d != 2 (up to MAX_DIM) are accepted at depth 2 (the cone certificates); 2-D data at every depth."""
    if X.ndim != 2 or G.ndim != 2 or X.shape[1] != G.shape[1] or X.size == 0:
        raise InputError(f"X ({X.shape}) and G ({G.shape}) must be non-empty matrices with one column per point")
    for name, A in (("X", X), ("G", G)):
        if A.dtype.kind != "f" or A.dtype.itemsize > 8:  # wider floats would be rounded: not the data as given
            raise InputError(f"{name} must hold float64 numbers (or float16/float32), got dtype {A.dtype}")
        if not np.all(np.isfinite(A)):
            raise InputError(f"{name} has entries that are not finite float64 numbers")
    from certify.kernel.speed_cones import MAX_DIM

    if X.shape[0] != 2 and depth != 2:
        raise InputError(f"depth {depth} needs 2-D data (X with 2 rows); this X has {X.shape[0]} rows (data of other "
                         "dimensions are certified at depth 2 only)")
    if X.shape[0] > MAX_DIM:
        raise InputError(f"X has {X.shape[0]} rows: the cone certificates handle dimensions 1 to {MAX_DIM} "
                         f"(2^d orthants per sign)")
    if G.shape[0] != 1:
        raise InputError(f"the optimum command handles one output (G with 1 row); this G has {G.shape[0]} rows")
    if not np.any(G):
        raise InputError("G is all zero: every direction has speed 0, there is nothing to certify")
    if not np.any(X):
        raise InputError("every data point is zero: every direction has speed 0, there is nothing to certify")
    from certify.optimum.escape import check_scale

    check_scale(X, G)
    if X.shape[1] > MAX_POINTS:
        raise InputError(f"{X.shape[1]} data points: the certificate checker accepts at most {MAX_POINTS} "
                         "(MAX_POINTS in certify/kernel/speed_certificate.py)")


def exact_data(X: np.ndarray, G: np.ndarray) -> dict[str, Any]:
    """The data section of a certificate: every float as its exact rational, and their digest."""
    Xq = [[to_rational(v) for v in row] for row in X]
    Gq = [[to_rational(v) for v in row] for row in G]
    return {"X": [[number_text(v) for v in r] for r in Xq], "G": [[number_text(v) for v in r] for r in Gq],
            "sha256": data_digest(Xq, Gq)}


#: ``method="auto"`` enumerates the sign patterns of depth 3 up to this many, and branches above
ENUMERATE_UP_TO = 64
METHODS = ("auto", "enumerate", "branch")


def depth3_method(g: list[fmpq], method: str, limits: bool = False) -> str:
    """'enumerate' or 'branch' for depth 3 on the exact G (``auto``: enumerate when the patterns are few and
    no search limit (``limits``: a gap, time or node limit) is asked for)."""
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "enumerate" and limits:
        raise InputError("--gap, --time-limit and --node-limit steer the branch and bound; the enumeration has none")
    if method != "auto":
        return method
    if limits:
        return "branch"
    pos, neg = sum(1 for v in g if v > 0), sum(1 for v in g if v < 0)
    return "enumerate" if 2**pos + 2**neg <= ENUMERATE_UP_TO else "branch"


def validate_limits(gap: float | None, time_limit: float | None, node_limit: int | None) -> None:
    """The branch and bound's limits, as :func:`propose` takes them; anything else is an InputError."""
    if gap is not None and not (math.isfinite(gap) and 0 < gap < 1):
        raise InputError(f"--gap must be a number in (0, 1), got {gap}")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise InputError(f"--time-limit must be a positive number of seconds, got {time_limit}")
    if node_limit is not None and node_limit < 2:
        raise InputError(f"--node-limit must be at least 2 (the two roots), got {node_limit}")


def propose(X: np.ndarray, G: np.ndarray, depth: int, method: str = "auto", gap: float | None = None,
            time_limit: float | None = None, node_limit: int | None = None) -> tuple[dict[str, Any], Proposal]:
    """Search, then write the certificate document (not yet checked): the flat version-1 document at
    depth 2 and 3, the tree of version 2 at depth 4 to MAX_DEPTH, and at depth 3 with ``method`` 'branch'
    (or 'auto' on more than ENUMERATE_UP_TO sign patterns) the branch-and-bound tree of version 3, whose
    search stops at ``gap`` (relative width), ``time_limit`` seconds or ``node_limit`` nodes."""
    if not 2 <= depth <= MAX_DEPTH:
        raise InputError(f"--depth must be between 2 and {MAX_DEPTH}, got {depth}")
    validate_data(X, G, depth)
    X, G = X.astype(np.float64), G.astype(np.float64)  # exact for float16/float32
    if X.shape[0] != 2:
        return _propose_cones(X, G, gap, time_limit, node_limit)
    Xq = [[to_rational(v) for v in row] for row in X]
    Gq = [[to_rational(v) for v in row] for row in G]
    g = Gq[0]
    pos = sum(1 for v in g if v > 0)
    neg = sum(1 for v in g if v < 0)
    limits = gap is not None or time_limit is not None or node_limit is not None
    branch = depth == 3 and depth3_method(g, method, limits) == "branch"
    validate_limits(gap, time_limit, node_limit)
    if depth >= 3 and 2**pos + 2**neg > MAX_PATTERNS and not branch:
        raise InputError(f"too many sign patterns for depth {depth} (2^{pos} + 2^{neg} > {MAX_PATTERNS}): "
                         "use fewer points with nonzero G")
    arr = arrangement([(Xq[0][k], Xq[1][k]) for k in range(X.shape[1])])
    vectors = 2**pos + 2**neg if depth == 3 and not branch else 1
    if depth >= 4:
        nodes, vectors = tree_size(g, depth)
        if nodes > MAX_TREE_NODES:
            raise InputError(f"the depth-{depth} tree of multipliers has up to {nodes} nodes, more than the "
                             f"certificate checker accepts ({MAX_TREE_NODES}): use a smaller depth or fewer points "
                             "with nonzero G")
    if vectors * arr.cells > MAX_PATTERN_CELLS:
        raise InputError(f"{vectors} sign pattern(s) x {arr.cells} cells is more than the certificate checker "
                         f"evaluates ({MAX_PATTERN_CELLS}): use fewer points" + (" or a smaller depth" if depth >= 4
                                                                                  else ""))
    if depth == 2:
        prop = _depth2(arr, g)
    elif branch:
        prop = _depth3_branch(arr, g, scaled_floats(X), scaled_floats(G)[0], gap, time_limit, node_limit)
    elif depth == 3:
        prop = _depth3(arr, g, scaled_floats(X), scaled_floats(G)[0])
    else:
        prop = _deep(arr, g, scaled_floats(X), scaled_floats(G)[0], depth, Xq, Gq)
    from certify.kernel.speed_certificate import exact_speed

    lower = exact_speed(prop.lower_weights, Xq, Gq)
    upper: dict[str, Any] = {"value": number_text(prop.upper),
                             "rays": [[number_text(r[0]), number_text(r[1])] for r in arr.rays],
                             "active": [sorted(a) for a in arr.active]}
    if branch:
        upper["branches"] = [{"sign": b["sign"], "nodes": [
            {"split": n["split"]} if "split" in n else {"t": {str(j): number_text(v) for j, v in sorted(n["t"].items())}}
            for n in b["nodes"]]} for b in prop.branches or []]
        method = ("cells of the line arrangement; best-first branch and bound over the subsets S, one second-order "
                  "cone program (cvxpy, Clarabel) per node for its multipliers t; lower network from the programs' "
                  "dual measures")
    elif depth <= 3:
        upper["multipliers"] = [{"sign": mm["sign"], "subset": mm["subset"],
                                 "t": {str(j): number_text(v) for j, v in mm["t"].items()}}
                                for mm in prop.multipliers]
        method = ("cells of the line arrangement; per sign pattern a second-order cone program "
                  "(cvxpy, Clarabel) for the multipliers t, and its primal for the lower network"
                  if depth == 3 else "cells of the line arrangement, exact support values")
    else:
        upper["tree"] = [_tree_text(node) for node in prop.tree or []]
        method = ("cells of the line arrangement; per child of the root one second-order cone program (cvxpy, "
                  "Clarabel) over its whole subtree, in the products tau of the multipliers along each path; "
                  "lower network: the depth-3 witness padded with layers [[1]], or projected gradient ascent")
    doc = {
        "schema": SCHEMA,
        "schema_version": BRANCH_VERSION if branch else FLAT_VERSION if depth <= 3 else TREE_VERSION,
        "statement": (f"For the data X (2 x {X.shape[1]}) and cost gradient G below, the optimal escape speed "
                      f"s*({depth}) = max over ||theta||^2 = {depth} of -Tr[G^T Y_theta] of a depth-{depth} bias-free "
                      "ReLU network satisfies s* <= upper at every width, and s* >= lower at every width at least "
                      "that of the network in 'lower'."),
        "depth": depth,
        "data": exact_data(X, G),
        "lower": {"value": number_text(lower),
                  "weights": [[[number_text(v) for v in row] for row in W] for W in prop.lower_weights]},
        "upper": upper,
        "search": {"method": method, "sign_patterns" if depth <= 3 else "tree_nodes": prop.patterns,
                   "seconds": round(prop.solver_seconds, 3)},
    }
    if branch:
        doc["search"] = {"method": method, "nodes": prop.patterns, "seconds": round(prop.solver_seconds, 3),
                         **(prop.search_stats or {})}
    return doc, prop


def _propose_cones(X: np.ndarray, G: np.ndarray, gap: float | None, time_limit: float | None,
                   node_limit: int | None) -> tuple[dict[str, Any], Proposal]:
    """Depth 2 on d-dimensional data (d != 2): the cone certificate of :mod:`certify.kernel.speed_cones`."""
    from certify.kernel.speed_certificate import exact_speed
    from certify.kernel.speed_cones import SCHEMA as CONES
    from certify.kernel.speed_cones import SCHEMA_VERSION as CONES_VERSION
    from certify.optimum import cones as oc
    from certify.optimum.escape import max_exponent

    for name, value, ok in (("--gap", gap, gap is None or (math.isfinite(gap) and 0 < gap < 1)),
                            ("--time-limit", time_limit, time_limit is None or (math.isfinite(time_limit)
                                                                                and time_limit > 0)),
                            ("--node-limit", node_limit, node_limit is None or node_limit >= 2)):
        if not ok:
            raise InputError(f"{name}: got {value} (a gap in (0, 1), a positive time, at least 2 nodes)")
    Xq = [[to_rational(v) for v in row] for row in X]
    Gq = [[to_rational(v) for v in row] for row in G]
    found = oc.certify_cones(scaled_floats(X), scaled_floats(G)[0], Xq, Gq, gap, time_limit, node_limit,
                             scale=max_exponent(X) + max_exponent(G))
    u = oc.rational_unit(found.best_u)
    weights = [[u], [[fmpq(-found.best_sign)]]]
    lower = exact_speed(weights, Xq, Gq)
    doc = {
        "schema": CONES, "schema_version": CONES_VERSION,
        "statement": (f"For the data X ({X.shape[0]} x {X.shape[1]}) and cost gradient G below, the optimal escape "
                      "speed s*(2) = max over ||theta||^2 = 2 of -Tr[G^T Y_theta] of a depth-2 bias-free ReLU network "
                      "satisfies s* <= upper at every width, and s* >= lower at every width."),
        "depth": 2,
        "data": exact_data(X, G),
        "lower": {"value": number_text(lower), "weights": [[[number_text(v) for v in row] for row in W] for W in weights]},
        "upper": {"value": number_text(found.upper), "trees": found.trees},
        "search": {"method": ("best-first branch and bound over simplicial cones from the 2^d orthants, split along "
                              "the longest edge; per cone a bounded least-squares problem (scipy) for the dual vector q"),
                   "nodes": found.nodes, "leaves": found.leaves, "stopped": found.stopped,
                   "seconds": round(found.seconds, 3)},
    }
    return doc, Proposal(2, weights, found.upper, [], found.seconds, found.nodes)


def _tree_text(node: dict[str, Any]) -> dict[str, Any]:
    """A node of the exact tree as JSON (numbers as exact text; leaves have no ``children``)."""
    out = {"sign": node["sign"], "subset": node["subset"],
           "t": {str(j): number_text(v) for j, v in sorted(node["t"].items())}}
    if "children" in node:
        out["children"] = [_tree_text(c) for c in node["children"]]
    return out


def propose_task(X: np.ndarray, G: np.ndarray, depth: int, method: str = "auto", gap: float | None = None,
                 time_limit: float | None = None, node_limit: int | None = None) -> dict[str, Any]:
    """The untrusted half of :func:`certify_optimum`, as a task for an executor (any process, any machine):
    ``{"document": ..., "seconds_search": ...}``, or ``{"refused": reason}`` when the data are beyond the
    search's or the checker's limits.  The caller checks the document itself (:func:`check_proposal`), so
    the verdict is decided where the command runs."""
    t0 = time.perf_counter()
    try:
        doc, _ = propose(X, G, depth, method, gap, time_limit, node_limit)
    except InputError as exc:
        return {"refused": str(exc)}
    return {"document": doc, "seconds_search": time.perf_counter() - t0}
