"""Proposition 3.3 = A.6: nearly rank-one inputs give nearly rank-one layers (Appendix A.5.2).

Claim (Section 3.2, Prop. 3.3): for the minimiser theta* over ||theta||^2 <= L of
Tr[G^T Y_theta(u v^T + X)], u, v >= 0, ||X||_F <= eps, every layer's rank-one ratios (of W_l and
Z_l^s) and ReLU gap are at most 8 ||G||_F eps / (s* - ||G||_F eps).
Claim (Appendix, Prop. A.6), as printed: the same with the bound 8 ||G||_F eps / (s* - ||G||_F).

We check the algebra of the proof step by step with symbols g = ||G||_F, a = ||Gv||,
nu = ||u||, nv = ||v||, y = ||Y_theta*(u)||, e = eps, S = s*:

1. combining the upper bound -a nu + g e with the lower bound (4), -a y - g e, gives
   y/nu >= 1 - 2 g e/(a nu);
2. (x - d)/(1 + d) >= x - 2d for x <= 1 + 2d, d >= 0, giving the ratio bound
   1 - 2 (g/(a nu) + 1/(nu nv)) e =: 1 - 2 C e;
3. squaring: 1 - (1 - 2Ce)^2 <= 4 C e;
4. 4 C <= 8 g/(a nu) because a <= g nv (||Gv|| <= ||G||_F ||v||);
5. (4) with y <= nu gives a nu >= S - g e, hence 8 g e/(a nu) <= 8 g e/(S - g e);
6. the ReLU gap: <relu(Z), Z - relu(Z)> = 0 entrywise, so ||Z||^2 = ||Z^s||^2 + ||Z - Z^s||^2.

Step 5 divides by S - g e: the chain needs the hypothesis ||G||_F eps < s*, which neither
statement makes.  Without it Prop. 3.3 fails: u = v = (1), G = (1), X = 0, eps = 2 has s* = 1 and
bound 8*2/(1 - 2) = -16 < 0, while the ratios are >= 0.  Also, the proof's telescoping product
controls Z_l^s / Z_l only for l <= L - 1, so the ReLU-gap part holds for l < L (the output layer
has no ReLU; with X = [1], G = [1] the bound is 0 but Z_L = -1 has gap 1).  With these two
corrections the chain proves Prop. 3.3's bound.  The appendix's statement also drops an eps: it is
negative whenever s* < ||G||_F; u = (1), v = (1, 0), G = (1, 1), X = 0 is such a case
(s* <= ||Gv|| ||u|| = 1 < sqrt 2).  Typos in the proof are listed as notes: (4) prints
-Tr[G^T Y(uv^T)] for Tr[G^T Y(uv^T)], and one display drops an eps.
"""

from __future__ import annotations

import sympy as sp

from certify.claims.base import Context
from certify.kernel.verdict import Status, Verdict
from certify.proofs._sym import Ledger

g, a, nu, nv, y, e, S, d, x = sp.symbols("g a nu nv y e S d x", positive=True)
D = sp.Symbol("D", positive=True)  # S - g e under the hypothesis ||G||_F eps < s*
C = g / (a * nu) + 1 / (nu * nv)
MAIN_BOUND = 8 * g * e / (S - g * e)
APPENDIX_BOUND = 8 * g / (S - g) * e


