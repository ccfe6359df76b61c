"""Checker of depth-free optimal-speed certificates (trusted kernel; Section 5, conjecture (2)).

An invariant certificate claims, for 2-D data X (2 x N) and one output (G is 1 x N),

    s*(L) <= U   for every depth L >= 2,     and     lower <= s*(L)   for every depth L >= L0,

where s*(L) is the optimal escape speed of a depth-L bias-free ReLU network (as in
:mod:`certify.kernel.speed_certificate`, whose notation this module uses: p(u) = relu(X^T u), K_1 the
symmetric convex hull of {p(u)}, K_{j+1} that of relu(K_j), h_j the support function of K_j, so
s*(L) <= h_{L-1}(g)).  The argument, with every step derived in ``proofs/section5_depth_reduction.py``:

A depth-L certificate is a tree whose nodes are vectors; this one is a finite graph instead.  It lists
vectors w_0 = g, w_1, ..., w_n.  For every w_i and every sign e and subset S of P_e(w_i) it gives
multipliers t in [0, 1] on M_e(w_i), and the child c = (w_i)_{S,e}(t) (computed here) must be *covered*:

* c = 0, or
* c = s w_k for a listed k and a sign s (h_j is even: K_j is symmetric), or
* s w_k has one sign throughout (all entries >= 0, or all <= 0) and c lies between 0 and s w_k entry by
  entry.  (K_j, j >= 1, is the symmetric hull of vectors >= 0, so on such vectors h_j is monotone.)

and every listed vector has h_1(w_i) <= U (the arc check).  By induction on j, h_j(w_i) <= U for every
j >= 1 and every i: the step h_{j+1}(w_i) <= max over its children of h_j(child) <= U is the one the tree
certificates use, and a covered child has h_j(child) <= h_j(w_k) <= U.  Hence s*(L) <= h_{L-1}(g) <= U
for every L >= 2.

The lower end is a depth-L0 network whose last hidden layer has one unit and whose output layer is 1 x 1.
Inserting L - L0 layers [1] before the output keeps its function (relu(1 relu(z)) = relu(z)) and adds 1 to
||theta||^2 each, so its exact speed is a lower end for every L >= L0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from certify.kernel.speed_certificate import (
    MAX_CHECK_COST,
    MAX_CHECK_DIGITS,
    MAX_DEPTH,
    MAX_PATTERNS,
    MAX_RAYS,
    CertificateFormatError,
    CheckReport,
    _bounded_group,
    _digits,
    _field,
    _matrix,
    _size,
    check_cells,
    check_lower,
    check_support,
    data_digest,
    dual_children,
    parse_child,
    parse_data,
    parse_lower,
    parse_number,
    run_recorded,
)
from certify.kernel.verdict import show

SCHEMA = "certify/optimal-speed-invariant"
SCHEMA_VERSION = 1

#: the most listed vectors (each gets the arc check on every cell)
MAX_NODES = 2**12
#: the most children over all vectors (each is one exact child vector and one cover check)
MAX_CHILDREN = 2**17

#: the checks every invariant certificate must pass
REQUIRED_CHECKS = frozenset({"data.sha256", "lower.shapes", "lower.norm", "lower.speed", "lower.extends",
                             "upper.rays", "upper.cells", "upper.nonnegative", "invariant.root",
                             "invariant.children", "upper.bound", "interval"})


@dataclass
class Cover:
    node: int
    sign: int
    dominated: bool


@dataclass
class Child:
    sign: int
    subset: frozenset[int]
    t: dict[int, Any]
    cover: Cover | None  # None: the child must be the zero vector


@dataclass
class Invariant:
    X: list[list[Any]]
    G: list[list[Any]]
    digest: str
    lower_depth: int
    lower: Any
    weights: list[list[list[Any]]]
    upper: Any
    rays: list[tuple[Any, Any]]
    active: list[frozenset[int]]
    vectors: list[list[Any]]
    children: list[list[Child]]


def _indices(obj: Any, N: int, where: str) -> list[int]:
    if not isinstance(obj, list) or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N
                                            for k in obj):
        raise CertificateFormatError(f"{where}: a list of point indices in 0..{N - 1}")
    if len(set(obj)) != len(obj):
        raise CertificateFormatError(f"{where}: an index given twice")
    return obj


def parse_invariant(doc: Any) -> Invariant:
    """Validate the structure and parse every number exactly; raise CertificateFormatError.  Sizes are
    compared with the limits before the numbers they govern are parsed."""
    if not isinstance(doc, dict):
        raise CertificateFormatError("an invariant certificate is a JSON object")
    if doc.get("schema") != SCHEMA:
        raise CertificateFormatError(f"not an invariant certificate (schema must be {SCHEMA!r})")
    version = doc.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise CertificateFormatError(f"unsupported schema_version {str(version)[:20]!r} (this checker reads "
                                     f"{SCHEMA_VERSION})")
    X, G, digest = parse_data(doc)
    N = len(X[0])

    lower = _field(doc, "lower", dict, "certificate")
    L0 = _field(lower, "depth", int, "lower")
    if not 2 <= L0 <= MAX_DEPTH:
        raise CertificateFormatError(f"lower.depth: 2 to {MAX_DEPTH}, got {str(L0)[:20]}")
    lo, weights = parse_lower(lower, L0, X, G)

    upper = _field(doc, "upper", dict, "certificate")
    up = parse_number(_field(upper, "value", (str, int, list), "upper"), "upper.value")
    raw_rays = _field(upper, "rays", list, "upper")
    m = _size(raw_rays, "upper.rays", MAX_RAYS, "rays")
    raw_nodes = _field(upper, "nodes", list, "upper")
    n = _size(raw_nodes, "upper.nodes", MAX_NODES, "vectors")
    if n == 0:
        raise CertificateFormatError("upper.nodes: at least the root g")
    total = 0
    for i, node in enumerate(raw_nodes):
        kids = _field(node, "children", list, f"upper.nodes[{i}]")
        total += _size(kids, f"upper.nodes[{i}].children", MAX_PATTERNS, "children")
        if total > MAX_CHILDREN:
            raise CertificateFormatError(f"upper.nodes: more than {MAX_CHILDREN} children in all")
        _size(_field(node, "vector", list, f"upper.nodes[{i}]"), f"upper.nodes[{i}].vector", N, "entries")
    if n * m > 2**18:
        raise CertificateFormatError(f"{n} vectors x {m} cells: more support values than this checker evaluates")
    rays = [tuple(r) for r in _matrix(raw_rays, "upper.rays", cols=2)]
    _bounded_group([v for r in rays for v in r] + [up], "upper.rays and upper.value", MAX_CHECK_DIGITS)
    raw_active = _field(upper, "active", list, "upper")
    if len(raw_active) != len(rays):
        raise CertificateFormatError(f"upper.active: one active set per cell ({len(rays)}), got {len(raw_active)}")
    active = [frozenset(_indices(a, N, f"upper.active[{i}]")) for i, a in enumerate(raw_active)]

    vectors: list[list[Any]] = []
    children: list[list[Child]] = []
    for i, node in enumerate(raw_nodes):
        where = f"upper.nodes[{i}]"
        raw_v = node["vector"]
        if len(raw_v) != N:
            raise CertificateFormatError(f"{where}.vector: {N} entries, got {len(raw_v)}")
        vectors.append([parse_number(x, f"{where}.vector[{k}]") for k, x in enumerate(raw_v)])
        kids, seen = [], set()
        for c, kid in enumerate(node["children"]):
            at = f"{where}.children[{c}]"
            sign, subset, t = parse_child(kid, N, at)
            cover = None
            if "cover" in kid and kid["cover"] is not None:
                raw_c = _field(kid, "cover", dict, at)
                k_node = _field(raw_c, "node", int, f"{at}.cover")
                c_sign = _field(raw_c, "sign", int, f"{at}.cover")
                dominated = _field(raw_c, "dominated", bool, f"{at}.cover")
                if not 0 <= k_node < n or c_sign not in (1, -1):
                    raise CertificateFormatError(f"{at}.cover: node in 0..{n - 1} and sign 1 or -1")
                cover = Cover(k_node, c_sign, dominated)
            if (sign, subset) in seen:
                raise CertificateFormatError(f"{at}: sign {sign} and subset {sorted(subset)[:12]} given twice")
            seen.add((sign, subset))
            kids.append(Child(sign, subset, t, cover))
        children.append(kids)
    all_t = [v for kids in children for kid in kids for v in kid.t.values()]
    _bounded_group([v for w in vectors for v in w], "upper.nodes vectors", MAX_CHECK_DIGITS)
    _bounded_group(all_t, "upper.nodes multipliers", MAX_CHECK_DIGITS)
    numbers = [v for r in X + G for v in r] + [v for r in rays for v in r] + [up] + [v for w in vectors for v in w]
    digits = max(_digits(v) for v in numbers) + max((_digits(v) for v in all_t), default=1)
    cost = (n * m + total) * N * max(1.0, digits / 100) ** 2
    if cost > MAX_CHECK_COST:
        raise CertificateFormatError(f"the check would cost {cost:.3g} units ({n} vectors x {m} cells and {total} "
                                     f"children, {N} points, numbers of up to {digits} digits; at most "
                                     f"{MAX_CHECK_COST})")
    return Invariant(X, G, digest, L0, lo, weights, up, rays, active, vectors, children)


def _covered(c: list[Any], w: list[Any], sign: int, dominated: bool) -> bool:
    """c = sign w exactly, or (dominated) sign w has one sign throughout and c lies between 0 and it."""
    target = [sign * x for x in w]
    if not dominated:
        return all(a == b for a, b in zip(c, target))
    if all(x >= 0 for x in target):
        return all(0 <= a <= b for a, b in zip(c, target))
    if all(x <= 0 for x in target):
        return all(b <= a <= 0 for a, b in zip(c, target))
    return False


def check_invariant(inv: Invariant) -> CheckReport:
    """Re-verify a parsed invariant certificate in exact arithmetic; stop at the first failing check."""
    checks = run_recorded(lambda record: _run_checks(inv, record))
    return InvariantReport(checks, inv.lower, inv.upper, inv.lower_depth, [2] + [len(W) for W in inv.weights])


class InvariantReport(CheckReport):
    """A report about every depth: ``depth`` is L0, the first depth the lower end holds at."""

    every_depth = True

    @property
    def ok(self) -> bool:
        return (all(passed for _, passed, _ in self.checks)
                and REQUIRED_CHECKS <= {name for name, _, _ in self.checks})


def _run_checks(inv: Invariant, record: Any) -> None:
    X, G = inv.X, inv.G
    N = len(X[0])
    pts = [(X[0][k], X[1][k]) for k in range(N)]
    record("data.sha256", data_digest(X, G) == inv.digest, "the digest of the certificate's data")
    check_lower(X, G, inv.weights, inv.lower, inv.lower_depth, record)
    Ws = inv.weights
    record("lower.extends", len(Ws[-1]) == 1 and len(Ws[-1][0]) == 1 and len(Ws[-2]) == 1,
           f"the output layer is 1 x 1 after one hidden unit, so layers [1] inserted before it keep the speed at "
           f"every depth >= {inv.lower_depth}")
    check_cells(pts, inv.rays, inv.active, record)
    U = inv.upper
    record("upper.nonnegative", U >= 0, f"upper = {show(U)} >= 0")
    record("invariant.root", inv.vectors[0] == list(G[0]), "the first listed vector is g")
    count = 0
    for i, (w, kids) in enumerate(zip(inv.vectors, inv.children)):
        for kid, c, label in dual_children(w, kids, f"vector {i}", "invariant.children", record):
            if kid.cover is None:
                ok = all(x == 0 for x in c)
            else:
                ok = _covered(c, inv.vectors[kid.cover.node], kid.cover.sign, kid.cover.dominated)
            if not ok:
                record("invariant.children", False, f"every child is 0, +-a listed vector, or lies between 0 and a "
                       f"one-signed listed vector; not at {label}")
            count += 1
    record("invariant.children", True, f"{count} children of {len(inv.vectors)} vectors, each covered")
    vecs = [(f"vector {i}", [(k, w[k]) for k in range(N) if w[k] != 0]) for i, w in enumerate(inv.vectors)]
    check_support(vecs, pts, inv.rays, inv.active, U, record)
    record("interval", inv.lower <= U, f"lower {show(inv.lower)} <= upper {show(U)}")


def check_invariant_document(doc: Any) -> CheckReport:
    """Parse (CertificateFormatError on a malformed document) and check."""
    return check_invariant(parse_invariant(doc))
