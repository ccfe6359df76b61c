"""Universality classes of activations (follow-up paper, abstract: "use this to classify
activation functions into four universality classes").

The abstract names neither the classes nor the criterion.  Our reading: the imbalance
identity (``proofs/followup_imbalance.py``) drives ||W_{l+1}||^2 - ||W_l||^2 at the rate
-2 sum B g(Z) with g(z) = sigma(z) - z sigma'(z), and near a small initialisation the
preactivations Z are small, so what matters is the leading behaviour of g at 0.
Writing sigma(z) = sum_k c_k z^k near 0,

    g(z) = sum_k (1 - k) c_k z^k = sigma(0) - sum_{k >= 2} (k - 1) sigma^(k)(0)/k! z^k,

so the linear term never contributes and the order m of the first nonzero term of g is
0, 2, 3, ... or g vanishes identically.  The classes we find among ReLU, leaky ReLU,
linear, tanh, sigmoid, softplus, GELU, SiLU and arctan:

* **homogeneous** (g = 0 off the kink; sigma positively homogeneous of degree one):
  ReLU, leaky ReLU, linear.  Every imbalance is conserved exactly.
* **offset** (sigma(0) != 0; g(0) = sigma(0)): sigmoid (1/2), softplus (log 2).  The
  imbalance drifts at order |B| even at the origin: no balance law near it.
* **quadratic** (sigma(0) = 0, sigma''(0) != 0; g ~ -sigma''(0)/2 z^2): GELU (-z^2/sqrt(2 pi)),
  SiLU (-z^2/4).  Drift of order |B| |Z|^2.
* **cubic** (sigma(0) = sigma''(0) = 0, sigma'''(0) != 0; g ~ -sigma'''(0)/3 z^3): tanh and
  arctan (both 2/3 z^3).  Drift of order |B| |Z|^3.

Orders m >= 4 are possible (sigma = z + z^4 has m = 4) but none of the nine activations
has one.  Whether these are the follow-up paper's four classes cannot be checked from
the abstract; the check below proves our classification, leading terms included.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from certify.gate.claim import Context
from certify.followup.activations import ACTIVATIONS, CLASSIFIED
from certify.kernel.verdict import Verdict
from certify.kernel.symbolic import Ledger

z = sp.Symbol("z", real=True)

EXPECTED: dict[str, str] = {
    "relu": "homogeneous", "leaky_relu": "homogeneous", "linear": "homogeneous",
    "sigmoid": "offset", "softplus": "offset",
    "gelu": "quadratic", "silu": "quadratic",
    "tanh": "cubic", "arctan": "cubic",
}

CLASS_OF_ORDER = {0: "offset", 2: "quadratic", 3: "cubic"}

DEFINITIONS = {
    "homogeneous": "g(z) = sigma(z) - z sigma'(z) = 0 for all z != 0 (sigma positively homogeneous of degree 1)",
    "offset": "sigma(0) != 0, so g(0) = sigma(0)",
    "quadratic": "sigma(0) = 0, sigma''(0) != 0, so g(z) = -sigma''(0)/2 z^2 + O(z^3)",
    "cubic": "sigma(0) = sigma''(0) = 0, sigma'''(0) != 0, so g(z) = -sigma'''(0)/3 z^3 + O(z^4)",
}


def g_of(expr: sp.Expr, var: sp.Symbol = z) -> sp.Expr:
    return expr - var * sp.diff(expr, var)


def verify_taylor_formula(ledger: Ledger, degree: int = 6) -> bool:
    """For sigma = sum c_k z^k (generic c_k): g = sum (1 - k) c_k z^k; the z^1 term of g is always 0."""
    cs = sp.symbols(f"c0:{degree + 1}", real=True)
    poly = sum(c * z**k for k, c in enumerate(cs))
    ok = ledger.identity("g(sum c_k z^k) = sum (1-k) c_k z^k", g_of(poly) - sum((1 - k) * c * z**k for k, c in enumerate(cs)))
    ok &= ledger.identity("the z^1 coefficient of g is 0", sp.expand(g_of(poly)).coeff(z, 1))
    return ok


def ledger_zero(c: sp.Expr) -> bool:
    """Whether a Taylor coefficient (a constant) is 0, decided by sympy exactly (never numerically)."""
    if c.is_zero is True or sp.simplify(c) == 0:
        return True
    if c.is_zero is False or sp.simplify(c).is_zero is False:
        return False
    raise ValueError(f"cannot decide whether {c} is 0")


def classify(name: str, ledger: Ledger, order: int = 5) -> dict[str, Any]:
    """The class of one activation, with sympy's exact leading term of g at 0."""
    act = ACTIVATIONS[name]
    if act.pieces is not None:
        zp, zn = sp.Symbol("z", positive=True), sp.Symbol("z", negative=True)
        pos, neg = act.pieces
        ok = ledger.identity(f"{name}: g = 0 on z > 0", g_of(pos(zp), zp))
        ok &= ledger.identity(f"{name}: g = 0 on z < 0", g_of(neg(zn), zn))
        ok &= ledger.identity(f"{name}: continuous at 0 with sigma(0) = 0", pos(sp.S(0)) - neg(sp.S(0)))
        return {"class": "homogeneous" if ok else "unclassified", "leading": "0 (off the kink)", "sigma(0)": "0",
                "sigma'(0)": "undefined (kink)" if pos(zp).diff(zp) != neg(zn).diff(zn) else "1"}
    sigma = act.sym(z)
    g = g_of(sigma)
    if sp.expand(g) == 0:
        ledger.identity(f"{name}: g = 0 identically", g)
        return {"class": "homogeneous", "leading": "0", "sigma(0)": str(sigma.subs(z, 0)),
                "sigma'(0)": str(sp.diff(sigma, z).subs(z, 0))}
    series = sp.expand(sp.series(g, z, 0, order).removeO())
    coeffs = [series.coeff(z, k) for k in range(order)]
    m = next((k for k, c in enumerate(coeffs) if not ledger_zero(c)), None)
    s0 = sp.simplify(sigma.subs(z, 0))
    ledger.identity(f"{name}: g(0) = sigma(0)", g.subs(z, 0) - s0)
    if m is not None and m >= 2:
        kth = sp.simplify(sp.diff(sigma, z, m).subs(z, 0))
        ledger.identity(f"{name}: leading coefficient of g is -(m-1) sigma^(m)(0)/m! (m = {m})",
                        coeffs[m] + (m - 1) * kth / sp.factorial(m))
    for k in range(1, m if m is not None else order):
        ledger.identity(f"{name}: coefficient of z^{k} in g is 0", coeffs[k])
    return {"class": CLASS_OF_ORDER.get(m, f"order {m}") if m is not None else f"order >= {order}",
            "leading": str(coeffs[m] * z**m) if m is not None else "0", "sigma(0)": str(s0),
            "sigma'(0)": str(sp.simplify(sp.diff(sigma, z).subs(z, 0)))}


