"""Prop. 3.3 and Theorem 3.1 on minimisers whose optimality is certified (Section 3; Appendix A.5).

Claims, as printed (s* read as the optimal speed -min Tr[G^T Y], see erratum ``thm3.1``), with
ratio(A) = sum_{i>=2} s_i(A)^2 / sum_i s_i(A)^2 and gap(Z) = ||Z^s - Z||_F^2 / ||Z||_F^2:

* Prop. 3.3: the minimiser theta* of Tr[G^T Y_theta(u v^T + X)] over ||theta||^2 <= L, u, v >= 0,
  ||X||_F <= eps, has ratio(W_l), ratio(Z_l^s) and gap(Z_l) <= 8 ||G||_F eps / (s* - ||G||_F eps) for
  all l.
* Theorem 3.1: an optimal escape direction has the same three quantities <= 8c/(1 - c l^(-1/2)) l^(-1/2)
  at every layer l > c^2, c = (||X|| ||G||/s*) sqrt(2 log(||X|| ||G||/s*)).

Until now both conclusions were checked only through their proofs' steps (symbolic) and on networks
found by a float search, never on a network known to be optimal.  Here the network is a certified
minimiser:

1. Example 1 at depth 3: eq. (2) with W3 = [-1], the witness of the exact certificate
   ``data/certificates/example1-exact-depth3.json`` (lower end = upper end = 1/2, checked in Q(sqrt 2)
   by the kernel's checker, which bounds s* at every width).
2. Exactly rank-one data X = u v^T (u, v >= 0).  Columnwise, Y_theta(u v^T) = Y_theta(u) v^T (ReLU is
   positively homogeneous and v >= 0), so every theta with ||theta||^2 <= L has speed
   -v^T G^T Y_theta(u) <= ||Gv|| ||Y_theta(u)|| <= ||Gv|| prod_l ||W_l||_F ||u|| <= ||Gv|| ||u||
   (Cauchy-Schwarz; ||relu(z)|| <= ||z|| and ||W z|| <= ||W||_F ||z||; Lemma A.4, claim ``lemma-a4``).
   The rank-one chain W_1 = e_1 u^T/||u||, W_l = E_11, W_L = -(Gv/||Gv||) e_1^T has ||theta||^2 = L
   and, evaluated exactly, speed ||Gv|| ||u||: so s* = ||Gv|| ||u|| and the chain is a minimiser.  Data
   are chosen with rational norms, so every number is an exact rational.
3. Nearly rank-one 2-D data at depth 2: ``certify optimum``'s search proposes a certificate, the
   kernel's checker verifies it in exact arithmetic: s* in [lo, hi], and a witness with
   ||theta||^2 <= 2 and speed >= lo.  The witness is optimal only up to delta = hi - speed.  For it we
   check a delta-robust form of Prop. 3.3, whose proof is replayed below with sympy: every theta with
   ||theta||^2 <= L and speed >= s* - delta has the three quantities
   <= (8 ||G|| eps + 2 delta) / (lo - ||G|| eps) when ||G|| eps < lo <= s*  (delta = 0: Prop. 3.3).

Prop. 3.3 covers every X with ||X - u v^T||_F <= eps: for each instance eps^2 >= ||X - u v^T||_F^2 is
checked exactly (the residual recomputed apart from the routine that picks eps); if it fails nothing
is compared and the instance is undecided.

Singular values are never computed in floats: for each matrix A (exact entries), a lower bound of
s_1^2 is a Rayleigh quotient of A A^T (or A^T A) at a rational vector (an upper bound of the ratio),
and an upper bound mu of s_1^2 is proved by mu I - A A^T being positive semidefinite (every principal
minor >= 0, exactly), which bounds the ratio from below.  Gaps are exact.  ||G||_F, eps, c and the
bounds are arb balls; comparisons are the kernel's three-valued ones.  A ratio is certified below a
bound when its upper end is; a layer fails only when the ratio's lower end is above the bound.

The bound is decreasing in s*, so the printed form is evaluated at the upper end of s* (for exact
certificates lower = upper); the delta-robust form uses the lower end, as its proof does.

What we found.  As printed both statements fail on certified minimisers: (i) Example 1 (s* = 1/2)
violates Prop. 3.3's missing hypothesis for every decomposition (X X^T = 4 I, so every rank-one M has
||X - M||_F^2 >= 8 - 4 = 4, and ||G||^2 eps^2 >= 32 > 1/4 = s*^2): the printed bound is negative while
ratio(W_1) = 1/2; (ii) on rank-one data with G v > 0 the output layer has gap(Z_L) = 1 (the chain ends
in -Gv/||Gv||, all negative), above both bounds (Theorem 3.1's is 0 when G is parallel to v^T, c = 0).
Both are known errata (``prop3.3``: hypothesis ||G|| eps < s* and gap for l < L only; Theorem 3.1's gap
for l < L).  The corrected statements (W_l for l <= L, Z_l^s for l <= L - 1, gaps for l <= L - 1,
under ||G|| eps < s*, resp. l > c^2) hold on every instance where they say something.  On Example 1
both are vacuous: Prop. 3.3's hypothesis fails, and c = 16 sqrt(2 log 16) ~ 37.7, so c^2 > 3 = L.

What the corrected checks can detect.  A comparison is informative when some constant smaller than 8
would make it fail: its quantity's lower end is above the bound taken with constant 0 (that is 0 on
exact certificates, the delta term 2 delta/(lo - ||G|| eps) on the near-minimiser), decided with
balls.  On the rank-one family every corrected quantity is exactly 0 (the chain is rank one and
non-negative up to its last layer), so each comparison there is 0 <= bound and tests only that the
bound is non-negative.  Theorem 3.1 is checked on exact certificates only, and every exact one with a
layer l > c^2 is such a chain: its corrected verdict has no informative comparison (a constant 10^-9
in place of 8 passes too); its informative comparison is the printed output gap.  For Prop. 3.3 the
informative ones are on the depth-2 near-minimiser: ratio(Z_0^s) (the data itself, ~3.2e-6) and
gap(Z_1) (~4.5e-7), against a bound ~0.0155 (W_1 is 1 x 2 and W_2 is 1 x 1, so their ratios are 0
by shape).  No exactly solvable instance with a wider hidden layer and non-zero ratios at l > c^2
was found; the evidence and the corrected messages list the informative comparisons.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Sequence

import numpy as np
import sympy as sp
from flint import arb, fmpq, fmpz

from certify.gate.claim import Context
from certify.kernel.compare import (
    Truth,
    compare_le,
    compare_lt,
    lower_float,
    upper_float,
)
from certify.kernel.quadratic import QSqrt2
from certify.kernel.speed_certificate import as_ball
from certify.kernel.verdict import Status, Verdict, combine, from_comparison, show

Matrix = list[list[Any]]  # entries fmpq, or QSqrt2 for Example 1's data

# --- exact arithmetic over Q and Q(sqrt 2) -----------------------------------------------------


def _inv(x: Any) -> Any:
    """1/x exactly: (a - b sqrt 2)/(a^2 - 2 b^2) in Q(sqrt 2) (a^2 != 2 b^2 unless x = 0)."""
    if isinstance(x, QSqrt2):
        n = x.a * x.a - 2 * x.b * x.b
        if n == 0:
            raise ZeroDivisionError("1/0 in Q(sqrt 2)")
        return QSqrt2(x.a / n, -x.b / n)
    return fmpq(1) / fmpq(x)


def _relu(x: Any) -> Any:
    return x if x > 0 else fmpq(0)


def matmul(A: Matrix, B: Matrix) -> Matrix:
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), fmpq(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


def transpose(A: Matrix) -> Matrix:
    return [list(col) for col in zip(*A)]


def fro2(A: Matrix) -> Any:
    return sum((x * x for row in A for x in row), fmpq(0))


def ball(x: Any) -> arb:
    return as_ball(x)


def _float(x: Any) -> float:
    return float(ball(x).mid())


def rational_sqrt(q: fmpq) -> fmpq | None:
    """The rational square root of q when there is one (exactly), else None."""
    q = fmpq(q)
    if q < 0:
        return None
    p, d = int(q.p), int(q.q)
    rp, rd = int(fmpz(p).isqrt()), int(fmpz(d).isqrt())
    return fmpq(rp, rd) if rp * rp == p and rd * rd == d else None


def _as_q(x: float) -> fmpq:
    n, d = float(x).as_integer_ratio()
    return fmpq(n, d)


@dataclass(frozen=True)
class ForwardExact:
    pre: list[Matrix]  # Z_1 .. Z_L
    post: list[Matrix]  # Z_0^s = X .. Z_{L-1}^s
    out_relu: Matrix  # relu(Z_L), the printed statements' Z_L^s


def forward(weights: Sequence[Matrix], X: Matrix) -> ForwardExact:
    act, pre, post = X, [], [X]
    for l, W in enumerate(weights, start=1):
        Z = matmul(W, act)
        pre.append(Z)
        act = [[_relu(x) for x in row] for row in Z]
        if l < len(weights):
            post.append(act)
    return ForwardExact(pre, post, act)


def speed(weights: Sequence[Matrix], X: Matrix, G: Matrix) -> Any:
    """-Tr[G^T Y_theta], exactly."""
    Y = forward(weights, X).pre[-1]
    return -sum((G[i][j] * Y[i][j] for i in range(len(G)) for j in range(len(G[0]))), fmpq(0))


def theta2(weights: Sequence[Matrix]) -> Any:
    return sum((fro2(W) for W in weights), fmpq(0))


# --- rank-one ratios, bracketed exactly --------------------------------------------------------


def _det(S: Matrix) -> Any:
    """Determinant by exact Gaussian elimination (over Q or Q(sqrt 2))."""
    A = [list(r) for r in S]
    n, d = len(A), fmpq(1)
    for k in range(n):
        p = next((i for i in range(k, n) if A[i][k] != 0), None)
        if p is None:
            return fmpq(0)
        if p != k:
            A[k], A[p] = A[p], A[k]
            d = -d
        d = d * A[k][k]
        inv = _inv(A[k][k])
        for i in range(k + 1, n):
            f = A[i][k] * inv
            if f != 0:
                for j in range(k, n):
                    A[i][j] = A[i][j] - f * A[k][j]
    return d


#: principal minors are enumerated up to this size (2^n - 1 determinants); beyond it mu = trace
PSD_MAX_N = 8


def is_psd(S: Matrix) -> bool:
    """Every principal minor >= 0 (exact): S symmetric positive semidefinite."""
    n = len(S)
    if n > PSD_MAX_N:
        return False
    for size in range(1, n + 1):
        for idx in combinations(range(n), size):
            if _det([[S[i][j] for j in idx] for i in idx]) < 0:
                return False
    return True


@dataclass(frozen=True)
class Ratio:
    """lo <= ratio(A) <= hi, exact numbers; rho <= s_1(A)^2 <= mu proves them."""

    lo: Any
    hi: Any
    rho: Any
    mu: Any
    fro2: Any

    def to_list(self) -> list[float]:
        lo = max(lower_float(ball(self.lo)), 0.0)
        hi = min(upper_float(ball(self.hi)), 1.0) + 0.0  # no -0.0
        return [lo, hi]


def _rayleigh(M: Matrix, w: list[Any]) -> Any:
    n = len(M)
    ww = sum((x * x for x in w), fmpq(0))
    Mw = [sum((M[i][k] * w[k] for k in range(n)), fmpq(0)) for i in range(n)]
    return sum((w[i] * Mw[i] for i in range(n)), fmpq(0)) * _inv(ww)


def rank_one_ratio(A: Matrix) -> Ratio | None:
    """Exact bounds on sum_{i>=2} s_i^2 / sum_i s_i^2; None for the zero matrix (ratio undefined).

    Floats only propose the test vector and the candidate mu; every bound is decided exactly."""
    F2 = fro2(A)
    if F2 == 0:
        return None
    M = matmul(A, transpose(A)) if len(A) <= len(A[0]) else matmul(transpose(A), A)
    n = len(M)
    cands = [[fmpq(int(i == j)) for j in range(n)] for i in range(n)] + [list(col) for col in transpose(M)]
    Mf = np.array([[_float(x) for x in row] for row in M])
    vals, vecs = np.linalg.eigh(Mf)
    cands.append([_as_q(x) for x in vecs[:, -1]])
    rho = None
    for w in cands:
        if all(x == 0 for x in w):
            continue
        q = _rayleigh(M, w)
        if rho is None or q > rho:
            rho = q
    trace = sum((M[i][i] for i in range(n)), fmpq(0))
    mu = trace  # s_1^2 <= sum of all s_i^2, always
    for cand in (rho, _as_q(float(vals[-1]) * (1 + 2.0**-40) + 1e-300)):
        if cand < mu and is_psd([[(cand if i == j else fmpq(0)) - M[i][j] for j in range(n)] for i in range(n)]):
            mu = cand
            break
    lo = 1 - mu * _inv(F2)
    if lo < 0:
        lo = fmpq(0)
    return Ratio(lo, 1 - rho * _inv(F2), rho, mu, F2)


def gap(Z: Matrix) -> Any | None:
    """||relu(Z) - Z||^2 / ||Z||^2 exactly; None when Z = 0."""
    F2 = fro2(Z)
    if F2 == 0:
        return None
    return fro2([[_relu(x) - x for x in row] for row in Z]) * _inv(F2)


# --- certified minimisers ------------------------------------------------------------------------


@dataclass
class Minimiser:
    """A network with ||theta||^2 <= L whose speed is within delta of the certified optimum."""

    name: str
    X: Matrix
    G: Matrix
    weights: list[Matrix]
    s_lo: Any  # certified: s_lo <= s* <= s_hi
    s_hi: Any
    speed: Any  # the witness's exact speed
    u: list[Any]  # u, v >= 0: the rank-one part u v^T used for Prop. 3.3
    v: list[Any]
    how: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def delta(self) -> Any:
        return self.s_hi - self.speed

    @property
    def exact(self) -> bool:
        return self.s_lo == self.s_hi == self.speed


RANK_ONE_ARGUMENT = (
    "X = u v^T with u, v >= 0: each column of Y_theta(u v^T) is Y_theta(u v_j) = v_j Y_theta(u) (ReLU positively "
    "homogeneous, claim a1.homogeneity), so speed = -v^T G^T Y_theta(u) <= ||Gv|| ||Y_theta(u)|| (Cauchy-Schwarz) "
    "<= ||Gv|| prod ||W_l||_F ||u|| (||relu(z)|| <= ||z||, ||Wz|| <= ||W||_F ||z||) <= ||Gv|| ||u|| (Lemma A.4, "
    "claim lemma-a4): s* <= ||Gv|| ||u|| at every width; a network with ||theta||^2 <= L reaching it is a minimiser")


def rank_one_facts(ledger: Any) -> bool:
    """The algebra behind s* = ||Gv|| ||u|| on rank-one data and behind Example 1's eps >= 2, replayed with sympy
    (generic entries, small sizes): each step reduces to 0.  Lemma A.4 (prod ||W_l||_F <= 1) is claim lemma-a4."""
    ok = True
    c = sp.Symbol("c", nonnegative=True)
    for z, tag in ((sp.Symbol("z", positive=True), "z > 0"), (sp.Symbol("z", negative=True), "z < 0"), (sp.S(0), "z = 0")):
        ok &= ledger.identity(f"relu(c z) = c relu(z) for c >= 0, {tag} (Y(u v_j) = v_j Y(u))",
                              sp.Max(c * z, 0) - c * sp.Max(z, 0))
        ok &= ledger.identity(f"z^2 - relu(z)^2 = relu(-z)^2 >= 0, {tag} (||relu(z)|| <= ||z||)",
                              z**2 - sp.Max(z, 0) ** 2 - sp.Max(-z, 0) ** 2)
    Gm = sp.Matrix(2, 3, sp.symbols("G0:6"))
    y = sp.Matrix(sp.symbols("y0:2"))
    v = sp.Matrix(sp.symbols("v0:3"))
    ok &= ledger.identity("Tr[G^T (y v^T)] = (G v) . y", (Gm.T * (y * v.T)).trace() - (Gm * v).dot(y))
    a3, b3 = sp.Matrix(sp.symbols("a0:3")), sp.Matrix(sp.symbols("b0:3"))
    lagrange = sum(((a3[i] * b3[j] - a3[j] * b3[i]) ** 2 for i in range(3) for j in range(i + 1, 3)), sp.S(0))
    ok &= ledger.identity("Cauchy-Schwarz: ||a||^2 ||b||^2 - (a . b)^2 = sum_{i<j} (a_i b_j - a_j b_i)^2 (Lagrange)",
                          a3.dot(a3) * b3.dot(b3) - a3.dot(b3) ** 2 - lagrange)
    Xm = sp.Matrix(2, 3, sp.symbols("X0:6"))
    a2 = sp.Matrix(sp.symbols("p0:2"))
    na = a2.dot(a2)
    resid = Xm - a2 * b3.T
    # times ||a||^2 (a polynomial identity): ||X - a b^T||^2 = ||X||^2 - ||X^T a||^2/||a||^2 + ||a||^2 ||b - X^T a/||a||^2||^2
    ok &= ledger.identity("||a||^2 ||X - a b^T||^2 = ||a||^2 ||X||^2 - ||X^T a||^2 + || ||a||^2 b - X^T a ||^2",
                          na * sum((r**2 for r in resid), sp.S(0))
                          - (na * sum((x**2 for x in Xm), sp.S(0)) - (Xm.T * a2).dot(Xm.T * a2)
                             + (na * b3 - Xm.T * a2).dot(na * b3 - Xm.T * a2)))
    return ok


@functools.lru_cache(maxsize=1)
def rank_one_facts_verdict() -> Verdict:
    from certify.kernel.symbolic import Ledger

    ledger = Ledger()
    ok = rank_one_facts(ledger)
    return ledger.verdict("each step reduces to 0") if ok else Verdict(
        Status.REFUTED, f"step failed: {ledger.failed[0]}", None, ledger.evidence())


def rank_one_chain(u: list[fmpq], G: Matrix, v: list[fmpq], depth: int, width: int) -> list[Matrix]:
    """W_1 = e_1 u^T/||u||, W_l = E_11, W_L = -(Gv/||Gv||) e_1^T (needs rational ||u||, ||Gv||)."""
    nu = rational_sqrt(sum((x * x for x in u), fmpq(0)))
    Gv = [sum((G[i][j] * v[j] for j in range(len(v))), fmpq(0)) for i in range(len(G))]
    ngv = rational_sqrt(sum((x * x for x in Gv), fmpq(0)))
    if nu is None or ngv is None or nu == 0 or ngv == 0:
        raise ValueError("the chain is exact only when ||u|| and ||Gv|| are rational and positive")
    e1 = [fmpq(int(i == 0)) for i in range(width)]
    W1 = [[e1[i] * x / nu for x in u] for i in range(width)]
    mid = [[fmpq(int(i == 0 and j == 0)) for j in range(width)] for i in range(width)]
    WL = [[-g / ngv * e1[j] for j in range(width)] for g in Gv]
    return [W1] + [mid] * (depth - 2) + [WL]


def certify_rank_one(name: str, u: list[fmpq], v: list[fmpq], G: Matrix, weights: list[Matrix]) -> Minimiser | Verdict:
    """A Minimiser when ``weights`` provably minimises on X = u v^T (s* = ||Gv|| ||u||), else a verdict saying why
    not.  Everything is decided exactly: u, v >= 0, ||theta||^2 <= L, speed^2 = ||Gv||^2 ||u||^2 with speed > 0."""
    L = len(weights)
    X = [[a * b for b in v] for a in u]
    nu2 = sum((x * x for x in u), fmpq(0))
    Gv = [sum((G[i][j] * v[j] for j in range(len(v))), fmpq(0)) for i in range(len(G))]
    gv2 = sum((x * x for x in Gv), fmpq(0))
    s = speed(weights, X, G)
    n2 = theta2(weights)
    checks = {"u >= 0 and v >= 0": all(x >= 0 for x in u + v), f"||theta||^2 = {show(n2)} <= {L}": n2 <= L,
              f"speed = {show(s)} > 0 and speed^2 = ||Gv||^2 ||u||^2 = {show(gv2 * nu2)}": s > 0 and s * s == gv2 * nu2}
    # the factorisation the argument uses, on this network: Y(u v^T) = Y(u) v^T exactly
    Yu = forward(weights, [[a] for a in u]).pre[-1]
    Y = forward(weights, X).pre[-1]
    checks["Y_theta(u v^T) = Y_theta(u) v^T"] = all(
        Y[i][j] == Yu[i][0] * v[j] for i in range(len(Y)) for j in range(len(v)))
    facts = rank_one_facts_verdict()
    checks["the argument's algebra (sympy)"] = facts.status is Status.PROVED
    how = {"argument": RANK_ONE_ARGUMENT, "checks (exact)": checks, "algebra": facts.evidence}
    if not all(checks.values()):
        failed = [k for k, ok in checks.items() if not ok]
        return Verdict(Status.UNDECIDED, f"{name}: not certified optimal ({failed[0]} fails)", None, how)
    return Minimiser(name, X, G, weights, s, s, s, list(u), list(v), how)


def _q(text: str) -> fmpq:
    return fmpq(*[int(t) for t in (text.split("/") + ["1"])[:2]])


#: the exactly solvable instances: (name, u, v, G, depth, hidden width).  Norms are rational.
RANK_ONE_FAMILY: tuple[tuple[str, list[str], list[str], list[list[str]], int, int], ...] = (
    # G parallel to v^T: ||X|| ||G|| = s*, c = 0; G v > 0, so the output Z_L is <= 0 (gap 1)
    ("rank-one-aligned", ["3", "4"], ["1", "2", "2"], [["1", "2", "2"]], 4, 3),
    # G = (1, 2, 2) + (2, -1, 0)/100 (orthogonal to v): c ~ 0.0075, every layer l >= 1 has l > c^2
    ("rank-one-near", ["3", "4"], ["1", "2", "2"], [["51/50", "199/100", "2"]], 4, 3),
    # d_in = 3, N = 2, d_out = 2: G = a v^T + p w^T, a = -(3, 4)/25, w = (4, -3) orthogonal to v, p = (1, -1)/50;
    # G v = (-3, -4) < 0, so the output is >= 0 (gap 0); c ~ 0.142, bound < 1 from l = 2
    ("rank-one-two-outputs", ["1", "2", "2"], ["3", "4"],
     [["-7/25", "-27/50"], ["-14/25", "-29/50"]], 6, 2),
    # G far from v^T: c ~ 13.3, c^2 > L, so Theorem 3.1 says nothing (Prop. 3.3 still applies with eps = 0)
    ("rank-one-misaligned", ["3", "4"], ["1", "2", "2"], [["19/9", "-7/9", "2/9"]], 3, 2),
)


def rank_one_instances() -> list[Minimiser | Verdict]:
    out = []
    for name, us, vs, Gs, depth, width in RANK_ONE_FAMILY:
        u, v, G = [_q(x) for x in us], [_q(x) for x in vs], [[_q(x) for x in r] for r in Gs]
        out.append(certify_rank_one(name, u, v, G, rank_one_chain(u, G, v, depth, width)))
    return out


def example1_instance(ctx: Context) -> Minimiser | Verdict:
    """Example 1 at depth 3: the witness of the exact certificate, which the kernel's checker closes at 1/2."""
    from certify.kernel.speed_certificate import (
        check_document,
        data_digest,
        parse_certificate,
    )
    from certify.optimum.certificates import load_certificate
    from certify.optimum.example1 import example1_exact_data

    path = ctx.data_dir / "certificates" / "example1-exact-depth3.json"
    doc = load_certificate(path)
    cert = parse_certificate(doc)
    report = check_document(doc)
    X, G = example1_exact_data()
    s = speed(cert.weights, cert.X, cert.G)
    checks = {"every check of the certificate passed": report.ok,
              "the data are Example 1's exact points": cert.X == X and cert.G == G and cert.digest == data_digest(X, G),
              f"lower end = upper end = {show(report.upper)}": report.lower == report.upper,
              f"the witness's exact speed {show(s)} = lower end": s == report.lower,
              f"||theta||^2 = {show(theta2(cert.weights))} <= 3": theta2(cert.weights) <= 3}
    how = {"certificate": "data/certificates/example1-exact-depth3.json (s*(3) at every width, Q(sqrt 2))",
           "checks (exact)": checks}
    if not all(checks.values()):
        failed = [k for k, ok in checks.items() if not ok]
        return Verdict(Status.UNDECIDED, f"example1-depth3: the witness is not certified optimal ({failed[0]} fails)",
                       None, how)
    # a non-negative rank-one part for Prop. 3.3, for the record only: every choice fails its hypothesis
    # (example1_hypothesis); u = (1, 1), v_j = relu(x_1j + x_2j)/2
    u = [fmpq(1), fmpq(1)]
    v = [fmpq(1, 2) * _relu(X[0][j] + X[1][j]) for j in range(len(X[0]))]
    return Minimiser("example1-depth3", cert.X, cert.G, cert.weights, report.lower, report.upper, s, u, v, how)


