"""Every fact a 'proved' verdict uses is computed from the object it is about.

Each test substitutes a false object (a wrong inequality pair, a wrong derivative source, a wrong
bound) and asserts that the module no longer proves: a fact restated beside its object would let
the false object through."""

import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import appendix_a4_depth as a4
from certify.proofs import appendix_a5_weak_control as a5
from certify.proofs import appendix_a6_strong_control as a6
from certify.proofs import appendix_a7_perron as a7
from certify.proofs import appendix_a8_theorem as a8
from certify.proofs import example1
from certify.proofs import followup_imbalance as FI
from certify.proofs import section2_gradient_flow as gf
from certify.proofs import section4_optimal_speed as s4
from certify.kernel.symbolic import Ledger, to_arb


def _proved(v) -> bool:
    """Proved outright, or an erratum whose corrected statement is proved."""
    return v.status is Status.PROVED or (v.status is Status.ERRATUM and v.corrected.status is Status.PROVED)


# --- appendix_a5_weak_control: 1 - 1/x <= log x ---------------------------------------------------

def test_a5_log_step_sign_comes_from_g():
    ledger = Ledger()
    assert not a5.verify_log_step(ledger, lower=lambda x: 1 - 1 / x**2)  # 1 - 1/x^2 <= log x is false near 1
    assert any(step.startswith("g' = ") for step in ledger.failed)
    assert a5.verify_log_step(Ledger())


def test_a5_false_pair_is_not_proved(monkeypatch):
    assert a5.check_prop34_steps().status is Status.PROVED
    monkeypatch.setattr(a5, "rank_one_ratio", lambda x: 1 - 1 / x**2)
    assert a5.check_prop34_steps().status is not Status.PROVED
    monkeypatch.undo()
    monkeypatch.setattr(a5, "log_ratio", lambda x: sp.log(x) / 2)  # (1/2) log x >= 1 - 1/x fails near 1
    assert a5.check_prop34_steps().status is not Status.PROVED


# --- appendix_a4_depth: the argmin step ---------------------------------------------------------------

def test_a4_loss_step_sign_is_read_off_the_gap():
    ledger = Ledger()
    assert not a4.verify_loss_step(ledger, spread=-1)
    assert "sum w_i c_i - S c_min >= 0 for w, d >= 0" in ledger.failed


# --- appendix_a6_strong_control: the chain ------------------------------------------------------------

def test_a6_sign_facts_come_from_the_steps():
    ledger = Ledger()
    assert not a6.verify_chain(ledger, factor=4)
    assert "4 g/(a nu) >= 4C since ||Gv|| <= ||G|| ||v||" in ledger.failed
    ledger = Ledger()
    assert not a6.verify_chain(ledger, assume_small_eps=False)
    assert ledger.failed == ["S - g e > 0 (the division in step 5)"]


def test_a6_step5_needs_the_real_bound(monkeypatch):
    monkeypatch.setattr(a6, "MAIN_BOUND", 8 * a6.g * a6.e / (a6.S + a6.g * a6.e))  # a false, smaller bound
    assert not _proved(a6.check_main_statement())


def test_a6_appendix_counterexample_uses_the_printed_bound(monkeypatch):
    assert a6.appendix_counterexample()["negative"]
    monkeypatch.setattr(a6, "APPENDIX_BOUND", a6.MAIN_BOUND)  # a bound that is not negative there
    assert not a6.appendix_counterexample()["negative"]
    assert a6.check_appendix_statement().status is not Status.ERRATUM


# --- appendix_a7_perron: the terms of the expansion -----------------------------------------------------

def test_a7_term_signs_are_decided_on_the_terms():
    ledger = Ledger()
    assert not a7.verify_absolute_value_step(ledger, nonnegative=False)
    assert "each a_ij a_ik (|u_j||u_k| - u_j u_k) >= 0, every sign pattern of u" in ledger.failed
    u = sp.symbols("u0:2", real=True)
    assert not a7._terms_nonnegative([u[0] * u[1]], u)  # a term of either sign
    assert a7._terms_nonnegative([sp.Abs(u[0] * u[1]) - u[0] * u[1]], u)


# --- appendix_a8_theorem: c > 1 on Example 1, monotonicity ----------------------------------------------

def test_a8_example1_constant_is_computed_from_c(monkeypatch):
    r = sp.Symbol("r", positive=True)
    assert a8.example1_constant()["c > 1"]
    assert not a8.example1_constant(r * sp.sqrt(sp.log(r)))["c > 1"]  # sqrt(log sqrt 2) < 1
    monkeypatch.setattr(a8, "c_as_function_of_r", lambda r: r * sp.sqrt(sp.log(r)))
    assert a8.check_appendix_statement().status is not Status.ERRATUM