def verify_chain(ledger: Ledger, *, factor: int = 8, assume_small_eps: bool = True) -> bool:
    """The proof's steps.  ``assume_small_eps`` adds the hypothesis ||G||_F eps < s* (S = D + g e, D > 0)
    that step 5 needs; without it the sign of S - g e is unknown and the chain does not go through.

    Each sign fact is read off the expression the step is about (after substituting its hypothesis),
    never off a restated form."""
    ok = True
    w = sp.Symbol("w", nonnegative=True)  # a slack: x = 1 + 2d - w (step 2), g nv = a + w (step 4)
    denominator = (S - g * e).subs(S, D + g * e) if assume_small_eps else S - g * e
    ok &= ledger.fact("S - g e > 0 (the division in step 5)", bool(denominator.is_positive))
    hyp = (-a * nu + g * e) - (-a * y - g * e)  # >= 0: lower bound (4) <= upper bound
    ok &= ledger.identity("y/nu - (1 - 2ge/(a nu)) = [upper - lower]/(a nu)",
                          (y / nu - (1 - 2 * g * e / (a * nu))) - hyp / (a * nu))
    step2 = (x - d) / (1 + d) - (x - 2 * d)
    ok &= ledger.identity("(x - d)/(1 + d) - (x - 2d) = d (1 + 2d - x)/(1 + d)", step2 - d * (1 + 2 * d - x) / (1 + d))
    ok &= ledger.fact("(x - d)/(1 + d) >= x - 2d for x <= 1 + 2d",
                      bool(sp.factor(step2.subs(x, 1 + 2 * d - w)).is_nonnegative))
    ok &= ledger.fact("(x - d)/(1 + d) is increasing in x", bool(sp.diff((x - d) / (1 + d), x).is_positive))
    lower = 1 - 2 * g * e / (a * nu)
    ok &= ledger.identity("lower - 2 e/(nu nv) = 1 - 2 C e", lower - 2 * e / (nu * nv) - (1 - 2 * C * e))
    square_gap = (1 - 2 * C * e) ** 2 - (1 - 4 * C * e)
    ok &= ledger.identity("(1 - 2Ce)^2 - (1 - 4Ce) = 4 C^2 e^2", square_gap - 4 * C**2 * e**2)
    ok &= ledger.fact("1 - (1 - 2Ce)^2 <= 4 C e", bool(sp.factor(square_gap).is_nonnegative))
    step4 = factor * g / (a * nu) - 4 * C
    ok &= ledger.identity(f"{factor} g/(a nu) - 4C = 4 (g nv - a)/(a nu nv)", step4 - 4 * (g * nv - a) / (a * nu * nv))
    ok &= ledger.fact(f"{factor} g/(a nu) >= 4C since ||Gv|| <= ||G|| ||v||",
                      bool(sp.factor(step4.subs(g, (a + w) / nv)).is_nonnegative))
    # (4) with y <= nu: -S = Tr >= -a y - g e >= -a nu - g e  =>  a nu - (S - g e) = (-S) - (-a nu - g e) >= 0
    ok &= ledger.identity("a nu - (S - g e) = Tr - (-a nu - g e)", (a * nu - (S - g * e)) - ((-S) - (-a * nu - g * e)))
    step5 = MAIN_BOUND - 8 * g * e / (a * nu)
    ok &= ledger.identity("8ge/(S - ge) - 8ge/(a nu) = 8ge (a nu - (S - ge)) / ((S - ge) a nu)",
                          step5 - 8 * g * e * (a * nu - (S - g * e)) / ((S - g * e) * a * nu))
    if assume_small_eps:  # a nu = S - g e + w (w >= 0, from the line above), S - g e = D > 0
        ok &= ledger.fact("8ge/(a nu) <= the bound (a nu >= S - g e > 0)",
                          bool(sp.factor(step5.subs(a, (D + w) / nu).subs(S, D + g * e)).is_nonnegative))
    zp, zn = sp.Symbol("z", positive=True), sp.Symbol("z", negative=True)
    for z, tag in ((zp, "z > 0"), (zn, "z < 0"), (sp.S(0), "z = 0")):
        ok &= ledger.identity(f"relu(z) (z - relu(z)) = 0, {tag}", sp.Max(z, 0) * (z - sp.Max(z, 0)))
    return ok


def appendix_counterexample() -> dict[str, object]:
    """u = (1), v = (1, 0), G = (1, 1), X = 0: s* <= ||Gv|| ||u|| = 1 by Cauchy-Schwarz and Lemma A.4."""
    G = sp.Matrix([[1, 1]])
    v = sp.Matrix([1, 0])
    u_norm = sp.Integer(1)
    g_val = sp.sqrt(sum(c**2 for c in G))
    s_upper = (G * v).norm() * u_norm
    eps = sp.Rational(1, 10)
    w_slack = sp.Symbol("w", nonnegative=True)
    # for every S in (0, g) the printed bound 8 g e/(S - g) has a negative denominator; s* <= s_upper < g
    at_upper = APPENDIX_BOUND.subs({g: g_val, S: s_upper, e: eps})
    return {
        "||G||_F": g_val,
        "s* upper bound": s_upper,
        "eps": eps,
        "appendix bound at s* = 1": sp.simplify(at_upper),
        # the printed bound itself at every s* in (0, s_upper] (s* = s_upper/(1 + w), w >= 0): negative
        "negative": bool(sp.factor(sp.simplify(APPENDIX_BOUND.subs({g: g_val, e: eps, S: s_upper / (1 + w_slack)})))
                         .is_negative),
    }