#: nearly rank-one 2-D data for the depth-2 certificate: points near the ray (3, 4), one small point that any
#: non-negative unit cuts, G near -v^T
NEAR_X = [[0.601, 1.198, 0.902, 0.299, 0.722, -0.002], [0.799, 1.601, 1.197, 0.402, 0.958, -0.001]]
NEAR_G = [[-1.0, -2.0, -1.5, -0.5, -1.2, 0.3]]


def nearly_rank_one_instance(X: list[list[float]] | None = None, G: list[list[float]] | None = None,
                             depth: int = 2) -> Minimiser | Verdict:
    """The ``certify optimum`` search proposes, the kernel's checker verifies (after a JSON round trip).

    Only depth 2 is shipped.  Depth 3 (2.6 s) gives a witness with 32 first-layer rows, but its hidden-layer
    quantities (ratio(W_1) ~ 9e-9, ratio(Z_1^s) ~ 1e-14, gap(Z_2) ~ 7e-25) lie below the delta-robust bound's
    delta term (~2.3e-8), so no constant in place of 8 could make them fail: nothing informative is added."""
    name = f"nearly-rank-one-depth{depth}"
    from certify.kernel.speed_certificate import check_document, parse_certificate
    from certify.optimum.search import propose

    Xf = np.array(X if X is not None else NEAR_X, dtype=np.float64)
    Gf = np.array(G if G is not None else NEAR_G, dtype=np.float64)
    doc, _ = propose(Xf, Gf, depth)
    doc = json.loads(json.dumps(doc))
    report = check_document(doc)
    cert = parse_certificate(doc)
    s = speed(cert.weights, cert.X, cert.G)
    checks = {"every check of the certificate passed": report.ok,
              f"the witness's exact speed >= lower end {show(report.lower)}": s >= report.lower,
              f"||theta||^2 = {show(theta2(cert.weights))} <= {depth}": theta2(cert.weights) <= depth,
              f"depth {depth}": len(cert.weights) == depth}
    how = {"certificate": f"proposed by certify.optimum.search.propose (depth {depth}), checked by "
                          "certify.kernel.speed_certificate",
           "checks (exact)": checks, "width": show(report.upper - report.lower)}
    if not all(checks.values()):
        failed = [k for k, ok in checks.items() if not ok]
        return Verdict(Status.UNDECIDED, f"{name}: not certified ({failed[0]} fails)", None, how)
    # u, v >= 0 from the float top singular pair (Perron: non-negative for the non-negative part), rounded
    Xpos = np.maximum(Xf, 0.0)
    U, S, Vt = np.linalg.svd(Xpos)
    uf, vf = np.abs(U[:, 0]) * S[0], np.abs(Vt[0])
    u = [_as_q(round(x, 9)) for x in uf]
    v = [_as_q(round(x, 9)) for x in vf]
    return Minimiser(name, cert.X, cert.G, cert.weights, report.lower, report.upper, s, u, v, how)


