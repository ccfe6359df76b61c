"""Section 2's remark on the origin.

Claim, as printed: "Note that since the ReLU is not differentiable, neither is the loss at the origin,
so that we cannot use the traditional strategy of approximating L0 by a polynomial."

What we found.  The premise fails: L0 is differentiable at theta = 0.  For L >= 2,
|L0(theta)| <= ||G||_F ||Y_theta||_F <= ||G||_F ||X||_F (||theta||^2/L)^(L/2)  (Cauchy-Schwarz and the
output bound of Section 2.2, itself Lemma A.4's AM-GM), and divided by ||theta|| this is
||G|| ||X|| L^(-L/2) ||theta||^(L-1) -> 0, uniformly in the direction: L0 is Frechet differentiable
at 0 with gradient 0.  So is the loss L(theta) = C(Y_theta) for any cost C differentiable at 0, since
C(Y) - C(0) = Tr[grad C(0)^T Y] + o(||Y||) and ||Y_theta|| = O(||theta||^L).  For L = 1 there is no
ReLU and L0 is linear.  The smallest case shows it exactly: depth 2, width 1, x = 1, G = 1 gives
L0(a, b) = a relu(b) and |L0| <= (a^2 + b^2)/2.

What does fail is the next step of the "traditional strategy": L0 has no Taylor (Peano) expansion of
order L, the first order at which it is not zero.  If a polynomial p had L0 - p = o(||theta||^L),
comparing along rays t theta (t -> 0+) and using L0(t theta) = t^L L0(theta) forces L0 to equal p's
homogeneous part of degree L, which satisfies p_L(-theta) = (-1)^L p_L(theta); but on the width-one
chain (x = 1, G = 1) L0(1, ..., 1) = 1 and L0(-1, ..., -1) = 0.  Expansions of every order k < L
exist and are zero.  And the gradient fails to exist at points arbitrarily close to 0 (kinks lie on
cones through the origin: at (eps, 0) the one-sided derivatives in b are eps and 0), so L0 is not C^1
near 0 and has no classical second derivative there.  The corrected remark: L0 and the loss are
differentiable at 0 (gradient 0, for L >= 2), but L0 is not a polynomial of degree L near 0, so the
expansion of order L, the one the polynomial strategy needs, does not exist.

How it is checked: sympy identities (Lagrange's identity, the output-bound steps of
section2_passing, the ratio and its limit with symbolic L), case-by-case signs read off each
expression (a and b each > 0, < 0 or = 0), exact one-sided difference quotients (sympy limits of
exact expressions) compared by exact evaluation at eps = 1/10, 1/1000, 1/10^6, exact values.  The
loss C(Y_theta): the reduction to L0 with G = grad C(0) plus a remainder o(||Y||) is checked step by
step (the remainder's bound and limits); C's differentiability at 0 is the hypothesis.  The parity
p(-x) = (-1)^d p(x) is checked for a monomial with symbolic exponents and for the generic
homogeneous polynomial of each degree used (2-6); the ray argument (coefficients forced to 0 below
L, to L0(theta) at L) with symbolic coefficients for each L = 2..6.
"""

from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Status, Verdict
from certify.kernel.symbolic import Ledger
from certify.proofs.section2_passing import relu, verify_output_bound_steps

L = sp.Symbol("L", positive=True)


def chain_loss(depth: int, activation: Callable[[Any], Any] = relu) -> tuple[list[sp.Symbol], sp.Expr]:
    """L0 of the width-one chain with x = 1, G = 1: w_L sigma(w_{L-1} ... sigma(w_1))."""
    ws = list(sp.symbols(f"w1:{depth + 1}", real=True))
    act: sp.Expr = sp.S(1)
    for w in ws[:-1]:
        act = activation(w * act)
    return ws, ws[-1] * act


