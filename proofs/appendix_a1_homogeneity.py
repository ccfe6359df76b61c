"""Homogeneity of the localized loss and Euler's identity (Section 2, 2.1; Appendix A.1).

Claim (A.1): for every lambda > 0, L0(lambda theta) = lambda^L L0(theta), where
L0(theta) = Tr[G^T Y_theta] for a bias-free ReLU network of depth L.
Claim (Section 2.1, Prop. A.1): theta^T grad L0(theta) = L L0(theta).

How we check it.  relu(z) = D z with D = 1[z > 0], so on each *activation
region* (a fixed 0/1 pattern D_1, ..., D_{L-1}) the output is the polynomial
Y = W_L D_{L-1} W_{L-1} ... D_1 W_1 x.  With sympy, for every pattern of a network
with symbolic weights and a symbolic data point, we reduce to zero:

1. the scalar lemma relu(lambda z) = lambda relu(z) for lambda > 0, case by case
   (z > 0, z < 0, z = 0);
2. Z_l(lambda theta) - lambda^l Z_l(theta) on the region: since lambda^l > 0 the
   preactivations keep their signs, so lambda theta lies in the same region;
3. L0(lambda theta) - lambda^L L0(theta);
4. sum_i theta_i dL0/dtheta_i - L L0 (Euler), on every region.

L0 is a sum over data points of the same expression, so one symbolic point per
region covers any N.  Depths 1 to 4, width 2, are checked region by region.
For every depth, the induction steps are checked with a symbolic layer index l
(matrices of generic entries):

* homogeneity: if act_{l-1}(lambda theta) = lambda^(l-1) act_{l-1}(theta) then
  Z_l(lambda theta) = lambda^l Z_l(theta), and relu(lambda^l z) = lambda^l relu(z)
  because lambda^l > 0;
* Euler: writing E = sum_i theta_i d/dtheta_i over the first l layers, if
  E Z_{l-1} = (l-1) Z_{l-1} on a region then E Z_l = l Z_l (product rule: the
  derivative in W_l gives Z_l once more).

A concrete network shows that homogeneity fails for lambda < 0.
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.kernel.verdict import Status, Verdict
from certify.kernel.symbolic import Ledger

DEPTHS = (1, 2, 3, 4)
WIDTH = 2
D_IN = 2
D_OUT = 1


def _weights(L: int) -> list[sp.Matrix]:
    dims = [D_IN] + [WIDTH] * (L - 1) + [D_OUT]
    return [
        sp.Matrix(dims[l + 1], dims[l], lambda i, j, l=l: sp.Symbol(f"w{l + 1}_{i}{j}", real=True))
        for l in range(L)
    ]


def _region_outputs(Ws: list[sp.Matrix], x: sp.Matrix, pattern: tuple[int, ...]) -> list[sp.Matrix]:
    """Preactivations Z_1..Z_L on the region fixed by ``pattern`` (flattened D's)."""
    zs, act, k = [], x, 0
    for l, W in enumerate(Ws, start=1):
        Z = W * act
        zs.append(Z)
        if l < len(Ws):
            D = sp.diag(*pattern[k : k + Z.rows])
            k += Z.rows
            act = D * Z
    return zs


def relu_scalar_lemma(ledger: Ledger) -> bool:
    """relu(lambda z) = lambda relu(z) for lambda > 0, in each sign case of z."""
    lam = sp.Symbol("lambda", positive=True)
    ok = True
    for name, z in (("z>0", sp.Symbol("z", positive=True)), ("z<0", sp.Symbol("z", negative=True)), ("z=0", sp.S(0))):
        ok &= ledger.identity(f"relu(lambda z) = lambda relu(z), {name}", sp.Max(lam * z, 0) - lam * sp.Max(z, 0))
    return ok


def induction_steps(ledger: Ledger) -> bool:
    """The two induction steps above, for a symbolic layer index l >= 1."""
    lam = sp.Symbol("lambda", positive=True)
    l = sp.Symbol("l", integer=True, positive=True)
    ok = True
    for name, z in (("z>0", sp.Symbol("z", positive=True)), ("z<0", sp.Symbol("z", negative=True))):
        ok &= ledger.identity(
            f"relu(lambda^l z) = lambda^l relu(z), {name}", sp.Max(lam**l * z, 0) - lam**l * sp.Max(z, 0)
        )
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    a = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"a_{i}", real=True))  # act_{l-1}(theta)
    D = sp.diag(*sp.symbols("d0:3", real=True))  # the region's 0/1 pattern
    Z_scaled = (lam * W) * (lam ** (l - 1) * a)
    ok &= all(ledger.identity("Z_l(lambda theta) = lambda^l Z_l(theta)", e) for e in Z_scaled - lam**l * (W * a))
    # Euler step: E(W D z) = (dW-part) W D z + W D E(z), with E(z) = (l-1) z by hypothesis
    z = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"z_{i}", real=True))  # Z_{l-1}, a function of earlier layers
    Zl = W * D * z
    from_W = sp.zeros(2, 1)
    for w in W:
        from_W += w * sp.diff(Zl, w)
    E_Zl = from_W + W * D * ((l - 1) * z)
    ok &= all(ledger.identity("E Z_l = l Z_l given E Z_(l-1) = (l-1) Z_(l-1)", e) for e in E_Zl - l * Zl)
    return ok