@functools.lru_cache(maxsize=4)
def _instances(data_dir: str) -> tuple[Minimiser | Verdict, ...]:
    from pathlib import Path

    return (example1_instance(Context(seed=0, data_dir=Path(data_dir))), *rank_one_instances(),
            nearly_rank_one_instance())


# --- the bounds ------------------------------------------------------------------------------------


def residual2(m: Minimiser) -> Any:
    """||X - u v^T||_F^2, exactly."""
    return fro2([[m.X[i][j] - m.u[i] * m.v[j] for j in range(len(m.v))] for i in range(len(m.u))])


def residual_eps(m: Minimiser) -> tuple[fmpq, Any]:
    """(eps, e2): e2 = ||X - u v^T||_F^2 exactly, eps a rational with eps^2 >= e2 (checked exactly)."""
    e2 = residual2(m)
    if e2 == 0:
        return fmpq(0), e2
    hi = ball(e2).sqrt().upper()
    eps = _as_q(upper_float(hi)) if hi.is_finite() else None
    step = fmpq(1, 10**12)
    while eps is None or not (eps * eps >= e2):  # exact check; nudge up if the float rounding fell short
        eps = (eps or fmpq(0)) + step
    return eps, e2


def prop33_bound(g2: Any, eps: Any, s: Any, *, factor: Any = 8, delta: Any = 0, delta_coeff: Any = 2) -> arb:
    """(factor ||G|| eps + delta_coeff delta) / (s - ||G|| eps), a ball (||G|| = sqrt(g2))."""
    ge = ball(g2).sqrt() * ball(eps)
    return (ball(factor) * ge + ball(delta_coeff) * ball(delta)) / (ball(s) - ge)


