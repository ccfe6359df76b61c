"""Checker of optimal-escape-speed certificates (trusted kernel; Section 4, footnote 2).

A certificate claims ``lower <= s*(L) <= upper`` for the optimal escape speed

    s*(L) = max { -Tr[G^T Y_theta] : ||theta||^2 = L }

of a depth-L (L = 2 or 3) bias-free ReLU network on 2-D data X (2 x N) with one output (G is 1 x N).
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
SCHEMA_VERSION = 1
#: the most (sign, subset) patterns a depth-3 certificate may ask the checker to enumerate
MAX_PATTERNS = 2**16

_RATIONAL = re.compile(r"^-?[0-9]{1,4000}(/[0-9]{1,4000})?$")
_DECIMAL = re.compile(r"^-?[0-9]{1,400}(\.[0-9]{1,400})?([eE][-+]?[0-9]{1,4})?$")


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
        return fmpq(text)
    if not isinstance(text, str):
        raise CertificateFormatError(f"{where}: numbers are strings ('p/q' or decimals), got {type(text).__name__}")
    if _RATIONAL.fullmatch(text):
        num, _, den = text.partition("/")
        if den and int(den) == 0:
            raise CertificateFormatError(f"{where}: zero denominator in {text!r}")
        return fmpq(int(num), int(den) if den else 1)
    if _DECIMAL.fullmatch(text):
        mant, _, exp = text.lower().partition("e")
        whole, _, frac = mant.lstrip("-").partition(".")
        value = fmpq(int(whole + frac), 10 ** len(frac)) * (fmpq(10) ** int(exp or 0))
        return -value if mant.startswith("-") else value
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


def parse_certificate(doc: Any) -> Certificate:
    """Validate the structure and parse every number exactly; raise CertificateFormatError."""
    if not isinstance(doc, dict):
        raise CertificateFormatError("a certificate is a JSON object")
    if doc.get("schema") != SCHEMA:
        raise CertificateFormatError(f"not a certificate of this kind (schema must be {SCHEMA!r})")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise CertificateFormatError(f"unsupported schema_version {doc.get('schema_version')!r} "
                                     f"(this checker reads {SCHEMA_VERSION})")
    depth = _field(doc, "depth", int, "certificate")
    if depth not in (2, 3):
        raise CertificateFormatError(f"certificate.depth: 2 or 3, got {depth}")
    data = _field(doc, "data", dict, "certificate")
    X = _matrix(_field(data, "X", list, "data"), "data.X", rows=2)
    N = len(X[0])
    G = _matrix(_field(data, "G", list, "data"), "data.G", rows=1, cols=N)
    digest = _field(data, "sha256", str, "data")
    lower = _field(doc, "lower", dict, "certificate")
    lo = parse_number(_field(lower, "value", (str, int, list), "lower"), "lower.value")
    raw_w = _field(lower, "weights", list, "lower")
    if len(raw_w) != depth:
        raise CertificateFormatError(f"lower.weights: expected {depth} matrices, got {len(raw_w)}")
    weights = [_matrix(W, f"lower.weights[{l}]") for l, W in enumerate(raw_w)]
    upper = _field(doc, "upper", dict, "certificate")
    up = parse_number(_field(upper, "value", (str, int, list), "upper"), "upper.value")
    raw_rays = _field(upper, "rays", list, "upper")
    rays = [tuple(r) for r in _matrix(raw_rays, "upper.rays", cols=2)]
    raw_active = _field(upper, "active", list, "upper")
    if len(raw_active) != len(rays):
        raise CertificateFormatError(f"upper.active: one active set per cell ({len(rays)}), got {len(raw_active)}")
    active = []
    for i, a in enumerate(raw_active):
        if not isinstance(a, list) or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N for k in a):
            raise CertificateFormatError(f"upper.active[{i}]: a list of point indices in 0..{N - 1}")
        active.append(frozenset(a))
    if depth == 3:
        pos, neg = sum(1 for v in G[0] if v > 0), sum(1 for v in G[0] if v < 0)
        if 2**pos + 2**neg > MAX_PATTERNS:
            raise CertificateFormatError(f"depth 3 with 2^{pos} + 2^{neg} sign patterns: more than this checker "
                                         f"enumerates ({MAX_PATTERNS})")
    mult: dict[tuple[int, frozenset[int]], dict[int, fmpq]] = {}
    raw_m = upper.get("multipliers", [])
    if not isinstance(raw_m, list):
        raise CertificateFormatError("upper.multipliers: expected a list")
    for i, m in enumerate(raw_m):
        where = f"upper.multipliers[{i}]"
        sign = _field(m, "sign", int, where)
        if sign not in (1, -1):
            raise CertificateFormatError(f"{where}.sign: 1 or -1")
        subset = _field(m, "subset", list, where)
        if not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < N for k in subset):
            raise CertificateFormatError(f"{where}.subset: point indices in 0..{N - 1}")
        t_raw = _field(m, "t", dict, where)
        try:
            t = {int(k): parse_number(v, f"{where}.t[{k}]") for k, v in t_raw.items()}
        except ValueError as exc:
            if isinstance(exc, CertificateFormatError):
                raise
            raise CertificateFormatError(f"{where}.t: keys are point indices") from None
        key = (sign, frozenset(subset))
        if key in mult:
            raise CertificateFormatError(f"{where}: sign {sign} and subset {sorted(subset)} given twice")
        mult[key] = t
    return Certificate(depth, X, G, digest, lo, weights, up, rays, active, mult)


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
        return all(passed for _, passed, _ in self.checks)

    @property
    def first_failure(self) -> tuple[str, str] | None:
        for name, passed, detail in self.checks:
            if not passed:
                return name, detail
        return None


def check_certificate(cert: Certificate) -> CheckReport:
    """Re-verify a parsed certificate; every inequality is decided in exact rational arithmetic."""
    checks: list[tuple[str, bool, str]] = []

    def record(name: str, ok: bool, detail: str) -> bool:
        checks.append((name, ok, detail))
        return ok

    X, G, L = cert.X, cert.G, cert.depth
    N = len(X[0])
    pts = [(X[0][k], X[1][k]) for k in range(N)]
    g = G[0]
    record("data.sha256", data_digest(X, G) == cert.digest, "the digest of the certificate's data")

    # lower end: an explicit network on or inside the sphere, evaluated exactly
    Ws = cert.weights
    chain = len(Ws[0][0]) == 2 and len(Ws[-1]) == 1 and all(
        len(Ws[l + 1][0]) == len(Ws[l]) for l in range(L - 1))
    widths = [2] + [len(W) for W in Ws]
    if record("lower.shapes", chain, f"widths {widths}: 2 inputs, 1 output, consecutive shapes chain"):
        sq = sum((v * v for W in Ws for row in W for v in row), fmpq(0))
        record("lower.norm", sq <= L, f"||theta||^2 = {show(sq)} <= {L}")
        speed = exact_speed(Ws, X, G)
        record("lower.speed", speed >= cert.lower,
               f"exact speed {show(speed)} >= claimed lower {show(cert.lower)}")

    # upper end: the cells cover the circle and carry the right active sets
    rays, m = cert.rays, len(cert.rays)
    turns = all(_cross(rays[i], rays[(i + 1) % m]) > 0 for i in range(m))
    record("upper.rays", m >= 3 and turns, f"{m} rays, each turn strictly between 0 and pi counterclockwise")
    bad_cells = []
    for i in range(m):
        ra, rb = rays[i], rays[(i + 1) % m]
        for k, x in enumerate(pts):
            a, b = _dot(x, ra), _dot(x, rb)
            if (k in cert.active[i] and (a < 0 or b < 0)) or (k not in cert.active[i] and (a > 0 or b > 0)):
                bad_cells.append((i, k))
    record("upper.cells", not bad_cells,
           "every point's sign is constant on every cell" + (f"; wrong at (cell, point) {bad_cells[:3]}" if bad_cells else ""))
    U = cert.upper
    record("upper.nonnegative", U >= 0, f"upper = {show(U)} >= 0")

    # the vectors v whose support value h(v) must be <= U
    vectors: list[tuple[str, list[fmpq]]] = []
    if L == 2:
        vectors.append(("g", list(g)))
    else:
        missing, out_of_range = [], []
        for e in (1, -1):
            P = [j for j in range(N) if e * g[j] > 0]
            M = [j for j in range(N) if e * g[j] < 0]
            for size in range(len(P) + 1):
                for S in combinations(P, size):
                    t = cert.multipliers.get((e, frozenset(S)))
                    if t is None or any(j not in t for j in M):
                        missing.append((e, S))
                        continue
                    if any(not (0 <= t[j] <= 1) for j in M):
                        out_of_range.append((e, S))
                        continue
                    v = [fmpq(0)] * N
                    for j in S:
                        v[j] = e * g[j]
                    for j in M:
                        v[j] = e * g[j] * t[j]
                    vectors.append((f"sign {e:+d}, S = {list(S)}", v))
        record("upper.multipliers", not missing and not out_of_range,
               "a multiplier vector t in [0,1] for every sign and subset"
               + (f"; missing for {missing[:2]}" if missing else "")
               + (f"; outside [0, 1] for {out_of_range[:2]}" if out_of_range else ""))
    failed = None
    if U >= 0 and not bad_cells and m >= 3 and turns:
        for name, v in vectors:
            for i in range(m):
                ra, rb = rays[i], rays[(i + 1) % m]
                w = (sum((v[k] * pts[k][0] for k in cert.active[i]), fmpq(0)),
                     sum((v[k] * pts[k][1] for k in cert.active[i]), fmpq(0)))
                for s in (1, -1):
                    if not arc_max_at_most((s * w[0], s * w[1]), ra, rb, U):
                        failed = failed or f"{name}, cell {i}, sign {s:+d}"
        record("upper.bound", failed is None,
               f"max_u |v . relu(X^T u)| <= {show(U)} for {len(vectors)} vector(s) on {m} cells"
               + (f"; exceeded at {failed}" if failed else ""))
    else:
        record("upper.bound", False, "not checked: the cells are not valid")
    record("interval", cert.lower <= U, f"lower {show(cert.lower)} <= upper {show(U)}")
    report = CheckReport(checks, cert.lower, U, L, widths)
    return report


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
