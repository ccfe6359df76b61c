"""The norm-imbalance identity, weak balancedness and the scalar escape ODE.

Sources: the follow-up paper's abstract ("A Theory of Saddle Escape in Deep Nonlinear
Networks", 2026: "an exact identity for the imbalance of Frobenius norms of layer weight
matrices that holds for any smooth activation and any differentiable loss"; "on the
permutation-symmetric submanifold, the identity combines with an approximate balance law
to reduce the full matrix flow to a scalar ODE, giving ... tau = Theta(eps^-(r-2))"), and
the main paper's Section 5 ("ReLU networks only satisfy weak balancedness in general,
i.e. diag(W_l^T W_l) = diag(W_{l-1} W_{l-1}^T), however the stronger balancedness applies
at layers where the pre-activations have non-negative entries").  The statements are
ours; the abstract gives none.

The identity (our derivation).  Z_l = W_l A_{l-1}, A_l = sigma(Z_l), loss C(Y); with
delta_l = dC/dZ_l, B_l = W_{l+1}^T delta_{l+1}, delta_l = B_l * sigma'(Z_l) and gradient flow
dW_l/dt = -delta_l A_{l-1}^T:

    d/dt (W_{l+1}^T W_{l+1} - W_l W_l^T) = -(S B^T + B S^T) + (delta Z^T + Z delta^T)   (S = sigma(Z_l)),
    diagonal (neuron i):  -2 sum_n B_in g(Z_in),     trace:  -2 sum_{i,n} B_in g(Z_in),
    g(z) = sigma(z) - z sigma'(z).

How it is checked.  For any depth, the loss depends on (W_l, W_{l+1}) only through
F(W_{l+1} sigma(W_l A)), where A = A_{l-1} does not depend on W_l, W_{l+1} and F (the
layers above and the cost) does not either; the flow of W_l, W_{l+1} needs only first
derivatives of F at one point.  So the identity is reduced to zero for a generic
undefined sigma, a generic undefined F of all entries of Z_{l+1}, and symbolic A, W_l,
W_{l+1} (two shapes), with the gradient taken by sympy (not by backpropagation) and
delta_{l+1} as the partial derivatives of F.  A depth-3 network with a generic cost
C(Y) is also checked directly, for both layer pairs.  A false identity is rejected by
an exact counterexample (sigma and F replaced by polynomials, entries by rationals);
only reduction to zero proves.

Weak balancedness (Section 5).  For positively homogeneous sigma (sigma = a z on z > 0,
b z on z < 0), g = 0 on both half-lines, so every per-neuron imbalance
||W_{l+1}[:, i]||^2 - ||W_l[i, :]||^2 is conserved (and the Frobenius one).  As printed,
"diag(W_l^T W_l) = diag(W_{l-1} W_{l-1}^T)" is an equality; what the flow gives is that the
*difference* is constant, so the equality holds for all t iff it holds at t = 0 (and up to
O(sigma_0^2) for an initialisation of scale sigma_0).  Checked region by region for ReLU and
leaky ReLU independently of the general identity.  On a layer with Z_l > 0 entrywise the
full matrix W_{l+1}^T W_{l+1} - W_l W_l^T is conserved; with a mixed sign pattern it is not
(an exact counterexample).

Scalar ODE.  On the permutation-symmetric submanifold (all neurons of a layer equal) the
gradient is again symmetric, so the flow stays there.  For width one (and, with positive
weights and data, for ReLU) the network is f = x w_1 ... w_L; every w_i^2 - w_j^2 is
conserved (the identity), r small equal layers u and L - r equal layers v obey
u' = kappa u^(r-1) v^(L-r) with v^2 = u^2 + Delta, and for kappa in [k1, k2] (kappa = -C'(f) x,
e.g. (y - f) x for the squared loss, bounded away from 0 until the loss has halved) the
time to grow from eps to U is sandwiched between two multiples of
(eps^(2-r) - U^(2-r))/(r - 2): Theta(eps^-(r-2)) for r >= 3, Theta(log 1/eps) for r = 2,
Theta(1) for r = 1, with L only in the constants.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger

sigma = sp.Function("sigma")
F = sp.Function("F")
C = sp.Function("C")
_x = sp.Symbol("x", real=True)

#: (n_{l-1}, n_l, n_{l+1}, N) of the local checks
SHAPES = ((2, 2, 2, 2), (1, 3, 2, 2))


def dsigma(z: sp.Expr) -> sp.Expr:
    return sp.diff(sigma(_x), _x).subs(_x, z)


def _mat(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))


def _concrete(expr: sp.Expr) -> sp.Expr:
    """expr with sigma, F, C replaced by fixed polynomials and every symbol by a rational (exact)."""
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    e = expr.xreplace({s: sp.Rational(k + 2, 7 + (k % 3)) for k, s in enumerate(syms)})
    e = e.replace(sigma, lambda a: a + a**2 / 3 + a**3 / 5)
    for fn in (F, C):
        e = e.replace(fn, lambda *args: sum((k + 1) * a**2 / (k + 2) + a * args[0] for k, a in enumerate(args)))
    return sp.simplify(e.doit())


def generic_identity(ledger: Ledger, name: str, expr: sp.Expr) -> bool:
    """Record ``expr == 0`` for generic sigma / F / C: proved only by reduction to zero.

    When expansion does not give 0, an exact instance (polynomials for the undefined
    functions, rationals for the symbols) that is nonzero refutes the identity at once;
    otherwise sympy's full simplification decides (slow, but sound either way).
    """
    if sp.expand(expr) == 0:
        return ledger.identity(name, expr)
    value = _concrete(expr)
    if value != 0:
        return ledger.fact(f"{name} (fails: {value} on a polynomial instance)", False)
    return ledger.identity(name, expr)


def _gradient_flow(loss: sp.Expr, W: sp.Matrix) -> sp.Matrix:
    return W.applyfunc(lambda w: -sp.diff(loss, w))


def local_pair(shape: tuple[int, int, int, int],
               act: Callable[[int, int, sp.Expr], tuple[sp.Expr, sp.Expr]] | None = None) -> dict[str, Any]:
    """The loss F(W_u sigma(W_l A)) and everything the identity needs.

    ``act(i, n, z)`` gives (sigma(z), sigma'(z)) for entry (i, n); None means the generic sigma.
    """
    n0, n1, n2, N = shape
    A, Wl, Wu = _mat("a", n0, N), _mat("v", n1, n0), _mat("w", n2, n1)
    Z = Wl * A
    act = act or (lambda i, n, z: (sigma(z), dsigma(z)))
    S = sp.Matrix(n1, N, lambda i, n: act(i, n, Z[i, n])[0])
    dS = sp.Matrix(n1, N, lambda i, n: act(i, n, Z[i, n])[1])
    Zu = Wu * S
    zs = sp.symbols(f"zu0:{n2 * N}", real=True)
    loss = F(*list(Zu))
    at = dict(zip(zs, list(Zu)))
    delta_u = sp.Matrix(n2, N, lambda i, n: sp.diff(F(*zs), zs[i * N + n]).subs(at, simultaneous=True))
    B = Wu.T * delta_u
    delta = B.multiply_elementwise(dS)
    return {"A": A, "Wl": Wl, "Wu": Wu, "Z": Z, "S": S, "dS": dS, "B": B, "delta": delta, "loss": loss,
            "Wl_dot": _gradient_flow(loss, Wl), "Wu_dot": _gradient_flow(loss, Wu)}


def _sq_rate(W: sp.Matrix, Wdot: sp.Matrix, rows: list[int] | None = None, cols: list[int] | None = None) -> sp.Expr:
    """d/dt of the sum of squares of W over the given rows/cols: 2 sum W * Wdot."""
    rows = list(range(W.rows)) if rows is None else rows
    cols = list(range(W.cols)) if cols is None else cols
    return 2 * sum(W[i, j] * Wdot[i, j] for i in rows for j in cols)


def closed_rate(q: dict[str, Any], *, neuron: int | None = None, factor: Any = -2, sign: int = -1) -> sp.Expr:
    """factor * sum B * (sigma(Z) + sign Z sigma'(Z)), over one neuron's row or all rows."""
    B, S, Z, dS = q["B"], q["S"], q["Z"], q["dS"]
    rows = range(B.rows) if neuron is None else [neuron]
    return factor * sum(B[i, n] * (S[i, n] + sign * Z[i, n] * dS[i, n]) for i in rows for n in range(B.cols))


def verify_identity(ledger: Ledger, shape: tuple[int, int, int, int] = SHAPES[0], *, factor: Any = -2,
                    sign: int = -1, matrix: bool = True) -> bool:
    """The identity (full matrix, per neuron, Frobenius) for generic sigma and F at one shape."""
    q = local_pair(shape)
    tag = "x".join(map(str, shape))
    ok = True
    Wl, Wu, Wl_dot, Wu_dot = q["Wl"], q["Wu"], q["Wl_dot"], q["Wu_dot"]
    if matrix:
        M = (Wu_dot.T * Wu + Wu.T * Wu_dot) - (Wl_dot * Wl.T + Wl * Wl_dot.T)
        S, B, Z, d = q["S"], q["B"], q["Z"], q["delta"]
        expected = -(S * B.T + B * S.T) + (d * Z.T + Z * d.T)
        for i, j in itertools.product(range(M.rows), repeat=2):
            if j >= i:
                ok &= generic_identity(ledger, f"d/dt (W_u^T W_u - W_l W_l^T)[{i},{j}] [{tag}]", M[i, j] - expected[i, j])
    for i in range(Wl.rows):
        rate = _sq_rate(Wu, Wu_dot, cols=[i]) - _sq_rate(Wl, Wl_dot, rows=[i])
        ok &= generic_identity(ledger, f"neuron {i}: d/dt(||W_u[:,i]||^2 - ||W_l[i,:]||^2) = -2 sum B g [{tag}]",
                               rate - closed_rate(q, neuron=i, factor=factor, sign=sign))
    rate = _sq_rate(Wu, Wu_dot) - _sq_rate(Wl, Wl_dot)
    ok &= generic_identity(ledger, f"d/dt(||W_u||^2 - ||W_l||^2) = -2 sum B g [{tag}]",
                           rate - closed_rate(q, factor=factor, sign=sign))
    return ok


def verify_depth3_network(ledger: Ledger, *, factor: Any = -2, sign: int = -1) -> bool:
    """A whole depth-3 network (2-2-2-1, two points) with generic sigma and generic cost C(Y): both pairs.

    Here delta_{l+1} is computed by sympy as the derivative of the loss with respect to a
    perturbation E of Z_{l+1} at E = 0 (not by the backpropagation recursion).
    """
    X, W1, W2, W3 = _mat("x", 2, 2), _mat("p", 2, 2), _mat("q", 2, 2), _mat("s", 1, 2)
    Ws = [W1, W2, W3]

    def forward(E: dict[int, sp.Matrix]) -> tuple[list[sp.Matrix], sp.Expr]:
        act, Zs = X, []
        for k, W in enumerate(Ws):
            Zk = W * act + E.get(k, sp.zeros(W.rows, act.cols))
            Zs.append(Zk)
            if k < 2:
                act = Zk.applyfunc(sigma)
        return Zs, C(*list(Zs[-1]))

    Zs, loss = forward({})
    dots = [_gradient_flow(loss, W) for W in Ws]
    ok = True
    for l in (0, 1):
        Eu = _mat(f"e{l}_", Ws[l + 1].rows, 2)
        _, lossE = forward({l + 1: Eu})
        zero = {e: 0 for e in Eu}
        delta_u = Eu.applyfunc(lambda e: sp.diff(lossE, e).subs(zero))
        B = Ws[l + 1].T * delta_u
        Z = Zs[l]
        closed = factor * sum(B[i, n] * (sigma(Z[i, n]) + sign * Z[i, n] * dsigma(Z[i, n]))
                              for i in range(B.rows) for n in range(B.cols))
        rate = _sq_rate(Ws[l + 1], dots[l + 1]) - _sq_rate(Ws[l], dots[l])
        ok &= generic_identity(ledger, f"depth-3 network, pair {l + 1}-{l + 2}: Frobenius rate = -2 sum B g", rate - closed)
    return ok


def check_identity(ctx: Context | None = None) -> Verdict:
    quick = bool(ctx and ctx.quick)
    ledger = Ledger()
    shapes = SHAPES[:1] if quick else SHAPES
    for shape in shapes:
        verify_identity(ledger, shape, matrix=shape == SHAPES[0])
    if not quick:
        verify_depth3_network(ledger)
    return ledger.verdict(
        "d/dt(||W_{l+1}||^2 - ||W_l||^2) = -2 sum B_l * (sigma(Z_l) - Z_l sigma'(Z_l)), its per-neuron form and the "
        "full-matrix form reduce to 0 for generic sigma and loss F (shapes " + ", ".join("x".join(map(str, s)) for s in shapes)
        + ": every depth by the reduction to F(W_{l+1} sigma(W_l A)))"
        + ("" if quick else " and on a whole depth-3 network with a generic cost"),
        {"identity": "d/dt(||W_{l+1}||_F^2 - ||W_l||_F^2) = -2 sum_{i,n} (W_{l+1}^T delta_{l+1})_{in} "
                     "[sigma(Z_l) - Z_l sigma'(Z_l)]_{in}; per neuron i: the same sum over row i",
         "matrix_form": "d/dt(W_{l+1}^T W_{l+1} - W_l W_l^T) = -(S B^T + B S^T) + (delta Z^T + Z delta^T)",
         "reduction": "for any depth the loss depends on (W_l, W_{l+1}) only through F(W_{l+1} sigma(W_l A_{l-1})); "
                      "only first derivatives of F enter, so generic F covers every depth and every loss",
         "shapes": [list(s) for s in shapes], "depth3_network_checked": not quick})


# --- Section 5: weak balancedness ------------------------------------------------------


def leaky_pieces(a: Any, b: Any) -> tuple[Callable[[sp.Expr], sp.Expr], Callable[[sp.Expr], sp.Expr]]:
    """sigma = a z on z > 0 and b z on z < 0 (ReLU: a = 1, b = 0; leaky ReLU: b = alpha)."""
    return (lambda v: a * v), (lambda v: b * v)


def homogeneous_pieces(ledger: Ledger, pieces: Any = None) -> bool:
    """g = sigma - z sigma' vanishes on each half-line for sigma = a z (z > 0), b z (z < 0), and only then.

    Every step is computed from the two pieces of sigma (``pieces``, default leaky_pieces(a, b))."""
    a, b = sp.symbols("a b", real=True)
    pos, neg = leaky_pieces(a, b) if pieces is None else pieces
    zp, zn = sp.Symbol("z", positive=True), sp.Symbol("z", negative=True)
    ok = ledger.identity("g = 0 for sigma = a z on z > 0", pos(zp) - zp * sp.diff(pos(zp), zp))
    ok &= ledger.identity("g = 0 for sigma = b z on z < 0", neg(zn) - zn * sp.diff(neg(zn), zn))
    s = sp.Function("s")
    sol = sp.dsolve(sp.Eq(s(zp) - zp * s(zp).diff(zp), 0), s(zp))
    c1 = sp.Symbol("C1")
    ok &= ledger.identity("sigma - z sigma' = 0 on z > 0 forces sigma = C1 z", sol.rhs - c1 * zp)
    lam = sp.Symbol("lambda", positive=True)
    ok &= ledger.identity("sigma(lambda z) = lambda sigma(z) on z > 0", pos(lam * zp) - lam * pos(zp))
    ok &= ledger.identity("sigma(lambda z) = lambda sigma(z) on z < 0", neg(lam * zn) - lam * neg(zn))
    return ok


def _region_act(pattern: tuple[Any, ...], N: int, offset: Any = 0) -> Callable[[int, int, sp.Expr], tuple[sp.Expr, sp.Expr]]:
    """On a region, sigma is the piece slope * x + offset; sigma' is taken from it by sympy.diff."""
    def act(i: int, n: int, z: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        piece = pattern[i * N + n] * _x + offset
        return piece.subs(_x, z), sp.diff(piece, _x).subs(_x, z)
    return act


def verify_weak_balancedness(ledger: Ledger, shape: tuple[int, int, int, int] = (2, 2, 1, 2),
                             slopes: tuple[Any, Any] = (0, 1), tag: str = "relu", offset: Any = 0) -> bool:
    """Every activation region: the per-neuron imbalance rates are 0 (no appeal to the identity).

    ``offset`` adds a constant to sigma on every piece (not homogeneous: a variant that must fail).
    """
    n1, N = shape[1], shape[3]
    ok = True
    for pattern in itertools.product(slopes, repeat=n1 * N):
        q = local_pair(shape, _region_act(pattern, N, offset))
        for i in range(n1):
            rate = _sq_rate(q["Wu"], q["Wu_dot"], cols=[i]) - _sq_rate(q["Wl"], q["Wl_dot"], rows=[i])
            ok &= generic_identity(ledger, f"{tag} region {pattern}: neuron {i} imbalance rate = 0", rate)
    return ok


def verify_strong_balancedness(ledger: Ledger, shape: tuple[int, int, int, int] = (2, 2, 1, 2)) -> bool:
    """Z_l > 0 (all units active): the full matrix W_u^T W_u - W_l W_l^T is conserved; a mixed pattern breaks it."""
    n1, N = shape[1], shape[3]
    q = local_pair(shape, _region_act((1,) * (n1 * N), N))
    M = (q["Wu_dot"].T * q["Wu"] + q["Wu"].T * q["Wu_dot"]) - (q["Wl_dot"] * q["Wl"].T + q["Wl"] * q["Wl_dot"].T)
    ok = True
    for i, j in itertools.product(range(n1), repeat=2):
        ok &= generic_identity(ledger, f"Z_l > 0: d/dt (W_u^T W_u - W_l W_l^T)[{i},{j}] = 0", M[i, j])
    mixed = (1, 1, 0, 1)[: n1 * N] + (1,) * max(0, n1 * N - 4)
    q = local_pair(shape, _region_act(mixed, N))
    M = (q["Wu_dot"].T * q["Wu"] + q["Wu"].T * q["Wu_dot"]) - (q["Wl_dot"] * q["Wl"].T + q["Wl"] * q["Wl_dot"].T)
    value = _concrete(M[0, 1])
    ok &= ledger.fact(f"mixed pattern {mixed}: off-diagonal rate {value} != 0 on an exact instance "
                      "(only the diagonal is conserved)", value != 0)
    return ok


def check_weak_balancedness(ctx: Context | None = None) -> Verdict:
    shape = (2, 2, 1, 1) if ctx and ctx.quick else (2, 2, 1, 2)
    ledger = Ledger()
    homogeneous_pieces(ledger)
    verify_weak_balancedness(ledger, shape)
    alpha = sp.Symbol("alpha", positive=True)
    verify_weak_balancedness(ledger, shape, slopes=(alpha, 1), tag="leaky relu (slope alpha)")
    verify_strong_balancedness(ledger)
    return ledger.verdict(
        "for positively homogeneous sigma, g = sigma - z sigma' = 0 on both half-lines (and only for them), so "
        "diag(W_{l+1}^T W_{l+1}) - diag(W_l W_l^T) is conserved; checked on every activation region of ReLU and "
        "leaky ReLU (generic loss); with Z_l > 0 the full matrices stay balanced, with mixed signs they do not",
        {"printed": "diag(W_l^T W_l) = diag(W_{l-1} W_{l-1}^T)",
         "reading": "the difference is constant in time, so the printed equality holds for all t iff it holds at "
                    "t = 0 (and within O(sigma_0^2) from an initialisation of scale sigma_0); ties (Z = 0) excluded",
         "regions": f"all 2^{shape[1] * shape[3]} sign patterns of Z_l ({shape[1]} neurons, {shape[3]} points), ReLU "
                    "and leaky ReLU with symbolic slope"})


# --- the permutation-symmetric submanifold and the scalar ODE ---------------------------------


def verify_symmetric_manifold(ledger: Ledger, *, break_symmetry: bool = False) -> bool:
    """At a point with identical hidden neurons the gradient has identical neurons too (generic sigma, C).

    In general: the loss is invariant under permuting the neurons of a hidden layer, so its
    gradient at a point fixed by the permutations is fixed too, and the flow stays on the fixed
    set.  Checked here on a concrete case: depth 3, widths 2-2-2-1, one data point, generic sigma
    and cost C.  The gradient is taken entry by entry (independent
    symbols), then evaluated at W1 = [a; a], W2 = c 11^T, W3 = b 1^T.  ``break_symmetry`` evaluates
    it at a point with one entry of W1 freed instead (off the submanifold: a variant that must fail).
    """
    X = _mat("x", 2, 1)
    W1, W2, W3 = _mat("p", 2, 2), _mat("q", 2, 2), _mat("s", 1, 2)
    Y = W3 * (W2 * (W1 * X).applyfunc(sigma)).applyfunc(sigma)
    loss = C(*list(Y))
    a0, a1, c, b, a1b = sp.symbols("a0 a1 c b a1b", real=True)
    point = {W1[0, 0]: a0, W1[1, 0]: a0, W1[0, 1]: a1, W1[1, 1]: a1b if break_symmetry else a1,
             **{w: c for w in W2}, **{w: b for w in W3}}
    g1, g2, g3 = (W.applyfunc(lambda w: sp.diff(loss, w).subs(point, simultaneous=True)) for W in (W1, W2, W3))
    ok = True
    for j in range(2):
        ok &= generic_identity(ledger, f"rows of grad W1 equal (column {j})", g1[0, j] - g1[1, j])
    for (i, j) in ((0, 1), (1, 0), (1, 1)):
        ok &= generic_identity(ledger, f"grad W2 entries equal ({i},{j})", g2[0, 0] - g2[i, j])
    ok &= generic_identity(ledger, "grad W3 entries equal", g3[0, 0] - g3[0, 1])
    return ok


r, L = sp.symbols("r L", positive=True, integer=True)
eps, U, Delta, k1, k2 = sp.symbols("epsilon U Delta kappa_1 kappa_2", positive=True)
u = sp.Symbol("u", positive=True)


def verify_product_reduction(ledger: Ledger, depth: int = 5, small: int = 3) -> bool:
    """f = x prod w_l with generic cost C(f): w_i^2 - w_j^2 conserved; equal layers stay equal; the u-ODE."""
    ws = sp.symbols(f"w1:{depth + 1}", positive=True)
    xx = sp.Symbol("x", positive=True)
    Cf = sp.Function("Cf")
    f = xx * sp.Mul(*ws)
    loss = Cf(f)
    dot = [-sp.diff(loss, w) for w in ws]
    ok = True
    for i in range(depth - 1):
        ok &= ledger.identity(f"width one, depth {depth}: d/dt(w_{i + 2}^2 - w_{i + 1}^2) = 0",
                              2 * ws[i + 1] * dot[i + 1] - 2 * ws[i] * dot[i])
    uu, vv = sp.symbols("u v", positive=True)
    on = {w: (uu if k < small else vv) for k, w in enumerate(ws)}
    d = [e.subs(on) for e in dot]
    ok &= ledger.identity("equal small layers have equal velocities", d[0] - d[small - 1])
    if small < depth:
        ok &= ledger.identity("equal large layers have equal velocities", d[small] - d[depth - 1])
    kappa = -sp.Subs(sp.Derivative(Cf(_x), _x), _x, f.subs(on)).doit() * xx
    ok &= ledger.identity(f"u' = kappa u^(r-1) v^(L-r) (r = {small}, L = {depth}, kappa = -C'(f) x)",
                          d[0] - u_velocity(kappa, uu, vv, small, depth))
    return ok


def u_velocity(kappa: Any, uu: Any, vv: Any, small: Any, depth: Any) -> sp.Expr:
    """The reduced ODE's right side u' = kappa u^(r-1) v^(L-r): proved above, used by the sandwich below."""
    return kappa * uu ** (small - 1) * vv ** (depth - small)


def v_power() -> sp.Expr:
    """v^(L-r) with v^2 = u^2 + Delta (the conserved imbalance w_i^2 - w_j^2 = Delta)."""
    return (u**2 + Delta) ** ((L - r) / 2)


def escape_time_bounds(rate_exponent: Any = None) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(T(U) as an antiderivative in u, lower bound, upper bound) of int_eps^U du/(kappa u^(r-1) v^(L-r)), r != 2.

    With kappa in [k1, k2] and v^(L-r) in [Delta^((L-r)/2), (U^2+Delta)^((L-r)/2)] (L >= r):
    T_low = I / (k2 (U^2+Delta)^((L-r)/2)),  T_up = I / (k1 Delta^((L-r)/2)),  I = (eps^(2-r) - U^(2-r))/(r-2).
    The integrand comes from u_velocity, I from sympy.integrate, the bounds on v^(L-r) from v_power.
    """
    p = r if rate_exponent is None else rate_exponent
    integral = sp.integrate(time_integrand(p), (u, eps, U), conds="none")  # r != 2; r = 2 separately
    low = integral / (k2 * v_power().subs(u, U))
    up = integral / (k1 * v_power().subs(u, 0))
    return integral, low, up


def time_integrand(p: Any) -> sp.Expr:
    """dt/du without kappa and v (bounded separately): 1 / (u-part of u_velocity)."""
    return 1 / u_velocity(1, u, 1, p, L)


def verify_sandwich(ledger: Ledger, *, rate_exponent: Any = None, claimed: Any = None) -> bool:
    """The bounds, their eps-exponent, and that L enters only the constants.

    ``rate_exponent`` replaces r in u' ~ u^(r-1) (a wrong variant); ``claimed`` is the exponent checked for tau.
    """
    p = r if rate_exponent is None else rate_exponent
    claimed = (r - 2) if claimed is None else claimed
    integral, low, up = escape_time_bounds(p)
    integrand = time_integrand(p)
    # I(eps) = int_eps^U integrand du: derivative in eps and value at eps = U (the fundamental theorem)
    ok = ledger.identity("d/d eps of int_eps^U u^(1-r) du = -eps^(1-r)",
                         sp.simplify(sp.diff(integral, eps) + integrand.subs(u, eps)))
    ok &= ledger.identity("int_U^U = 0", sp.simplify(integral.subs(eps, U)))
    # monotone bounds on the integrand: v^2 = u^2 + Delta in [Delta, U^2 + Delta] for u in (0, U]
    m = sp.Symbol("m", nonnegative=True, integer=True)  # L = r + m
    ok &= ledger.fact("d/du v^(L-r) >= 0 for L >= r: v^(L-r) lies between its values at u = 0 and u = U",
                      bool(sp.simplify(sp.diff(v_power(), u).subs(L, r + m)).is_nonnegative))
    # scaling: eps^claimed * T_low and eps^claimed * T_up have finite positive limits for r >= 3
    for rv, Lv in ((3, 3), (3, 5), (4, 4), (4, 7), (5, 6)):
        vals = {r: sp.Integer(rv), L: sp.Integer(Lv)}
        for name, bound in (("lower", low), ("upper", up)):
            lim = sp.limit((eps ** claimed * bound).subs(vals), eps, 0, "+")
            ok &= ledger.fact(f"r = {rv}, L = {Lv}: eps^(r-2) T_{name} -> {lim} (finite, > 0)",
                              bool(lim.is_positive) and bool(lim.is_finite))
    # symbolic r > 2: eps^(r-2) I -> 1/(r-2)
    lead = sp.expand(eps ** (r - 2) * integral.subs(p, r)) if rate_exponent is None else None
    if lead is not None:
        ok &= ledger.identity("eps^(r-2) I = 1/(r-2) - (eps/U)^(r-2)/(r-2) (symbolic r)",
                              sp.simplify(sp.powsimp(lead - (1 - (eps / U) ** (r - 2)) / (r - 2), force=True)))
    # L enters through the constants only: the ratio of the bounds does not depend on eps
    ok &= ledger.identity("T_up / T_low does not depend on eps", sp.diff(sp.simplify(up / low), eps))
    # r = 2 and r = 1, from the same integrand
    ok &= ledger.identity("r = 2: int_eps^U du/u = log(U/eps)",
                          sp.simplify(sp.integrate(integrand.subs(p, 2), (u, eps, U)) - sp.log(U / eps)))
    ok &= ledger.identity("r = 1: int_eps^U du = U - eps (bounded)",
                          sp.integrate(integrand.subs(p, 1), (u, eps, U)) - (U - eps))
    return ok


def verify_mse_kappa(ledger: Ledger) -> bool:
    """Squared loss (y - f)^2/2 with 0 <= f and loss >= half its start: y - f >= y/sqrt(2), so kappa >= x y/sqrt 2."""
    y, f = sp.symbols("y f", positive=True)
    # loss(f) >= loss(0)/2  <=>  (y - f)^2 >= y^2/2; on f <= y this is y - f >= y/sqrt(2)
    return ledger.identity("(y - f)^2 - y^2/2 = (y - f - y/sqrt2)(y - f + y/sqrt2)",
                           sp.expand((y - f) ** 2 - y**2 / 2 - (y - f - y / sp.sqrt(2)) * (y - f + y / sp.sqrt(2))))


def check_scalar_ode(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_symmetric_manifold(ledger)
    for depth, small in ((3, 3), (5, 3), (6, 4)):
        verify_product_reduction(ledger, depth, small)
    verify_sandwich(ledger)
    verify_mse_kappa(ledger)
    _, low, up = escape_time_bounds()
    return ledger.verdict(
        "the permutation-symmetric submanifold is invariant (generic sigma and cost); on it, with positive weights "
        "and data (ReLU) or width one, w_i^2 - w_j^2 is conserved and the r small layers obey u' = kappa u^(r-1) "
        "v^(L-r), v^2 = u^2 + Delta; the escape time is sandwiched between two constants times eps^-(r-2) "
        "(r >= 3), log(1/eps) (r = 2), O(1) (r = 1); L enters only the constants",
        {"scalar_ode": "u' = kappa(t) u^(r-1) (u^2 + Delta)^((L-r)/2), kappa = -C'(f) x in [k1, k2]",
         "lower_bound": str(low), "upper_bound": str(up),
         "law": "tau = Theta(eps^-(r-2)) for r >= 3 with constants 1/((r-2) k2 (U^2+Delta)^((L-r)/2)) and "
                "1/((r-2) k1 Delta^((L-r)/2))",
         "scope": "exact for homogeneous activations (the balance law is exact); for smooth activations with "
                  "sigma(0) = 0 the balance law is approximate (imbalance drift of order B g(Z), g = O(z^2) or "
                  "O(z^3)); not applicable when sigma(0) != 0 (small layers do not make small outputs)"})