def thm31_constant(x2: Any, g2: Any, s: Any) -> arb:
    """c = r sqrt(2 log r), r = ||X|| ||G|| / s, as a ball."""
    r = ball(x2 * g2 * _inv(s * s)).sqrt()
    return r * (2 * r.log()).sqrt()


def thm31_bound(c: arb, l: int, factor: Any = 8) -> arb:
    root = arb(l).sqrt()
    return ball(factor) * c / (1 - c / root) / root


def _trusted(x: Any) -> Any:
    return ball(x) if isinstance(x, QSqrt2) else x


def against(what: str, lo: Any, hi: Any, bound: arb) -> Verdict:
    """lo <= quantity <= hi against ``bound``: certified when hi <= bound, refuted only when lo > bound."""
    v = from_comparison(_trusted(hi), bound, what)
    if v.status is Status.REFUTED and compare_le(_trusted(lo), bound) is not Truth.FALSE:
        return Verdict(Status.UNDECIDED, f"{what}: its upper end {show(hi)} exceeds the bound, its lower end does "
                       "not", None, v.evidence)
    return v


def _interval(b: arb) -> list[float]:
    return [lower_float(b) + 0.0, upper_float(b) + 0.0] if b.is_finite() else ["-inf", "inf"]


@dataclass
class Layers:
    """The quantities of one network: ratio(W_l), ratio(Z_l^s) for l = 0..L-1 and relu(Z_L), gap(Z_l)."""

    W: list[Ratio | None]  # index l - 1
    Zs: list[Ratio | None]  # index l, l = 0..L-1
    out_relu: Ratio | None
    gaps: list[Any | None]  # index l - 1

    @classmethod
    def of(cls, m: Minimiser) -> "Layers":
        fw = forward(m.weights, m.X)
        return cls([rank_one_ratio(W) for W in m.weights], [rank_one_ratio(Z) for Z in fw.post],
                   rank_one_ratio(fw.out_relu), [gap(Z) for Z in fw.pre])

    def quantities(self, l: int, L: int, *, output: bool) -> list[tuple[str, Any, Any]]:
        """(name, lo, hi) at layer l; ``output``: include relu(Z_L) and gap(Z_L) (as printed) at l = L."""
        out: list[tuple[str, Any, Any]] = []
        if l >= 1 and self.W[l - 1] is not None:
            out.append((f"ratio(W_{l})", self.W[l - 1].lo, self.W[l - 1].hi))
        zs = self.Zs[l] if l < L else (self.out_relu if output else None)
        if zs is not None:
            out.append((f"ratio(Z_{l}^s)", zs.lo, zs.hi))
        if 1 <= l and (l < L or output) and self.gaps[l - 1] is not None:
            out.append((f"gap(Z_{l})", self.gaps[l - 1], self.gaps[l - 1]))
        return out

    def table(self, L: int) -> dict[str, Any]:
        rows: dict[str, Any] = {}
        for l in range(L + 1):
            row: dict[str, Any] = {}
            if l >= 1:
                row["W"] = self.W[l - 1].to_list() if self.W[l - 1] else None
                row["gap"] = _float(self.gaps[l - 1]) if self.gaps[l - 1] is not None else None
            zs = self.Zs[l] if l < L else self.out_relu
            row["Z_sigma" if l < L else "relu(Z_L) (output, printed only)"] = zs.to_list() if zs else None
            rows[str(l)] = row
        return rows


