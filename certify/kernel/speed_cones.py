"""Checker of depth-2 optimal-speed certificates on data of any dimension (trusted kernel; Section 4, issue 17).

A cone certificate claims ``lower <= s*(2) <= upper`` for the optimal escape speed of a depth-2 bias-free
ReLU network on data X (d x N, 1 <= d <= MAX_DIM) with one output (G is 1 x N).  With g = G^T,

    s*(2) = max { |g . relu(X^T u)| : ||u|| <= 1 }

(the depth-2 case of :mod:`certify.kernel.speed_certificate`).  In two dimensions the arcs of the line
arrangement decide it; in d dimensions the arrangement has about N^(d-1) cells, so this certificate covers
the sphere with simplicial cones instead and bounds each one by a dual vector.

The cones.  For each sign e (1, then -1) the certificate lists 2^d trees, one per orthant: orthant k is
cone(r_0, ..., r_{d-1}) with r_i = -e_i when bit i of k is set and +e_i otherwise; together they cover R^d.
A split node names two generators a != b; with m = r_a + r_b its children are the cone with r_a replaced by
m, then the cone with r_b replaced by m.  Their union is the parent: u = sum c_i r_i (c >= 0) lies in the
first when c_a <= c_b (u = c_a m + (c_b - c_a) r_b + ...) and in the second otherwise.  So the leaves cover
R^d whatever the splits.  Generators stay integer vectors; a path has at most MAX_SPLIT_DEPTH splits, so
their entries stay below 2^MAX_SPLIT_DEPTH.

A leaf's bound.  Write a_j = e g_j > 0 on P = {j : e g_j > 0} and b_j = -e g_j > 0 on M = {j : e g_j < 0},
s_{j,i} = x_j . r_i.  For u = sum_i c_i r_i with c >= 0 in the leaf's cone:

* if s_{j,i} >= 0 for every i, relu(x_j . u) = sum_i c_i s_{j,i} (the point is active on the cone);
* if s_{j,i} <= 0 for every i, relu(x_j . u) = 0 (inactive);
* otherwise (the point's plane crosses the cone): for j in P, relu(x_j . u) <= sum_i c_i relu(s_{j,i})
  (relu is subadditive and positively homogeneous); for j in M, -b_j relu(x_j . u) <= -b_j t_j x_j . u for
  the leaf's multiplier t_j in [0, 1] (relu(z) >= t z), 0 when it is not written.

So e g . relu(X^T u) <= omega . c with omega_i a sum over the points, computed here exactly.  The leaf gives
a vector q; if omega_i <= r_i . q for every i and q . q <= U^2, then omega . c <= q . (sum c_i r_i) = q . u
<= ||q|| ||u|| <= U whenever ||u|| <= 1.  Every leaf of both signs passing gives s*(2) <= U.

The lower end is a depth-2 network with ||theta||^2 <= 2 whose speed is evaluated exactly (as in the other
certificates: scaling onto the sphere only raises a positive speed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flint import fmpq

from certify.kernel.speed_certificate import (
    MAX_CHECK_COST,
    MAX_CHECK_DIGITS,
    CertificateFormatError,
    CheckReport,
    _bounded_group,
    _common_denominator_digits,
    _digits,
    _field,
    check_lower,
    data_digest,
    parse_multipliers,
    parse_data,
    parse_lower,
    parse_number,
    signed_node_lists,
    run_recorded,
)
from certify.kernel.verdict import show

SCHEMA = "certify/optimal-speed-cones"
SCHEMA_VERSION = 1

#: the largest input dimension d (each sign has 2^d orthant trees)
MAX_DIM = 8
#: the most nodes of both signs' trees together
MAX_CONE_NODES = 2**18
#: the most splits on one path from an orthant to a leaf (generator entries stay below 2^this)
MAX_SPLIT_DEPTH = 96

REQUIRED_CHECKS = frozenset({"data.sha256", "lower.shapes", "lower.norm", "lower.speed", "upper.nonnegative",
                             "upper.cones", "upper.bound", "interval"})


@dataclass
class ConeCertificate:
    X: list[list[fmpq]]  # d x N
    G: list[list[fmpq]]  # 1 x N
    digest: str
    lower: Any
    weights: list[list[list[fmpq]]]
    upper: Any
    #: per sign (1, then -1): the nodes of the 2^d orthant trees in preorder, ("split", (a, b)) or
    #: ("leaf", (q, t)) with q a list of d exact numbers and t the multipliers written (the others are 0)
    trees: list[tuple[int, list[tuple[str, Any]]]]


def _trees_shape(raw: Any, d: int) -> int:
    """Count the leaves before any number is parsed; refuse more than MAX_CONE_NODES nodes or odd nodes."""
    leaves = 0
    for i, (_, nodes) in enumerate(signed_node_lists(raw, "upper.trees", "forests", MAX_CONE_NODES)):
        for j, node in enumerate(nodes):
            at = f"upper.trees[{i}].nodes[{j}]"
            if not isinstance(node, dict) or not (set(node) == {"split"} or set(node) in ({"q"}, {"q", "t"})):
                raise CertificateFormatError(f"{at}: a node is either {{\"split\": [a, b]}} or a leaf {{\"q\": [...], "
                                             "\"t\": {...}}")
            if "q" in node:
                leaves += 1
                if not isinstance(node["q"], list) or len(node["q"]) != d:
                    raise CertificateFormatError(f"{at}.q: a list of {d} numbers")
    return leaves


def _parse_trees(raw: list, d: int, N: int) -> list[tuple[int, list[tuple[str, Any]]]]:
    out = []
    for i, (e, raw_nodes) in enumerate(signed_node_lists(raw, "upper.trees", "forests", MAX_CONE_NODES)):
        where = f"upper.trees[{i}]"
        nodes: list[tuple[str, Any]] = []
        for j, node in enumerate(raw_nodes):
            at = f"{where}.nodes[{j}]"
            if "split" in node:
                pair = node["split"]
                if (not isinstance(pair, list) or len(pair) != 2
                        or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < d for k in pair)
                        or pair[0] == pair[1]):
                    raise CertificateFormatError(f"{at}.split: two different generator indices in 0..{d - 1}")
                nodes.append(("split", (pair[0], pair[1])))
            else:
                q = [parse_number(x, f"{at}.q[{k}]") for k, x in enumerate(node["q"])]
                t_raw = node.get("t", {})
                if not isinstance(t_raw, dict):
                    raise CertificateFormatError(f"{at}.t: expected an object")
                nodes.append(("leaf", (q, parse_multipliers(t_raw, N, f"{at}.t"))))
        out.append((e, nodes))
    return out


def parse_cones(doc: Any) -> ConeCertificate:
    """Validate the structure and parse every number exactly; raise CertificateFormatError.  Sizes are
    compared with the limits before the numbers they govern are parsed, and the work of the checks (leaves x
    points x d^2, scaled by the digits of the numbers) before any check runs."""
    if not isinstance(doc, dict):
        raise CertificateFormatError("a certificate is a JSON object")
    if doc.get("schema") != SCHEMA:
        raise CertificateFormatError(f"not a cone certificate (schema must be {SCHEMA!r})")
    version = doc.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise CertificateFormatError(f"unsupported schema_version {str(version)[:20]!r} (this checker reads "
                                     f"{SCHEMA_VERSION})")
    if _field(doc, "depth", int, "certificate") != 2:
        raise CertificateFormatError("certificate.depth: cone certificates are about depth 2")
    X, G, digest = parse_data(doc, 1, MAX_DIM)
    d, N = len(X), len(X[0])
    lo, weights = parse_lower(_field(doc, "lower", dict, "certificate"), 2, X, G)
    upper = _field(doc, "upper", dict, "certificate")
    up = parse_number(_field(upper, "value", (str, int, list), "upper"), "upper.value")
    leaves = _trees_shape(_field(upper, "trees", list, "upper"), d)
    trees = _parse_trees(upper["trees"], d, N)
    numbers = [x for _, nodes in trees for kind, val in nodes if kind == "leaf" for x in val[0] + list(val[1].values())]
    _bounded_group(numbers + [up], "upper.trees numbers", MAX_CHECK_DIGITS)
    digits = cone_digits([v for r in X + G for v in r] + [up], numbers)
    nodes = sum(len(b["nodes"]) for b in upper["trees"])
    cost = cone_check_cost(leaves, nodes, N, d, digits)
    if cost > MAX_CHECK_COST:
        raise CertificateFormatError(f"the cone check would cost {cost:.3g} units ({leaves} leaves and {nodes} nodes "
                                     f"on {N} points in {d} dimensions); at most {MAX_CHECK_COST}: use fewer points "
                                     "or a coarser tree")
    return ConeCertificate(X, G, digest, lo, weights, up, trees)


def cone_digits(data_numbers: list[Any], leaf_numbers: list[Any]) -> int:
    """The digits the sums omega_i and r_i . q can reach: the longest numbers, the common denominators of the
    data and of the leaves' numbers (a sum takes the lcm of its terms' denominators), and the generators'
    entries (below 2^MAX_SPLIT_DEPTH)."""
    longest = max((_digits(v) for v in data_numbers), default=1) + max((_digits(v) for v in leaf_numbers), default=1)
    return (longest + _common_denominator_digits(data_numbers) + _common_denominator_digits(leaf_numbers)
            + MAX_SPLIT_DEPTH // 3)


def cone_check_cost(leaves: int, nodes: int, N: int, d: int, digits: int) -> float:
    """Units of work (those of MAX_CHECK_COST): per leaf about d N products for the signs and omega and d^2 for
    the r_i . q, per node N sums for a new generator's products with the points and a fixed 8 for walking it."""
    return ((leaves * d + nodes) * N + leaves * d * d + 8 * nodes) * max(1.0, digits / 100) ** 2


