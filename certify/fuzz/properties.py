"""The fuzzed statements, Propositions 3.2-3.4: a strategy to draw cases, a float evaluation, a rigorous re-check.

Each property draws an instance with :mod:`certify.fuzz.strategies` and evaluates the statement in
floats, reporting a *slack* (>= 0 when the statement holds, normalised by its scale); hypothesis'
``target`` pushes towards small slack.  A float violation is never a verdict: it is re-checked with
the kernel's enclosures or exact arithmetic, and only a certain violation counts as a counterexample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np
from flint import arb, fmpq
from hypothesis import assume
from hypothesis import strategies as st

from certify.core.instances import Instance
from certify.core.network import forward, frobenius_norm, localized_loss
from certify.fuzz import strategies as S
from certify.kernel.arith import BALL, EXACT
from certify.kernel.compare import nearest_float

#: a float slack below -TOL is re-checked rigorously; slacks in [-TOL, 0) are float rounding of an
#: equality case unless proven otherwise, and are reported (smallest slack) but not chased
TOL = 1e-12


@dataclass
class Evaluation:
    slack: float  # >= 0 when the statement holds (float estimate, normalised)
    violated: bool = False  # a certain violation (rigorous)
    evidence: dict[str, Any] = field(default_factory=dict)
    instance: Instance | None = None


@dataclass
class FuzzProperty:
    claim_id: str
    strategy: st.SearchStrategy
    evaluate: Callable[[Any], Evaluation]
    statement: str


def _sq(W) -> float:
    return float((np.asarray(W) * np.asarray(W)).sum())


def _flip_to_negative(inst: Instance) -> Instance | None:
    """Prop. 3.2 and 3.4 assume Tr[G^T Y] < 0: flip G when it is positive, reject exact zeros."""
    value = localized_loss(inst.weights, inst.X, inst.G)
    if not math.isfinite(value) or value == 0.0:
        return None
    if value > 0:
        return Instance(X=inst.X, G=-inst.G, weights=inst.weights, meta=inst.meta)
    return inst


# --- Prop. 3.4 -------------------------------------------------------------------------


def _needed(p: float, L: int) -> int:
    """Smallest integer >= (1 - p) L, with p taken exactly as the float it is."""
    q = (1 - Fraction(p)) * L
    return math.ceil(q)


def prop34_evaluate(case: tuple[Instance, float], bound_factor: float = 1.0) -> Evaluation:
    inst, p = case
    inst = _flip_to_negative(inst)
    assume(inst is not None)
    L = inst.depth
    fp = forward(inst.weights, inst.X)
    s0 = -float(np.sum(inst.G * fp.output))
    assume(s0 > 0 and math.isfinite(s0))
    xn, gn = frobenius_norm(inst.X), frobenius_norm(inst.G)
    ratio = xn * gn / s0
    assume(math.isfinite(ratio) and ratio > 0)  # a product that under- or overflows in floats: not a case
    bound = bound_factor * 2 * math.log(ratio) / (p * L)
    ratios = []
    for Z in fp.post:  # activations l = 0..L-1 (Z_0 = X)
        sv = np.linalg.svd(Z, compute_uv=False)
        total = float(np.sum(sv**2))
        ratios.append(1 - float(sv[0] ** 2) / total if total > 0 else 0.0)
    need = _needed(p, L)
    kth = sorted(ratios)[need - 1] if need >= 1 else -math.inf
    slack = (bound - kth) / (1 + abs(bound))
    ev = {"p": p, "L": L, "bound": bound, "ratios": ratios, "needed": need}
    violated = False
    if slack < -TOL:  # confirm with enclosures: only a certain violation counts
        from certify.instance.verdicts import check_prop34
        from certify.instance.enclosure import enclose_network
        from certify.kernel.verdict import Status

        net = enclose_network(inst)
        v = check_prop34(net, net.activations, ps=(p,), tighten=bound_factor)
        violated = v.status is Status.REFUTED
        ev["rigorous"] = v.status.value
    return Evaluation(slack, violated, ev, inst)


def prop34_property(bound_factor: float = 1.0, max_depth: int = 5) -> FuzzProperty:
    strategy = st.tuples(S.instances(in_ball=True, min_depth=1, max_depth=max_depth),
                         st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]))
    return FuzzProperty("prop3.4.fuzz", strategy, lambda c: prop34_evaluate(c, bound_factor),
                        "||theta||^2 <= L and Tr[G^T Z_L] <= -s0 < 0 imply at least (1-p)L of the activations "
                        "l = 0..L-1 have rank-one ratio <= 2 log(||X|| ||G|| / s0) / (pL)")


# --- Prop. 3.2 ---------------------------------------------------------------------------


def prop32_evaluate(case: tuple[Instance, int], loss_margin: float = 0.0) -> Evaluation:
    """L0 does not increase, ||theta'||^2 <= L + k, new layers rank one, no ReLU effect after layer L."""
    from certify.optimum.deepen import ConstructionError, deepen, unit_contributions

    inst, k = case
    inst = _flip_to_negative(inst)
    assume(inst is not None)
    L = inst.depth
    try:
        d = deepen(inst.weights, inst.X, inst.G, k)
    except ConstructionError:
        assume(False)
    before = localized_loss(inst.weights, inst.X, inst.G)
    after = localized_loss(d.weights, inst.X, inst.G)
    scale = 1 + abs(before)
    loss_slack = (before - loss_margin * abs(before) - after) / scale
    norm_slack = ((L + k) - sum(_sq(W) for W in d.weights)) / (L + k)
    fp = forward(d.weights, inst.X)
    ranks_ok = all(np.linalg.matrix_rank(W) <= 1 for W in d.weights[L - 2:])
    relu_ok = all(float(np.min(Z)) >= 0 for Z in fp.pre[L:L + k - 1]) if k > 1 else True
    slack = min(loss_slack, norm_slack)
    ev = {"k": k, "L0_before": before, "L0_after": after, "loss_slack": loss_slack, "norm_slack": norm_slack,
          "ranks_at_most_one": ranks_ok, "no_relu_effect_after_L": relu_ok, "chosen_unit": d.chosen_unit}
    violated = not ranks_ok or not relu_ok
    if loss_slack < -TOL:
        # rigorous: L0(theta') = S c_{i*} for the exact construction; compare S c_{i*} with
        # sum_i a_i b_i c_i - margin |L0(theta)| in balls (a_i, b_i are square roots of exact sums)
        a, b, c = unit_contributions(inst.weights, inst.X, inst.G)
        WL, WL1 = inst.weights[-1], inst.weights[-2]
        prev = forward(inst.weights[:-1], inst.X, BALL).post[-1]
        Gb = BALL.array(inst.G)
        terms, cs = [], {}
        for i in np.nonzero(~np.isnan(c))[0]:
            ai = (sum((arb(float(x)) ** 2 for x in WL[:, i]), arb(0))).sqrt()
            bi = (sum((arb(float(x)) ** 2 for x in WL1[i]), arb(0))).sqrt()
            unit = BALL.relu((BALL.array(WL1[i][None, :]) * (1 / bi)) @ prev)
            col = BALL.array(WL[:, i][:, None]) * (1 / ai)
            ci = (Gb * (col @ unit)).sum()
            cs[int(i)] = ci
            terms.append(ai * bi)
        S_ball = sum(terms, arb(0))
        exact_before = localized_loss(inst.weights, inst.X, inst.G, EXACT)
        rhs = arb(exact_before) - arb(loss_margin) * abs(arb(exact_before))
        lhs = S_ball * cs[d.chosen_unit]
        violated = violated or bool(lhs > rhs)
        ev["rigorous_loss_check"] = f"S c_i* = {lhs.str(8)} vs {rhs.str(8)}"
    if norm_slack < -TOL:
        # the float-built theta' is what we measure; its exact squared norm decides
        exact_sq = sum(((EXACT.array(W) * EXACT.array(W)).sum() for W in d.weights), fmpq(0))
        violated = violated or bool(exact_sq > L + k)
        ev["exact_norm_sq"] = nearest_float(exact_sq)
    return Evaluation(slack, violated, ev, inst)


