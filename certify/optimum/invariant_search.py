"""Depth-free bounds on the optimal escape speed: search for an invariant, unroll it into trees (untrusted).

:mod:`certify.kernel.speed_invariant` checks a finite family of vectors, closed under the dual step of the
depth recursion, that bounds s*(L) at every depth at once.  This module looks for one: a breadth-first
search from g that, for every vector and every sign pattern (e, S), tries multipliers from a short list of
candidate values and keeps the first child that an already listed vector covers (zero, +-equal, or
between 0 and a one-signed vector); failing that, the child of smallest support whose arc bound holds is
listed as a new vector.  The search fails (returns None) when the family outgrows ``max_nodes`` or a
pattern has no admissible child; nothing it returns is trusted before the kernel has checked it.

:func:`unroll` turns an invariant into the depth-L tree of :mod:`certify.kernel.speed_certificate`
(schema_version 2), so the same bound can be checked by the depth-L checker as well.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from flint import fmpq

from certify.kernel.speed_certificate import arc_max_at_most, number_text
from certify.optimum.arrangement import Arrangement, arrangement

Vector = tuple[Any, ...]


def _key(v: Vector) -> tuple:
    return tuple(str(number_text(x)) for x in v)


def _one_signed(v: Vector) -> int:
    """+1 when every entry is >= 0, -1 when every entry is <= 0 (the zero vector counts as +1), else 0."""
    if all(x >= 0 for x in v):
        return 1
    if all(x <= 0 for x in v):
        return -1
    return 0


def arc_bound_holds(arr: Arrangement, v: Vector, U: Any) -> bool:
    """Exactly: max_u |v . relu(X^T u)| <= U (the kernel's arc check, used here to choose children)."""
    m = arr.cells
    for i in range(m):
        ra, rb = arr.rays[i], arr.rays[(i + 1) % m]
        w0 = sum((v[k] * arr.points[k][0] for k in arr.active[i]), fmpq(0))
        w1 = sum((v[k] * arr.points[k][1] for k in arr.active[i]), fmpq(0))
        for s in (1, -1):
            if not arc_max_at_most((s * w0, s * w1), ra, rb, U):
                return False
    return True


def _child(w: Vector, e: int, S: tuple[int, ...], M: list[int], t: dict[int, Any]) -> Vector:
    c: list[Any] = [fmpq(0)] * len(w)
    for j in S:
        c[j] = e * w[j]
    for j in M:
        c[j] = e * w[j] * t[j]
    return tuple(c)


def _patterns(w: Vector) -> list[tuple[int, tuple[int, ...], list[int]]]:
    N = len(w)
    out = []
    for e in (1, -1):
        P = [j for j in range(N) if e * w[j] > 0]
        M = [j for j in range(N) if e * w[j] < 0]
        for size in range(len(P) + 1):
            for S in itertools.combinations(P, size):
                out.append((e, S, M))
    return out


class _Family:
    """The listed vectors, with exact lookup of +-equal vectors."""

    def __init__(self) -> None:
        self.vectors: list[Vector] = []
        self.index: dict[tuple, int] = {}

    def add(self, v: Vector) -> int:
        self.index[_key(v)] = len(self.vectors)
        self.vectors.append(v)
        return len(self.vectors) - 1

    def cover(self, c: Vector) -> dict[str, Any] | None | bool:
        """A cover of c ({node, sign, dominated}), None for the zero vector, False when nothing covers it."""
        if all(x == 0 for x in c):
            return None
        for s in (1, -1):
            k = self.index.get(_key(tuple(s * x for x in c)))
            if k is not None:
                return {"node": k, "sign": s, "dominated": False}
        sc = _one_signed(c)
        if sc:
            for k, w in enumerate(self.vectors):
                for s in (1, -1):
                    target = [s * x for x in w]
                    if sc > 0 and all(0 <= a <= b for a, b in zip(c, target)):
                        return {"node": k, "sign": s, "dominated": True}
                    if sc < 0 and all(b <= a <= 0 for a, b in zip(c, target)):
                        return {"node": k, "sign": s, "dominated": True}
        return False


def search_invariant(points: list[tuple[Any, Any]], g: list[Any], U: Any, candidates: list[Any],
                     max_nodes: int = 512, max_tries: int = 7000) -> dict[str, Any] | None:
    """The family of vectors and, per vector, its children with multipliers and covers; None when the
    search fails.  ``candidates``: the multiplier values tried (in this order of preference)."""
    arr = arrangement(points)
    fam = _Family()
    fam.add(tuple(g))
    if not arc_bound_holds(arr, tuple(g), U):
        return None
    children: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(fam.vectors):
        w = fam.vectors[i]
        kids = []
        for e, S, M in _patterns(w):
            chosen = None
            fallback = None
            trials = itertools.islice(itertools.product(candidates, repeat=len(M)), max_tries)
            for values in trials:
                t = dict(zip(M, values))
                c = _child(w, e, S, M, t)
                cov = fam.cover(c)
                if cov is not False:
                    chosen = (t, c, cov)
                    break
                support = sum(1 for x in c if x != 0)
                if (fallback is None or support < fallback[0]) and arc_bound_holds(arr, c, U):
                    fallback = (support, t, c)
            if chosen is None:
                if fallback is None:
                    return None
                _, t, c = fallback
                if len(fam.vectors) >= max_nodes:
                    return None
                k = fam.add(c)
                if not arc_bound_holds(arr, c, U):  # pragma: no cover - fallback already passed
                    return None
                chosen = (t, c, {"node": k, "sign": 1, "dominated": False})
            t, c, cov = chosen
            kids.append({"sign": e, "subset": list(S), "t": t, "cover": cov})
        children.append(kids)
        i += 1
    return {"arrangement": arr, "vectors": fam.vectors, "children": children}


def invariant_document(found: dict[str, Any], X: list[list[Any]], G: list[list[Any]], U: Any,
                       lower: dict[str, Any], statement: str) -> dict[str, Any]:
    """The certificate document of :mod:`certify.kernel.speed_invariant` for a search result."""
    from certify.kernel.speed_certificate import data_digest
    from certify.kernel.speed_invariant import SCHEMA, SCHEMA_VERSION

    arr = found["arrangement"]
    nodes = []
    for w, kids in zip(found["vectors"], found["children"]):
        nodes.append({"vector": [number_text(x) for x in w],
                      "children": [{"sign": k["sign"], "subset": k["subset"],
                                    "t": {str(j): number_text(v) for j, v in sorted(k["t"].items())},
                                    **({"cover": k["cover"]} if k["cover"] is not None else {})}
                                   for k in kids]})
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "statement": statement,
        "data": {"X": [[number_text(v) for v in r] for r in X], "G": [[number_text(v) for v in r] for r in G],
                 "sha256": data_digest(X, G)},
        "lower": lower,
        "upper": {"value": number_text(U), "rays": [[number_text(r[0]), number_text(r[1])] for r in arr.rays],
                  "active": [sorted(a) for a in arr.active], "nodes": nodes},
    }