def _worst(parts: list[Verdict], what: str) -> Verdict:
    return combine({str(i): v for i, v in enumerate(parts)}, what) if parts else Verdict(
        Status.SKIPPED, f"{what}: nothing to compare", None, {})


def _compare_layers(layers: Layers, L: int, ls: Sequence[int], bounds: dict[int, arb], *, output: bool,
                    name: str, floors: dict[int, arb] | None = None) -> tuple[Verdict, dict[str, Any]]:
    """Each quantity against its layer's bound.  ``floors``: the bound with constant 0 (default 0); a comparison
    is informative when the quantity's lower end is certainly above it, i.e. a smaller constant would refute it."""
    parts, rows, fails, informative, all_zero = [], {}, [], [], True
    for l in ls:
        row = {}
        for q, lo, hi in layers.quantities(l, L, output=output):
            v = against(f"{name}: {q}", lo, hi, bounds[l])
            parts.append(v)
            floor = floors[l] if floors is not None else arb(0)
            informs = compare_lt(floor, _trusted(lo)) is Truth.TRUE
            all_zero = all_zero and hi == 0  # exact
            row[q] = {"value": [max(lower_float(ball(lo)), 0.0), min(upper_float(ball(hi)), 1.0) + 0.0],
                      "status": v.status.value, "margin": v.margin,
                      "informative": informs}
            if informs:
                informative.append(f"{q} (layer {l})")
            if v.status is Status.REFUTED:
                fails.append({"layer": l, "quantity": q, "value": show(lo) if lo == hi else [show(lo), show(hi)],
                              "bound": _interval(bounds[l])})
        rows[str(l)] = {"bound": _interval(bounds[l]), **row}
    v = _worst(parts, name)
    return v, {"layers": rows, "failures": fails, "informative": informative, "every quantity exactly 0": all_zero}


# --- Prop. 3.3 ----------------------------------------------------------------------------------------