def prop32_property(loss_margin: float = 0.0) -> FuzzProperty:
    strategy = st.tuples(S.instances(in_ball=True, min_depth=2, max_depth=4), st.integers(1, 3))
    return FuzzProperty("prop3.2.fuzz", strategy, lambda c: prop32_evaluate(c, loss_margin),
                        "the deepened network has L0(theta') <= L0(theta), ||theta'||^2 <= L + k, rank-one new "
                        "layers and no ReLU effect after layer L")


# --- Prop. 3.3: what can be fuzzed -------------------------------------------------------


@st.composite
def _prop33_cases(draw: Any) -> tuple[Instance, np.ndarray, np.ndarray, float, np.ndarray]:
    w = draw(S.widths(min_depth=1, max_depth=4, max_width=4))
    n = draw(st.integers(1, 5))
    Ws = draw(S.parameters_in_ball(S.relu_networks(layer_widths=w)))
    X, u, v, eps = draw(S.nearly_rank_one_data(d_in=w[0], n_points=n, max_eps=0.5))
    G = draw(S.cost_gradients(d_out=w[-1], n_points=n))
    B = draw(S.matrices(w[0], n, allow_zero_rows=False, allow_zero_columns=False))
    return Instance(X=X, G=G, weights=tuple(Ws)), u, v, eps, B


