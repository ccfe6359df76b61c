"""Checker of optimal-escape-speed certificates (trusted kernel; Section 4, footnote 2, Section 5).

A certificate claims ``lower <= s*(L) <= upper`` for the optimal escape speed

    s*(L) = max { -Tr[G^T Y_theta] : ||theta||^2 = L }

of a depth-L (2 <= L <= MAX_DEPTH) bias-free ReLU network on 2-D data X (2 x N) with one output (G is 1 x N).
This module re-verifies every inequality of it in exact rational arithmetic (``fmpq``); nothing here
trusts the solver that wrote the certificate.

Why the checks prove the interval (the reduction is derived and checked in
``proofs/section4_optimal_speed.py``): write g = G^T and p(u) = relu(X^T u) for a unit u.

* depth 2: s*(2) = max_u |g . p(u)|.
* depth 3: s*(3) = max { |g . relu(f)| : f in K }, K the symmetric convex hull of {p(u)}.

The lines x_k . u = 0 cut the circle into arcs; the certificate lists rays r_0, ..., r_{m-1} in
counterclockwise order, each turn r_i -> r_{i+1} (cyclically) strictly between 0 and pi, so the
cones C_i = cone(r_i, r_{i+1}) cover the plane.  On C_i the set A_i of active points is fixed (the
checker verifies the sign of x_k . r at both rays), so p(u) = sum_{k in A_i} x_k (x_k . u) there and
v . p(u) = w_i(v) . u with w_i(v) = sum_{k in A_i} v_k x_k.  The maximum of |w . u| over unit u in a
cone of angle < pi is ||w|| if +-w lies in the cone, and otherwise its value at an end ray.  Hence

    h(v) = max_u |v . p(u)| <= U   iff   for every i and both signs, that maximum is <= U,

decided exactly through squares.  Depth 2 needs this for v = g.  Depth 3: for a sign e of the last
layer, with P = {j : e g_j > 0} and M = {j : e g_j < 0}, e g . relu(f) is the maximum over S in P of
sum_{j in S} e g_j f_j + sum_{j in M} e g_j relu(f_j), and e g_j relu(f_j) <= e g_j t_j f_j for any
t_j in [0, 1] (relu(z) >= t z).  So for every S a vector t_S in [0, 1]^M with h(v_{S,e}(t_S)) <= U,
v_{S,e} = e g on S, 0 on P \\ S, e g_j t_j on M, bounds e g . relu(f) <= U on K (K is symmetric,
so h is its support function).  The certificate gives t_S for every S and both signs.

Any depth (schema_version 2; the reduction for general L is derived in ``proofs/section5_depth_reduction.py``).
With K_1 the K above and K_{j+1} the symmetric convex hull of relu(K_j), s*(L) <= h_{L-1}(g) where h_j is the
support function of K_j, and h_{j+1}(v) = max_{f in K_j} |v . relu(f)|.  The step above bounds h_{j+1}(v) by
the largest h_j(c) over the children c = v_{S,e}(t_S) of v, one per sign e and subset S of P_e(v) =
{j : e v_j > 0}, with multipliers t_S in [0, 1] on M_e(v) = {j : e v_j < 0}.  So a depth-L certificate is a
tree: its root is g (level L - 1), a node of level >= 2 has exactly one child per (e, S), each child's vector is
computed here, exactly, from its parent's and its (e, S, t), and the vectors of the level-1 nodes (the leaves)
get the arc check above.  Depth 3 is the tree of one level; version-1 documents write its leaves as the flat
list ``multipliers``, which is still read.

Depth 3 by branch and bound (schema_version 3, ``upper.branches``).  Enumerating every S costs 2^|P|
patterns; a branch-and-bound tree covers them instead.  A node of the tree for the sign e fixes some points of
P = P_e(g) inside S (S_in) and some outside (S_out), leaving U = P \\ (S_in u S_out) open; it covers every S
with S_in <= S <= S_in u U.  For all of those at once,

    max_S [sum_S a_j f_j - sum_M b_j relu(f_j)] = sum_{S_in} a_j f_j + sum_U a_j relu(f_j) - sum_M b_j relu(f_j)

(a_j = e g_j > 0 on P, b_j = -e g_j > 0 on M).  Write f in K as sum_i l_i s_i p(u_i) with l_i >= 0, sum l_i = 1,
signs s_i.  relu is subadditive and positively homogeneous and p >= 0, so relu(f_j) <= sum_{i: s_i = +1} l_i p_j(u_i);
with relu(f_j) >= t_j f_j on M as before, the bracket is at most

    sum_i l_i * ( s_i = +1: v_+ . p(u_i),   s_i = -1: -v_- . p(u_i) ),
    v_- = e g on S_in, e g_j t_j on M, 0 elsewhere;   v_+ = v_- plus e g on U,

so it is at most max(0, max_u v_+ . p(u), max_u -v_- . p(u)): two one-sided arc checks.  When U is empty this is
h(v_S) of the enumeration.  A leaf carries t (entries not written are 0, a valid multiplier); an inner node names
a point j of U and has two subtrees, j in S first, then j not in S.  The nodes are listed in preorder, so the
file has no nesting however deep the tree; the checker rebuilds S_in and S_out along every path, so the leaves'
ranges partition the subsets of P, and every S is bounded by exactly one leaf.

The lower end is an explicit network with ||theta||^2 <= L whose speed -Tr[G^T Y] is evaluated
exactly: scaling it onto the sphere multiplies a positive speed by (L/||theta||^2)^(L/2) >= 1.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from flint import fmpq

from certify.kernel.quadratic import QSqrt2
from certify.kernel.verdict import show

SCHEMA = "certify/optimal-speed-certificate"
#: the version written for trees (depth >= 4); version 1 (depth 2 or 3, flat ``multipliers``) is still read
SCHEMA_VERSION = 2
#: the version of depth-3 certificates whose upper end is a branch-and-bound tree (``upper.branches``)
BRANCH_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
#: the deepest network a certificate may be about (the tree has depth - 2 levels of nodes)
MAX_DEPTH = 8
#: the most nodes of a tree (all levels together); each is one exact child vector of N entries
MAX_TREE_NODES = 2**16
#: the most nodes of a branch-and-bound tree (both signs together); each leaf costs two one-sided arc checks
MAX_BRANCH_NODES = 2**18

# --- limits --------------------------------------------------------------------------------------
# What a certificate may ask of the checker, decided from its declared sizes before any arithmetic.
# The search (certify/optimum/search.py) imports these, so it never writes a certificate this checker refuses.
# Each is a module constant; raising one is safe (the checks stay exact), it only lets a file cost more.

#: the most (sign, subset) patterns of a depth-3 certificate (2^|P| + 2^|M|): each is one cone program
#: for the search and one support value for the checker
MAX_PATTERNS = 2**12
#: the most data points N (the cell check costs cells x N, the exact speed widths x N)
MAX_POINTS = 512
#: the most rays (cells); the arrangement of N points has at most 2N + 4
MAX_RAYS = 2 * MAX_POINTS + 4
#: the most (vector, cell) pairs of the upper bound: 1 x cells at depth 2, patterns x cells at depth 3
#: (about 0.1 ms each here, so at most half a minute)
MAX_PATTERN_CELLS = 2**18
#: the most entries of the witness network, and multiply-adds of its exact speed (entries x N)
MAX_WEIGHTS = 2**16
MAX_SPEED_TERMS = 2**22
#: the most decimal digits of an integer inside a number (numerator, denominator, or a decimal's
#: value written out); below Python's 4300-digit int() limit.  A float64 needs at most 324 (its
#: denominator 2^1074), a product of five of them as a lower end about 1700.
MAX_DIGITS = 2000
#: the most digits of the common denominator of each group of numbers (the data X and G, the weights, the
#: multipliers): sums over points keep their denominators below it, so no sum of coprime denominators can
#: grow numbers without bound.  Floats share powers of two, so float data stay far below.
MAX_COMMON_DENOMINATOR_DIGITS = MAX_DIGITS
#: the most digits of any numerator, denominator or common denominator among the numbers the upper-bound
#: check multiplies (patterns x cells times): the data X and G, the rays, the multipliers and the upper
#: end.  Float64 data need at most 309 + 324; the search writes multipliers and the upper end with about
#: 12 significant digits.  This caps the size of the numbers, as MAX_PATTERN_CELLS caps their count.
MAX_CHECK_DIGITS = 700
#: the most work of the upper-bound check, in units of vectors x cells x points x max(1, D/100)^2 with D
#: the most digits of a number it multiplies (measured here: 3 to 8 microseconds a unit, depending on the
#: load, so about a minute at the limit).  Float data of ordinary scale have D of about 17 digits, data
#: near 1e-300 about 320.
MAX_CHECK_COST = 2**23

_RATIONAL = re.compile(r"^-?([0-9]+)(?:/([0-9]+))?$")
_DECIMAL = re.compile(r"^-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([-+]?[0-9]{1,6}))?$")


class CertificateFormatError(ValueError):
    """The file is not a well-formed certificate (as opposed to a certificate that fails)."""


# --- parsing -----------------------------------------------------------------------------------


def parse_number(text: Any, where: str) -> Any:
    """An exact number: a rational from 'p/q', an integer or a decimal string (JSON integers too), or
    a + b sqrt(2) from a two-element list [a, b] of such rationals (an element of Q(sqrt 2))."""
    if isinstance(text, list):
        if len(text) != 2 or any(isinstance(x, list) for x in text):
            raise CertificateFormatError(f"{where}: a number of Q(sqrt 2) is a list [a, b] of two rationals")
        a, b = parse_number(text[0], where), parse_number(text[1], where)
        return a if b == 0 else QSqrt2(a, b)
    if isinstance(text, bool):
        raise CertificateFormatError(f"{where}: expected a number string, got a boolean")
    if isinstance(text, int):
        if abs(text).bit_length() > 3.33 * MAX_DIGITS:
            raise CertificateFormatError(f"{where}: an integer of more than {MAX_DIGITS} digits")
        return fmpq(text)
    if not isinstance(text, str):
        raise CertificateFormatError(f"{where}: numbers are strings ('p/q' or decimals), got {type(text).__name__}")
    if len(text) > 2 * MAX_DIGITS + 16:
        raise CertificateFormatError(f"{where}: a number of {len(text)} characters (at most {MAX_DIGITS} digits "
                                     "per integer)")
    m = _RATIONAL.fullmatch(text)
    if m:
        num, den = m.group(1), m.group(2)
        if len(num) > MAX_DIGITS or (den is not None and len(den) > MAX_DIGITS):
            raise CertificateFormatError(f"{where}: an integer of more than {MAX_DIGITS} digits")
        if den is not None and int(den) == 0:
            raise CertificateFormatError(f"{where}: zero denominator in {text[:40]!r}")
        value = fmpq(int(num), int(den) if den is not None else 1)
        return -value if text.startswith("-") else value
    m = _DECIMAL.fullmatch(text)
    if m:
        whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
        # the value is int(whole + frac) * 10^(exp - len(frac)): bound both ends before building 10^k
        shift = exp - len(frac)
        if len(whole) + len(frac) + max(shift, 0) > MAX_DIGITS or max(-shift, 0) > MAX_DIGITS:
            raise CertificateFormatError(f"{where}: the decimal {text[:40]!r} has more than {MAX_DIGITS} digits "
                                         "written out (numerator or denominator)")
        digits = int(whole + frac)
        value = fmpq(digits * 10**shift) if shift >= 0 else fmpq(digits, 10**-shift)
        return -value if text.startswith("-") else value
    raise CertificateFormatError(f"{where}: not an exact number: {str(text)[:40]!r}")


def number_text(q: Any) -> Any:
    """Canonical form of an exact number: 'p' or 'p/q' for a rational, [a, b] for a + b sqrt(2)."""
    if isinstance(q, QSqrt2):
        return [number_text(q.a), number_text(q.b)] if q.b != 0 else number_text(q.a)
    return str(q.p) if q.q == 1 else f"{q.p}/{q.q}"


def _matrix(obj: Any, where: str, rows: int | None = None, cols: int | None = None) -> list[list[fmpq]]:
    if not isinstance(obj, list) or not obj or not all(isinstance(r, list) and r for r in obj):
        raise CertificateFormatError(f"{where}: expected a non-empty list of non-empty rows")
    width = len(obj[0])
    if any(len(r) != width for r in obj):
        raise CertificateFormatError(f"{where}: rows of different lengths")
    if rows is not None and len(obj) != rows:
        raise CertificateFormatError(f"{where}: expected {rows} rows, got {len(obj)}")
    if cols is not None and width != cols:
        raise CertificateFormatError(f"{where}: expected {cols} columns, got {width}")
    return [[parse_number(x, f"{where}[{i}][{j}]") for j, x in enumerate(r)] for i, r in enumerate(obj)]


def _field(obj: dict, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise CertificateFormatError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise CertificateFormatError(f"{where}.{key}: expected {names}")
    return value


def data_digest(X: list[list[fmpq]], G: list[list[fmpq]]) -> str:
    """SHA-256 of the canonical text of the exact data (what the certificate is about)."""
    canon = json.dumps({"X": [[number_text(v) for v in r] for r in X],
                        "G": [[number_text(v) for v in r] for r in G]}, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


@dataclass
class Certificate:
    depth: int
    X: list[list[fmpq]]  # 2 x N
    G: list[list[fmpq]]  # 1 x N
    digest: str
    lower: fmpq
    weights: list[list[list[fmpq]]]
    upper: fmpq
    rays: list[tuple[fmpq, fmpq]]
    active: list[frozenset[int]]
    multipliers: dict[tuple[int, frozenset[int]], dict[int, fmpq]] = field(default_factory=dict)
    #: the root's children (schema_version 2, depth >= 3); None for the flat version-1 form
    tree: list["Node"] | None = None
    #: schema_version 3: per sign e (1, then -1) the branch-and-bound tree's nodes in preorder, each
    #: ("split", j) or ("leaf", t) with t the multipliers written (the others are 0)
    branches: list[tuple[int, list[tuple[str, Any]]]] | None = None


@dataclass
class Node:
    """One child of a tree: the sign e, the subset S of P_e(parent) and the multipliers t on M_e(parent);
    ``children`` is None exactly at level 1."""

    sign: int
    subset: frozenset[int]
    t: dict[int, Any]
    children: list["Node"] | None


def _common_denominator_digits(numbers: Any) -> int:
    """Decimal digits of the least common multiple of the denominators (both parts of a + b sqrt(2))."""
    from flint import fmpz

    common = fmpz(1)
    for x in numbers:
        for q in ((x.a, x.b) if isinstance(x, QSqrt2) else (x,)):
            d = fmpz(q.q)
            if common % d:
                common = common * d // common.gcd(d)
                if common.bit_length() > 3.33 * MAX_COMMON_DENOMINATOR_DIGITS:
                    return len(str(common))
    return len(str(common))


def _bounded_group(numbers: list[Any], where: str, limit: int = MAX_COMMON_DENOMINATOR_DIGITS) -> None:
    digits = _common_denominator_digits(numbers)
    if digits > limit:
        raise CertificateFormatError(f"{where}: the common denominator has {digits} digits (at most {limit})")
    if limit < MAX_DIGITS:  # the numerators too (each number's own size is already at most MAX_DIGITS)
        for x in numbers:
            for q in ((x.a, x.b) if isinstance(x, QSqrt2) else (x,)):
                if abs(int(q.p)).bit_length() > 3.33 * limit:
                    raise CertificateFormatError(f"{where}: a numerator of more than {limit} digits")


def _digits(x: Any) -> int:
    """Decimal digits (rounded up) of the longest numerator or denominator in an exact number."""
    parts = (x.a, x.b) if isinstance(x, QSqrt2) else (x,)
    bits = max(max(abs(int(q.p)).bit_length(), int(q.q).bit_length()) for q in parts)
    return int(bits * 0.30103) + 1


def _size(obj: Any, where: str, limit: int, what: str) -> int:
    """len(obj) for a list, refusing more than ``limit`` before anything in it is parsed."""
    if isinstance(obj, list) and len(obj) > limit:
        raise CertificateFormatError(f"{where}: {len(obj)} {what}, more than this checker accepts ({limit})")
    return len(obj) if isinstance(obj, list) else 0


def parse_certificate(doc: Any) -> Certificate:
    """Validate the structure and parse every number exactly; raise CertificateFormatError.

    Every size is compared with the limits above before the numbers it governs are parsed, and the
    work the checks will do (patterns x cells, weights x points) before any check runs."""
    if not isinstance(doc, dict):
        raise CertificateFormatError("a certificate is a JSON object")
    if doc.get("schema") != SCHEMA:
        raise CertificateFormatError(f"not a certificate of this kind (schema must be {SCHEMA!r})")
    version = doc.get("schema_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise CertificateFormatError(f"unsupported schema_version {str(version)[:20]!r} "
                                     f"(this checker reads {', '.join(map(str, READABLE_VERSIONS))})")
    depth = _field(doc, "depth", int, "certificate")
    if version == 1 and depth not in (2, 3):
        raise CertificateFormatError(f"certificate.depth: 2 or 3 in schema_version 1, got {str(depth)[:20]}")
    if version == BRANCH_VERSION and depth != 3:
        raise CertificateFormatError(f"certificate.depth: 3 in schema_version {BRANCH_VERSION}, got {str(depth)[:20]}")
    if not 2 <= depth <= MAX_DEPTH:
        raise CertificateFormatError(f"certificate.depth: 2 to {MAX_DEPTH}, got {str(depth)[:20]}")
    X, G, digest = parse_data(doc)
    N = len(X[0])
    lo, weights = parse_lower(_field(doc, "lower", dict, "certificate"), depth, X, G)
    upper = _field(doc, "upper", dict, "certificate")
    up = parse_number(_field(upper, "value", (str, int, list), "upper"), "upper.value")
    raw_rays = _field(upper, "rays", list, "upper")
    m = _size(raw_rays, "upper.rays", MAX_RAYS, "rays")
    vectors = 1
    raw_tree = upper.get("tree")
    if raw_tree is not None and (version == 1 or "multipliers" in upper):
        raise CertificateFormatError("upper.tree: only in schema_version 2, and not together with upper.multipliers")
    if raw_tree is None and depth >= 4:
        raise CertificateFormatError(f"upper.tree: a depth-{depth} certificate needs the tree of multipliers")
    raw_branches = upper.get("branches")
    if (raw_branches is not None) != (version == BRANCH_VERSION):
        raise CertificateFormatError(f"upper.branches: required in schema_version {BRANCH_VERSION}, and only there")
    if raw_branches is not None and ("multipliers" in upper or raw_tree is not None):
        raise CertificateFormatError("upper.branches: not together with upper.multipliers or upper.tree")
    branch_leaves = 0
    if raw_branches is not None:
        branch_leaves = _branches_shape(raw_branches)
        vectors = 2 * branch_leaves
    tree_levels: tuple[int, int] | None = None
    if raw_tree is not None:
        tree_levels = _tree_shape(raw_tree, depth, N)
        vectors = max(tree_levels[1], 1)  # depth 2: the root g itself is the one vector
    elif depth == 3 and raw_branches is None:
        pos, neg = sum(1 for v in G[0] if v > 0), sum(1 for v in G[0] if v < 0)
        vectors = 2**pos + 2**neg
        if vectors > MAX_PATTERNS:
            raise CertificateFormatError(f"depth 3 with 2^{pos} + 2^{neg} sign patterns: more than this checker "
                                         f"enumerates ({MAX_PATTERNS})")
    if vectors * m > MAX_PATTERN_CELLS and raw_branches is None:  # branches: the cost estimate below
        raise CertificateFormatError(f"{vectors} sign pattern(s) x {m} cells = {vectors * m} support values: more "
                                     f"than this checker evaluates ({MAX_PATTERN_CELLS})")
    rays = [tuple(r) for r in _matrix(raw_rays, "upper.rays", cols=2)]
    _bounded_group([v for r in rays for v in r] + [up], "upper.rays and upper.value", MAX_CHECK_DIGITS)
    raw_active = _field(upper, "active", list, "upper")
    if len(raw_active) != len(rays):
        raise CertificateFormatError(f"upper.active: one active set per cell ({len(rays)}), got {len(raw_active)}")
    active = []
    for i, a in enumerate(raw_active):
        if not isinstance(a, list) or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N for k in a):
            raise CertificateFormatError(f"upper.active[{i}]: a list of point indices in 0..{N - 1}")
        active.append(frozenset(a))
    mult: dict[tuple[int, frozenset[int]], dict[int, fmpq]] = {}
    raw_m = upper.get("multipliers", [])
    if not isinstance(raw_m, list):
        raise CertificateFormatError("upper.multipliers: expected a list")
    _size(raw_m, "upper.multipliers", MAX_PATTERNS, "multiplier vectors")
    for i, mm in enumerate(raw_m):
        where = f"upper.multipliers[{i}]"
        sign = _field(mm, "sign", int, where)
        if sign not in (1, -1):
            raise CertificateFormatError(f"{where}.sign: 1 or -1")
        subset = _field(mm, "subset", list, where)
        if not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N for k in subset):
            raise CertificateFormatError(f"{where}.subset: point indices in 0..{N - 1}")
        t_raw = _field(mm, "t", dict, where)
        t = {}
        for k, v in t_raw.items():
            if not (k.isascii() and k.isdigit() and len(k) <= 6 and int(k) < N):
                raise CertificateFormatError(f"{where}.t: keys are point indices in 0..{N - 1}, got {k[:20]!r}")
            t[int(k)] = parse_number(v, f"{where}.t[{k}]")
        key = (sign, frozenset(subset))
        if key in mult:
            raise CertificateFormatError(f"{where}: sign {sign} and subset {sorted(subset)[:12]} given twice")
        mult[key] = t
    _bounded_group([v for t in mult.values() for v in t.values()], "upper.multipliers", MAX_CHECK_DIGITS)
    tree = None
    t_values: list[Any] = [v for t in mult.values() for v in t.values()]
    if raw_tree is not None:
        tree = _parse_tree(raw_tree, depth - 2, N, "upper.tree")
        t_values = []
        stack = list(tree)
        while stack:
            node = stack.pop()
            t_values.extend(node.t.values())
            stack.extend(node.children or [])
        _bounded_group(t_values, "upper.tree multipliers", MAX_CHECK_DIGITS)
    branches = None
    if raw_branches is not None:
        branches = _parse_branches(raw_branches, N)
        t_values = [v for _, nodes in branches for kind, t in nodes if kind == "leaf" for v in t.values()]
        _bounded_group(t_values, "upper.branches multipliers", MAX_CHECK_DIGITS)
    data_digits = max(_digits(v) for v in [v for r in X + G for v in r] + [v for r in rays for v in r] + [up])
    t_digits = max((_digits(v) for v in t_values), default=1)
    # a leaf's entries are g_j times depth - 2 multipliers: their digits add up along the path
    digits = data_digits + max(depth - 2, 1) * t_digits
    if branches is not None:
        data_numbers = [v for r in X + G for v in r] + [v for r in rays for v in r] + [up]
        digits = branch_digits(data_numbers, t_values)
        cost = branch_check_cost(N, m, sum(len(a ^ b) for a, b in zip(active, active[1:])), vectors, digits)
    else:
        cost = vectors * m * N * max(1.0, digits / 100) ** 2
    if tree_levels is not None:
        cost += tree_levels[0] * N * max(1.0, digits / 100) ** 2  # computing every node's vector
    if cost > MAX_CHECK_COST:
        raise CertificateFormatError(f"the upper-bound check would cost {cost:.3g} units ({vectors} vector(s) x {m} "
                                     f"cells x {N} points with numbers of up to {digits} digits; at most "
                                     f"{MAX_CHECK_COST}, about a minute): use fewer points or shorter numbers")
    return Certificate(depth, X, G, digest, lo, weights, up, rays, active, mult, tree, branches)


def branch_digits(data_numbers: list[Any], t_values: list[Any]) -> int:
    """The digits the one-sided cell sums of a branch-and-bound certificate can reach: a sum of terms
    g_k t_k x_k has a denominator dividing the product of the common denominators of the data and of the
    multipliers, and a numerator about as long plus the longest numbers themselves."""
    longest = max((_digits(v) for v in data_numbers), default=1) + max((_digits(v) for v in t_values), default=1)
    return longest + _common_denominator_digits(data_numbers) + _common_denominator_digits(t_values)


def branch_check_cost(N: int, m: int, changes: int, vectors: int, digits: int) -> float:
    """Units of work of checking a branch-and-bound certificate (the units of MAX_CHECK_COST): the cells'
    active sets (m x N dot products), then per one-sided vector its first cell's sum (N terms), one update per
    point entering or leaving a cell (``changes`` in all, whatever the rays' winding) and one arc check per
    cell (about 8 products)."""
    factor = max(1.0, digits / 100) ** 2
    return m * N * factor + vectors * (N + changes + 8 * m) * factor


def parse_data(doc: dict, min_rows: int = 2, max_rows: int = 2) -> tuple[list[list[Any]], list[list[Any]], str]:
    """The certificate's exact data: X (min_rows to max_rows rows of at most MAX_POINTS points), G (1 x N) and
    the digest it claims, the sizes checked before any number is parsed."""
    data = _field(doc, "data", dict, "certificate")
    raw_X = _field(data, "X", list, "data")
    if not min_rows <= len(raw_X) <= max_rows:
        wanted = min_rows if min_rows == max_rows else f"{min_rows} to {max_rows}"
        raise CertificateFormatError(f"data.X: expected {wanted} rows, got {len(raw_X)}")
    for i, row in enumerate(raw_X):
        _size(row, f"data.X[{i}]", MAX_POINTS, "points")
    X = _matrix(raw_X, "data.X", rows=len(raw_X))
    G = _matrix(_field(data, "G", list, "data"), "data.G", rows=1, cols=len(X[0]))
    _bounded_group([v for r in X + G for v in r], "data", MAX_CHECK_DIGITS)
    return X, G, _field(data, "sha256", str, "data")


def parse_lower(lower: dict, depth: int, X: list[list[Any]], G: list[list[Any]]) -> tuple[Any, list[list[list[Any]]]]:
    """The lower end (its value and a depth-``depth`` network), every size and the cost of its exact speed
    checked before the weights are parsed."""
    N = len(X[0])
    lo = parse_number(_field(lower, "value", (str, int, list), "lower"), "lower.value")
    raw_w = _field(lower, "weights", list, "lower")
    if len(raw_w) != depth:
        raise CertificateFormatError(f"lower.weights: expected {depth} matrices, got {len(raw_w)}")
    entries = terms = 0
    for l, W in enumerate(raw_w):
        rows = _size(W, f"lower.weights[{l}]", MAX_WEIGHTS, "rows")
        cols = _size(W[0], f"lower.weights[{l}][0]", MAX_WEIGHTS, "columns") if rows else 0
        entries += rows * cols
        terms += rows * cols * N
    if entries > MAX_WEIGHTS or terms > MAX_SPEED_TERMS:
        raise CertificateFormatError(f"lower.weights: {entries} weights ({terms} multiply-adds for the exact speed "
                                     f"on {N} points); this checker accepts at most {MAX_WEIGHTS} weights and "
                                     f"{MAX_SPEED_TERMS} multiply-adds")
    weights = [_matrix(W, f"lower.weights[{l}]") for l, W in enumerate(raw_w)]
    _bounded_group([v for W in weights for r in W for v in r], "lower.weights")
    check_lower_cost(weights, [v for r in X + G for v in r], N)
    return lo, weights


def check_lower_cost(weights: list[list[list[Any]]], data: list[Any], N: int) -> None:
    """Refuse a lower-end network whose exact evaluation would take too long.  Each layer multiplies the
    activations by the weights, so the digits of the numbers grow by about those of a weight (numerator and
    the weights' common denominator) per layer: layer l costs rows x columns x N x max(1, D_l/100)^2 units
    with D_l = (data digits) + l (weight digits), the same units as MAX_CHECK_COST."""
    flat = [v for W in weights for r in W for v in r]
    w_digits = max((_digits(v) for v in flat), default=1) + _common_denominator_digits(flat)
    d_digits = max((_digits(v) for v in data), default=1) + _common_denominator_digits(data)
    cost = 0.0
    for l, W in enumerate(weights, start=1):
        cols = len(W[0]) if W else 0
        cost += len(W) * cols * N * max(1.0, (d_digits + l * w_digits) / 100) ** 2
    if cost > MAX_CHECK_COST:
        raise CertificateFormatError(f"lower.weights: evaluating the network exactly would cost {cost:.3g} units "
                                     f"(numbers growing to about {d_digits + len(weights) * w_digits} digits over "
                                     f"{len(weights)} layers; at most {MAX_CHECK_COST}, about a minute): use shorter "
                                     "weights")


def _tree_shape(raw: Any, depth: int, N: int) -> tuple[int, int]:
    """Walk the tree's structure before any number in it is parsed: (nodes, leaves), refusing more than
    MAX_TREE_NODES nodes, nodes that are not objects, and children at the wrong level."""
    if not isinstance(raw, list):
        raise CertificateFormatError("upper.tree: expected a list (the root's children)")
    if depth == 2 and raw:
        raise CertificateFormatError("upper.tree: a depth-2 certificate has no children (its root g is the leaf)")
    nodes = leaves = 0
    stack: list[tuple[list, int, str]] = [(raw, depth - 2, "upper.tree")] if depth >= 3 else []
    while stack:
        children, level, where = stack.pop()
        for i, node in enumerate(children):
            nodes += 1
            if nodes > MAX_TREE_NODES:
                raise CertificateFormatError(f"upper.tree: more than {MAX_TREE_NODES} nodes, more than this checker "
                                             "accepts")
            at = f"{where}[{i}]"
            if not isinstance(node, dict):
                raise CertificateFormatError(f"{at}: a node is an object with sign, subset, t (and children)")
            for key in ("subset", "t"):
                if key in node and isinstance(node[key], (list, dict)) and len(node[key]) > N:
                    raise CertificateFormatError(f"{at}.{key}: more entries than the {N} points")
            sub = node.get("children")
            if level == 1:
                if sub not in (None, []):
                    raise CertificateFormatError(f"{at}: a level-1 node (a leaf) has no children")
                leaves += 1
            else:
                if not isinstance(sub, list) or not sub:
                    raise CertificateFormatError(f"{at}.children: a node of level {level} needs its children")
                stack.append((sub, level - 1, f"{at}.children"))
    return nodes, leaves


def parse_child(node: Any, N: int, at: str) -> tuple[int, frozenset[int], dict[int, Any]]:
    """The (sign, subset, t) of one child of the dual step, strictly: sign +-1, distinct point indices, and
    t keyed by point indices written canonically (no '01'); the values are exact numbers."""
    sign = _field(node, "sign", int, at)
    if sign not in (1, -1):
        raise CertificateFormatError(f"{at}.sign: 1 or -1")
    subset = _field(node, "subset", list, at)
    if not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N for k in subset):
        raise CertificateFormatError(f"{at}.subset: point indices in 0..{N - 1}")
    if len(set(subset)) != len(subset):
        raise CertificateFormatError(f"{at}.subset: an index given twice")
    return sign, frozenset(subset), parse_multipliers(_field(node, "t", dict, at), N, f"{at}.t")


def parse_multipliers(t_raw: dict, N: int, at: str) -> dict[int, Any]:
    """Multipliers keyed by point indices written canonically (no '01'); the values are exact numbers."""
    if len(t_raw) > N:
        raise CertificateFormatError(f"{at}: more entries than the {N} points")
    t = {}
    for k, v in t_raw.items():
        if not (k.isascii() and k.isdigit() and len(k) <= 6 and int(k) < N) or str(int(k)) != k:
            raise CertificateFormatError(f"{at}: keys are point indices in 0..{N - 1}, got {k[:20]!r}")
        t[int(k)] = parse_number(v, f"{at}[{k}]")
    return t


def signed_node_lists(raw: Any, where: str, what: str, limit: int) -> list[tuple[int, list[Any]]]:
    """Two objects {"sign": 1, then -1, "nodes": [...]}, as (sign, raw nodes); at most ``limit`` nodes in all.
    Only the structure is read: no number is parsed here."""
    if not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(b, dict) for b in raw):
        raise CertificateFormatError(f"{where}: a list of two {what}, one for each sign (1, then -1)")
    out, total = [], 0
    for i, (b, e) in enumerate(zip(raw, (1, -1))):
        if _field(b, "sign", int, f"{where}[{i}]") != e:
            raise CertificateFormatError(f"{where}[{i}].sign: the {what} are listed for sign 1, then sign -1")
        nodes = _field(b, "nodes", list, f"{where}[{i}]")
        total += len(nodes)
        if total > limit:
            raise CertificateFormatError(f"{where}: more than {limit} nodes, more than this checker accepts")
        out.append((e, nodes))
    return out


def _branches_shape(raw: Any) -> int:
    """The leaves of the branch-and-bound trees, counted before any number is parsed: two trees (signs 1 and
    -1) with at most MAX_BRANCH_NODES nodes in all, every node a split or a leaf."""
    leaves = 0
    for i, (_, nodes) in enumerate(signed_node_lists(raw, "upper.branches", "trees", MAX_BRANCH_NODES)):
        for j, node in enumerate(nodes):
            if not isinstance(node, dict) or ("split" in node) == ("t" in node) or len(node) != 1:
                raise CertificateFormatError(f"upper.branches[{i}].nodes[{j}]: a node is either {{\"split\": j}} or "
                                             "{\"t\": {...}} (a leaf)")
            leaves += "t" in node
    return leaves


def _parse_branches(raw: list, N: int) -> list[tuple[int, list[tuple[str, Any]]]]:
    """Both trees, signs 1 then -1, with their nodes in preorder (the shape was checked by _branches_shape)."""
    out = []
    for i, (e, raw_nodes) in enumerate(signed_node_lists(raw, "upper.branches", "trees", MAX_BRANCH_NODES)):
        where = f"upper.branches[{i}]"
        nodes: list[tuple[str, Any]] = []
        for j, node in enumerate(raw_nodes):
            at = f"{where}.nodes[{j}]"
            if "split" in node:
                k = node["split"]
                if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < N:
                    raise CertificateFormatError(f"{at}.split: a point index in 0..{N - 1}")
                nodes.append(("split", k))
            else:
                nodes.append(("leaf", parse_multipliers(_field(node, "t", dict, at), N, f"{at}.t")))
        out.append((e, nodes))
    return out


def _parse_tree(raw: list, level: int, N: int, where: str) -> list[Node]:
    """The nodes of one level (the shape was checked by :func:`_tree_shape`); duplicates are refused."""
    out, seen = [], set()
    for i, node in enumerate(raw):
        at = f"{where}[{i}]"
        sign, subset, t = parse_child(node, N, at)
        if (sign, subset) in seen:
            raise CertificateFormatError(f"{at}: sign {sign} and subset {sorted(subset)[:12]} given twice")
        seen.add((sign, subset))
        children = _parse_tree(node["children"], level - 1, N, f"{at}.children") if level >= 2 else None
        out.append(Node(sign, subset, t, children))
    return out


# --- the checks ---------------------------------------------------------------------------------


def _cross(a: tuple, b: tuple) -> fmpq:
    return a[0] * b[1] - a[1] * b[0]


def _dot(a: tuple, b: tuple) -> fmpq:
    return a[0] * b[0] + a[1] * b[1]


def arc_max_at_most(w: tuple[fmpq, fmpq], ra: tuple, rb: tuple, bound: fmpq) -> bool:
    """Exactly: max { w . u : ||u|| = 1, u in cone(ra, rb) } <= bound, for 0 < angle(ra, rb) < pi, bound >= 0."""
    inside = _cross(ra, w) >= 0 and _cross(w, rb) >= 0
    if inside:
        return _dot(w, w) <= bound * bound
    for r in (ra, rb):
        d = _dot(w, r)
        if d > 0 and d * d > bound * bound * _dot(r, r):
            return False
    return True


def _relu(v: fmpq) -> fmpq:
    return v if v > 0 else fmpq(0)


def exact_speed(weights: list[list[list[fmpq]]], X: list[list[fmpq]], G: list[list[fmpq]]) -> fmpq:
    """-Tr[G^T Y_theta] in exact arithmetic (Section 2)."""
    act = X
    for l, W in enumerate(weights):
        Z = [[sum((W[i][k] * act[k][j] for k in range(len(act))), fmpq(0)) for j in range(len(X[0]))]
             for i in range(len(W))]
        act = Z if l == len(weights) - 1 else [[_relu(v) for v in row] for row in Z]
    return -sum((G[i][j] * act[i][j] for i in range(len(G)) for j in range(len(X[0]))), fmpq(0))


#: the checks every certificate must pass (depth 3 adds upper.multipliers or upper.tree, depth 4+ upper.tree)
REQUIRED_CHECKS = frozenset({"data.sha256", "lower.shapes", "lower.norm", "lower.speed", "upper.rays", "upper.cells",
                             "upper.nonnegative", "upper.bound", "interval"})


@dataclass
class CheckReport:
    """Each named check with its outcome; ``ok`` only when every check passed."""

    checks: list[tuple[str, bool, str]]
    lower: fmpq | None
    upper: fmpq | None
    depth: int
    widths: list[int]

    @property
    def ok(self) -> bool:
        """Every check passed, and every check the depth requires was run (a report cut short, or one that
        skipped a step, proves nothing)."""
        names = {name for name, _, _ in self.checks}
        # depth 3: the flat multipliers (version 1), the tree or the branches; depth 4 and more: the tree
        if self.depth == 3 and not names & {"upper.multipliers", "upper.tree", "upper.branches"}:
            return False
        if self.depth >= 4 and "upper.tree" not in names:
            return False
        return all(passed for _, passed, _ in self.checks) and REQUIRED_CHECKS <= names

    @property
    def first_failure(self) -> tuple[str, str] | None:
        for name, passed, detail in self.checks:
            if not passed:
                return name, detail
        return None


class _Stop(Exception):
    """Raised by ``record`` at the first failing check: the later checks are not run."""


def run_recorded(run: Any) -> list[tuple[str, bool, str]]:
    """Call ``run(record)``; ``record(name, ok, detail)`` appends a check and stops the run at the first
    failure (a wrong certificate costs no more than its first wrong step).  Returns the checks."""
    checks: list[tuple[str, bool, str]] = []

    def record(name: str, ok: bool, detail: str) -> None:
        checks.append((name, ok, detail))
        if not ok:
            raise _Stop

    try:
        run(record)
    except _Stop:
        pass
    return checks


def check_certificate(cert: Certificate) -> CheckReport:
    """Re-verify a parsed certificate; every inequality is decided in exact rational arithmetic.  The
    checks run in order and stop at the first that fails, which the report ends with."""
    checks = run_recorded(lambda record: _run_checks(cert, record))
    return CheckReport(checks, cert.lower, cert.upper, cert.depth, [2] + [len(W) for W in cert.weights])


def check_lower(X: list, G: list, weights: list, lower: Any, L: int, record: Any) -> None:
    """The lower end: an explicit depth-L network on or inside the sphere ||theta||^2 = L, evaluated exactly."""
    Ws = weights
    d = len(X)  # the input dimension: 2 for the arc certificates, any d for the cone certificates
    chain = len(Ws) == L and len(Ws[0][0]) == d and len(Ws[-1]) == 1 and all(
        len(Ws[l + 1][0]) == len(Ws[l]) for l in range(L - 1))
    widths = [d] + [len(W) for W in Ws]
    record("lower.shapes", chain, f"widths {widths}: {d} inputs, 1 output, consecutive shapes chain")
    sq = sum((v * v for W in Ws for row in W for v in row), fmpq(0))
    record("lower.norm", sq <= L, f"||theta||^2 = {show(sq)} <= {L}")
    speed = exact_speed(Ws, X, G)
    record("lower.speed", speed >= lower, f"exact speed {show(speed)} >= claimed lower {show(lower)}")


def check_cells(pts: list, rays: list, active: list, record: Any) -> None:
    """The rays turn counterclockwise by less than pi each, and every cell's active set is right."""
    m = len(rays)
    turns = m >= 3 and all(_cross(rays[i], rays[(i + 1) % m]) > 0 for i in range(m))
    record("upper.rays", turns, f"{m} rays, each turn strictly between 0 and pi counterclockwise")
    bad_cells = []
    for i in range(m):
        ra, rb = rays[i], rays[(i + 1) % m]
        for k, x in enumerate(pts):
            a, b = _dot(x, ra), _dot(x, rb)
            if (k in active[i] and (a < 0 or b < 0)) or (k not in active[i] and (a > 0 or b > 0)):
                bad_cells.append((i, k))
        if len(bad_cells) >= 3:
            break
    record("upper.cells", not bad_cells,
           "every point's sign is constant on every cell" + (f"; wrong at (cell, point) {bad_cells[:3]}" if bad_cells else ""))


def check_support(vectors: list[tuple[str, list[tuple[int, Any]]]], pts: list, rays: list, active: list, U: Any,
                  record: Any) -> None:
    """h_1(v) = max_u |v . relu(X^T u)| <= U for every vector, given as (name, nonzero (index, value) pairs),
    decided on every cell (``check_cells`` must have passed) and both signs."""
    m = len(rays)
    zero = fmpq(0)
    for i in range(m):
        ra, rb = rays[i], rays[(i + 1) % m]
        act = active[i]
        for name, v in vectors:
            w0, w1 = zero, zero
            for k, vk in v:
                if k in act:
                    w0 += vk * pts[k][0]
                    w1 += vk * pts[k][1]
            for s in (1, -1):
                if not arc_max_at_most((s * w0, s * w1), ra, rb, U):
                    record("upper.bound", False, f"max_u |v . relu(X^T u)| <= {show(U)} for {len(vectors)} vector(s) "
                           f"on {m} cells; exceeded at {name}, cell {i}, sign {s:+d}")
    record("upper.bound", True, f"max_u |v . relu(X^T u)| <= {show(U)} for {len(vectors)} vector(s) on {m} cells")


def _run_checks(cert: Certificate, record: Any) -> None:
    X, G, L = cert.X, cert.G, cert.depth
    N = len(X[0])
    pts = [(X[0][k], X[1][k]) for k in range(N)]
    g = G[0]
    record("data.sha256", data_digest(X, G) == cert.digest, "the digest of the certificate's data")
    check_lower(X, G, cert.weights, cert.lower, L, record)
    check_cells(pts, cert.rays, cert.active, record)
    U = cert.upper
    record("upper.nonnegative", U >= 0, f"upper = {show(U)} >= 0")

    # the vectors v whose support value h(v) must be <= U, as (index, value) pairs of their nonzero entries
    vectors: list[tuple[str, list[tuple[int, Any]]]] = []
    if cert.branches is not None:
        check_sided_support(_branch_vectors(cert, record), pts, cert.rays, cert.active, U, record)
        record("interval", cert.lower <= U, f"lower {show(cert.lower)} <= upper {show(U)}")
        return
    if cert.tree is not None and L >= 3:
        leaves = _tree_leaves(cert, record)
        vectors = [(name, [(k, c[k]) for k in range(N) if c[k] != 0]) for name, c in leaves]
    elif L == 2:
        vectors.append(("g", [(k, g[k]) for k in range(N) if g[k] != 0]))
    else:
        for e in (1, -1):
            P = [j for j in range(N) if e * g[j] > 0]
            M = [j for j in range(N) if e * g[j] < 0]
            for size in range(len(P) + 1):
                for S in combinations(P, size):
                    t = cert.multipliers.get((e, frozenset(S)))
                    if t is None or any(j not in t for j in M):
                        record("upper.multipliers", False, "a multiplier vector t in [0,1] for every sign and subset"
                               f"; missing for sign {e:+d}, S = {list(S)[:12]}")
                    if any(not (0 <= t[j] <= 1) for j in M):
                        record("upper.multipliers", False, "a multiplier vector t in [0,1] for every sign and subset"
                               f"; outside [0, 1] for sign {e:+d}, S = {list(S)[:12]}")
                    v = [(j, e * g[j]) for j in S] + [(j, e * g[j] * t[j]) for j in M if t[j] != 0]
                    vectors.append((f"sign {e:+d}, S = {list(S)}", v))
        record("upper.multipliers", True, "a multiplier vector t in [0,1] for every sign and subset")
    check_support(vectors, pts, cert.rays, cert.active, U, record)
    record("interval", cert.lower <= U, f"lower {show(cert.lower)} <= upper {show(U)}")


def _tree_leaves(cert: Certificate, record: Any) -> list[tuple[str, list[Any]]]:
    """Every node's vector, computed exactly from the root g down; the leaves' vectors are returned.

    At a node with vector v, the children must be exactly one per sign e and subset S of P_e(v), with
    t on exactly M_e(v), in [0, 1]: then h_{j+1}(v) <= max over the children of h_j(child)."""
    leaves: list[tuple[str, list[Any]]] = []
    stack: list[tuple[list[Any], list[Node], str]] = [(list(cert.G[0]), cert.tree or [], "root")]
    nodes = 0
    while stack:
        v, children, name = stack.pop()
        for node, c, label in dual_children(v, children, name, "upper.tree", record):
            nodes += 1
            if node.children is None:
                leaves.append((label, c))
            else:
                stack.append((c, node.children, label))
    record("upper.tree", True, f"{nodes} nodes: every node has exactly one child per sign and subset, with "
           f"multipliers in [0, 1] on M_e; {len(leaves)} leaves")
    return leaves


def _branch_vectors(cert: Certificate, record: Any) -> list[tuple[str, int, list[tuple[int, Any]]]]:
    """Walk both branch-and-bound trees in preorder, rebuilding S_in and S_out on every path; return, per leaf,
    the two one-sided vectors (name, side, nonzero entries): side +1 for v_+, side -1 for v_- (see the module
    docstring).  A split must name a point of P_e still open; a leaf's multipliers sit on M_e, in [0, 1]."""
    g = cert.G[0]
    N = len(g)
    out: list[tuple[str, int, list[tuple[int, Any]]]] = []
    nodes_seen = leaves = 0
    for e, nodes in cert.branches or []:
        P = frozenset(j for j in range(N) if e * g[j] > 0)
        M = [j for j in range(N) if e * g[j] < 0]
        pending: list[tuple[frozenset[int], frozenset[int]]] = [(frozenset(), frozenset())]
        i = 0
        while pending:
            if i >= len(nodes):
                record("upper.branches", False, f"sign {e:+d}: the preorder list ends with {len(pending)} branch(es) "
                       "still without a node")
            s_in, s_out = pending.pop()
            kind, val = nodes[i]
            where = f"sign {e:+d}, node {i}"
            i += 1
            if kind == "split":
                if val not in P or val in s_in or val in s_out:
                    record("upper.branches", False, f"every split names a point of P_e not yet decided on its path; "
                           f"not at {where} (point {val})")
                pending.append((s_in, s_out | {val}))  # popped second: the subtree 'j not in S'
                pending.append((s_in | {val}, s_out))  # popped first: the subtree 'j in S'
                continue
            t = val
            if not set(t) <= set(M):
                record("upper.branches", False, f"multipliers sit on M_e only; not at {where}")
            if any(not (0 <= t[j] <= 1) for j in t):
                record("upper.branches", False, f"every multiplier t lies in [0, 1]; not at {where}")
            common = [(j, e * g[j] * t[j]) for j in M if j in t and t[j] != 0]
            open_ = P - s_in - s_out
            name = f"{where} (S_in = {sorted(s_in)[:8]}, {len(open_)} open)"
            out.append((name, 1, [(j, e * g[j]) for j in sorted(s_in | open_)] + common))
            out.append((name, -1, [(j, e * g[j]) for j in sorted(s_in)] + common))
            leaves += 1
        if i != len(nodes):
            record("upper.branches", False, f"sign {e:+d}: {len(nodes) - i} node(s) after the tree is complete")
        nodes_seen += len(nodes)
    record("upper.branches", True, f"{nodes_seen} nodes: both signs' trees are complete binary splits on open points "
           f"of P_e, multipliers in [0, 1] on M_e; {leaves} leaves")
    return out


def cell_changes(active: list[frozenset[int]]) -> list[tuple[frozenset[int], frozenset[int]]]:
    """For each cell after the first, the points that enter and those that leave the active set."""
    return [(active[i] - active[i - 1], active[i - 1] - active[i]) for i in range(1, len(active))]


def cell_sums(v: list[tuple[int, Any]], pts: list, active: list, changes: list) -> Any:
    """Yield w_i = sum_{k active on cell i} v_k x_k for every cell in order, exactly, updating the sum by the
    points that enter or leave (``changes`` from :func:`cell_changes`); v is given by its nonzero entries."""
    entries = dict(v)
    zero = fmpq(0)
    w0 = sum((vk * pts[k][0] for k, vk in v if k in active[0]), zero)
    w1 = sum((vk * pts[k][1] for k, vk in v if k in active[0]), zero)
    yield w0, w1
    for enter, leave in changes:
        for k in enter:
            if k in entries:
                w0 += entries[k] * pts[k][0]
                w1 += entries[k] * pts[k][1]
        for k in leave:
            if k in entries:
                w0 -= entries[k] * pts[k][0]
                w1 -= entries[k] * pts[k][1]
        yield w0, w1


def check_sided_support(vectors: list[tuple[str, int, list[tuple[int, Any]]]], pts: list, rays: list, active: list,
                        U: Any, record: Any) -> None:
    """max_u side * (v . relu(X^T u)) <= U for every (name, side, nonzero entries), decided on every cell
    (``check_cells`` must have passed).  The cell's vector w_i = sum over its active points of v_k x_k is
    updated from cell to cell by the points that enter or leave: exact sums, so the order does not matter."""
    m = len(rays)
    changes = cell_changes(active)
    for name, side, v in vectors:
        for i, (w0, w1) in enumerate(cell_sums(v, pts, active, changes)):
            if not arc_max_at_most((side * w0, side * w1), rays[i], rays[(i + 1) % m], U):
                record("upper.bound", False, f"max_u +-v . relu(X^T u) <= {show(U)} for {len(vectors)} one-sided "
                       f"vector(s) on {m} cells; exceeded at {name}, side {side:+d}, cell {i}")
    record("upper.bound", True, f"max_u +-v . relu(X^T u) <= {show(U)} for {len(vectors)} one-sided vector(s) "
           f"on {m} cells")


def dual_children(v: list[Any], children: list[Any], name: str, check: str, record: Any) -> list[tuple[Any, list[Any], str]]:
    """The children of the vector v in the dual step, validated, each with its exact vector and a label.

    ``children`` have ``sign``, ``subset`` and ``t``; their (sign, subset) keys are distinct (the parsers
    refuse duplicates).  Required: each subset lies in P_e(v) = {j : e v_j > 0}, t sits exactly on
    M_e(v) = {j : e v_j < 0} with values in [0, 1], and there are 2^|P_+| + 2^|P_-| children: distinct
    keys with S in P_e, so they are all of them.  The child's vector is e v_j on S, e v_j t_j on M_e, 0
    elsewhere; a failure is recorded under ``check``."""
    N = len(v)
    zero = fmpq(0)
    pos = [j for j in range(N) if v[j] > 0]
    neg = [j for j in range(N) if v[j] < 0]
    need = 2 ** len(pos) + 2 ** len(neg)
    if len(children) != need:
        record(check, False, f"one child per sign and subset; {name} has {len(children)} children, its vector "
               f"needs 2^{len(pos)} + 2^{len(neg)} = {need}")
    out = []
    for node in children:
        e = node.sign
        P, M = (pos, neg) if e == 1 else (neg, pos)
        label = f"{name} / sign {e:+d}, S = {sorted(node.subset)[:12]}"
        if not node.subset <= set(P):
            record(check, False, f"every subset lies in P_e of its parent; not at {label}")
        if set(node.t) != set(M):
            record(check, False, f"the multipliers t sit exactly on M_e of the parent; not at {label}")
        if any(not (0 <= node.t[j] <= 1) for j in M):
            record(check, False, f"every multiplier t lies in [0, 1]; not at {label}")
        c = [zero] * N
        for j in node.subset:
            c[j] = e * v[j]
        for j in M:
            c[j] = e * v[j] * node.t[j]
        out.append((node, c, label))
    return out


def check_document(doc: Any) -> CheckReport:
    """Parse (CertificateFormatError on a malformed document) and check."""
    return check_certificate(parse_certificate(doc))


def verdict_from_report(report: CheckReport, what: str, evidence: dict[str, Any] | None = None) -> Any:
    """``certified`` with the interval when every check passed, ``refuted`` naming the first failed check."""
    from certify.kernel.compare import lower_float
    from certify.kernel.verdict import Status, Verdict

    ev = dict(evidence or {})
    ev["checks"] = {name: {"ok": ok, "detail": detail} for name, ok, detail in report.checks}
    if report.ok:
        ev.update(lower=show(report.lower), upper=show(report.upper))
        lo, hi = lower_float(as_ball(report.lower)), -lower_float(-as_ball(report.upper))
        ev["width"] = hi - lo
        return Verdict(Status.CERTIFIED, f"{what}: s*({report.depth}) in [{lo:.12g}, {hi:.12g}]", None, ev)
    name, detail = report.first_failure
    return Verdict(Status.REFUTED, f"{what}: the certificate fails check {name} ({detail})", None, ev)


def as_ball(x: Any) -> Any:
    """An arb ball containing an exact number (a rational, or a + b sqrt(2))."""
    from flint import arb

    if isinstance(x, QSqrt2):
        return arb(x.a) + arb(x.b) * arb(2).sqrt()
    return arb(x)