def _per_region(ledger: Ledger, L: int, what: str, degree: int | None = None) -> bool:
    """Check homogeneity or Euler on every region of a depth-L net (``degree`` defaults to L)."""
    degree = L if degree is None else degree
    lam = sp.Symbol("lambda", positive=True)
    Ws = _weights(L)
    x = sp.Matrix(D_IN, 1, lambda i, j: sp.Symbol(f"x{i}", real=True))
    g = sp.Matrix(D_OUT, 1, lambda i, j: sp.Symbol(f"g{i}", real=True))
    theta = [w for W in Ws for w in W]
    ok = True
    n_hidden = WIDTH * (L - 1)
    for pattern in itertools.product((0, 1), repeat=n_hidden):
        zs = _region_outputs(Ws, x, pattern)
        L0 = (g.T * zs[-1])[0, 0]
        tag = f"L={L}, D={''.join(map(str, pattern)) or '-'}"
        if what == "homogeneity":
            zs_scaled = _region_outputs([lam * W for W in Ws], x, pattern)
            for l, (a, b) in enumerate(zip(zs_scaled, zs), start=1):
                ok &= all(ledger.identity(f"Z_{l}(lambda theta) = lambda^{l} Z_{l}, {tag}", a[i] - lam**l * b[i]) for i in range(a.rows))
            L0_scaled = (g.T * zs_scaled[-1])[0, 0]
            ok &= ledger.identity(f"L0(lambda theta) = lambda^L L0, {tag}", L0_scaled - lam**degree * L0)
        else:
            euler = sum(t * sp.diff(L0, t) for t in theta)
            ok &= ledger.identity(f"theta . grad L0 = L L0, {tag}", euler - degree * L0)
    return ok


def negative_scale_counterexample() -> dict[str, Any]:
    """L = 2, W1 = W2 = [1], x = 1, G = 1: L0(-theta) = 0 but (-1)^2 L0(theta) = 1."""
    relu = lambda z: sp.Max(z, 0)  # noqa: E731
    L0 = lambda w1, w2: w2 * relu(w1 * 1)  # noqa: E731
    depth, lam = 2, sp.S(-1)
    at, flipped = L0(sp.S(1), sp.S(1)), L0(lam * 1, lam * 1)
    scaled = lam**depth * at  # what homogeneity of degree L would give
    return {"L0(theta)": str(at), "L0(-theta)": str(flipped), "(-1)^L L0(theta)": str(scaled),
            "fails": bool(flipped != scaled)}


