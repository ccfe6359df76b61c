"""Two statements Section 2.2 makes in passing.

(a) Claim, as printed: "the dynamics of theta_bar(q) (in reparametrized q-time) are unaffected by
multiplying the initialization theta_0 by a factor alpha > 0.  Therefore the time q_1 of convergence
to an escape direction is independent of alpha, and at the time q_1, the parameter norm will depend
linearly on alpha: ||theta(q_1)|| = C alpha for some C > 0."

Found: it holds (for gradient flow on the localized loss L0, with q(t) = int_0^t ||theta||^(L-2), the
corrected time of section2.1.q-time).  The q-equation of theta_bar has the factor
||theta||^(L-2) / q'(t) = 1, free of the norm; the start theta_bar(0) = alpha theta_0/||alpha theta_0||
does not depend on alpha; so theta_bar(q), and q_1, are the same for every alpha (given one solution
of the direction's flow per start: L0 is not C^1, and the statement concerns the same solution).  The
norm, ||theta(q)|| = ||theta(0)|| exp(-L int_0^q L0(theta_bar)), is then alpha times an alpha-free
positive number: C = ||theta_0|| exp(-L int_0^{q_1} L0(theta_bar)) > 0 depends on theta_0 (its norm,
and its direction through theta_bar) but not on alpha, which is all the claim needs.  In t-time the
same flow takes alpha^(2-L) times as long (t(q) scales as ||theta(0)||^(2-L)); in t-time the norm is
not linear in alpha.  Checked: the identities with symbolic L, and two exact width-one flows (depth 2
from alpha (2, -1), depth 3 from alpha (1, 1, 1)) solved in closed form.

(b) Claim, as printed: ||Y_theta||_F <= ||W_L||_op ... ||W_1||_op ||X||_F <= (||theta||/sqrt L)^L ||X||_F.

Found: both inequalities hold, and both are attained (balanced rank-one networks with non-negative
aligned factors).  Steps: relu(z)^2 <= z^2 (relu is 1-Lipschitz with relu(0) = 0), so
||Z_l^s||_F <= ||Z_l||_F; ||W A||_F^2 = sum_j ||W a_j||^2 <= ||W||_op^2 ||A||_F^2; induction over the
layers; ||W||_op <= ||W||_F from ||W||_F^2 ||a||^2 - ||W a||^2 = a sum of squares (Lagrange, row by
row); AM-GM prod_l a_l <= (sum_l a_l / L)^L for a_l = ||W_l||_F^2 >= 0 via log t <= t - 1 applied to
t_l = L a_l / sum a (symbolic L), then (||theta||^2/L)^(L/2) = (||theta||/sqrt L)^L.  Each is a sympy
identity or a sign read off the expression.  Both inequalities are also decided exactly on Example 1's
eq. (2) and on random rational networks: squared norms are rationals, ||W||_op^2 is the largest root of
the characteristic polynomial of W^T W, bracketed by exact rational isolating intervals (Sturm).
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger
from certify.proofs.appendix_a5_weak_control import log_bound
from certify.proofs.section2_gradient_flow import q_integrand

L = sp.Symbol("L", positive=True)
alpha = sp.Symbol("alpha", positive=True)


def relu(z: Any) -> Any:
    return sp.Max(z, 0)


# --- (a) scaling the initialisation -------------------------------------------------------------------


def depth2_flow() -> dict[str, Any]:
    """L0 = -w2 relu(w1) (x = 1, G = -1) from alpha (2, -1): w1 = alpha (2 cosh t - sinh t) > 0,
    w2 = alpha (2 sinh t - cosh t); L = 2, so q = t."""
    t = sp.Symbol("t", nonnegative=True)
    w1s, w2s = sp.Symbol("w1", positive=True), sp.Symbol("w2", real=True)
    loss = -w2s * relu(w1s)
    path = {w1s: alpha * (2 * sp.cosh(t) - sp.sinh(t)), w2s: alpha * (2 * sp.sinh(t) - sp.cosh(t))}
    # the flow w' = -grad L0 on the region w1 > 0 (w1 stays > 0: 2 cosh t - sinh t > cosh t > 0)
    residual = [sp.simplify(sp.diff(path[w], t) + sp.diff(loss, w).subs(path)) for w in (w1s, w2s)]
    start_ok = [sp.simplify(path[w1s].subs(t, 0) - 2 * alpha), sp.simplify(path[w2s].subs(t, 0) + alpha)]
    norm = sp.sqrt(path[w1s] ** 2 + path[w2s] ** 2)
    bar = [path[w] / norm for w in (w1s, w2s)]
    l0_bar = sp.simplify(loss.subs(path) / norm**2)  # L0(theta_bar) = L0(theta)/||theta||^2 (L = 2)
    return {"t": t, "residual": residual, "start": start_ok, "positive_region": 2 * sp.cosh(t) - sp.sinh(t),
            "norm": norm, "bar": bar, "L0_bar": l0_bar}


def depth3_balanced_flow() -> dict[str, Any]:
    """L0 = -w3 relu(w2 relu(w1)) (x = 1, G = -1) from alpha (1, 1, 1): w_i = alpha/(1 - alpha t), and
    q(t) = int_0^t ||theta||^(L-2) = -sqrt(3) log(1 - alpha t) (t < 1/alpha)."""
    t, q, t1 = sp.Symbol("t", nonnegative=True), sp.Symbol("q", nonnegative=True), sp.Symbol("t1", nonnegative=True)
    ws = sp.symbols("w1:4", positive=True)
    loss = -ws[2] * relu(ws[1] * relu(ws[0]))
    w = alpha / (1 - alpha * t)
    residual = [sp.simplify(sp.diff(w, t) + sp.diff(loss, v).subs({u: w for u in ws})) for v in ws]
    norm_t = sp.sqrt(3) * w
    u = sp.Symbol("u", positive=True)  # u = 1 - alpha t in (0, 1]: the integral as sympy computes it
    q_of_t = sp.integrate((q_integrand(norm_t).subs(L, 3)).subs(t, t1), (t1, 0, t))
    q_closed = -sp.sqrt(3) * sp.log(1 - alpha * t)
    q_ok = sp.simplify(sp.expand_log((q_of_t - q_closed).subs(t, (1 - u) / alpha), force=True))
    (t_of_q,) = sp.solve(sp.Eq(q_closed, q), t)
    norm_q = sp.simplify(norm_t.subs(t, t_of_q))
    return {"residual": residual, "q_residual": q_ok, "t(q)": t_of_q, "norm(q)": norm_q, "norm(t)": norm_t,
            "q": q, "t": t}


def verify_alpha_scaling(ledger: Ledger, *, time_change: Callable[[sp.Expr], sp.Expr] = q_integrand) -> bool:
    """The steps of claim (a).  ``time_change`` is q'(t) as a function of ||theta||; the corrected q-time is
    ||theta||^(L-2).  Reading the claim in t-time (time_change = 1) must fail."""
    n, n0, I = sp.Symbol("n", positive=True), sp.Symbol("n0", positive=True), sp.Symbol("I", real=True)
    q, q1 = sp.symbols("q q1", real=True)
    ell = sp.Function("ell", real=True)  # L0(theta_bar(q)), the same function for every alpha
    m = sp.Function("m", positive=True)  # ||theta(q)|| for alpha = 1
    # Prop. A.1: d theta_bar/dt = -||theta||^(L-2) (I - P) grad L0(theta_bar); divide by q'(t)
    factor = n ** (L - 2) / time_change(n)
    ok = ledger.identity("theta_bar's rate in the new time is free of ||theta|| (d/dn of the factor = 0)",
                         sp.diff(factor, n))
    ok &= ledger.identity("that factor is 1: d theta_bar/dq = -(I - P) grad L0(theta_bar)", factor - 1)
    th = sp.symbols("th0:3", real=True)
    nrm = sp.sqrt(sum(x**2 for x in th))
    ok &= all([ledger.identity(f"theta_bar(0) for alpha theta_0 equals theta_0/||theta_0|| (entry {i})",
                               alpha * x / sp.sqrt(sum((alpha * y) ** 2 for y in th)) - x / nrm)
               for i, x in enumerate(th)])
    # the norm's q-equation: n' = -L n L0(theta_bar) (chain rule on Prop. A.1), linear in n
    rate = time_change(m(q)) ** -1 * (-L * m(q) ** (L - 1) * ell(q))
    ok &= ledger.identity("d||theta||/dq = -L ||theta|| L0(theta_bar)", rate + L * m(q) * ell(q))
    scaled = alpha * m(q)
    ok &= ledger.identity("alpha ||theta_1(q)|| solves the same norm equation",
                          (sp.diff(scaled, q) - rate.subs(m(q), scaled)).subs(sp.Derivative(m(q), q), rate))
    closed = lambda start: start * sp.exp(-L * sp.Integral(ell(q1), (q1, 0, q)))  # noqa: E731
    ok &= ledger.identity("||theta(q)|| = ||theta(0)|| exp(-L int L0) is linear in ||theta(0)||",
                          closed(alpha * n0) - alpha * closed(n0))
    C = n0 * sp.exp(-L * I)  # I = int_0^{q_1} L0(theta_bar): a real number fixed by theta_0's direction
    ok &= ledger.fact("C = ||theta_0|| exp(-L int_0^{q_1} L0(theta_bar)) > 0", bool(C.is_positive))
    ok &= ledger.identity("C does not depend on alpha", sp.diff(C, alpha))
    t_of_q = lambda start: start ** (2 - L) * sp.exp(L * (L - 2) * I)  # noqa: E731  (the integrand of t(q))
    ok &= ledger.identity("t(q) for alpha theta_0 is alpha^(2-L) times t(q) for theta_0 (integrand)",
                          sp.powsimp(sp.expand_power_base(t_of_q(alpha * n0) - alpha ** (2 - L) * t_of_q(n0),
                                                          force=True), force=True))
    # the last sentence of the remark: the output bound of Section 2.2 at alpha ||theta_1|| is alpha^L times that at
    # ||theta_1||, so a small alpha keeps ||Y|| (hence the O(||Y||^2) term of eq. (1)) small up to q_1
    Xn = sp.Symbol("X_F", positive=True)
    out = lambda norm: (norm / sp.sqrt(L)) ** L * Xn  # noqa: E731
    ok &= ledger.identity("(alpha n/sqrt L)^L ||X|| = alpha^L (n/sqrt L)^L ||X|| (small alpha keeps Y small)",
                          sp.powsimp(sp.expand_power_base(out(alpha * n) - alpha**L * out(n), force=True), force=True))
    # exact flows
    f2 = depth2_flow()
    ok &= ledger.identity("depth 2: w(t) solves the flow from alpha (2, -1)", sum(r**2 for r in f2["residual"] + f2["start"]))
    ok &= ledger.fact("depth 2: w1 = alpha (2 cosh t - sinh t) stays in w1 > 0",
                      bool(sp.simplify(f2["positive_region"].rewrite(sp.exp)).is_positive))
    ok &= all([ledger.identity(f"depth 2: theta_bar_{i + 1}(q) does not depend on alpha", sp.simplify(sp.diff(b, alpha)))
               for i, b in enumerate(f2["bar"])])
    ok &= ledger.identity("depth 2: ||theta(q)||/alpha does not depend on alpha", sp.simplify(sp.diff(f2["norm"] / alpha, alpha)))
    tt = f2["t"]
    # ||theta(q)|| = ||theta(0)|| exp(-2 int_0^q L0(theta_bar)) <=> d/dq log ||theta||^2 = -4 L0(theta_bar), same start
    ok &= ledger.identity("depth 2: d/dq log||theta||^2 = -2 L L0(theta_bar) on the exact flow (L = 2)",
                          sp.simplify((sp.diff(sp.log(f2["norm"] ** 2), tt) + 4 * f2["L0_bar"]).rewrite(sp.exp)))
    ok &= ledger.identity("depth 2: ||theta(0)||^2 = 5 alpha^2", sp.simplify(f2["norm"].subs(tt, 0) ** 2 - 5 * alpha**2))
    f3 = depth3_balanced_flow()
    ok &= ledger.identity("depth 3: w = alpha/(1 - alpha t) solves the flow", sum(r**2 for r in f3["residual"]))
    ok &= ledger.identity("depth 3: q(t) = int ||theta|| dt = -sqrt(3) log(1 - alpha t)", f3["q_residual"])
    ok &= ledger.identity("depth 3: ||theta(q)|| = sqrt(3) alpha exp(q/sqrt(3)), linear in alpha",
                          sp.simplify(f3["norm(q)"] - sp.sqrt(3) * alpha * sp.exp(f3["q"] / sp.sqrt(3))))
    ok &= ledger.identity("depth 3: t(q) = alpha^(2-L) t_1(q) = (1 - exp(-q/sqrt 3))/alpha",
                          sp.simplify(f3["t(q)"] - (1 - sp.exp(-f3["q"] / sp.sqrt(3))) / alpha))
    # decided by exact evaluation: the derivative at (alpha, t) = (1/2, 1) is 4 sqrt 3, its square the rational 48
    slope = sp.diff(f3["norm(t)"] / alpha, alpha).subs({alpha: sp.Rational(1, 2), f3["t"]: 1})
    slope2 = sp.S(sp.expand(slope**2))
    ok &= ledger.fact(f"depth 3: in t-time ||theta(t)||/alpha does depend on alpha (q-time is needed): its alpha-"
                      f"derivative at alpha = 1/2, t = 1 has square {slope2} != 0 (exact)",
                      bool(slope2.is_Rational and slope2 != 0))
    return ok


def check_alpha_scaling(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_alpha_scaling(ledger)
    ev = {"printed": "theta_bar(q) is unaffected by theta_0 -> alpha theta_0 (alpha > 0); q_1 is independent of "
                     "alpha and ||theta(q_1)|| = C alpha, C > 0",
          "time": "q(t) = int_0^t ||theta||^(L-2) (the corrected definition, see section2.1.q-time)",
          "C": "C = ||theta_0|| exp(-L int_0^{q_1} L0(theta_bar)): depends on theta_0 (norm and direction), not on "
               "alpha; with ||theta_0|| = 1 on the direction only",
          "scope": "gradient flow on the localized loss L0; L0 is not C^1, so 'the dynamics' means the same "
                   "solution of the direction's flow for every alpha (any solution for alpha = 1 is one for all)",
          "t_time": "in t-time the same path takes alpha^(2-L) times as long"}
    return ledger.verdict("holds: theta_bar's q-equation has rate factor 1 (free of ||theta||), its start is free "
                          "of alpha, and ||theta(q)|| = alpha ||theta_0|| exp(-L int L0(theta_bar)); exact width-one "
                          "flows (depth 2 and 3) confirm it, and show t-time scaling alpha^(2-L)", ev)


# --- (b) the output bound ----------------------------------------------------------------------------


def verify_output_bound_steps(ledger: Ledger, *, activation: Callable[[Any], Any] = relu) -> bool:
    """Each step of ||Y||_F <= prod ||W_l||_op ||X||_F <= (||theta||/sqrt L)^L ||X||_F."""
    ok = True
    for name, z in (("z > 0", sp.Symbol("z", positive=True)), ("z < 0", sp.Symbol("z", negative=True)),
                    ("z = 0", sp.S(0))):
        gap = z**2 - activation(z) ** 2
        ok &= ledger.fact(f"sigma(z)^2 <= z^2, so ||sigma(Z)||_F <= ||Z||_F [{name}]", bool(sp.simplify(gap).is_nonnegative))
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    A = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"a{i}{j}", real=True))
    fro2 = lambda M: sum(v**2 for v in M)  # noqa: E731
    ok &= ledger.identity("||W A||_F^2 = sum_j ||W a_j||^2 (columns)", fro2(W * A) - sum(fro2(W * A[:, j]) for j in range(2)))
    ok &= ledger.identity("||A||_F^2 = sum_j ||a_j||^2", fro2(A) - sum(fro2(A[:, j]) for j in range(2)))
    # ||W a||^2 <= op^2 ||a||^2 for every a is the definition of op; hence ||W A||_F <= ||W||_op ||A||_F
    a = A[:, 0]
    lagrange = sum((W[i, j] * a[k] - W[i, k] * a[j]) ** 2 for i in range(2) for j in range(3) for k in range(j + 1, 3))
    ok &= ledger.identity("||W||_F^2 ||a||^2 - ||W a||^2 = sum_i sum_{j<k} (w_ij a_k - w_ik a_j)^2", fro2(W) * fro2(a) - fro2(W * a) - lagrange)
    # chaining layers: u <= p v and v <= q w with p >= 0 give u <= p q w
    p, qq, wv = sp.symbols("p q w", nonnegative=True)
    s1, s2 = sp.symbols("s1 s2", nonnegative=True)  # slacks
    v = qq * wv - s2
    u = p * v - s1
    chain = p * qq * wv - u
    ok &= ledger.identity("p q w - u = s1 + p s2 (one layer of the induction)", chain - (s1 + p * s2))
    ok &= ledger.fact("s1 + p s2 >= 0", bool(sp.expand(chain).is_nonnegative))
    # AM-GM with symbolic L, via log t <= t - 1 at t_l = L a_l / S
    ok &= log_bound(ledger)
    l = sp.Symbol("l", integer=True, positive=True)
    Lint = sp.Symbol("L", integer=True, positive=True)
    S = sp.Symbol("S", positive=True)
    af = sp.Function("a")
    lhs = sp.Sum(Lint * af(l) / S - 1, (l, 1, Lint)).doit()
    total = sp.Sum(af(l), (l, 1, Lint)).doit()
    ok &= ledger.identity("sum_l (L a_l/S - 1) = L (sum_l a_l)/S - L", sp.expand(lhs - (Lint * total / S - Lint)))
    ok &= ledger.identity("... = 0 when S = sum_l a_l = ||theta||^2", (Lint * total / S - Lint).subs(S, total))
    P = sp.Symbol("P", positive=True)  # prod_l a_l (all a_l > 0; if one is 0 the product is 0)
    ok &= ledger.identity("sum_l log(L a_l/S) = log(prod a_l) - L log(S/L), so prod a_l <= (S/L)^L",
                          sp.expand_log(sp.log(P * (Lint / S) ** Lint) - (sp.log(P) - Lint * sp.log(S / Lint)), force=True))
    R = sp.Symbol("R", positive=True)
    ok &= ledger.identity("sqrt((||theta||^2/L)^L) = (||theta||/sqrt L)^L",
                          sp.powdenest(sp.sqrt((R**2 / L) ** L) - (R / sp.sqrt(L)) ** L, force=True))
    return ok


# exact instance checks


def _fro2(M: sp.Matrix) -> sp.Rational:
    return sum((v**2 for v in M), sp.S(0))


def op_sq_bracket(W: sp.Matrix, eps: Fraction = Fraction(1, 10**12)) -> tuple[sp.Rational, sp.Rational]:
    """Rationals lo <= ||W||_op^2 <= hi: the largest root of the characteristic polynomial of the smaller Gram
    matrix, isolated exactly (lo = hi when it is rational)."""
    M = W.T * W if W.cols <= W.rows else W * W.T
    x = sp.Symbol("x")
    poly = sp.Poly(M.charpoly(x).as_expr(), x, domain="QQ")
    intervals = poly.intervals(eps=sp.Rational(eps.numerator, eps.denominator))
    lo, hi = max((iv for iv, _ in intervals), key=lambda iv: iv[1])
    return sp.Rational(lo), sp.Rational(hi)


def forward_exact(weights: list[sp.Matrix], X: sp.Matrix, activation: Callable[[Any], Any] = relu) -> sp.Matrix:
    act = X
    for i, W in enumerate(weights):
        Z = W * act
        act = Z.applyfunc(activation) if i < len(weights) - 1 else Z
    return act


def decide_output_bound(weights: list[sp.Matrix], X: sp.Matrix, *, factor: sp.Rational = sp.S(1),
                        activation: Callable[[Any], Any] = relu) -> dict[str, Any]:
    """Both inequalities, squared (all sides >= 0), decided in exact rationals.  ``factor`` multiplies the
    right-hand sides (1 is the printed bound)."""
    Y = forward_exact(weights, X, activation)
    y2, x2 = sp.simplify(_fro2(Y)), sp.simplify(_fro2(X))
    if not (y2.is_Rational and x2.is_Rational):
        raise ValueError("exact decision needs rational squared norms")
    brackets = [op_sq_bracket(W) for W in weights]
    op_lo, op_hi = sp.Mul(*[b[0] for b in brackets]), sp.Mul(*[b[1] for b in brackets])
    depth = len(weights)
    theta2 = sum((_fro2(W) for W in weights), sp.S(0))
    rhs2 = (theta2 / depth) ** depth
    f2 = factor**2
    first = y2 <= f2 * op_lo * x2  # op_lo <= prod op^2: a sufficient exact test
    first_fails = y2 > f2 * op_hi * x2
    second = op_hi <= f2 * rhs2
    second_fails = op_lo > f2 * rhs2
    return {"||Y||^2": y2, "prod op^2 in": (op_lo, op_hi), "||X||^2": x2, "(||theta||^2/L)^L": rhs2,
            "first": bool(first), "first_fails": bool(first_fails), "second": bool(second),
            "second_fails": bool(second_fails), "first_equal": bool(op_lo == op_hi and y2 == op_lo * x2),
            "second_equal": bool(op_lo == op_hi and op_hi == rhs2)}


def example1_eq2() -> tuple[list[sp.Matrix], sp.Matrix]:
    from certify.proofs.example1 import data, printed_weights

    X, _ = data()
    return printed_weights(), X


def equality_network(depth: int) -> tuple[list[sp.Matrix], sp.Matrix]:
    """W_l = u_l u_{l-1}^T with unit non-negative rational u's, X = u_0 v^T (v >= 0): Y = u_L v^T, ||Y|| = ||X||,
    every ||W_l||_op = ||W_l||_F = 1 and ||theta||^2 = L, so both inequalities are equalities."""
    units = [sp.Matrix([sp.Rational(3, 5), sp.Rational(4, 5)]), sp.Matrix([sp.Rational(5, 13), sp.Rational(12, 13)]),
             sp.Matrix([1, 0]), sp.Matrix([sp.Rational(8, 17), sp.Rational(15, 17)])]
    us = [units[i % len(units)] for i in range(depth + 1)]
    us[-1] = sp.Matrix([1])
    Ws = [us[l + 1] * us[l].T for l in range(depth)]
    X = us[0] * sp.Matrix([[1, 2, 0]])
    return Ws, X


def random_network(rng: random.Random, depth: int, width: int = 2, n_in: int = 2, n_points: int = 3) -> tuple[list[sp.Matrix], sp.Matrix]:
    dims = [n_in] + [width] * (depth - 1) + [1]
    rat = lambda: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5))  # noqa: E731
    Ws = [sp.Matrix(dims[l + 1], dims[l], lambda i, j: rat()) for l in range(depth)]
    X = sp.Matrix(n_in, n_points, lambda i, j: rat())
    return Ws, X


def output_bound_instances(seed: int, *, factor: sp.Rational = sp.S(1), n_random: int = 6,
                           activation: Callable[[Any], Any] = relu) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    cases: dict[str, tuple[list[sp.Matrix], sp.Matrix]] = {"example1-eq2": example1_eq2()}
    for depth in (1, 2, 3, 4):
        cases[f"equality-depth{depth}"] = equality_network(depth)
    for k in range(n_random):
        cases[f"random-{k}"] = random_network(rng, depth=2 + k % 3)
    return {name: decide_output_bound(Ws, X, factor=factor, activation=activation) for name, (Ws, X) in cases.items()}


def check_output_bound(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_output_bound_steps(ledger)
    seed = 0 if ctx is None else ctx.seed
    results = output_bound_instances(seed)
    for name, r in results.items():
        ledger.fact(f"{name}: ||Y||_F <= prod ||W_l||_op ||X||_F (exact)", r["first"])
        ledger.fact(f"{name}: prod ||W_l||_op <= (||theta||/sqrt L)^L (exact)", r["second"])
    eq = [n for n, r in results.items() if r["first_equal"] and r["second_equal"]]
    ledger.fact("equality in both on the balanced rank-one networks", eq == [f"equality-depth{d}" for d in (1, 2, 3, 4)])
    ev = {"printed": "||Y_theta||_F <= ||W_L||_op ... ||W_1||_op ||X||_F <= (||theta||/sqrt L)^L ||X||_F",
          "instances": {n: {k: str(v) for k, v in r.items()} for n, r in results.items()},
          "attained": eq, "seed": seed}
    return ledger.verdict("both inequalities hold as printed: relu 1-Lipschitz with relu(0) = 0, ||WA||_F <= "
                          "||W||_op ||A||_F, op <= F (Lagrange), AM-GM for symbolic L (log t <= t - 1) reduce to 0; "
                          "decided exactly on eq. (2), 6 random rational networks and 4 balanced rank-one networks "
                          "where both are equalities", ev)
