"""Equation (1) and the MSE example (Section 2; Appendix A.1).

Claim (eq. 1): C(Y) = C(0) + Tr[grad C(0)^T Y] + O(||Y||_F^2) for a smooth cost C.
Claim (A.1): for C(Y) = (1/N)||Y - Y*||_F^2 the three terms are (1/N)||Y*||_F^2,
-(2/N) Tr[Y*^T Y] and (1/N)||Y||_F^2, and grad C(0) = -(2/N) Y*.

How we check it.  For the expansion, C is a cubic polynomial in the entries of a
2 x 2 output with symbolic coefficients (the first-order claim depends only on the
2-jet, and a cubic has a non-trivial remainder): the remainder
C(tY) - C(0) - t Tr[grad C(0)^T Y] divided by t^2 must stay bounded as t -> 0 (we
check that it is a polynomial in t).  For the MSE, the entries of Y and Y* are
symbols (2 x 3), the identity is expanded to 0 and the gradient is differentiated
entry by entry.  A.1's proof prints L0(theta) = Tr[grad C(0)^T] without Y_theta
(claim a1.homogeneity.printed-definition).
"""

from __future__ import annotations

import itertools

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger

ROWS, COLS = 2, 3


def verify_expansion(ledger: Ledger) -> bool:
    ys = sp.symbols("y0:4", real=True)
    t = sp.Symbol("t", real=True)
    coeff = iter(sp.symbols("c0:100", real=True))
    C = next(coeff)
    for deg in (1, 2, 3):
        for mono in itertools.combinations_with_replacement(range(4), deg):
            C += next(coeff) * sp.Mul(*[ys[i] for i in mono])
    at0 = C.subs({y: 0 for y in ys})
    grad0 = [sp.diff(C, y).subs({v: 0 for v in ys}) for y in ys]
    scaled = C.subs({y: t * y for y in ys}, simultaneous=True)
    remainder = sp.expand(scaled - at0 - t * sum(g * y for g, y in zip(grad0, ys)))
    ok = ledger.fact("remainder / t^2 is a polynomial in t (O(||Y||^2))",
                     sp.cancel(remainder / t**2).is_polynomial(t))
    ok &= ledger.fact("remainder is not identically zero (the O-term is needed)", remainder != 0)
    # the t^2 part of the remainder is the second-order term (1/2) Y^T H(0) Y, computed from C's Hessian
    # at 0, and it is not zero for a generic cost: O(||Y||^2) is the right order, not a higher one
    quad = sum(sp.diff(C, a, b).subs({v: 0 for v in ys}) * a * b for a in ys for b in ys) / 2
    ok &= ledger.identity("t^2 coefficient of the remainder = (1/2) Y^T H(0) Y", remainder.coeff(t, 2) - quad)
    ok &= ledger.fact("(1/2) Y^T H(0) Y is not identically zero for a generic cost", sp.expand(quad) != 0)
    return ok


def verify_mse(ledger: Ledger, *, cross_factor: sp.Expr = sp.Integer(-2), grad_factor: sp.Expr = sp.Integer(-2)) -> bool:
    """The three-term expansion with cross term cross_factor/N and grad C(0) = grad_factor/N Y*."""
    N = sp.Symbol("N", positive=True)
    Y = sp.Matrix(ROWS, COLS, lambda i, j: sp.Symbol(f"Y{i}{j}", real=True))
    Ys = sp.Matrix(ROWS, COLS, lambda i, j: sp.Symbol(f"S{i}{j}", real=True))
    fro2 = lambda A: sum(a**2 for a in A)  # noqa: E731
    C = fro2(Y - Ys) / N
    three = fro2(Ys) / N + cross_factor / N * (Ys.T * Y).trace() + fro2(Y) / N
    ok = ledger.identity("(1/N)||Y - Y*||^2 = (1/N)||Y*||^2 - (2/N)Tr[Y*^T Y] + (1/N)||Y||^2", C - three)
    zero = {y: 0 for y in Y}
    for y, s in zip(Y, Ys):
        ok &= ledger.identity(f"dC/d{y} at 0 = -(2/N) {s}", sp.diff(C, y).subs(zero) - grad_factor / N * s)
    return ok


def check_eq1(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_expansion(ledger)
    verify_mse(ledger)
    return ledger.verdict(
        "first-order remainder is O(t^2) for a generic cubic cost; MSE three-term identity and "
        "grad C(0) = -(2/N) Y* reduce to 0",
        {"see also": "a1.homogeneity.printed-definition: A.1 prints the localized loss as Tr[grad C(0)^T] without "
                     "Y_theta"},
    )