def test_a8_monotonicity_of_c_is_derived(monkeypatch):
    monkeypatch.setattr(a8, "c_as_function_of_r", lambda r: r * sp.sqrt(2 * sp.log(r)) - 3 * r)
    v = a8.check_appendix_statement()
    assert not _proved(v)


def test_to_arb_encloses_and_refuses():
    import pytest
    from flint import arb

    q = sp.Symbol("q")
    cases = [sp.sqrt(2) * sp.log(3) - sp.Rational(1, 3), sp.Rational(-3, 7), sp.Integer(-5), sp.sqrt(2) ** 3,
             2 ** sp.Rational(-1, 2), 3 ** sp.Rational(-3, 2), sp.Rational(5, 4) ** -2, sp.pi / 8 + sp.exp(1),
             sp.sin(sp.pi / 8) - sp.cos(sp.Rational(2, 3)), q**2 - 2 * q + sp.log(q),
             q ** sp.Rational(-3, 2), (q + 1) ** sp.Rational(-1, 2), q ** sp.Rational(5, 2), q**-3]
    for expr in cases:
        ball = to_arb(expr, {q: arb(3) / 2})
        exact = sp.N(expr.subs(q, sp.Rational(3, 2)), 40)
        assert ball.rad() < 1e-10 and ball.overlaps(arb(str(exact))), expr
    with pytest.raises(ValueError):
        to_arb(q)
    with pytest.raises(ValueError):
        to_arb(sp.tan(sp.Integer(1)))


# --- example1: eq. (6) -----------------------------------------------------------------------------------

def test_example1_derivative_is_taken_from_eq6(monkeypatch):
    wrong = lambda x: sp.cos(x + sp.pi / 4) - sp.cos(x) + sp.cos(x - sp.pi / 4) + sp.cos(x - sp.pi / 2)  # noqa: E731
    ledger = Ledger()
    example1.max_rank_one_speed(ledger, expression=wrong)
    assert "f'(xi) < 0 on all of [0, pi/4] (Arb enclosure of sympy's derivative)" in ledger.failed
    monkeypatch.setattr(example1, "printed_eq6", wrong)
    assert example1.check_eq6().status is not Status.PROVED
    assert example1.check_rank_one_speed().status is not Status.PROVED


def test_example1_signs_are_decided_from_the_preactivation():
    phi = example1.phi
    assert example1._sign_on_quarter(sp.cos(phi)) == 1
    assert example1._sign_on_quarter(-sp.sin(phi + sp.pi / 8)) == -1
    assert example1._sign_on_quarter(sp.sin(phi - sp.pi / 8)) == 0  # a zero inside (0, pi/4)


# --- section2_gradient_flow ---------------------------------------------------------------------------------

def test_q_time_derivative_comes_from_the_definition(monkeypatch):
    assert gf.check_q_time().corrected.status is Status.PROVED
    monkeypatch.setattr(gf, "q_integrand", lambda n: n ** (gf.L - 1))
    assert not _proved(gf.check_q_time())


def test_prop22_formula_is_differentiated(monkeypatch):
    assert _proved(gf.check_prop22())
    real = gf.norm_formula

    def wrong(rate, depth=gf.L):
        f = real(rate, depth)
        return f if sp.S(depth) == 2 else f.base ** (1 / (1 - sp.S(depth)))
    monkeypatch.setattr(gf, "norm_formula", wrong)
    assert not _proved(gf.check_prop22())


def test_width_one_flow_is_read_off_the_loss():
    flow = gf.width_one_flow(3)
    assert flow["speed"] == 1 and flow["R0"] == sp.sqrt(3) and flow["ode_ok"]


def test_escape_bound_uses_the_output_bound(monkeypatch):
    assert _proved(gf.check_escape_time_bound())
    monkeypatch.setattr(gf, "output_bound", lambda R, depth=gf.L: (R / sp.sqrt(depth)) ** depth)  # ||X||_F dropped
    assert not _proved(gf.check_escape_time_bound())


def test_escape_counterexample_is_solved_from_the_flow():
    cx = gf.escape_counterexample()
    assert cx["t1 - t0 (exact flow)"] == sp.Rational(1, 88) and cx["corrected_holds"]


# --- followup_imbalance ------------------------------------------------------------------------------------

def test_homogeneity_is_computed_from_the_pieces(monkeypatch):
    assert not FI.homogeneous_pieces(Ledger(), pieces=(lambda v: v + 1, lambda v: 0 * v))
    monkeypatch.setattr(FI, "leaky_pieces", lambda a, b: (lambda v: a * v**2, lambda v: b * v))
    assert FI.check_weak_balancedness().status is not Status.PROVED