def verify_general_bound(ledger: Ledger) -> bool:
    """|L0| <= ||G|| ||X|| (||theta||^2/L)^(L/2), and that bound over ||theta|| tends to 0 for L > 1."""
    g = sp.symbols("g0:4", real=True)
    y = sp.symbols("y0:4", real=True)
    inner = sum(a * b for a, b in zip(g, y))
    lagrange = sum((g[i] * y[j] - g[j] * y[i]) ** 2 for i in range(4) for j in range(i + 1, 4))
    ok = ledger.identity("||G||^2 ||Y||^2 - Tr[G^T Y]^2 = sum_{i<j} (g_i y_j - g_j y_i)^2 (Cauchy-Schwarz)",
                         sum(a**2 for a in g) * sum(b**2 for b in y) - inner**2 - lagrange)
    ok &= verify_output_bound_steps(ledger)
    R, K, m = sp.symbols("R K m", positive=True)  # R = ||theta||, K = ||G|| ||X||, L = 1 + m
    bound = K * (R**2 / L) ** (L / 2)
    ratio = sp.powsimp(sp.powdenest(sp.expand_power_base(bound / R, force=True), force=True), force=True)
    ok &= ledger.identity("bound/||theta|| = ||G|| ||X|| L^(-L/2) ||theta||^(L-1)", ratio - K * L ** (-L / 2) * R ** (L - 1))
    ok &= ledger.identity("L^(-L/2) R^(L-1) -> 0 as R -> 0+ for L = 1 + m, m > 0",
                          sp.limit((L ** (-L / 2) * R ** (L - 1)).subs(L, 1 + m), R, 0, "+"))
    # along a ray the quotient is t^(L-1) L0(theta) by homogeneity (a1.homogeneity), -> 0 for L > 1
    tt, v = sp.Symbol("t", positive=True), sp.Symbol("v", real=True)
    ok &= ledger.identity("along a ray: L0(t theta)/t = t^(L-1) L0(theta) -> 0", sp.limit((tt ** (L - 1) * v).subs(L, 1 + m), tt, 0, "+"))
    # orders k < L: |L0| <= K R^L = o(R^k); L = k + m
    k = sp.Symbol("k", positive=True)
    ok &= ledger.identity("R^L / R^k -> 0 for k < L (the zero expansion of every order below L)",
                          sp.limit(sp.powsimp(R ** (k + m) / R**k), R, 0, "+"))
    return ok


def verify_depth2_bound(ledger: Ledger, *, constant: sp.Expr = sp.Rational(1, 2)) -> bool:
    """|a relu(b)| <= constant (a^2 + b^2) in every sign case, a = 0 and b = 0 included (1/2 is the general bound
    here; smaller fails)."""
    ok = True
    signs = {"> 0": dict(positive=True), "< 0": dict(negative=True), "= 0": None}

    def var(name: str, kw: dict[str, bool] | None) -> sp.Expr:
        return sp.S(0) if kw is None else sp.Symbol(name, real=True, **kw)

    for an, akw in signs.items():
        for bn, bkw in signs.items():
            a, b = var("a", akw), var("b", bkw)
            gap = constant * (a**2 + b**2) - sp.Abs(a * relu(b))
            ok &= ledger.fact(f"|a relu(b)| <= {constant} (a^2 + b^2) [a {an}, b {bn}]",
                              bool(sp.factor(sp.simplify(gap)).is_nonnegative))
    return ok


def verify_cost_composition(ledger: Ledger) -> bool:
    """C differentiable at 0 => C(Y_theta) - C(0) = o(||theta||) for L >= 2.  Write C(Y) = C(0) + Tr[D^T Y] + r(Y),
    D = grad C(0), |r(Y)| <= eta ||Y|| once ||Y|| <= delta (any eta > 0, differentiability of C).  The linear part
    is L0 with G = D, o(||theta||) by verify_general_bound; ||Y_theta|| <= ||X|| (||theta||^2/L)^(L/2) -> 0 puts
    Y_theta in the delta-ball for small theta, and there |r(Y_theta)|/||theta|| <= eta ||X|| L^(-L/2) ||theta||^(L-1)
    -> 0.  The steps below are these (m = L - 1 > 0, Rn = ||theta||, Xn = ||X||)."""
    d = sp.symbols("d0:3", real=True)
    y = sp.symbols("y0:3", real=True)
    C0, r = sp.symbols("C0 r", real=True)
    lin = sum(a * b for a, b in zip(d, y))
    ok = ledger.identity("C(Y) - C(0) = Tr[D^T Y] + r(Y), and Tr[D^T Y] is L0 with G = D = grad C(0)",
                         ((C0 + lin + r) - C0) - (lin + r))
    Rn, Xn, eta, m = sp.symbols("Rn Xn eta m", positive=True)
    ybound = Xn * (Rn**2 / L) ** (L / 2)
    ok &= ledger.identity("||Y_theta|| <= ||X|| (||theta||^2/L)^(L/2) -> 0 as theta -> 0 (Y_theta enters every "
                          "delta-ball)", sp.limit(ybound.subs(L, 1 + m), Rn, 0, "+"))
    quotient = sp.powsimp(sp.powdenest(sp.expand_power_base(eta * ybound / Rn, force=True), force=True), force=True)
    ok &= ledger.identity("eta ||Y_theta||/||theta|| <= eta ||X|| L^(-L/2) ||theta||^(L-1)",
                          quotient - eta * Xn * L ** (-L / 2) * Rn ** (L - 1))
    ok &= ledger.identity("eta ||X|| L^(-L/2) ||theta||^(L-1) -> 0 (for every eta > 0): r(Y_theta) = o(||theta||)",
                          sp.limit((eta * Xn * L ** (-L / 2) * Rn ** (L - 1)).subs(L, 1 + m), Rn, 0, "+"))
    return ok


