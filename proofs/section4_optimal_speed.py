"""Section 4, footnote 2: the optimal escape speed at depth 2 and 3 as a finite-dimensional problem.

Claim (our derivation; the paper states no such formula).  For data X (d x N), one output and
g = G^T, write p(u) = relu(X^T u) and K for the symmetric convex hull of {p(u) : ||u|| = 1}.  Then

    s*(2) = max_{||u|| = 1} |g . p(u)|            and        s*(3) = max_{f in K} |g . relu(f)|,

at any width for "<=", and at width >= 1 (depth 2) or once the hidden widths reach the number of
points of a convex combination (depth 3) for ">=".

Argument for depth 3 (depth 2 is the same with W2 removed).  Let the last hidden layer have units
k with incoming rows b_k of W2 and outgoing weights c_k (W3 = c^T).  Then Y = sum_k c_k relu(b_k . relu(W1 X)).
(i)  b_k . relu(W1 x) = sum_i b_ki ||w_i|| relu(w_i/||w_i|| . x), so the vector f_k of these values
     over the data lies in a_k K with a_k = sum_i |b_ki| ||w_i|| <= ||b_k|| ||W1||_F (Cauchy-Schwarz).
(ii) relu is positively homogeneous, so |g . relu(a f)| = a |g . relu(f)| <= a max_K for a >= 0.
(iii) sum_k |c_k| ||b_k|| <= ||c|| ||W2||_F (Cauchy-Schwarz), and ||c|| ||W2|| ||W1|| <= 1 when the
     squares sum to 3 (AM-GM, Lemma A.4).  So the speed is at most max_K |g . relu(f)|.
(iv) Attained: f = sum_i lam_i e_i p(u_i) (lam >= 0, sum lam = 1, e_i = +-1) is the hidden value of
     W1 rows sqrt(lam_i) u_i, W2 = (e_i sqrt(lam_i)), and W3 = [+-1] on the sphere ||theta||^2 = 3.
The checker (certify/kernel/speed_certificate.py) then bounds max_K by duality: for g_j > 0,
relu(f_j) = max(f_j, 0) (enumerated over subsets S), for g_j < 0, g_j relu(f_j) <= g_j t f_j
(t in [0, 1]), and max_{f in K} v . f = max_u |v . p(u)|, computed cell by cell of the lines
x_k . u = 0, where the maximum of w . u over an arc is ||w|| inside and an end value outside.

Each step below is an identity that reduces to 0 (or a sign fact decided exactly).
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger


def relu_lower_bound(ledger: Ledger, relu: Any = None) -> bool:
    """relu(z) - t z >= 0 for t in [0, 1]: (1 - t) z on z >= 0 and (-t) z on z < 0, each a product of
    non-negative factors.  The sign is read off relu(z) - t z itself (``relu`` defaults to max(z, 0))."""
    relu = (lambda v: sp.Max(v, 0)) if relu is None else relu
    t = sp.Symbol("t", real=True)
    zp, zn, one_minus_t, tt = sp.symbols("z_p z_n s_t t_nn", nonnegative=True)
    pos_case = relu(zp) - t * zp  # z = z_p >= 0
    neg_case = relu(-zn) - t * (-zn)  # z = -z_n <= 0
    ok = ledger.identity("z >= 0: relu(z) - t z = (1 - t) z", pos_case - (1 - t) * zp)
    ok &= ledger.identity("z < 0: relu(z) - t z = t |z|", neg_case - t * zn)
    # t in [0, 1]: t = 1 - s_t with s_t >= 0 (t <= 1) and t = t_nn >= 0 (t >= 0)
    ok &= ledger.fact("z >= 0, t <= 1: relu(z) - t z >= 0",
                      bool(sp.expand(pos_case.subs(t, 1 - one_minus_t)).is_nonnegative))
    ok &= ledger.fact("z <= 0, t >= 0: relu(z) - t z >= 0", bool(sp.expand(neg_case.subs(t, tt)).is_nonnegative))
    return ok


def subset_enumeration(ledger: Ledger) -> bool:
    """For g_j > 0: g_j relu(f_j) = max over s in {0, 1} of g_j s f_j, so sum_{g_j > 0} g_j relu(f_j) is
    the largest of sum_{j in S} g_j f_j over subsets S (checked on both signs of f_j)."""
    g, a = sp.symbols("g a", positive=True)
    ok = ledger.identity("f = a > 0: g relu(f) = max(g f, 0) = g f", g * sp.Max(a, 0) - sp.Max(g * a, 0))
    ok &= ledger.identity("f = -a < 0: g relu(f) = max(-g a, 0) = 0", g * sp.Max(-a, 0) - sp.Max(-g * a, 0))
    return ok


def unit_decomposition(ledger: Ledger, units: int = 3) -> bool:
    """(i): b . relu(W1 x) = sum_i b_i ||w_i|| relu(w_i/||w_i|| . x) on every sign pattern of W1 x, and
    (sum_i |b_i| ||w_i||)^2 <= ||b||^2 ||W1||_F^2 (Lagrange's identity for Cauchy-Schwarz)."""
    b = sp.symbols(f"b0:{units}", real=True)
    n = sp.symbols(f"n0:{units}", positive=True)  # ||w_i||
    y = sp.symbols(f"y0:{units}", positive=True)  # |w_i/||w_i|| . x|
    ok = True
    for pattern in range(2**units):
        signs = [1 if pattern >> i & 1 else -1 for i in range(units)]
        lhs = sum(b[i] * sp.Max(signs[i] * n[i] * y[i], 0) for i in range(units))
        rhs = sum(b[i] * n[i] * sp.Max(signs[i] * y[i], 0) for i in range(units))
        ok &= ledger.identity(f"relu homogeneity, pattern {signs}", lhs - rhs)
    B = sp.symbols(f"B0:{units}", nonnegative=True)  # |b_i|
    lagrange = (sum(B[i] ** 2 for i in range(units)) * sum(n[i] ** 2 for i in range(units))
                - sum(B[i] * n[i] for i in range(units)) ** 2
                - sum((B[i] * n[j] - B[j] * n[i]) ** 2 for i in range(units) for j in range(i + 1, units)))
    ok &= ledger.identity("Lagrange: ||B||^2 ||n||^2 - (B . n)^2 = sum (B_i n_j - B_j n_i)^2 >= 0", lagrange)
    return ok


def am_gm_three(ledger: Ledger, coefficient: int = 3) -> bool:
    """(iii): for x, y, z >= 0 with x^2 + y^2 + z^2 = 3, x y z <= 1.  With a^3 = x^2, b^3 = y^2, c^3 = z^2,
    a^3 + b^3 + c^3 - 3abc is (a + b + c) times a sum of squares over 2, so x^2 y^2 z^2 = (abc)^3 <= 1."""
    a, b, c = sp.symbols("a b c", nonnegative=True)
    return ledger.identity("a^3 + b^3 + c^3 - 3abc = (a+b+c)((a-b)^2 + (b-c)^2 + (c-a)^2)/2",
                           a**3 + b**3 + c**3 - coefficient * a * b * c
                           - (a + b + c) * ((a - b) ** 2 + (b - c) ** 2 + (c - a) ** 2) / 2)


def attainment(ledger: Ledger, units: int = 3) -> bool:
    """(iv): W1 rows sqrt(lam_i) u_i and W2 = (e_i sqrt(lam_i)) give the hidden value sum_i lam_i e_i relu(u_i . x)
    and ||W1||^2 = ||W2||^2 = sum lam_i = 1 for unit u_i."""
    lam = sp.symbols(f"lam0:{units}", positive=True)
    e = sp.symbols(f"e0:{units}", real=True)
    ok = True
    for pattern in range(2**units):
        yy = [(1 if pattern >> i & 1 else -1) * sp.Symbol(f"m{i}", positive=True) for i in range(units)]
        lhs = sum(e[i] * sp.sqrt(lam[i]) * sp.Max(sp.sqrt(lam[i]) * yy[i], 0) for i in range(units))
        rhs = sum(lam[i] * e[i] * sp.Max(yy[i], 0) for i in range(units))
        ok &= ledger.identity(f"hidden value of the construction, pattern {pattern}", lhs - rhs)
    ang = sp.symbols(f"phi0:{units}", real=True)  # u_i = (cos phi_i, sin phi_i), one angle per unit
    norm_W1 = sum((sp.sqrt(lam[i]) * sp.cos(ang[i])) ** 2 + (sp.sqrt(lam[i]) * sp.sin(ang[i])) ** 2
                  for i in range(units))
    ok &= ledger.identity("||W1||^2 = sum_i ||sqrt(lam_i) u_i||^2 = sum lam_i for unit u_i", norm_W1 - sum(lam))
    # ||W2||^2 for W2 = (e_i sqrt(lam_i)), computed for every choice of signs e_i = +-1
    for signs in itertools.product((1, -1), repeat=units):
        W2 = [signs[i] * sp.sqrt(lam[i]) for i in range(units)]
        ok &= ledger.identity(f"||W2||^2 = sum lam_i for e = {signs}", sum(v**2 for v in W2) - sum(lam))
    return ok


def arc_maximum(ledger: Ledger) -> bool:
    """On an arc, w . u(phi) = ||w|| cos(phi - phi_w) has derivative -||w|| sin(phi - phi_w), zero only at
    phi_w and phi_w + pi: so off the direction of w the maximum over an arc shorter than pi is at an end."""
    phi, pw, psi = sp.symbols("phi phi_w psi", real=True)
    r = sp.Symbol("r", positive=True)  # ||w|| > 0
    f = r * sp.cos(phi - pw)
    df = sp.diff(f, phi)
    ok = ledger.identity("d/dphi [r cos(phi - phi_w)] = -r sin(phi - phi_w)", df + r * sp.sin(phi - pw))
    # the zeros of the derivative itself, over one period of phi - phi_w = psi
    zeros = sp.solveset(sp.expand_trig(df.subs(phi, psi + pw)), psi, sp.Interval.Ropen(0, 2 * sp.pi))
    ok &= ledger.fact("f' vanishes on one period only at phi - phi_w = 0 and pi",
                      isinstance(zeros, sp.FiniteSet) and set(zeros) == {0, sp.pi})
    c, s_ = sp.symbols("c s", real=True)
    w1, w2 = sp.symbols("w1 w2", real=True)
    ok &= ledger.identity("||w||^2 - (w . u)^2 = (w x u)^2 for unit u = (c, s)",
                          (w1**2 + w2**2) - (w1 * c + w2 * s_) ** 2 - (w1 * s_ - w2 * c) ** 2
                          - (w1**2 + w2**2) * (1 - c**2 - s_**2))
    return ok


def check_reduction(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    relu_lower_bound(ledger)
    subset_enumeration(ledger)
    unit_decomposition(ledger)
    am_gm_three(ledger)
    attainment(ledger)
    arc_maximum(ledger)
    return ledger.verdict(
        "the steps of s*(3) = max_K |g . relu(f)| and of the dual bound reduce to 0: relu(z) >= t z on [0, 1], "
        "the subset enumeration, relu homogeneity and Cauchy-Schwarz (Lagrange) for the unit decomposition, "
        "AM-GM for three layers, the attaining construction, and the arc maximum",
        {"argument": "see the module docstring of proofs/section4_optimal_speed.py; the certificate checker "
                     "relies on exactly these steps"},
    )