def test_region_derivative_is_differentiated():
    act = FI._region_act((2, 0), 2, offset=sp.Integer(1))
    z = sp.Symbol("z")
    assert act(0, 0, z) == (2 * z + 1, 2) and act(0, 1, z) == (sp.Integer(1), 0)


def test_sandwich_uses_the_proved_velocity(monkeypatch):
    assert FI.verify_sandwich(Ledger())
    monkeypatch.setattr(FI, "u_velocity", lambda kappa, uu, vv, small, depth: kappa * uu**small * vv ** (depth - small))
    assert not FI.verify_sandwich(Ledger())
    assert not FI.verify_product_reduction(Ledger(), 3, 3)


def test_sandwich_bounds_use_v_power(monkeypatch):
    monkeypatch.setattr(FI, "v_power", lambda: (FI.u**2 + FI.Delta) ** ((FI.L - FI.r) / 2) / FI.eps)
    assert not FI.verify_sandwich(Ledger())


# --- section4_optimal_speed ---------------------------------------------------------------------------------

def test_relu_lower_bound_signs_come_from_relu():
    ledger = Ledger()
    assert not s4.relu_lower_bound(ledger, relu=lambda v: sp.Min(v, 0))
    assert "z >= 0, t <= 1: relu(z) - t z >= 0" in ledger.failed
    assert s4.relu_lower_bound(Ledger())


# --- tests added for mutants that survived benchmarks/mutation_campaign.py ----------------------------------

def test_escape_directions_relu_near_zero_reads_the_lowest_order_coefficient():
    from certify.proofs import section2_escape_directions as d21

    eps = d21.EPS
    assert d21._relu_near_zero(eps - 2 * eps**2) == eps - 2 * eps**2  # positive for small eps > 0
    assert d21._relu_near_zero(-eps + 5 * eps**3) == 0
    assert d21._relu_near_zero(sp.Integer(0) * eps) == 0
    assert d21._relu_near_zero(sp.Rational(1, 3) - eps) == sp.Rational(1, 3) - eps


def test_escape_directions_one_sided_derivative_applies_relu_to_hidden_layers():
    from certify.proofs import section2_escape_directions as d21

    W = [sp.Matrix([[1]]), sp.Matrix([[1]])]
    X, G = sp.Matrix([[-1]]), sp.Matrix([[1]])
    v = [sp.Matrix([[1]]), sp.Matrix([[0]])]
    assert d21.one_sided_derivative(W, v, X, G) == 0  # the hidden unit stays off: relu(-(1 + eps)) = 0
    X = sp.Matrix([[2]])
    assert d21.one_sided_derivative(W, v, X, G) == 2  # on: d/deps (1 + eps) 2 = 2
    assert d21.one_sided_derivative(W, [sp.Matrix([[0]]), sp.Matrix([[1]])], X, G) == 2


def test_escape_counterexample_pins_the_printed_bound():
    cx = gf.escape_counterexample()
    assert cx["printed lower bound"] == sp.sqrt(3) / 132 and cx["corrected lower bound"] == sp.Rational(1, 88)
    assert gf.printed_bound(2) == (sp.log(sp.sqrt(2) * gf.r_ ** sp.Rational(1, 2)) - sp.log(gf.R0)) / (2 * gf.s)


def test_a8_printed_sign_is_decided_on_c(monkeypatch):
    assert not a8.printed_speed_sign()["c_is_real"]
    monkeypatch.setattr(a8, "c_main", (a8.A / a8.sstar) * sp.sqrt(2 * sp.log(a8.A / a8.sstar)) * 0 + a8.A / a8.sstar)
    assert a8.printed_speed_sign()["c_is_real"]  # a constant real for either sign of s*


def test_activations_leading_terms_are_proved_for_every_class_with_m_at_least_2():
    from certify.proofs import followup_activations as FA

    for name, m in (("gelu", 2), ("silu", 2), ("tanh", 3), ("arctan", 3)):
        ledger = Ledger()
        row = FA.classify(name, ledger)
        assert row["class"] == FA.CLASS_OF_ORDER[m]
        assert any(f"leading coefficient of g is -(m-1) sigma^(m)(0)/m! (m = {m})" in step for step in ledger.checked)
        assert not ledger.failed


def test_a1_checks_every_region_of_depths_one_to_four():
    from certify.proofs import appendix_a1_homogeneity as a1

    for v in (a1.check_homogeneity(), a1.check_euler()):
        assert v.status is Status.PROVED and v.evidence["depths"] == [1, 2, 3, 4]
    ledger = Ledger()
    assert a1._per_region(ledger, 3, "euler")
    assert len(ledger.checked) == 2 ** (a1.WIDTH * 2)  # one identity per activation region of depth 3
