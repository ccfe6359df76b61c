"""Section 5, conjecture (2): the optimal escape speed at every depth as a nested support function.

Our derivation (the paper states none); it generalises ``section4_optimal_speed.py`` from depth 3 to any L,
and it is what the tree checker (certify/kernel/speed_certificate.py, schema_version 2) and the depth-free
invariant checker (certify/kernel/speed_invariant.py) rely on.

Setting: data X (d x N), one output, g = G^T, p(u) = relu(X^T u).  K_1 is the symmetric convex hull of
{p(u) : ||u|| = 1}; K_{j+1} that of relu(K_j); h_j(v) = max_{f in K_j} |v . f| is the support function
of K_j (K_j is symmetric and convex, so h_j is even and it is the largest |v . r| over the generators r).

(R) s*(L) <= h_{L-1}(g) for every L >= 2.  Induction over the layers: a row z of Z_l (l >= 2) lies in
    ||W_l[z]|| prod_{m<l} ||W_m||_F K_{l-1}.  For l = 2, z = sum_i b_i relu(X^T w_i) = sum_i b_i ||w_i|| p(u_i)
    (relu is positively homogeneous), a combination with total weight sum_i |b_i| ||w_i|| <= ||b|| ||W_1||_F
    (Cauchy-Schwarz), and sum_i c_i k_i with k_i in K lies in (sum |c_i|) K when K is symmetric and convex,
    and a K lies in a' K for 0 <= a <= a' (0 is in K).  The step l -> l + 1 is the same with relu(a f) =
    a relu(f) in a relu(K_{l-1}), inside a K_l.  At the output, |g . relu(a f)| = a |g . relu(f)| <= a h_{L-1}(g),
    and sum_k |W_L[k]| a_k <= prod_l ||W_l||_F <= 1 when ||theta||^2 = L (Lemma A.4, proved for every L).
(D) The dual step: h_{j+1}(v) = max_{f in K_j} |v . relu(f)|, and for each sign e, e v . relu(f) is at most
    the largest over subsets S of P_e(v) of h_j(v_{S,e}(t_S)): on P_e, e v_j relu(f_j) keeps the positive f_j
    (S = {j : f_j > 0}); on M_e, e v_j relu(f_j) <= e v_j t_j f_j for t_j in [0, 1] (relu(z) >= t z).
(I) The invariant: if a finite family of vectors w_0 = g, ..., w_n has h_1(w_i) <= U and every child of every
    w_i (one per (e, S)) is 0, +-w_k, or lies between 0 and a one-signed +-w_k, then h_j(w_i) <= U for every j
    by induction; the last case because K_j (j >= 1) is the symmetric hull of vectors >= 0, on which
    0 <= c <= d gives |c . r| <= |d . r|.
(E) The lower end at every depth: a network whose last hidden layer has one unit and whose output layer is
    1 x 1 keeps its function when layers [1] are inserted before the output (relu(1 relu(z)) = relu(z)), and
    each adds 1 to ||theta||^2; on the sphere a positive speed only grows ((L/||theta||^2)^(L/2) >= 1).

Each step below reduces to 0 (or is a sign fact decided exactly).
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger
from certify.proofs.appendix_a5_weak_control import log_bound, sum_step
from certify.proofs.section4_optimal_speed import relu_lower_bound, subset_enumeration, unit_decomposition


def relu(z: Any) -> Any:
    return sp.Max(z, 0)


def hull_scaling(ledger: Ledger, terms: int = 3) -> bool:
    """sum_i c_i k_i = A sum_i (|c_i|/A) sgn(c_i) k_i with A = sum |c_i|: a convex combination of +-k_i, for
    every sign pattern of c; and a k = a' ((a/a') k + (1 - a/a') 0), with a/a' in [0, 1] for 0 <= a <= a'."""
    mags = sp.symbols(f"m0:{terms}", positive=True)  # |c_i|
    k = sp.symbols(f"k0:{terms}", real=True)  # one coordinate of k_i
    A = sum(mags)
    ok = True
    for signs in itertools.product((1, -1), repeat=terms):
        lhs = sum(s * m * ki for s, m, ki in zip(signs, mags, k))
        weights = [m / A for m in mags]
        rhs = A * sum(w * s * ki for w, s, ki in zip(weights, signs, k))
        ok &= ledger.identity(f"sum c_i k_i = A sum (|c_i|/A)(sgn c_i) k_i, signs {signs}", lhs - rhs)
    ok &= ledger.identity("the weights |c_i|/A sum to 1", sum(m / A for m in mags) - 1)
    a, gap = sp.symbols("a gap", positive=True)  # a' = a + gap >= a
    kk = sp.Symbol("kk", real=True)
    lam = a / (a + gap)
    ok &= ledger.identity("a k = a' (lam k + (1 - lam) 0) with lam = a/a'", a * kk - (a + gap) * (lam * kk))
    ok &= ledger.fact("lam = a/a' lies in [0, 1]", bool(lam.is_nonnegative) and bool((1 - lam).simplify().is_nonnegative))
    return ok


def output_homogeneity(ledger: Ledger, points: int = 2, act: Any = relu) -> bool:
    """g . relu(a f) = a g . relu(f) for a >= 0, on every sign pattern of f (``act``: the activation)."""
    relu = act
    a = sp.Symbol("a", positive=True)
    g = sp.symbols(f"g0:{points}", real=True)
    ok = True
    for pattern in itertools.product((1, -1), repeat=points):
        f = [s * sp.Symbol(f"y{i}", positive=True) for i, s in enumerate(pattern)]
        lhs = sum(gi * relu(a * fi) for gi, fi in zip(g, f))
        rhs = a * sum(gi * relu(fi) for gi, fi in zip(g, f))
        ok &= ledger.identity(f"g . relu(a f) = a g . relu(f), pattern {pattern}", lhs - rhs)
    return ok


def hull_support(ledger: Ledger, generators: int = 3) -> bool:
    """On conv(R u -R) a linear function is at most the largest |v . r| over R:
    M - sum_i lam_i s_i y_i = sum_i lam_i (M - s_i y_i) when sum lam_i = 1, each term >= 0 for M >= |y_i|."""
    lam = sp.symbols(f"lam0:{generators - 1}", nonnegative=True)
    lam_all = list(lam) + [1 - sum(lam)]
    y = sp.symbols(f"y0:{generators}", real=True)  # v . r_i
    M = sp.Symbol("M", real=True)
    ok = True
    for signs in itertools.product((1, -1), repeat=generators):
        lhs = M - sum(l_ * s * yi for l_, s, yi in zip(lam_all, signs, y))
        rhs = sum(l_ * (M - s * yi) for l_, s, yi in zip(lam_all, signs, y))
        ok &= ledger.identity(f"M - sum lam_i s_i y_i = sum lam_i (M - s_i y_i), signs {signs}", lhs - rhs)
    return ok


def evenness(ledger: Ledger) -> bool:
    """|(-w) . f| = |w . f|: h_j(-w) = h_j(w)."""
    w, f = sp.symbols("w f", real=True)
    return ledger.identity("|(-w) f| - |w f| = 0", sp.Abs(-w * f) - sp.Abs(w * f))


def domination(ledger: Ledger, entries: int = 3, one_signed: bool = True) -> bool:
    """0 <= c <= d and r >= 0 give 0 <= c . r <= d . r, so |c . r| <= |d . r| (and d <= c <= 0 by evenness).
    ``one_signed=False`` drops c >= 0 (a cover the checker must refuse: then it does not follow)."""
    c = sp.symbols(f"c0:{entries}", **({"nonnegative": True} if one_signed else {"real": True}))
    delta = sp.symbols(f"delta0:{entries}", nonnegative=True)  # d = c + delta
    r = sp.symbols(f"r0:{entries}", nonnegative=True)
    d = [ci + di for ci, di in zip(c, delta)]
    cr = sum(ci * ri for ci, ri in zip(c, r))
    dr = sum(di * ri for di, ri in zip(d, r))
    ok = ledger.fact("c . r >= 0 for c, r >= 0", bool(sp.expand(cr).is_nonnegative))
    ok &= ledger.fact("d . r - c . r = delta . r >= 0", bool(sp.expand(dr - cr).is_nonnegative))
    return ok


def generators_nonnegative(ledger: Ledger) -> bool:
    """The generators of K_1 (p(u) = relu(X^T u)) and of K_{j+1} (relu(K_j)) are >= 0: relu(z) >= 0."""
    zp, zn = sp.symbols("z_p z_n", nonnegative=True)
    ok = ledger.fact("relu(z) >= 0 for z >= 0", bool(relu(zp).is_nonnegative))
    ok &= ledger.fact("relu(z) >= 0 for z <= 0", bool(relu(-zn).is_nonnegative))
    return ok


def lower_extension(ledger: Ledger, act: Any = relu) -> bool:
    """relu(1 * relu(z)) = relu(z) on both signs of z; an inserted [1] adds 1 to ||theta||^2; scaling a network
    with positive speed s onto the sphere multiplies s by lam^L >= 1 for lam >= 1 (``act``: the activation)."""
    relu = act
    zp, zn = sp.symbols("z_p z_n", nonnegative=True)
    ok = ledger.identity("z >= 0: relu(1 relu(z)) = relu(z)", relu(1 * relu(zp)) - relu(zp))
    ok &= ledger.identity("z <= 0: relu(1 relu(z)) = relu(z)", relu(1 * relu(-zn)) - relu(-zn))
    T, k = sp.symbols("T k", nonnegative=True)
    ok &= ledger.identity("||theta'||^2 = ||theta||^2 + k for k inserted [1]", (T + k * 1**2) - (T + k))
    lam_minus_one, s = sp.symbols("mu s", nonnegative=True)  # lam = 1 + mu
    for L in range(2, 9):
        grown = sp.expand((1 + lam_minus_one) ** L * s - s)
        ok &= ledger.fact(f"L = {L}: (1 + mu)^L s - s >= 0 for mu, s >= 0", bool(grown.is_nonnegative))
    return ok


def check_depth_reduction(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    unit_decomposition(ledger)  # relu homogeneity of a unit and Cauchy-Schwarz (Lagrange)
    hull_scaling(ledger)
    output_homogeneity(ledger)
    log_bound(ledger)  # Lemma A.4 for every L: prod ||W_l||_F <= 1 on ||theta||^2 = L
    sum_step(ledger)
    hull_support(ledger)
    relu_lower_bound(ledger)  # (D): relu(z) >= t z on [0, 1]
    subset_enumeration(ledger)
    evenness(ledger)
    generators_nonnegative(ledger)
    domination(ledger)
    lower_extension(ledger)
    return ledger.verdict(
        "s*(L) <= h_{L-1}(g) for every L >= 2 (relu homogeneity, Cauchy-Schwarz, scaling of symmetric convex "
        "hulls, Lemma A.4 for every L), the dual step of the tree certificates, and the invariant's covers "
        "(evenness, domination on hulls of nonnegative generators) and lower extension: each step reduces to 0",
        {"argument": "see the module docstring of proofs/section5_depth_reduction.py; the checkers "
                     "certify/kernel/speed_certificate.py (trees) and certify/kernel/speed_invariant.py "
                     "(every depth) rely on exactly these steps",
         "induction": "the induction over layers (R) and over j (I) is the argument itself; the steps it "
                      "composes are the identities listed"},
    )
