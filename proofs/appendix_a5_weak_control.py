"""Lemma A.4, weak control (Appendix A.5.1).

Claim: for a depth-L network with ||theta||^2 = sum_l ||W_l||_F^2 <= L,
prod_l ||W_l||_F <= 1.

How we check it, for every L.  Put a_l = ||W_l||_F^2 >= 0.  If some a_l = 0 the
product is 0.  Otherwise log t <= t - 1 for t > 0 gives
sum_l log a_l <= sum_l (a_l - 1) = ||theta||^2 - L <= 0, so prod_l a_l <= 1 and
prod_l ||W_l||_F = sqrt(prod_l a_l) <= 1.  sympy checks:

1. f(t) = t - 1 - log t has f(1) = 0, f'(t) = 0 only at t = 1, f''(t) = 1/t^2 > 0
   on t > 0, hence f >= 0 there (a convex function is minimal at its stationary
   point);
2. sum_{l=1}^L (a_l - 1) - (sum_l a_l - L) = 0 with L symbolic.

The paper's route is AM-GM; its certificate identities for L = 2, 3, 4 are checked
too, as polynomial identities (sums of squares for non-negative variables).
The proof's first display prints ||theta||^2/L where (||theta||^2/L)^(L/2) is meant;
the lemma's statement is unaffected (recorded as a note).
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from certify.claims.base import Context
from certify.kernel.verdict import Verdict
from certify.proofs._sym import Ledger


def log_bound(ledger: Ledger, shift: int = 1) -> bool:
    """f(t) = t - shift - log t >= 0 on t > 0 (the lemma uses shift = 1, i.e. log t <= t - 1)."""
    t = sp.Symbol("t", positive=True)
    f = t - shift - sp.log(t)
    ok = ledger.identity("f(1) = 0 for f(t) = t - 1 - log t", f.subs(t, 1))
    stationary = sp.solveset(sp.diff(f, t), t, domain=sp.Interval.open(0, sp.oo))
    ok &= ledger.fact("f'(t) = 0 only at t = 1 on t > 0", stationary == sp.FiniteSet(1))
    ok &= ledger.fact("f''(t) > 0 for t > 0", bool(sp.simplify(sp.diff(f, t, 2)).is_positive))
    return ok


def sum_step(ledger: Ledger) -> bool:
    L = sp.Symbol("L", integer=True, positive=True)
    l = sp.Symbol("l", integer=True, positive=True)
    a = sp.Function("a")
    lhs = sp.Sum(a(l) - 1, (l, 1, L)).doit()
    rhs = sp.Sum(a(l), (l, 1, L)).doit() - L
    return ledger.identity("sum_l (a_l - 1) = sum_l a_l - L", sp.expand(lhs - rhs))


def am_gm_certificates(ledger: Ledger) -> bool:
    """(sum x_i^L)/L - prod x_i as explicit non-negative expressions, L = 2, 3, 4."""
    x, y, z, w = sp.symbols("x y z w", nonnegative=True)
    ok = ledger.identity("L=2: x^2 + y^2 - 2xy = (x - y)^2", x**2 + y**2 - 2 * x * y - (x - y) ** 2)
    ok &= ledger.identity(
        "L=3: x^3 + y^3 + z^3 - 3xyz = (x+y+z)((x-y)^2 + (y-z)^2 + (z-x)^2)/2",
        x**3 + y**3 + z**3 - 3 * x * y * z - (x + y + z) * ((x - y) ** 2 + (y - z) ** 2 + (z - x) ** 2) / 2,
    )
    ok &= ledger.identity(
        "L=4: x^4 + y^4 + z^4 + w^4 - 4xyzw = (x^2-y^2)^2 + (z^2-w^2)^2 + 2(xy-zw)^2",
        x**4 + y**4 + z**4 + w**4 - 4 * x * y * z * w
        - ((x**2 - y**2) ** 2 + (z**2 - w**2) ** 2 + 2 * (x * y - z * w) ** 2),
    )
    return ok


def check_lemma_a4(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    log_bound(ledger)
    sum_step(ledger)
    am_gm_certificates(ledger)
    return ledger.verdict(
        "for every L via log t <= t - 1 (f(1) = 0, unique stationary point, f'' > 0); "
        "AM-GM certificates for L = 2, 3, 4 also reduce to 0",
        {"note": "proof typo: the first display's left side (||theta||^2/L) should read (||theta||^2/L)^(L/2); "
                 "the statement is unaffected"},
    )


# --- Proposition 3.4 = A.5: the scalar steps --------------------------------------


def verify_telescoping(ledger: Ledger, depths: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8), *, first: int = 0) -> bool:
    """||Z_0^s||^2/||Z_L||^2 = (O_{L-1}/Y) prod_{l=1}^{L-1} (O_{l-1}/F_l) prod_{l=first}^{L-1} (F_l/O_l).

    ``first = 0`` is the printed product; ``first = 1`` (the range of the printed log-sum) is not an identity.
    """
    ok = True
    for L in depths:
        F = sp.symbols(f"F0:{L}", positive=True)  # ||Z_l^s||_F^2
        O = sp.symbols(f"O0:{L}", positive=True)  # ||Z_l^s||_op^2
        Y = sp.Symbol("Y", positive=True)  # ||Z_L||_F^2
        rhs = O[L - 1] / Y
        for l in range(1, L):
            rhs *= O[l - 1] / F[l]
        for l in range(first, L):
            rhs *= F[l] / O[l]
        ok &= ledger.identity(f"telescoping product, L = {L}", sp.cancel(F[0] / Y - rhs))
    return ok


def rank_one_ratio(x: sp.Expr) -> sp.Expr:
    """1 - ||Z||_op^2/||Z||_F^2 written in x = ||Z||_F^2/||Z||_op^2."""
    return 1 - 1 / x


def log_ratio(x: sp.Expr) -> sp.Expr:
    """2 log ||Z||_F - 2 log ||Z||_op written in x."""
    return sp.log(x)


def verify_log_step(ledger: Ledger, lower: Callable[[sp.Expr], sp.Expr] | None = None,
                    upper: Callable[[sp.Expr], sp.Expr] | None = None) -> bool:
    """lower(x) <= upper(x) for x >= 1, x = ||Z||_F^2 / ||Z||_op^2 (the step from log-ratio to rank-one ratio).

    The lemma's pair is lower(x) = 1 - 1/x (the rank-one ratio) and upper(x) = log x.  Every fact
    below is computed from g = upper - lower: its value at 1, its derivative (sympy.diff) and the
    sign of that derivative on x >= 1 (x = 1 + y, y >= 0).
    """
    lower = rank_one_ratio if lower is None else lower
    upper = log_ratio if upper is None else upper
    x = sp.Symbol("x", positive=True)
    g = upper(x) - lower(x)
    ok = ledger.identity(f"g(1) = 0 for g = {g}", g.subs(x, 1))
    dg = sp.diff(g, x)
    y = sp.Symbol("y", nonnegative=True)  # x = 1 + y
    ok &= ledger.fact(f"g' = {sp.factor(dg)} >= 0 on x >= 1, so g >= g(1) = 0 there",
                      bool(sp.factor(sp.simplify(dg.subs(x, 1 + y))).is_nonnegative))
    # the rank-one ratio is lower(x) and 2 log ||Z||_F - 2 log ||Z||_op = upper(x), for x = F/O
    F, O = sp.symbols("F O", positive=True)
    ok &= ledger.identity("1 - O/F = lower(F/O) (the rank-one ratio of Z)", (1 - O / F) - lower(F / O))
    ok &= ledger.identity("log F - log O = upper(F/O)",
                          sp.expand_log(sp.log(F) - sp.log(O) - upper(F / O), force=True))
    return ok


def verify_counting(ledger: Ledger) -> bool:
    """If t_l >= 0 and sum_l t_l <= T, at most pL indices have t_l >= T/(pL)."""
    count, T, p, L = sp.symbols("m T p L", positive=True)
    # m indices with t_l >= T/(pL) give sum >= m T/(pL); with sum <= T this is m T/(pL) <= T,
    # i.e. (pL/T) (m T/(pL) - T) = m - pL <= 0.
    ok = ledger.identity("m T/(pL) <= T  <=>  m <= pL (multiply by pL/T > 0)",
                         (p * L / T) * (count * T / (p * L) - T) - (count - p * L))
    # T = log(||X||^2 ||G||^2 / s0^2) = 2 K with K = log||X|| + log||G|| - log s0; threshold T/(pL) on
    # the log of F/O means the ratio bound 2K/(pL), as printed in (3)
    X, G, s0 = sp.symbols("X_F G_F s0", positive=True)
    K = sp.log(X) + sp.log(G) - sp.log(s0)
    ok &= ledger.identity("log(||X||^2 ||G||^2 / s0^2) = 2 (log||X|| + log||G|| - log s0)",
                          sp.expand_log(sp.log(X**2 * G**2 / s0**2), force=True) - 2 * K)
    ok &= ledger.identity("Prop 3.4's 2 log(||X|| ||G|| / s0) equals (3)'s 2 (log||X|| + log||G|| - log s0)",
                          sp.expand_log(2 * sp.log(X * G / s0), force=True) - 2 * K)
    return ok


def check_prop34_steps(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_telescoping(ledger)
    verify_log_step(ledger)
    verify_counting(ledger)
    layers = (
        "the product runs over the activations l = 0..L-1 (Z_0^s = X included): L terms, of which at most pL exceed "
        "the threshold, so at least (1-p)L of the l = 0..L-1 satisfy the bound. The printed log-sum starts at l = 1 "
        "(L-1 terms); dropping the non-negative l = 0 term keeps the inequality but would only give L-1-pL layers."
    )
    return ledger.verdict("telescoping product (L = 1..8), 1 - 1/x <= log x on x >= 1, the counting step and "
                          "the equality of the bounds in Prop. 3.4 and (3) reduce to 0; layers counted: l = 0..L-1",
                          {"layers_counted": layers})