def example1_hypothesis(m: Minimiser) -> dict[str, Any]:
    """Every rank-one M has ||X - M||_F^2 >= ||X||_F^2 - lambda_max(X X^T); on Example 1 X X^T = 4 I exactly, so
    eps^2 >= 4 for every decomposition and ||G||^2 eps^2 >= 32 > s*^2: Prop. 3.3's hypothesis fails for all u, v."""
    XXt = matmul(m.X, transpose(m.X))
    x2, g2 = fro2(m.X), fro2(m.G)
    lam = XXt[0][0]
    scalar = all(XXt[i][j] == (lam if i == j else 0) for i in range(len(XXt)) for j in range(len(XXt)))
    eps2_min = x2 - lam
    fails = scalar and g2 * eps2_min > m.s_hi * m.s_hi
    return {"X X^T": [[show(x) for x in r] for r in XXt], "||X||_F^2": show(x2), "||G||_F^2": show(g2),
            "every rank-one M: ||X - M||_F^2 >=": show(eps2_min) if scalar else None,
            "||G||^2 eps^2 >=": show(g2 * eps2_min), "s*^2": show(m.s_hi * m.s_hi),
            "hypothesis fails for every u, v": bool(fails) and rank_one_facts_verdict().status is Status.PROVED,
            "why": "for M = a b^T, min_b ||X - a b^T||^2 = ||X||^2 - ||X^T a||^2/||a||^2 >= ||X||^2 - lambda_max(X X^T)"}


def prop33_case(m: Minimiser, *, factor: Any = 8, delta_coeff: Any = 2, robust_ok: bool = True) -> dict[str, Any]:
    """Prop. 3.3 on one certified minimiser: the printed form and the corrected one."""
    L = m.depth
    layers = Layers.of(m)
    g2 = fro2(m.G)
    eps, _ = residual_eps(m)
    # the bound is about every X with ||X - u v^T||_F <= eps: check eps against the residual, recomputed here
    # exactly (not taken from residual_eps), before any comparison uses it
    e2_exact = residual2(m)
    eps_ok = bool(eps >= 0 and eps * eps >= e2_exact)
    ge = ball(g2).sqrt() * ball(eps)
    ev: dict[str, Any] = {"certified": m.how, "s*": [show(m.s_lo), show(m.s_hi)], "witness speed": show(m.speed),
                          "u": [show(x) for x in m.u], "v": [show(x) for x in m.v],
                          "||X - u v^T||_F^2": show(e2_exact), "eps (rational)": show(eps),
                          "eps^2 >= ||X - u v^T||_F^2 (exact)": eps_ok, "||G||_F": _interval(ball(g2).sqrt()),
                          "||G|| eps": _interval(ge), "ratios": layers.table(L)}
    if m.name == "example1-depth3":
        ev["hypothesis for every decomposition"] = example1_hypothesis(m)
    out: dict[str, Any] = {"evidence": ev}
    if not eps_ok:
        refuse = Verdict(Status.UNDECIDED, f"{m.name}: eps = {show(eps)} has eps^2 < ||X - u v^T||_F^2 = "
                         f"{show(e2_exact)} (exact): the bound does not cover this X, nothing is compared", None, {})
        out["corrected"] = refuse
        if m.exact:
            out["printed"] = refuse
        return out
    # printed: eps > 0 (take 1/100 when X = u v^T exactly), no hypothesis, every l including the output layer
    if m.exact:
        eps_p = eps if eps > 0 else fmpq(1, 100)
        bound_p = prop33_bound(g2, eps_p, m.s_hi, factor=factor)
        ev["printed bound (eps = %s)" % show(eps_p)] = _interval(bound_p)
        vp, rows = _compare_layers(layers, L, range(0, L + 1), {l: bound_p for l in range(L + 1)}, output=True,
                                   name=f"{m.name}, as printed")
        out["printed"], ev["printed"] = vp, rows
    # corrected: ||G|| eps < s*, W_l (l <= L), Z_l^s (l <= L-1), gaps (l <= L-1); delta-robust when not exact
    s_used = m.s_hi if m.exact else m.s_lo
    hyp = compare_lt(ge, _trusted(s_used))
    ev["hypothesis ||G|| eps < s*"] = hyp.value
    if hyp is not Truth.TRUE:
        why = ("fails for every u, v >= 0 (see 'hypothesis for every decomposition')"
               if ev.get("hypothesis for every decomposition", {}).get("hypothesis for every decomposition")
               else f"not certified for this u, v ({hyp.value})")
        out["corrected"] = Verdict(Status.SKIPPED, f"{m.name}: hypothesis ||G|| eps < s* {why}: Prop. 3.3 is vacuous "
                                   "here", None, {})
        return out
    if m.exact:
        bound = prop33_bound(g2, eps, m.s_hi, factor=factor)
        form = "8 ||G|| eps / (s* - ||G|| eps), s* exact"
    else:
        if not robust_ok:
            out["corrected"] = Verdict(Status.UNDECIDED, f"{m.name}: the delta-robust bound is not proved (a step of "
                                       "its derivation failed)", None, {})
            return out
        bound = prop33_bound(g2, eps, m.s_lo, factor=factor, delta=m.delta, delta_coeff=delta_coeff)
        form = f"delta-robust: (8 ||G|| eps + 2 delta)/(lo - ||G|| eps), delta <= hi - speed = {show(m.delta)}"
    ev["corrected bound"] = {"form": form, "value": _interval(bound)}
    floor = prop33_bound(g2, eps, s_used, factor=0, delta=0 if m.exact else m.delta, delta_coeff=delta_coeff)
    vc, rows = _compare_layers(layers, L, range(0, L + 1), {l: bound for l in range(L + 1)}, output=False,
                               name=f"{m.name}, corrected", floors={l: floor for l in range(L + 1)})
    ev["corrected"] = rows
    out_gap = layers.gaps[L - 1]
    ev["output layer (not covered by the corrected statement)"] = {
        "gap(Z_L)": _float(out_gap) if out_gap is not None else None,
        "relu(Z_L) ratio": layers.out_relu.to_list() if layers.out_relu else None}
    out["corrected"] = vc
    return out


# --- the delta-robust form of the proof of Prop. 3.3, replayed with sympy -----------------------------


