"""Definition 2.1: escape directions, their speeds, and optimal ones.

As printed, an escape direction is a rho on the sphere ||rho||^2 = L with grad L0(rho) = -s rho, and an
optimal escape direction, the one of largest speed, "is a minimizer of L0 restricted to the sphere".

What holds (checked here):
* the speed is forced: rho . grad L0(rho) = L L0(rho) (Euler) and ||rho||^2 = L give s = -L0(rho);
* where L0 is differentiable, a minimiser on the sphere satisfies grad L0 = lambda rho (Lagrange), with
  lambda = L0(rho) by the same identity, so it is an escape direction of speed s* = -min L0.

What fails as printed: a minimiser need not be a point where grad L0 exists.  On Example 1 the
direction of eq. (2) with W3 = [-1] is a minimiser (its speed 1/2 is s*(3), certified exactly in
Q(sqrt 2)), and there the one-sided directional derivatives of L0 along +v and -v do not cancel for
some coordinate direction v: L0 has a kink, grad L0(rho) does not exist, and rho is no escape direction
in the printed sense.  The corrected reading: rho is critical in Clarke's sense (a local minimiser of a
locally Lipschitz function on the sphere always is), and the printed condition holds where L0 is
differentiable.

The directional derivatives are exact: along rho + eps v every preactivation is a polynomial in eps;
for all small enough eps > 0 the ReLU keeps it when its lowest-order nonzero coefficient is positive and
zeroes it otherwise, so L0(rho + eps v) is one polynomial near eps = 0+ and its eps-coefficient is the
one-sided derivative.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Status, Verdict
from certify.kernel.symbolic import Ledger
from certify.proofs.example1 import data, forward
from certify.proofs.section2_gradient_flow import _cubic_model

EPS = sp.Symbol("eps", positive=True)


def _relu_near_zero(z: sp.Expr) -> sp.Expr:
    """relu(z(eps)) for all small enough eps > 0, z a polynomial in eps with exact coefficients."""
    poly = sp.Poly(sp.expand(z), EPS)
    # coefficients are a + b sqrt(2) with rational a, b: expand() writes them canonically, so != 0 is exact
    coeffs = [c for c in (sp.expand(c) for c in reversed(poly.all_coeffs())) if c != 0]  # lowest order first
    if not coeffs:
        return sp.S(0)
    positive = coeffs[0].is_positive
    if positive is None:  # never guess a sign
        raise ValueError(f"cannot decide the sign of {coeffs[0]}")
    return z if positive else sp.S(0)


def one_sided_derivative(weights: list[sp.Matrix], direction: list[sp.Matrix], X: sp.Matrix, G: sp.Matrix) -> sp.Expr:
    """d/d eps at 0+ of L0(rho + eps v), exactly."""
    act = X
    Ws = [W + EPS * V for W, V in zip(weights, direction)]
    for l, W in enumerate(Ws, start=1):
        Z = (W * act).applyfunc(sp.expand)
        act = Z.applyfunc(_relu_near_zero) if l < len(Ws) else Z
    value = sp.expand((G * act.T)[0, 0])
    return sp.expand(sp.Poly(value, EPS).coeff_monomial(EPS))


def corrected_eq2() -> list[sp.Matrix]:
    h = sp.Rational(1, 2)
    return [h * sp.Matrix([[1, 0], [0, 1], [-1, 0], [0, -1]]), h * sp.Matrix([[1, -1, 1, -1]]), sp.Matrix([[-1]])]


def kinks(weights: list[sp.Matrix], X: sp.Matrix, G: sp.Matrix) -> list[dict[str, Any]]:
    """Coordinate directions v with D+(v) + D+(-v) != 0 (L0 not differentiable along v)."""
    out = []
    for l, W in enumerate(weights):
        for i in range(W.rows):
            for j in range(W.cols):
                V = [sp.zeros(M.rows, M.cols) for M in weights]
                V[l][i, j] = 1
                plus = one_sided_derivative(weights, V, X, G)
                minus = one_sided_derivative(weights, [-M for M in V], X, G)
                if sp.expand(plus + minus) != 0:
                    out.append({"entry": f"W{l + 1}[{i},{j}]", "D+(v)": str(plus), "D+(-v)": str(minus)})
    return out


def speed_is_forced(ledger: Ledger, degree: int = 3) -> bool:
    """s = -L0(rho) from grad L0 = -s rho, Euler and ||rho||^2 = L, on a generic homogeneous cubic (L = 3)."""
    th, f = _cubic_model()
    s = sp.Symbol("s", real=True)
    grad = [sp.diff(f, x) for x in th]
    euler = sum(x * g for x, g in zip(th, grad)) - degree * f
    residual_dot = sum(x * (g + s * x) for x, g in zip(th, grad))  # rho . (grad L0 + s rho)
    norm = sum(x**2 for x in th)
    ok = ledger.identity("Euler on the cubic: rho . grad f = 3 f", euler)
    # rho . (grad + s rho) = 3 f + s ||rho||^2: on the sphere (||rho||^2 = 3) it vanishes only for s = -f
    ok &= ledger.identity("rho . (grad f + s rho) = 3 f + s ||rho||^2, i.e. 3 (f + s) on ||rho||^2 = 3",
                          residual_dot - euler - 3 * f - s * norm)
    lam = sp.Symbol("lambda", real=True)
    lagrange_dot = sum(x * (g - lam * x) for x, g in zip(th, grad))  # rho . (grad f - lambda rho)
    ok &= ledger.identity("rho . (grad f - lambda rho) = 3 f - lambda ||rho||^2: Lagrange forces lambda = f on the sphere",
                          sp.expand(lagrange_dot - euler - 3 * f + lam * norm))
    return ok


def check_definition(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    speed_is_forced(ledger)
    X, G = data()
    Ws = corrected_eq2()
    found = kinks(Ws, X, G)
    norm = sum(v**2 for W in Ws for v in W)
    speed = -sp.simplify((G * forward(Ws, X).T)[0, 0])
    from certify.optimum.claims import check_footnote2_exact
    from certify.core.paths import data_dir

    optimum = check_footnote2_exact(ctx if ctx is not None else Context(0, data_dir()))
    minimiser = ledger.fact("eq. (2) with W3 = [-1] lies on the sphere with speed 1/2, and s*(3) = 1/2 is "
                            "certified now (footnote2.optimal-speed.exact)",
                            norm == 3 and speed == sp.Rational(1, 2) and optimum.status is Status.CERTIFIED)
    ledger.fact("L0 has a kink there: some D+(v) + D+(-v) != 0", bool(found))
    ev = {"kinks_at_the_optimum": found, "optimum": "eq. (2) with W3 = [-1], Example 1",
          "s_star": "1/2, certified exactly by data/certificates/example1-exact-depth3.json"}
    corrected = ledger.verdict(
        "where L0 is differentiable the speed is forced (s = -L0(rho)) and a minimiser on the sphere is an escape "
        "direction with s* = -min L0 (Euler, Lagrange); at kinks only a generalised (Clarke) condition can hold, "
        "which is not checked here", ev)
    if corrected.status is not Status.PROVED or not minimiser:
        return corrected
    return Verdict(Status.ERRATUM,
                   f"an optimal direction need not be an escape direction as printed: at Example 1's optimum "
                   f"(eq. (2), W3 = [-1], speed 1/2 = s*) grad L0 does not exist ({len(found)} coordinate "
                   f"directions with one-sided derivatives that do not cancel, e.g. {found[0]['entry']}: "
                   f"D+(v) = {found[0]['D+(v)']}, D+(-v) = {found[0]['D+(-v)']})", None, ev, corrected=corrected)