def _leaf_bound_holds(g: list, e: int, gens: list[tuple[int, ...]], svals: list[list[Any]], q: list, t: dict,
                      U: Any, M: set[int]) -> tuple[bool, str]:
    """The leaf's two inequalities (omega_i <= r_i . q for every generator, q . q <= U^2), exactly;
    ``svals[i][j]`` = x_j . r_i."""
    d, N = len(gens), len(g)
    zero = fmpq(0)
    if not set(t) <= M:
        return False, "a multiplier on a point outside M_e"
    omega = [zero] * d
    for j in range(N):
        if g[j] == 0:  # (t was checked to sit on M_e, so not here)
            continue
        s = [svals[i][j] for i in range(d)]
        active, inactive = all(v >= 0 for v in s), all(v <= 0 for v in s)
        c = e * g[j]
        if j in t and (active or inactive):
            return False, f"a multiplier on point {j}, whose sign is constant on the cone (not a crossing point)"
        if inactive:
            continue
        if active:
            for i in range(d):
                omega[i] += c * s[i]
        elif c > 0:  # a crossing point of P: relu(x . u) <= sum_i c_i relu(s_i)
            for i in range(d):
                if s[i] > 0:
                    omega[i] += c * s[i]
        else:  # a crossing point of M: -b relu(x . u) <= -b t x . u
            tj = t.get(j, zero)
            if tj != 0:
                for i in range(d):
                    omega[i] += c * tj * s[i]
    for i, r in enumerate(gens):
        rq = sum((q[k] * r[k] for k in range(d) if r[k]), zero)
        if omega[i] > rq:
            return False, f"omega_{i} = {show(omega[i])} > r_{i} . q = {show(rq)}"
    qq = sum((x * x for x in q), zero)
    if qq > U * U:
        return False, f"||q||^2 = {show(qq)} > upper^2"
    return True, ""


