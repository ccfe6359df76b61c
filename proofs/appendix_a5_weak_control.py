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

import sympy as sp

from certify.claims.base import Context
from certify.kernel.verdict import Status, Verdict
from proofs._sym import Ledger


def log_bound(ledger: Ledger) -> bool:
    t = sp.Symbol("t", positive=True)
    f = t - 1 - sp.log(t)
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
    ok = log_bound(ledger) & sum_step(ledger) & am_gm_certificates(ledger)
    ev = ledger.evidence()
    ev["note"] = (
        "proof typo: the first display's left side (||theta||^2/L) should read (||theta||^2/L)^(L/2); "
        "the statement is unaffected"
    )
    if not ok:
        return Verdict(Status.REFUTED, f"step failed: {ledger.failed[0]}", None, ev)
    return Verdict(
        Status.PROVED,
        "for every L via log t <= t - 1 (f(1) = 0, unique stationary point, f'' > 0); "
        "AM-GM certificates for L = 2, 3, 4 also reduce to 0",
        None,
        ev,
    )