def verify_robust_chain(ledger: Any, *, factor: Any = 8, delta_coeff: Any = 2) -> bool:
    """For theta with ||theta||^2 <= L and speed T >= S - delta (S = s*): the quantities are
    <= (factor g e + delta_coeff delta)/(lo - g e) when g e < lo <= S.  Symbols: g = ||G||_F, a = ||Gv||, nu = ||u||,
    nv = ||v||, y = ||Y_theta(u)|| (<= nu), e = eps, dl = delta.  The facts the proof combines:
    T <= a y + g e (Cauchy-Schwarz and the Lipschitz step), S >= a nu - g e (the rank-one chain), T >= S - dl."""
    g, a, nu, nv, y, e, S, dl, d, x, lo = sp.symbols("g a nu nv y e S delta d x lo", positive=True)
    w = sp.Symbol("w", nonnegative=True)
    D = sp.Symbol("D", positive=True)
    ok = True
    xp = (g * e + dl / 2) / (a * nu) + e / (nu * nv)  # the product of the layer factors is >= 1 - 2 xp
    upper_minus_lower = (a * y + g * e) - (a * nu - g * e - dl)  # >= 0: T <= a y + g e and T >= a nu - g e - dl
    ok &= ledger.identity("y/nu - (1 - (2ge + delta)/(a nu)) = [(a y + g e) - (a nu - g e - delta)]/(a nu)",
                          (y / nu - (1 - (2 * g * e + dl) / (a * nu))) - upper_minus_lower / (a * nu))
    step2 = (x - d) / (1 + d) - (x - 2 * d)
    ok &= ledger.fact("(x - d)/(1 + d) >= x - 2d for x <= 1 + 2d (x = y/nu <= 1, d = e/(nu nv))",
                      bool(sp.factor(step2.subs(x, 1 + 2 * d - w)).is_nonnegative))
    ok &= ledger.identity("1 - (2ge + delta)/(a nu) - 2 e/(nu nv) = 1 - 2 xp",
                          1 - (2 * g * e + dl) / (a * nu) - 2 * e / (nu * nv) - (1 - 2 * xp))
    ok &= ledger.fact("1 - (1 - 2 xp)^2 <= 4 xp (every factor >= 1 - 2 xp, a ratio is 1 - factor^2)",
                      bool(sp.factor(sp.expand(4 * xp - (1 - (1 - 2 * xp) ** 2))).is_nonnegative))
    lead = (factor * g * e + delta_coeff * dl) / (a * nu)
    ok &= ledger.fact(f"4 xp <= ({factor} g e + {delta_coeff} delta)/(a nu) since ||Gv|| <= ||G|| ||v||",
                      bool(sp.factor(sp.together((lead - 4 * xp).subs(g, (a + w) / nv))).is_nonnegative))
    final = (factor * g * e + delta_coeff * dl) / (lo - g * e)
    # a nu >= S - g e >= lo - g e = D > 0: write a nu = D + w1, lo = D + g e
    w1 = sp.Symbol("w1", nonnegative=True)
    ok &= ledger.fact("(.)/(a nu) <= (.)/(lo - g e) when a nu >= S - g e >= lo - g e > 0",
                      bool(sp.factor(sp.together((final - lead).subs(a, (D + w1) / nu).subs(lo, D + g * e)))
                           .is_nonnegative))
    ok &= ledger.identity("delta = 0, lo = s*: the bound is Prop. 3.3's 8 g e/(s* - g e)",
                          final.subs({dl: 0, lo: S}) - 8 * g * e / (S - g * e))
    return ok


def robust_chain_verdict(*, factor: Any = 8, delta_coeff: Any = 2) -> Verdict:
    from certify.kernel.symbolic import Ledger

    ledger = Ledger()
    ok = verify_robust_chain(ledger, factor=factor, delta_coeff=delta_coeff)
    return ledger.verdict("the delta-robust chain reduces to 0 step by step", {}) if ok else Verdict(
        Status.REFUTED, f"step failed: {ledger.failed[0]}", None, ledger.evidence())


def _claim_verdict(cases: dict[str, dict[str, Any]], what: str, printed_text: str, corrected_text: str,
                   skipped: dict[str, Verdict]) -> Verdict:
    printed = {k: c["printed"] for k, c in cases.items() if "printed" in c}
    corrected = {k: c["corrected"] for k, c in cases.items()} | skipped
    pv = combine(printed, f"{what} as printed")
    cv = combine(corrected, f"{what} corrected")
    evidence = {"printed": printed_text, "corrected": corrected_text,
                "cases": {k: c["evidence"] | {"printed verdict": c["printed"].message if "printed" in c else None,
                                              "corrected verdict": c["corrected"].message}
                          for k, c in cases.items()},
                "not used": {k: v.to_dict() for k, v in skipped.items()}}
    fails = {k: c["evidence"]["printed"]["failures"] for k, c in cases.items()
             if "printed" in c and c["printed"].status is Status.REFUTED}
    evidence["counterexamples"] = fails
    summary = "; ".join(f"{k}: {'vacuous' if c['corrected'].status is Status.SKIPPED else c['corrected'].status.value}"
                        for k, c in cases.items())
    if pv.status is Status.REFUTED:
        cv.message = f"{corrected_text}: {cv.status.value} ({summary})"
        return Verdict(Status.ERRATUM, "", None, evidence, corrected=cv)
    if pv.status.holds and cv.status.holds:
        return Verdict(pv.status, f"{what}: holds as printed on every certified minimiser ({summary})", pv.margin,
                       evidence)
    return Verdict(pv.status if not pv.status.holds else cv.status, f"{what}: {pv.message}; {cv.message}", None,
                   evidence)