def verify_classes(ledger: Ledger, expected: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    expected = EXPECTED if expected is None else expected
    table = {}
    for name in CLASSIFIED:
        row = classify(name, ledger)
        table[name] = row
        ledger.fact(f"{name} is in class {expected[name]} (found: {row['class']}, leading term {row['leading']})",
                    row["class"] == expected[name])
    found = sorted({row["class"] for row in table.values()})
    ledger.fact(f"four classes found: {found}", len(found) == 4)
    return table


def check_universality_classes(ctx: Context | None = None) -> Verdict:
    ledger = Ledger()
    verify_taylor_formula(ledger)
    table = verify_classes(ledger)
    classes = {c: sorted(n for n, row in table.items() if row["class"] == c) for c in DEFINITIONS}
    return ledger.verdict(
        "by the leading term of g = sigma - z sigma' at 0: homogeneous (g = 0: " + ", ".join(classes["homogeneous"])
        + "), offset (sigma(0) != 0: " + ", ".join(classes["offset"]) + "), quadratic (g ~ -sigma''(0) z^2/2: "
        + ", ".join(classes["quadratic"]) + "), cubic (g ~ -sigma'''(0) z^3/3: " + ", ".join(classes["cubic"]) + ")",
        {"definitions": DEFINITIONS, "table": table,
         "criterion": "order of the first nonzero Taylor term of g(z) = sigma(z) - z sigma'(z) at 0 (g = sigma(0) - "
                      "sum_{k>=2} (k-1) sigma^(k)(0) z^k/k!: the z^1 term always cancels)",
         "caveat": "the abstract does not name its four classes; these are ours, from this criterion"})