def prop33_evaluate(case, lipschitz_factor: float = 1.0) -> Evaluation:
    """(a) Tr[G^T Y(uv^T)] >= -||Gv|| ||u||; (b) ||Y(A) - Y(B)|| <= prod ||W_l||_F ||A - B|| (Lipschitz);
    (c) |Tr[G^T Y(uv^T + E)] - Tr[G^T Y(uv^T)]| <= ||G||_F prod ||W_l||_F ||E||_F, for ||theta||^2 <= L."""
    inst, u, v, eps, B = case
    Ws, G = inst.weights, inst.G
    prod = float(np.prod([frobenius_norm(W) for W in Ws]))
    R = np.outer(u, v)
    Y_R = forward(Ws, R).output
    Y_X = forward(Ws, inst.X).output
    Y_B = forward(Ws, B).output
    gv = frobenius_norm(G @ v)
    scale_a = 1 + gv * frobenius_norm(u)
    slack_a = (float(np.sum(G * Y_R)) + gv * frobenius_norm(u)) / scale_a
    rhs_b = lipschitz_factor * prod * frobenius_norm(inst.X - B)
    slack_b = (rhs_b - frobenius_norm(Y_X - Y_B)) / (1 + rhs_b)
    E = inst.X - R
    rhs_c = frobenius_norm(G) * prod * frobenius_norm(E)
    slack_c = (rhs_c - abs(float(np.sum(G * Y_X)) - float(np.sum(G * Y_R)))) / (1 + rhs_c)
    slack = min(slack_a, slack_b, slack_c)
    ev = {"slack_rank_one_value": slack_a, "slack_lipschitz": slack_b, "slack_around_4": slack_c, "eps": eps}
    violated = False
    if slack < -TOL:  # re-evaluate the failing part with balls
        Wb = [BALL.array(W) for W in Ws]
        prod_b = arb(1)
        for W in Wb:
            prod_b *= (W * W).sum().sqrt()
        norm = lambda M: (M * M).sum().sqrt()  # noqa: E731
        YRb = forward(Wb, BALL.array(R), BALL).output
        YXb = forward(Wb, BALL.array(inst.X), BALL).output
        YBb = forward(Wb, BALL.array(B), BALL).output
        Gb = BALL.array(G)
        if slack_a < -TOL:
            gvb = norm(Gb @ BALL.array(v[:, None]))
            violated |= bool((Gb * YRb).sum() + gvb * norm(BALL.array(u)) < 0)
        if slack_b < -TOL:
            violated |= bool(norm(YXb - YBb) > arb(lipschitz_factor) * prod_b * norm(BALL.array(inst.X - B)))
        if slack_c < -TOL:
            diff = abs((Gb * YXb).sum() - (Gb * YRb).sum())
            violated |= bool(diff > norm(Gb) * prod_b * norm(BALL.array(inst.X) - BALL.array(R)))
        ev["rigorous"] = "violation certain" if violated else "no certain violation"
    return Evaluation(slack, violated, ev, inst)


def prop33_property(lipschitz_factor: float = 1.0) -> FuzzProperty:
    return FuzzProperty("prop3.3.fuzz", _prop33_cases(), lambda c: prop33_evaluate(c, lipschitz_factor),
                        "the fuzzable steps of Prop. 3.3: the rank-one value -||Gv|| ||u||, the Lipschitz bound and the "
                        "bound around inequality (4), for ||theta||^2 <= L")


PROPERTIES: dict[str, Callable[[], FuzzProperty]] = {
    "prop3.2.fuzz": prop32_property,
    "prop3.3.fuzz": prop33_property,
    "prop3.4.fuzz": prop34_property,
}