def check_homogeneity(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    ok = relu_scalar_lemma(ledger)
    ok &= induction_steps(ledger)
    for L in DEPTHS:
        ok &= _per_region(ledger, L, "homogeneity")
    ev = ledger.evidence()
    ev["depths"] = list(DEPTHS)
    ev["negative_lambda"] = negative_scale_counterexample()
    if not ok:
        return Verdict(Status.REFUTED, f"identity failed: {ledger.failed[0]}", None, ev)
    if not ev["negative_lambda"]["fails"]:  # pragma: no cover - would mean our counterexample is wrong
        return Verdict(Status.ERROR, "the lambda < 0 counterexample did not fail", None, ev)
    return Verdict(
        Status.PROVED,
        f"{ev['identities_checked']} identities reduce to 0: induction step for every depth, every region of "
        "depths 1-4; "
        "fails for lambda < 0 (L0(-theta) = 0 vs 1 on a depth-2 example)",
        None,
        ev,
    )


def check_euler(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    ok = induction_steps(ledger)
    for L in DEPTHS:
        ok &= _per_region(ledger, L, "euler")
    ev = ledger.evidence()
    ev["depths"] = list(DEPTHS)
    if not ok:
        return Verdict(Status.REFUTED, f"identity failed: {ledger.failed[0]}", None, ev)
    return Verdict(
        Status.PROVED,
        f"{ev['identities_checked']} identities reduce to 0: induction step for every depth, "
        "theta . grad L0 - L L0 on every region of depths 1-4",
        None,
        ev,
    )


# --- A.1's display of the localized loss ----------------------------------------------------------


def verify_trace_linearity(ledger: Ledger, *, power_shift: int = 0) -> bool:
    """The display's last step: Tr[G^T (lambda^L Y)] = lambda^L Tr[G^T Y], for generic 2 x 3 matrices and a symbolic L.

    ``power_shift`` plants a wrong exponent (lambda^(L + shift)) for the tests."""
    lam = sp.Symbol("lambda", positive=True)
    L = sp.Symbol("L", integer=True, positive=True)
    G = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"g{i}{j}", real=True))
    Y = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"y{i}{j}", real=True))
    return ledger.identity("Tr[G^T (lambda^L Y)] - lambda^L Tr[G^T Y] = 0",
                           (G.T * (lam**L * Y)).trace() - lam ** (L + power_shift) * (G.T * Y).trace())


def printed_definition_counterexample() -> dict[str, Any]:
    """A.1 prints L0(theta) = Tr[grad C(0)^T] (no Y_theta): a constant in theta.  With G = [1] (one output, one
    point) it is 1 for every theta, so L0(2 theta) = 1 while 2^L L0(theta) = 2^L."""
    G = sp.Matrix([[1]])
    printed = (G.T).trace()
    return {"G": "[1]", "L": 2, "lambda": 2, "printed L0(theta)": printed, "printed L0(2 theta)": printed,
            "2^L printed L0(theta)": 2**2 * printed, "fails": bool(printed != 2**2 * printed)}


def check_printed_definition(ctx: Context | None = None) -> Verdict:
    """A.1's second paragraph: 'the homogeneity of localized loss L0(theta) = Tr[grad C(0)^T]'."""
    cx = printed_definition_counterexample()
    ledger = Ledger()
    verify_trace_linearity(ledger)
    corrected = ledger.verdict(
        "with Y_theta restored, L0(theta) = Tr[G^T Y_theta] and the display's last step "
        "Tr[G^T (lambda^L Y)] = lambda^L Tr[G^T Y] reduces to 0 (the region-by-region homogeneity of "
        "Y_theta is a1.homogeneity)")
    ev = {"printed": "L0(theta) = Tr[grad C(0)^T]", "counterexample": {k: str(v) for k, v in cx.items()}}
    if not cx["fails"]:  # pragma: no cover - would mean the printed definition is homogeneous
        return Verdict(Status.PROVED, "the printed definition is homogeneous", None, ev)
    return Verdict(Status.ERRATUM, "A.1 prints L0(theta) = Tr[grad C(0)^T], without Y_theta: a constant, not "
                   "homogeneous of degree L (G = [1]: L0(2 theta) = 1 != 2^L = 4 at L = 2)", None, ev,
                   corrected=corrected)