def one_sided(expr: sp.Expr, var: sp.Symbol, at: dict[sp.Symbol, sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
    """Exact right and left derivatives of ``expr`` in ``var`` at the point ``at``."""
    hp, hn = sp.Symbol("h", positive=True), sp.Symbol("h", negative=True)
    base = expr.subs(at)
    right = sp.limit(sp.simplify((expr.subs({**at, var: at[var] + hp}) - base) / hp), hp, 0, "+")
    left = sp.limit(sp.simplify((expr.subs({**at, var: at[var] + hn}) - base) / hn), hn, 0, "-")
    return sp.simplify(right), sp.simplify(left)


#: rational eps at which the one-sided derivatives are compared: kinks at these distances (and closer ones the same way)
EPS_POINTS = (sp.Rational(1, 10), sp.Rational(1, 10**3), sp.Rational(1, 10**6))


def differ_at(diff: sp.Expr, eps: sp.Symbol) -> bool:
    """D+ - D- is a non-zero rational at every eps in EPS_POINTS, decided by exact evaluation."""
    vals = [sp.S(diff.subs(eps, e)) for e in EPS_POINTS]
    return all(v.is_Rational and v != 0 for v in vals)


def kink_points(ledger: Ledger, *, b0: sp.Expr = sp.S(0)) -> dict[str, Any]:
    """Points at distance ~eps from 0 where the gradient does not exist (b0 = 0 is on the kink cone)."""
    eps = sp.Symbol("eps", positive=True)
    out: dict[str, Any] = {}
    (b, a), l2 = chain_loss(2)  # L0 = a relu(b): a = w2 outside, b = w1 inside the ReLU
    at = {a: eps, b: b0 * eps}
    right, left = one_sided(l2, b, at)
    ok = ledger.fact(f"depth 2, L0 = a relu(b), at (a, b) = (eps, {b0 * eps}): one-sided derivatives in b differ ({right} vs {left}) "
                     f"at eps = {', '.join(map(str, EPS_POINTS))} (exact)", differ_at(right - left, eps))
    out["depth2"] = {"L0": "a relu(b)", "point (a, b)": f"(eps, {b0 * eps})", "derivative in": "b", "D+": str(right), "D-": str(left)}
    ws, l3 = chain_loss(3)
    at3 = {ws[0]: b0 * eps, ws[1]: eps, ws[2]: eps}
    right3, left3 = one_sided(l3, ws[0], at3)
    ok &= ledger.fact(f"depth 3, at (w1, w2, w3) = ({b0 * eps}, eps, eps): one-sided derivatives in w1 differ ({right3} vs {left3}) "
                      f"at eps = {', '.join(map(str, EPS_POINTS))} (exact)", differ_at(right3 - left3, eps))
    out["depth3"] = {"L0": "w3 relu(w2 relu(w1))", "point (w1, w2, w3)": f"({b0 * eps}, eps, eps)", "derivative in": "w1", "D+": str(right3), "D-": str(left3)}
    out["ok"] = ok
    return out


def verify_no_order_L(ledger: Ledger, depths: tuple[int, ...] = (2, 3, 4, 5, 6), *,
                      activation: Callable[[Any], Any] = relu, flip: int = 1) -> bool:
    """No polynomial p with L0 - p = o(||theta||^L) on the width-one chain: L0 would be a homogeneous polynomial
    of degree L, odd or even under theta -> -theta, and L0(1,..,1) = 1 while L0(-1,..,-1) = 0.

    With ``activation`` the identity (a linear network) L0 is a polynomial and the contradiction must not appear;
    ``flip = -1`` plants a wrong sign in the parity and in each limit of the ray argument.
    """
    ok = True
    # parity of a monomial of any degree: x_1^k_1 ... x_n^k_n at -x is (-1)^(k_1 + ... + k_n) times itself
    ks = sp.symbols("k1:4", integer=True, nonnegative=True)
    ys = sp.symbols("y1:4", real=True)
    mono = sp.Mul(*[y**k for y, k in zip(ys, ks)])
    flipped = sp.Mul(*[(-y) ** k for y, k in zip(ys, ks)])
    ok &= ledger.identity("a monomial of degree d = k1 + k2 + k3 has m(-x) = (-1)^d m(x) (symbolic exponents)",
                          sp.powsimp(sp.expand_power_base(flipped - flip * (-1) ** sum(ks) * mono, force=True),
                                     force=True))
    # and the whole homogeneous polynomial, for each (variables, degree) = (L, L) used below
    for degree in depths:
        xs = sp.symbols(f"x0:{degree}", real=True)
        monos = sorted(sp.itermonomials(xs, degree, degree), key=sp.default_sort_key)
        p = sum(sp.Symbol(f"c{i}", real=True) * mono for i, mono in enumerate(monos))
        ok &= ledger.identity(f"a homogeneous polynomial of degree {degree} in {degree} variables (generic "
                              f"coefficients) has p(-x) = (-1)^{degree} p(x)",
                              sp.expand(p.subs({x: -x for x in xs}, simultaneous=True) - flip * (-1) ** degree * p))
    # the ray argument: p(t theta) = sum_k c_k t^k (c_k = p_k(theta)), L0(t theta) = t^L v (v = L0(theta)).  If
    # q(t) = (t^L v - p(t theta))/t^L has a finite limit at 0+ (it tends to 0), then t^(L-k) q -> 0 for k < L; with
    # c_0 = .. = c_(k-1) = 0 that limit is -c_k, so c_k = 0 in turn, and then q -> v - c_L forces c_L = v.  Checked
    # with symbolic coefficients (one term above L too) for each L used.
    t, ell, v = sp.Symbol("t", positive=True), sp.Symbol("ell", real=True), sp.Symbol("v", real=True)
    for depth in depths:
        cs = sp.symbols(f"c0:{depth + 2}", real=True)
        q = (t**depth * v - sum(c * t**k for k, c in enumerate(cs))) / t**depth
        for k in range(depth):
            qk = q.subs({cs[i]: 0 for i in range(k)})
            ok &= ledger.identity(f"L = {depth}: lim t^{depth - k} q = -c_{k} once c_0..c_{k - 1} = 0 (so c_{k} = 0)",
                                  sp.limit(t ** (depth - k) * qk, t, 0, "+") + flip * cs[k])
            ok &= ledger.identity(f"L = {depth}: a finite limit ell of q gives lim t^{depth - k} q = 0",
                                  sp.limit(t ** (depth - k) * ell, t, 0, "+"))
        ok &= ledger.identity(f"L = {depth}: with c_k = 0 for k < L, q -> L0(theta) - c_L (so c_L = L0(theta))",
                              sp.limit(q.subs({cs[i]: 0 for i in range(depth)}), t, 0, "+") - (v - cs[depth]))
    for depth in depths:
        ws, l0 = chain_loss(depth, activation)
        plus = l0.subs({w: 1 for w in ws})
        minus = l0.subs({w: -1 for w in ws})
        gap = sp.S(minus - (-1) ** depth * plus)  # exact values at integer points
        ok &= ledger.fact(f"depth {depth}: L0(-1,...,-1) = {minus} != (-1)^{depth} L0(1,...,1) = {(-1) ** depth * plus}: "
                          "L0 is no homogeneous polynomial of degree L", bool(gap.is_Rational and gap != 0))
    return ok


def check_origin_differentiable(ctx: Context | None = None) -> Verdict:
    printed_cx = Ledger()
    cx_ok = verify_depth2_bound(printed_cx)
    (w1, w2), l2 = chain_loss(2)
    a, b = sp.symbols("a b", real=True)
    l2 = l2.subs({w2: a, w1: b}, simultaneous=True)
    corrected = Ledger()
    ok = verify_general_bound(corrected)
    ok &= verify_cost_composition(corrected)
    ok &= verify_depth2_bound(corrected)
    kinks = kink_points(corrected)
    ok &= kinks.pop("ok")
    ok &= verify_no_order_L(corrected)
    ev = {"printed": "since the ReLU is not differentiable, neither is the loss at the origin",
          "counterexample": {"network": "depth 2, width 1, x = 1, G = 1", "L0(a, b)": str(l2),
                             "bound": "|L0(a, b)| <= (a^2 + b^2)/2 (every sign case), so |L0(theta)|/||theta|| <= "
                                      "||theta||/2 -> 0: differentiable at 0 with gradient 0",
                             "steps": printed_cx.evidence()},
          "general": "|L0(theta)| <= ||G||_F ||X||_F (||theta||^2/L)^(L/2) = o(||theta||) for L >= 2 (uniformly); "
                     "L = 1: L0 is linear; the loss C(Y_theta), C differentiable at 0: gradient 0 at 0 for L >= 2 "
                     "(||Y_theta|| = O(||theta||^L))",
          "kinks_near_0": kinks,
          "what_fails": "no Taylor expansion of order L (L0 is not a homogeneous polynomial of degree L); the gradient "
                        "does not exist at points arbitrarily close to 0, so no classical second derivative",
          "corrected_ledger": corrected.evidence()}
    cv = Verdict(Status.PROVED if ok else Status.REFUTED,
                 "L0 is differentiable at 0 with gradient 0 for L >= 2 (L0 linear for L = 1): |L0| <= ||G|| ||X|| "
                 "(||theta||^2/L)^(L/2) = o(||theta||); so is C(Y_theta) for a cost C differentiable at 0, its one-line "
                 "consequence (C(Y) - C(0) = L0 with G = grad C(0) plus r(Y), |r(Y_theta)| <= eta ||Y_theta|| = "
                 "o(||theta||); the steps of this reduction are checked, C's differentiability is the hypothesis); "
                 "L0 has the zero expansion of every order k < L, none of order L (width-one chain, L = 2..6), and "
                 "kinks at distance eps = 1/10, 1/1000, 1/10^6 from 0 (exact one-sided derivatives)"
                 if ok else f"step failed: {corrected.failed[0]}", None, {})
    if not cx_ok:  # pragma: no cover - the exact example would then not bound L0
        return Verdict(Status.ERROR, "the depth-2 bound did not come out", None, ev)
    return Verdict(Status.ERRATUM, "as printed the loss is not differentiable at 0; it is: |L0(theta)| <= ||G|| ||X|| "
                   "(||theta||^2/L)^(L/2) = o(||theta||) for L >= 2 (e.g. L0(a, b) = a relu(b), |L0| <= (a^2 + b^2)/2), "
                   "so the gradient at 0 is 0; what fails is the order-L Taylor expansion (L0(1,1) = 1, L0(-1,-1) = 0, "
                   "no degree-2 homogeneous polynomial) and differentiability near 0 (kink at (eps, 0))",
                   None, ev, corrected=cv)


def check_origin_taylor_order(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_general_bound(ledger)
    verify_no_order_L(ledger)
    ev = ledger.evidence()
    ev["scope"] = ("the remark's conclusion in general: some networks and data have no polynomial approximation of "
                   "order L (here the width-one chain, x = 1, G = 1, depths 2-6); for particular data L0 can be a "
                   "polynomial (G = 0, or L = 1)")
    return ledger.verdict("no polynomial p has L0 - p = o(||theta||^L): along rays L0 would equal p's degree-L part "
                          "(the ray limits force the lower coefficients to 0, symbolic coefficients, L = 2..6), which "
                          "has p(-x) = (-1)^L p(x), "
                          "but L0(-1,...,-1) = 0 != (-1)^L = (-1)^L L0(1,...,1) on the width-one chain (L = 2..6); "
                          "the zero polynomial is an expansion of every order k < L", ev)