def unroll(found: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    """The depth-``depth`` tree (the root g's children, schema_version 2) the invariant stands for.

    A child equal to s w_k takes w_k's children with their signs multiplied by s (the same vectors); a
    one-signed child (or zero) gets its children directly: its restrictions to the subsets of its support
    with one sign, and zero with t = 0 for the other."""
    vectors, children = found["vectors"], found["children"]
    index = {_key(w): k for k, w in enumerate(vectors)}

    def kids_of(c: Vector) -> list[tuple[int, list[int], dict[int, Any], Vector]]:
        k = index.get(_key(c))
        s = 1
        if k is None:
            k = index.get(_key(tuple(-x for x in c)))
            s = -1
        if k is not None and not _one_signed(c):
            out = []
            for kid in children[k]:
                e = kid["sign"] * s
                M = [j for j in range(len(c)) if e * c[j] < 0]
                out.append((e, kid["subset"], kid["t"], _child(c, e, tuple(kid["subset"]), M, kid["t"])))
            return out
        if _one_signed(c) == 0:
            raise ValueError("a mixed-sign child that is not a listed vector")
        out = []
        for e, S, M in _patterns(c):
            t = {j: fmpq(0) for j in M}
            out.append((e, list(S), t, _child(c, e, S, M, t)))
        return out

    def expand(c: Vector, level: int) -> list[dict[str, Any]]:
        nodes = []
        for e, S, t, child in kids_of(c):
            node: dict[str, Any] = {"sign": e, "subset": sorted(S),
                                    "t": {str(j): number_text(v) for j, v in sorted(t.items())}}
            if level - 1 >= 2:
                node["children"] = expand(child, level - 1)
            nodes.append(node)
        return nodes

    if depth < 3:
        return []
    return expand(tuple(vectors[0]), depth - 1)


def float_support(points: np.ndarray, v: np.ndarray, samples: int = 4096) -> float:
    """max_u |v . relu(X^T u)| sampled on the circle (a quick, untrusted estimate for reports)."""
    th = np.linspace(0.0, 2 * np.pi, samples, endpoint=False)
    U = np.vstack([np.cos(th), np.sin(th)])
    return float(np.max(np.abs(v @ np.maximum(points.T @ U, 0.0))))


# --- Example 1 ----------------------------------------------------------------------------------------------

#: the multipliers the search tries on Example 1: 0 and 1 (drop or keep an entry), and sqrt(2)/4, the value
#: the depth-3 certificate needs on the patterns that reach 1/2 (data/certificates/example1-exact-depth3.json)
def example1_candidates() -> list[Any]:
    from certify.kernel.quadratic import QSqrt2

    return [fmpq(0), fmpq(1), QSqrt2(0, fmpq(1, 4))]


def example1_lower(depth: int = 3) -> dict[str, Any]:
    """Eq. (2) with W3 = [-1] (speed 1/2 at ||theta||^2 = 3), with depth - 3 layers [1] inserted before the
    output: the same function, ||theta||^2 = depth."""
    w = [[["1/2", "0"], ["0", "1/2"], ["-1/2", "0"], ["0", "-1/2"]], [["1/2", "-1/2", "1/2", "-1/2"]]]
    return {"value": "1/2", "weights": w + [[["1"]]] * (depth - 3) + [[["-1"]]]}


def example1_invariant() -> dict[str, Any]:
    """The search on Example 1's exact data with U = 1/2 (raises if it fails)."""
    from certify.optimum.example1 import example1_exact_data

    X, G = example1_exact_data()
    points = [(X[0][k], X[1][k]) for k in range(len(X[0]))]
    found = search_invariant(points, list(G[0]), fmpq(1, 2), example1_candidates())
    if found is None:
        raise RuntimeError("no invariant found on Example 1 with U = 1/2")
    return found


def example1_invariant_document(found: dict[str, Any] | None = None) -> dict[str, Any]:
    from certify.optimum.example1 import example1_exact_data

    X, G = example1_exact_data()
    found = found or example1_invariant()
    statement = ("Example 1 on its exact data (in Q(sqrt 2)): s*(L) <= 1/2 for every depth L >= 2, and s*(L) >= 1/2 "
                 "for every L >= 3, so s*(L) = 1/2 for every L >= 3 (numbers [a, b] mean a + b sqrt(2)).")
    lower = {"depth": 3, **example1_lower(3)}
    doc = invariant_document(found, X, G, fmpq(1, 2), lower, statement)
    doc["search"] = {"method": "breadth-first search from g; multipliers tried in the order 0, 1, sqrt(2)/4; "
                               "first covered child, else the child of smallest support with h_1 <= 1/2",
                     "vectors": len(found["vectors"])}
    return doc


def example1_tree_document(depth: int, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """The depth-L certificate (schema_version 2) of s*(L) = 1/2 on Example 1's exact data, unrolled from
    the invariant."""
    from certify.kernel.speed_certificate import SCHEMA, data_digest
    from certify.optimum.example1 import example1_exact_data

    X, G = example1_exact_data()
    found = found or example1_invariant()
    arr = found["arrangement"]
    return {
        "schema": SCHEMA, "schema_version": 2,
        "statement": f"Example 1 on its exact data (in Q(sqrt 2)): s*({depth}) = 1/2 exactly (numbers [a, b] mean "
                     "a + b sqrt(2)).",
        "depth": depth,
        "data": {"X": [[number_text(v) for v in r] for r in X], "G": [[number_text(v) for v in r] for r in G],
                 "sha256": data_digest(X, G)},
        "lower": example1_lower(depth),
        "upper": {"value": "1/2", "rays": [[number_text(r[0]), number_text(r[1])] for r in arr.rays],
                  "active": [sorted(a) for a in arr.active], "tree": unroll(found, depth)},
        "search": {"method": "the depth-free invariant (data/certificates/example1-invariant.json) unrolled to "
                             f"depth {depth}"},
    }
