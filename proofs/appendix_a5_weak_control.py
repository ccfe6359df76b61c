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
the lemma's statement is unaffected (claim lemma-a4.proof-display, at the end of this module, as is
prop3.4.proof-indices for the index range of Prop. A.5's log-sum).
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Status, Verdict
from certify.kernel.symbolic import Ledger


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
        {"see also": "lemma-a4.proof-display: the proof's first display drops the power L/2 on its left side "
                     "(an erratum of the proof; the statement is unaffected)"},
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


# --- printed slips in the proofs of Lemma A.4 and Prop. A.5 --------------------------------------


def lemma_a4_display_counterexample() -> dict[str, sp.Expr]:
    """The proof's first display: (||theta||^2/L) = ((1/L) sum_l ||W_l||_F^2)^(L/2), as printed.  At L = 4 with
    every ||W_l||_F^2 = 1/4 (||theta||^2 = 1) the left side is 1/4 and the right side (1/4)^2 = 1/16."""
    L = 4
    a = [sp.Rational(1, 4)] * L
    theta2 = sum(a)
    left = theta2 / L
    right = (sum(a) / L) ** sp.Rational(L, 2)
    return {"L": L, "||W_l||_F^2": a[0], "left": left, "right": right}


def verify_lemma_a4_display(ledger: Ledger, *, exponent: sp.Expr | None = None) -> bool:
    """The corrected display: (||theta||^2/L)^(L/2) = ((1/L) sum a_l)^(L/2) >= (prod a_l)^(1/2), with the
    last step from log t <= t - 1 (the lemma's own route, so the AM-GM step is proved for every L).

    ``exponent`` replaces L/2 on the left (a planted slip: the printed display has exponent 1)."""
    L = sp.Symbol("L", integer=True, positive=True)
    l = sp.Symbol("l", integer=True, positive=True)
    a = sp.Function("a")
    mean = sp.Sum(a(l), (l, 1, L)) / L
    left = mean ** (L / 2 if exponent is None else exponent)
    ok = ledger.identity("(||theta||^2/L)^(L/2) - ((1/L) sum a_l)^(L/2) = 0 with ||theta||^2 = sum a_l",
                         left - mean ** (L / 2))
    ok &= log_bound(ledger)
    ok &= sum_step(ledger)
    return ok


def check_lemma_a4_display(ctx: Context | None = None) -> Verdict:
    cx = lemma_a4_display_counterexample()
    ledger = Ledger()
    verify_lemma_a4_display(ledger)
    corrected = ledger.verdict(
        "(||theta||^2/L)^(L/2) = ((1/L) sum ||W_l||^2)^(L/2) >= prod ||W_l||_F (log t <= t - 1 "
        "for every L), and <= 1 when ||theta||^2 <= L")
    ev = {"printed": "(||theta||^2/L) = ((1/L) sum_l ||W_l||_F^2)^(L/2) >= (prod_l ||W_l||_F^2)^(1/2)",
          "counterexample": {k: str(v) for k, v in cx.items()}}
    if cx["left"] == cx["right"]:  # pragma: no cover
        return Verdict(Status.PROVED, "the printed display holds", None, ev)
    return Verdict(Status.ERRATUM, f"the proof's first display drops the power L/2 on its left side: at L = 4 with "
                   f"every ||W_l||_F^2 = 1/4, ||theta||^2/L = {cx['left']} but ((1/L) sum ||W_l||^2)^(L/2) = "
                   f"{cx['right']}; the lemma itself is unaffected", None, ev, corrected=corrected)


def printed_log_sum_counterexample() -> dict[str, object]:
    """The printed log-sum runs over l = 1..L-1.  At L = 2, p = 1/2 (threshold T/(pL) = T), the one summed index
    may carry t_1 = T (the printed sum is then <= T): it is not below the threshold, so among the summed indices
    none is good, while the proposition promises (1-p)L = 1."""
    L, p = 2, sp.Rational(1, 2)
    T = sp.Integer(1)
    t = {1: T}
    threshold = T / (p * L)
    good = [l for l, v in t.items() if v < threshold]
    return {"L": L, "p": p, "T": T, "t_1": t[1], "threshold": threshold, "printed sum": sum(t.values()),
            "good among l = 1..L-1": len(good), "promised (1-p)L": (1 - p) * L}


def verify_full_range_count(ledger: Ledger, *, first: int = 0) -> bool:
    """With the log-sum over l = first..L-1: m bad indices (t_l >= T/(pL)) give m <= pL, so at least
    (L - first) - pL of the summed indices are good; that is (1-p)L exactly when first = 0."""
    L, p, m = sp.symbols("L p m", positive=True)
    ok = verify_counting(ledger)
    good = (L - first) - p * L
    ok &= ledger.identity(f"(number of summed indices) - pL = (1-p)L, summing over l = {first}..L-1",
                          good - (1 - p) * L)
    return ok


def check_prop34_proof_indices(ctx: Context | None = None) -> Verdict:
    cx = printed_log_sum_counterexample()
    ledger = Ledger()
    verify_full_range_count(ledger)
    verify_telescoping(ledger, depths=(1, 2, 3, 4))
    corrected = ledger.verdict(
        "summing over l = 0..L-1 (the product two lines earlier, telescoping for L = 1..4), at most pL "
        "of the L activations Z_0^s = X, ..., Z_{L-1}^s exceed the threshold, so at least (1-p)L meet "
        "(3)")
    ev = {"printed": "sum_{l=1}^{L-1} log ||Z_l^s||_F^2 - log ||Z_l^s||_op^2 <= log(||Z_0^s||^2 ||G||^2 / "
                     "Tr[G^T Z_L]^2), then 'at least (1-p)L layers'; the last two displays write the preactivation "
                     "Z_l where the statement's Z_l^s is meant (we read them as Z_l^s)",
          "counterexample": {k: str(v) for k, v in cx.items()}}
    if cx["good among l = 1..L-1"] >= cx["promised (1-p)L"]:  # pragma: no cover
        return Verdict(Status.PROVED, "the printed range gives the count", None, ev)
    return Verdict(Status.ERRATUM, "the printed log-sum starts at l = 1, so it supports only L - 1 - pL good layers, "
                   "not (1-p)L: L = 2, p = 1/2, t_1 = T meets the printed sum and no summed index is good, against "
                   "(1-p)L = 1; the sum over l = 0..L-1 (Z_0^s = X counted) gives (1-p)L", None, ev,
                   corrected=corrected)
