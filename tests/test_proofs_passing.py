"""Footnote 1, the origin remark of Section 2, and two statements of Section 2.2 made in passing.

Each check as registered, its counterexample where it is an erratum, and planted falsehoods (a wrong sign,
constant, time or activation) that must not come out proved."""

import sympy as sp

import certify.core.paths
from certify.gate.claim import Context
from certify.kernel.verdict import Status
from certify.proofs import example1_footnote1 as fn
from certify.proofs import section2_origin as origin
from certify.proofs import section2_passing as passing
from certify.kernel.symbolic import Ledger


def ctx() -> Context:
    return Context(seed=0, data_dir=certify.core.paths.data_dir())


# --- footnote 1 --------------------------------------------------------------------------------------

def test_footnote_targets_give_the_opposite_sign():
    v = fn.check_targets(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert v.message.startswith("sign (and scale) only: s* is unchanged (footnote1.eq2-sign)")
    assert "G_2 = -1/4 vs +1" in v.message  # the strict reading's counterexample stays in the headline
    cx = v.evidence["counterexample"]
    assert cx["G_j from the footnote"] == "-1/4" and cx["G_j in Example 1"] == "1"
    for name, c in fn.LOSSES.items():
        assert v.evidence["per_loss"][name]["G = k (-1)^j with k"] == str(-2 * c)


def test_footnote_gradient_is_minus_2c_targets():
    targets = fn.footnote_targets()
    for c in fn.LOSSES.values():
        assert fn.gradient_at_zero(c, targets) == -2 * c * targets


def test_footnote_printed_sign_of_targets_is_not_proved():
    assert fn.verify_targets(Ledger(), target_sign=-1)
    led = Ledger()
    assert not fn.verify_targets(led, target_sign=+1)
    assert len(led.failed) == len(fn.LOSSES)


def test_eq2_sign_under_footnote_gradient():
    v = fn.check_eq2_sign(ctx())
    assert v.status is Status.PROVED
    rows = v.evidence["per_loss"]
    assert [rows[n]["eq2_speed"] for n in fn.LOSSES] == ["1/8", "1/2", "1"]
    assert [rows[n]["stated values (sqrt 2 - 1, 1/2) hold"] for n in fn.LOSSES] == [False, True, False]
    _, G = fn.data()
    assert fn.eq2_speed(G) == sp.Rational(-1, 2)  # the printed G: the sign slip


def test_eq2_sign_planted_falsehoods():
    wrong = {n: sp.Rational(1, 2) for n in fn.LOSSES}  # "1/2 for every loss" is false for A.1's MSE
    led = Ledger()
    assert not fn.verify_eq2_sign(led, expected=wrong)["ok"]
    assert any("speed 1/2 [A.1 MSE" in f for f in led.failed)
    assert not fn.verify_sign_symmetry(Ledger(), flip_last=False)  # negating G alone changes L0


# --- the origin ----------------------------------------------------------------------------------------

def test_origin_remark_is_an_erratum_with_proved_correction():
    v = origin.check_origin_differentiable(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    k2 = v.evidence["kinks_near_0"]["depth2"]
    assert (k2["D+"], k2["D-"]) == ("eps", "0")
    assert v.evidence["counterexample"]["L0(a, b)"] == "a*Max(0, b)"


def test_origin_planted_falsehoods():
    assert origin.verify_depth2_bound(Ledger())
    assert not origin.verify_depth2_bound(Ledger(), constant=sp.Rational(1, 4))  # a relu(a) = a^2 > a^2/2
    assert not origin.kink_points(Ledger(), b0=sp.S(1))["ok"]  # (eps, eps) is off the kink cone
    assert not origin.verify_no_order_L(Ledger(), activation=lambda z: z)  # a linear net is a polynomial


def test_origin_depth2_bound_covers_zero_cases():
    led = Ledger()
    assert origin.verify_depth2_bound(led)
    assert len(led.checked) == 9 and any("[a = 0, b > 0]" in c for c in led.checked)
    assert any("[a > 0, b = 0]" in c for c in led.checked)


def test_origin_cost_composition_steps():
    led = Ledger()
    assert origin.verify_cost_composition(led) and not led.failed and len(led.checked) == 4
    v = origin.check_origin_differentiable(ctx())
    steps = v.evidence["corrected_ledger"]["steps"]
    assert any("grad C(0)" in c for c in steps) and "C's differentiability is the hypothesis" in v.corrected.message


def test_origin_parity_and_ray_argument_for_every_degree_used():
    led = Ledger()
    assert origin.verify_no_order_L(led)
    assert any("symbolic exponents" in c for c in led.checked)
    for d in (2, 3, 4, 5, 6):
        assert any(f"degree {d} in {d} variables" in c for c in led.checked)
        assert any(c.startswith(f"L = {d}: with c_k = 0 for k < L") for c in led.checked)
    bad = Ledger()
    assert not origin.verify_no_order_L(bad, depths=(2, 3), flip=-1)  # a wrong parity sign and wrong limit signs
    assert any("symbolic exponents" in f for f in bad.failed) and any("lim t^2 q = -c_0" in f for f in bad.failed)


def test_kinks_and_t_time_are_decided_by_exact_evaluation():
    assert origin.differ_at(sp.Symbol("eps") ** 2, sp.Symbol("eps"))
    assert not origin.differ_at(sp.Symbol("eps") - sp.Symbol("eps"), sp.Symbol("eps"))
    assert not origin.differ_at(sp.Symbol("eps") - sp.Rational(1, 10), sp.Symbol("eps"))  # 0 at eps = 1/10
    led = Ledger()
    assert passing.verify_alpha_scaling(led)
    assert any("has square 48 != 0 (exact)" in c for c in led.checked)


def test_origin_taylor_order_proved_and_values_exact():
    assert origin.check_origin_taylor_order(ctx()).status is Status.PROVED
    ws, l0 = origin.chain_loss(2)
    assert l0.subs({w: 1 for w in ws}) == 1 and l0.subs({w: -1 for w in ws}) == 0


# --- Section 2.2: alpha scaling and the output bound -----------------------------------------------------

def test_alpha_scaling_holds_in_q_time_only():
    assert passing.check_alpha_scaling(ctx()).status is Status.PROVED
    led = Ledger()
    assert not passing.verify_alpha_scaling(led, time_change=lambda n: sp.S(1))  # t-time: the norm enters
    assert "theta_bar's rate in the new time is free of ||theta|| (d/dn of the factor = 0)" in led.failed


def test_output_bound_proved_with_equality_cases():
    v = passing.check_output_bound(ctx())
    assert v.status is Status.PROVED
    assert v.evidence["attained"] == [f"equality-depth{d}" for d in (1, 2, 3, 4)]
    r = passing.decide_output_bound(*passing.example1_eq2())
    assert r["||Y||^2"] == sp.Rational(1, 8) and r["prod op^2 in"] == (sp.Rational(1, 2), sp.Rational(1, 2))
    assert r["first"] and r["second"] and not r["first_equal"]


def test_output_bound_planted_falsehoods():
    Ws, X = passing.equality_network(3)
    half = passing.decide_output_bound(Ws, X, factor=sp.Rational(1, 2))
    assert half["first_fails"] and half["second_fails"]
    doubled = passing.decide_output_bound(Ws, X, activation=lambda z: 2 * passing.relu(z))
    assert doubled["first_fails"]
    assert not passing.verify_output_bound_steps(Ledger(), activation=lambda z: 2 * passing.relu(z))