def _run_checks(cert: ConeCertificate, record: Any) -> None:
    X, G = cert.X, cert.G
    d, N = len(X), len(X[0])
    g = G[0]
    record("data.sha256", data_digest(X, G) == cert.digest, "the digest of the certificate's data")
    check_lower(X, G, cert.weights, cert.lower, 2, record)
    U = cert.upper
    record("upper.nonnegative", U >= 0, f"upper = {show(U)} >= 0")
    # first the structure of both forests (cheap), then every leaf's bound: a file that is not a covering of
    # R^d costs no arithmetic on the points
    leaves = nodes_seen = 0
    for e, nodes in cert.trees:
        i = 0
        for k in range(2**d):
            pending = [0]  # the split depth of each subtree still to read
            while pending:
                if i >= len(nodes):
                    record("upper.cones", False, f"sign {e:+d}: the preorder list ends before orthant {k}'s tree is "
                           "complete")
                depth = pending.pop()
                kind, val = nodes[i]
                i += 1
                if kind == "split":
                    if depth >= MAX_SPLIT_DEPTH:
                        record("upper.cones", False, f"at most {MAX_SPLIT_DEPTH} splits on a path; more at sign "
                               f"{e:+d}, node {i - 1}")
                    pending += [depth + 1, depth + 1]
                    continue
                if any(not (0 <= v <= 1) for v in val[1].values()):
                    record("upper.cones", False, f"every multiplier t lies in [0, 1]; not at sign {e:+d}, node {i - 1}")
                leaves += 1
        if i != len(nodes):
            record("upper.cones", False, f"sign {e:+d}: {len(nodes) - i} node(s) after the last orthant's tree")
        nodes_seen += len(nodes)
    record("upper.cones", True, f"{nodes_seen} nodes: 2^{d} orthant trees per sign, split into simplicial cones that "
           f"cover R^{d}; {leaves} leaves")
    for e, nodes in cert.trees:
        M = {j for j in range(N) if e * g[j] < 0}
        i = 0
        for k in range(2**d):
            gens = [tuple((-1 if (k >> a) & 1 else 1) if b == a else 0 for b in range(d)) for a in range(d)]
            # x_j . r for each generator r; a split's new generator m = r_a + r_b gets the sums (no products)
            svals = [[X[a][j] * r[a] for j in range(N)] for a, r in enumerate(gens)]
            pending = [(gens, svals)]
            while pending:
                gens, svals = pending.pop()
                kind, val = nodes[i]
                where = f"sign {e:+d}, node {i}"
                i += 1
                if kind == "split":
                    a, b = val
                    m = tuple(x + y for x, y in zip(gens[a], gens[b]))
                    sm = [x + y for x, y in zip(svals[a], svals[b])]
                    first, second, s_first, s_second = list(gens), list(gens), list(svals), list(svals)
                    first[a], second[b], s_first[a], s_second[b] = m, m, sm, sm
                    pending.append((second, s_second))  # popped second
                    pending.append((first, s_first))  # popped first
                    continue
                q, t = val
                ok, why = _leaf_bound_holds(g, e, gens, svals, q, t, U, M)
                if not ok:
                    record("upper.bound", False, f"e g . relu(X^T u) <= {show(U)} on every leaf cone; not at {where}: "
                           f"{why}")
    record("upper.bound", True, f"e g . relu(X^T u) <= {show(U)} on all {leaves} leaf cones (dual vectors q checked "
           "exactly)")
    record("interval", cert.lower <= U, f"lower {show(cert.lower)} <= upper {show(U)}")


def check_cones(cert: ConeCertificate) -> CheckReport:
    """Re-verify a parsed cone certificate; the checks stop at the first that fails."""
    checks = run_recorded(lambda record: _run_checks(cert, record))
    return _ConeReport(checks, cert.lower, cert.upper, 2, [len(cert.X)] + [len(W) for W in cert.weights])


class _ConeReport(CheckReport):
    @property
    def ok(self) -> bool:
        return (all(passed for _, passed, _ in self.checks)
                and REQUIRED_CHECKS <= {name for name, _, _ in self.checks})


def check_cones_document(doc: Any) -> CheckReport:
    """Parse (CertificateFormatError on a malformed document) and check."""
    return check_cones(parse_cones(doc))