def _informative(cases: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Per case whose corrected form was compared: the comparisons a smaller constant would refute."""
    return {k: c["evidence"]["corrected"]["informative"] for k, c in cases.items()
            if isinstance(c["evidence"].get("corrected"), dict)}


def _informative_note(cases: dict[str, dict[str, Any]], *, none_left: str) -> tuple[str, dict[str, Any]]:
    """A plain statement of what the corrected comparisons can detect (quantities exactly 0 cannot fail)."""
    info = _informative(cases)
    zero = [k for k in info if cases[k]["evidence"]["corrected"]["every quantity exactly 0"]]
    some = {k: q for k, q in info.items() if q}
    rest = [k for k in info if k not in zero and k not in some]
    note = (f"on {', '.join(zero)} every corrected comparison is 0 <= bound (it tests only that the bound is "
            "non-negative)" if zero else "")
    if rest:
        note += ("; " if note else "") + f"on {', '.join(rest)} no comparison could fail with a smaller constant"
    if some:
        note += ("; " if note else "") + "the informative comparisons are " + "; ".join(
            f"{k}: {', '.join(q)}" for k, q in some.items())
    else:
        note += ("; " if note else "") + none_left
    return note, {"cases with every quantity exactly 0": zero, "informative (a smaller constant refutes)": some,
                  "neither": rest,
                  "note": note}


def _largest_bound(fails: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The failure with the largest bound (the least degenerate counterexample)."""
    finite = [f for f in fails if isinstance(f["bound"][0], float)]
    return max(finite, key=lambda f: f["bound"][0]) if finite else None


def _split(items: Sequence[Minimiser | Verdict]) -> tuple[list[Minimiser], dict[str, Verdict]]:
    ms = [m for m in items if isinstance(m, Minimiser)]
    bad = {f"not-certified-{i}": v for i, v in enumerate(items) if isinstance(v, Verdict)}
    return ms, bad


def check_prop33_certified(ctx: Context, *, factor: Any = 8, delta_coeff: Any = 2) -> Verdict:
    ms, bad = _split(_instances(str(ctx.data_dir)))
    robust = robust_chain_verdict(factor=factor, delta_coeff=delta_coeff)
    cases = {m.name: prop33_case(m, factor=factor, delta_coeff=delta_coeff, robust_ok=robust.status is Status.PROVED)
             for m in ms}
    v = _claim_verdict(cases, "Prop. 3.3 on certified minimisers",
                       "for all l (W_l, Z_l^s, gap(Z_l), the output layer included): <= 8 ||G|| eps/(s* - ||G|| eps)",
                       "with ||G|| eps < s*: ratio(W_l), l <= L, ratio(Z_l^s), l <= L-1, gap(Z_l), l <= L-1, "
                       "<= 8 ||G|| eps/(s* - ||G|| eps)", bad)
    v.evidence["delta-robust chain"] = robust.to_dict()
    note, v.evidence["what the corrected comparisons test"] = _informative_note(
        cases, none_left="no corrected comparison is informative")
    target = v.corrected if v.corrected is not None else v
    target.message += f"; {note}"
    if v.status is Status.ERRATUM:
        ex1 = cases.get("example1-depth3", {}).get("evidence", {}).get("hypothesis for every decomposition", {})
        out_fail = _largest_bound([{"case": k, **f} for k, fs in v.evidence["counterexamples"].items() for f in fs
                                   if f["quantity"].startswith("gap(Z_") and k != "example1-depth3"])
        w1 = next((f["value"] for f in v.evidence["counterexamples"].get("example1-depth3", [])
                   if f["quantity"] == "ratio(W_1)"), None)
        parts = []
        if ex1.get("hypothesis fails for every u, v"):
            parts.append(f"Example 1's certified minimiser (eq. (2), W3 = [-1], s* = 1/2): X X^T = 4 I, so every "
                         f"decomposition has eps^2 >= {ex1['every rank-one M: ||X - M||_F^2 >=']} and ||G||^2 eps^2 >= "
                         f"{ex1['||G||^2 eps^2 >=']} > 1/4 = s*^2: the printed bound is negative while ratio(W_1) = "
                         f"{w1} (exact)")
        if out_fail:
            parts.append(f"on {out_fail['case']} (certified, hypothesis holds) the output layer has "
                         f"{out_fail['quantity']} = {out_fail['value']} > bound {out_fail['bound'][1]:.3g}")
        info = v.evidence["what the corrected comparisons test"]["informative (a smaller constant refutes)"]
        if info:
            parts.append("corrected: on the rank-one family every corrected comparison is 0 <= bound (it tests only "
                         "that the bound is non-negative); the informative comparisons are " + "; ".join(
                             f"{k}: {', '.join(q)}" for k, q in info.items()))
        v.message = "as printed Prop. 3.3 fails on certified minimisers: " + "; ".join(parts)
    return v


# --- Theorem 3.1 ----------------------------------------------------------------------------------------


def thm31_case(m: Minimiser, *, factor: Any = 8) -> dict[str, Any] | None:
    """Theorem 3.1 on one certified minimiser (exact certificates only: the theorem assumes exact optimality)."""
    if not m.exact:
        return None
    L = m.depth
    layers = Layers.of(m)
    x2, g2 = fro2(m.X), fro2(m.G)
    c = thm31_constant(x2, g2, m.s_hi)
    c2 = c * c
    ev: dict[str, Any] = {"certified": m.how, "s*": show(m.s_hi), "||X||_F^2": show(x2), "||G||_F^2": show(g2),
                          "c": _interval(c), "c^2": _interval(c2), "ratios": layers.table(L)}
    applies = [l for l in range(1, L + 1) if arb(l) > c2]
    unclear = [l for l in range(1, L + 1) if l not in applies and not (arb(l) <= c2)]
    ev["layers with l > c^2"] = applies
    out: dict[str, Any] = {"evidence": ev}
    if unclear:
        out["printed"] = out["corrected"] = Verdict(Status.UNDECIDED, f"{m.name}: l > c^2 undecided at {unclear}",
                                                    None, {})
        return out
    if not applies:
        msg = (f"{m.name}: vacuous, no layer has l > c^2 (c in [{_interval(c)[0]:.4g}, {_interval(c)[1]:.4g}], "
               f"c^2 >= {lower_float(c2):.4g} >= L = {L})")
        out["printed"] = out["corrected"] = Verdict(Status.SKIPPED, msg, None, {})
        return out
    bounds = {l: thm31_bound(c, l, factor) for l in applies}
    ev["vacuous layers (bound >= 1)"] = [l for l in applies if bounds[l] >= 1]
    vp, rows_p = _compare_layers(layers, L, applies, bounds, output=True, name=f"{m.name}, as printed")
    vc, rows_c = _compare_layers(layers, L, applies, bounds, output=False, name=f"{m.name}, corrected")
    ev["printed"], ev["corrected"] = rows_p, rows_c
    out["printed"], out["corrected"] = vp, vc
    return out


def check_thm31_certified(ctx: Context, *, factor: Any = 8) -> Verdict:
    ms, bad = _split(_instances(str(ctx.data_dir)))
    cases: dict[str, dict[str, Any]] = {}
    for m in ms:
        case = thm31_case(m, factor=factor)
        if case is None:
            bad[m.name] = Verdict(Status.SKIPPED, f"{m.name}: optimal only up to delta = {show(m.delta)}; the theorem "
                                  "assumes exact optimality (only exact certificates are used)", None, {})
        else:
            cases[m.name] = case
    v = _claim_verdict(cases, "Theorem 3.1 on certified minimisers",
                       "s* = -min Tr[G^T Y]; for l > c^2: ratio(W_l), ratio(Z_l^s), gap(Z_l) (l = L included) "
                       "<= 8c/(1 - c l^(-1/2)) l^(-1/2)",
                       "the same for ratio(W_l), l <= L, and ratio(Z_l^s), gap(Z_l), l <= L-1", bad)
    note, v.evidence["what the corrected comparisons test"] = _informative_note(
        cases, none_left="no corrected comparison is informative (here every exact certified minimiser with a "
                         "layer l > c^2 is a rank-one chain; a constant 10^-9 in place of 8 passes as well); the informative "
                         "comparison is the printed output layer's gap")
    target = v.corrected if v.corrected is not None else v
    target.message += f"; {note}"
    if v.status is Status.ERRATUM:
        out_fail = _largest_bound([{"case": k, **f} for k, fs in v.evidence["counterexamples"].items() for f in fs])
        ex1 = cases.get("example1-depth3", {}).get("evidence", {})
        c_ex1 = ex1.get("c")
        v.message = ("as printed Theorem 3.1 fails on a certified minimiser at the output layer: "
                     + (f"{out_fail['case']}, {out_fail['quantity']} = {out_fail['value']} > bound "
                        f"{out_fail['bound'][1]:.3g}" if out_fail else "")
                     + (f"; Example 1 (s* = 1/2): c ~ {c_ex1[0]:.4g}, c^2 > L = 3, vacuous" if c_ex1 else "")
                     + ("; the corrected form's certified is uninformative here: every corrected comparison is "
                        "0 <= bound (rank-one chains), it tests only that the bound is non-negative"
                        if not v.evidence["what the corrected comparisons test"]["informative (a smaller constant "
                                                                                 "refutes)"] else ""))
    return v
