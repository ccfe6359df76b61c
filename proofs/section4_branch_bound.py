"""Section 4, footnote 2 at scale: the two relaxations behind the branch-and-bound certificates (issue 17).

Our derivation (the paper states none).  It is what the depth-3 branch-and-bound checker
(certify/kernel/speed_certificate.py, schema_version 3) and the depth-2 cone checker
(certify/kernel/speed_cones.py) rely on, with the notation of ``section4_optimal_speed.py``: p(u) = relu(X^T u),
K the symmetric convex hull of {p(u) : ||u|| = 1}, s*(3) = max_{f in K} |g . relu(f)|, s*(2) = max_u |g . p(u)|.

Depth 3, one node (S_in inside S, S_out outside, U open; a_j = e g_j > 0 on P, b_j = -e g_j > 0 on M):
(O) max over S' in U of sum_{S'} a_j f_j = sum_U a_j relu(f_j) (the subsets of the open points; per point).
(T) -b relu(z) <= -b t z for t in [0, 1] (relu(z) >= t z).
(L) Lifting: f = sum_i l_i s_i y_i with l_i >= 0, signs s_i and y_i = p_j(u_i) >= 0 gives
    relu(f_j) <= sum_{s_i = +1} l_i y_i: with A, B >= 0 the + and - parts, relu(A - B) <= A.
(W) Mixture: sum_i l_i c_i <= max(0, max_i c_i) when l_i >= 0 and sum l_i <= 1.  So the node's objective is
    at most max(0, max_u v_+ . p(u), max_u -v_- . p(u)).

Depth 2 in d dimensions, one cone C = cone(r_1, ..., r_d), u = sum c_i r_i with c >= 0:
(C) Covering: with m = r_a + r_b, u lies in C with r_a replaced by m when c_a <= c_b (u = c_a m + (c_b - c_a) r_b
    + rest) and in C with r_b replaced by m otherwise; every coefficient is >= 0.
(S) Crossing points of P: relu(sum_i c_i s_i) <= sum_i c_i relu(s_i) for c >= 0 (subadditive, homogeneous);
    active points (every s_i >= 0): relu(sum c_i s_i) = sum c_i s_i; inactive (every s_i <= 0): relu(...) = 0.
(Q) The dual vector: omega_i <= r_i . q and c >= 0 give omega . c <= q . u, and q . u <= ||q|| ||u||
    (Lagrange's identity), so the cone's value is at most ||q|| when ||u|| <= 1.

Each step below reduces to 0 (or is a sign fact decided exactly); ``act`` swaps relu for another activation,
on which the lifting or the subadditivity must fail (the tests show which).
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger
from certify.proofs.section4_optimal_speed import relu_lower_bound, subset_enumeration


def relu(z: Any) -> Any:
    return sp.Max(z, 0)


def lifting(ledger: Ledger, act: Any = relu) -> bool:
    """(L): act(A - B) <= A for A, B >= 0 (A the positive atoms' mass at a point, B the negative ones')."""
    a, delta = sp.symbols("a delta", nonnegative=True)
    # A >= B: A = B + delta; A < B: B = A + delta
    ok = ledger.fact("A >= B: A - act(A - B) = B >= 0", bool(sp.simplify(a + delta - act(delta)).is_nonnegative))
    ok &= ledger.fact("A <= B: A - act(A - B) = A >= 0", bool(sp.simplify(a - act(-delta)).is_nonnegative))
    return ok


def mixture(ledger: Ledger, atoms: int = 3) -> bool:
    """(W): with M = max(0, max c_i), M - sum l_i c_i = sum l_i (M - c_i) + (1 - sum l_i) M, every term >= 0."""
    lam = sp.symbols(f"l0:{atoms}", nonnegative=True)
    c = sp.symbols(f"c0:{atoms}", real=True)
    M = sp.Symbol("M", nonnegative=True)
    lhs = M - sum(li * ci for li, ci in zip(lam, c))
    rhs = sum(li * (M - ci) for li, ci in zip(lam, c)) + (1 - sum(lam)) * M
    return ledger.identity("M - sum l_i c_i = sum l_i (M - c_i) + (1 - sum l_i) M", lhs - rhs)


def covering(ledger: Ledger, d: int = 3, b_sign: int = 1) -> bool:
    """(C): both cases of the split of cone(r_1..r_d) at m = r_a + r_b (a = 0, b = 1), coordinate by coordinate
    (``b_sign=-1`` splits at r_a - r_b instead, which does not cover the parent)."""
    r = sp.symbols(f"r0:{d}", real=True)  # one coordinate of each generator
    c = sp.symbols(f"c0:{d}", nonnegative=True)
    delta = sp.Symbol("delta", nonnegative=True)
    u = sum(ci * ri for ci, ri in zip(c, r))
    m = r[0] + b_sign * r[1]
    rest = sum(c[i] * r[i] for i in range(2, d))
    ok = True
    # c_a <= c_b: c_b = c_a + delta
    lhs = u.subs(c[1], c[0] + delta)
    ok &= ledger.identity("c_a <= c_b: u = c_a m + (c_b - c_a) r_b + rest", lhs - (c[0] * m + delta * r[1] + rest))
    lhs = u.subs(c[0], c[1] + delta)
    ok &= ledger.identity("c_a > c_b: u = c_b m + (c_a - c_b) r_a + rest", lhs - (c[1] * m + delta * r[0] + rest))
    return ok


def crossing(ledger: Ledger, generators: int = 3, act: Any = relu) -> bool:
    """(S): act(sum c_i s_i) <= sum c_i act(s_i) for c >= 0 on every sign pattern of the s_i, and equality
    with the linear form on the active and inactive patterns."""
    c = sp.symbols(f"c0:{generators}", nonnegative=True)
    y = sp.symbols(f"y0:{generators}", nonnegative=True)  # |s_i|
    ok = True
    for signs in itertools.product((1, -1), repeat=generators):
        s = [sg * yi for sg, yi in zip(signs, y)]
        total = sum(ci * si for ci, si in zip(c, s))
        bound = sum(ci * act(si) for ci, si in zip(c, s))
        pos = sum(ci * yi for ci, yi, sg in zip(c, y, signs) if sg > 0)
        neg = sum(ci * yi for ci, yi, sg in zip(c, y, signs) if sg < 0)
        # total = pos - neg; bound = pos for relu; act(pos - neg) <= pos is (L) again
        ok &= ledger.identity(f"signs {signs}: sum c_i s_i = pos - neg", total - (pos - neg))
        gap = sp.simplify(bound - pos)
        ok &= ledger.identity(f"signs {signs}: sum c_i act(s_i) = sum over s_i > 0", gap)
        if all(sg > 0 for sg in signs):
            ok &= ledger.identity("active: act(sum c_i s_i) = sum c_i s_i", act(total) - total)
        if all(sg < 0 for sg in signs):
            ok &= ledger.identity("inactive: act(sum c_i s_i) = 0", act(total))
    return ok


def dual_vector(ledger: Ledger, d: int = 3) -> bool:
    """(Q): q . u - omega . c = sum c_i (r_i . q - omega_i) (each term >= 0), and Lagrange's identity for
    ||q||^2 ||u||^2 - (q . u)^2."""
    c = sp.symbols(f"c0:{d}", nonnegative=True)
    slack = sp.symbols(f"e0:{d}", nonnegative=True)  # r_i . q - omega_i >= 0
    R = sp.Matrix(d, d, sp.symbols(f"R0:{d * d}", real=True))  # rows: generators
    q = sp.Matrix(sp.symbols(f"q0:{d}", real=True))
    omega = [(R.row(i) * q)[0] - slack[i] for i in range(d)]
    u = (R.T * sp.Matrix(c))
    lhs = (q.T * u)[0] - sum(o * ci for o, ci in zip(omega, c))
    ok = ledger.identity("q . u - omega . c = sum c_i (r_i . q - omega_i)", lhs - sum(ci * si for ci, si in zip(c, slack)))
    qs = sp.symbols(f"Q0:{d}", real=True)
    us = sp.symbols(f"U0:{d}", real=True)
    lagrange = (sum(x * x for x in qs) * sum(y * y for y in us) - sum(x * y for x, y in zip(qs, us)) ** 2
                - sum((qs[i] * us[j] - qs[j] * us[i]) ** 2 for i in range(d) for j in range(i + 1, d)))
    ok &= ledger.identity("Lagrange: ||q||^2 ||u||^2 - (q . u)^2 = sum (q_i u_j - q_j u_i)^2", lagrange)
    return ok


def check_branch_bound(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    subset_enumeration(ledger)  # (O), per point of the open set
    relu_lower_bound(ledger)  # (T)
    lifting(ledger)
    mixture(ledger)
    covering(ledger)
    crossing(ledger)
    dual_vector(ledger)
    return ledger.verdict(
        "the branch-and-bound bounds hold: a depth-3 node covering S_in <= S <= S_in u U is bounded by "
        "max(0, max_u v_+ . p(u), max_u -v_- . p(u)) (open set, multipliers, lifting of relu over the atoms of f, "
        "mixtures), and a depth-2 cone by ||q|| when omega <= R q (covering by splits at r_a + r_b, crossing "
        "points, the dual vector)",
        {"derivation": "proofs/section4_branch_bound.py"})