def main_counterexample() -> dict[str, object]:
    """u = v = (1), G = (1), X = 0, eps = 2: the input is [[1]], |Y| <= prod ||W_l||_F <= 1 (Lemma A.4) with
    equality for W_l = [1], W_L = [-1], so s* = 1; every matrix is 1 x 1, so every ratio is 0."""
    bound = MAIN_BOUND.subs({g: 1, e: 2, S: 1})
    return {"s*": 1, "eps": 2, "||G||_F": 1, "bound": bound, "ratios": 0, "violated": bool(bound < 0)}


NOTES = [
    "(4) prints Tr[G^T Y(uv^T + X)] >= -Tr[G^T Y(uv^T)] - ||G|| eps; the Lipschitz step gives "
    "Tr[G^T Y(uv^T)] - ||G|| eps (no minus sign)",
    "the display after 'by using the above inequality' misplaces eps on its first term",
    "step 3 needs 1 - 2Ce >= 0; otherwise 4Ce >= 2 and the bound holds trivially",
    "the statement minimises over ||theta||^2 <= L, the proof over ||theta||^2 = L: the same minimiser when s* > 0",
    "the ReLU gap is controlled for l <= L - 1 only (the output Z_L has no ReLU): X = [1], G = [1] gives bound 0 "
    "but Z_L = -1 with gap 1",
]


def check_main_statement(ctx: Context | None = None) -> Verdict:
    printed = Ledger()
    printed_ok = verify_chain(printed, assume_small_eps=False)
    cx = main_counterexample()
    corrected = Ledger()
    corrected_ok = verify_chain(corrected, assume_small_eps=True)
    ev = {"printed": "for all l, ratios <= 8 ||G||_F eps / (s* - ||G||_F eps)",
          "corrected": "if ||G||_F eps < s*: ratios of W_l (l = 1..L) and Z_l^s (l = 0..L-1) and ReLU gaps of Z_l "
                       "(l = 1..L-1) are <= 8 ||G||_F eps / (s* - ||G||_F eps)",
          "printed_failures": printed.failed, "counterexample": {k: str(v) for k, v in cx.items()},
          "corrected_ledger": corrected.evidence(), "notes": NOTES}
    cv = Verdict(Status.PROVED if corrected_ok else Status.REFUTED,
                 "with ||G||_F eps < s* (and the gap for l < L), each step from (4) to the bound reduces to 0"
                 if corrected_ok else f"step failed: {corrected.failed[0]}", None, {})
    if printed_ok and not cx["violated"]:  # pragma: no cover
        return Verdict(Status.PROVED, "the printed statement's proof goes through", None, ev)
    return Verdict(Status.ERRATUM, "as printed Prop. 3.3 lacks the hypothesis ||G||_F eps < s* that its proof divides "
                   "by: u = v = (1), G = (1), X = 0, eps = 2 give s* = 1 and bound -16 < 0 = every ratio; the ReLU "
                   "gap holds for l < L only", None, ev, corrected=cv)


def check_appendix_statement(ctx: Context | None = None) -> Verdict:
    cx = appendix_counterexample()
    differ = sp.simplify(MAIN_BOUND - APPENDIX_BOUND) != 0
    chain = Ledger()
    chain_ok = verify_chain(chain)
    ev = {
        "printed (A.6)": "8 ||G||_F / (s* - ||G||_F) eps",
        "Prop. 3.3 and the proof's last line": "8 ||G||_F / (s* - ||G||_F eps) eps",
        "counterexample": {k: str(v) for k, v in cx.items()},
    }
    corrected = Verdict(Status.PROVED if chain_ok else Status.REFUTED,
                        "Prop. 3.3's bound 8 ||G|| eps/(s* - ||G|| eps) under ||G||_F eps < s* (gap for l < L): every "
                        "step of the proof reduces to 0", None, {})
    if not differ or not cx["negative"]:  # pragma: no cover
        return Verdict(Status.ERROR, "expected the appendix's printed bound to differ and to go negative", None, ev)
    return Verdict(Status.ERRATUM, f"A.6 prints 8||G||/(s* - ||G||) eps: negative when s* < ||G||_F, e.g. u = (1), "
                   f"v = (1,0), G = (1,1), X = 0 (s* <= 1 < sqrt 2; bound at eps = 1/10: "
                   f"{cx['appendix bound at s* = 1']}) while ratios are >= 0; Section 3.2's form holds once "
                   "||G||_F eps < s* is assumed",
                   None, ev, corrected=corrected)
