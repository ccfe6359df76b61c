"""Each symbolic module: the check as registered, and a deliberately wrong variant that must not prove."""

import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import appendix_a4_depth as a4
from certify.proofs import appendix_a5_weak_control as a5
from certify.proofs import appendix_a6_strong_control as a6
from certify.proofs import appendix_a7_perron as a7
from certify.proofs import appendix_a8_theorem as a8
from certify.proofs import example1
from certify.proofs import section2_expansion as s2e
from certify.proofs import section2_gradient_flow as gf
from certify.kernel.symbolic import Ledger, is_zero


def test_floats_are_refused_in_identities():
    import pytest

    with pytest.raises(ValueError):
        is_zero(sp.Float(0.5) * sp.Symbol("x"))


# --- eq. (1) -------------------------------------------------------------------

def test_eq1_proved():
    assert s2e.check_eq1().status is Status.PROVED


def test_eq1_wrong_gradient_or_cross_term_fails():
    assert not s2e.verify_mse(Ledger(), grad_factor=sp.Integer(-1))
    assert not s2e.verify_mse(Ledger(), cross_factor=sp.Integer(2))


# --- Section 2.1-2.2 -------------------------------------------------------------

def test_prop_a1_proved_and_wrong_degree_fails():
    assert gf.check_prop_a1().status is Status.PROVED
    th, f = gf._homogeneous_model()
    assert not gf._decomposition(Ledger(), th, f, gf.L + 1, "wrong degree")


def test_q_time_is_an_erratum_with_proved_correction():
    v = gf.check_q_time()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED


def test_prop22_printed_rate_fails_and_correction_holds():
    v = gf.check_prop22()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert "rate matches the flow: rate = L^(1-L/2) s" in v.evidence["printed_failures"]
    assert sp.simplify(gf.derived_rate() - gf.CORRECTED_RATE) == 0


def test_prop22_other_wrong_rates_fail():
    for rate in (2 * gf.CORRECTED_RATE, gf.s, gf.L ** (gf.L / 2) * gf.s):
        assert not gf.verify_prop22(rate, Ledger())


def test_width_one_flows_are_exact():
    for depth in (2, 3):
        assert gf.width_one_flow(depth)["ode_ok"]


def test_escape_bound_counterexample_is_exact():
    cx = gf.escape_counterexample()
    assert cx["t1 - t0 (exact flow)"] == sp.Rational(1, 88)
    assert cx["printed_violated"] and cx["corrected_holds"]
    v = gf.check_escape_time_bound()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED


def test_escape_bound_wrong_variant_fails():
    assert not gf.verify_escape_bound(lambda d: 2 * gf.derived_bound(gf.CORRECTED_RATE, d), Ledger())
    assert not gf.verify_escape_bound(gf.printed_bound, Ledger(), gf.PRINTED_RATE)


# --- Appendix A.4-A.5 ---------------------------------------------------------------

def test_norm_accounting_proved_and_wrong_coefficient_fails():
    assert a4.check_norm_accounting().status is Status.PROVED
    assert not a4.verify_norm_accounting(Ledger(), cross_coefficient=3)


def test_prop34_steps_proved_and_printed_log_range_is_not_an_identity():
    assert a5.check_prop34_steps().status is Status.PROVED
    assert not a5.verify_telescoping(Ledger(), first=1)


# --- Appendix A.6 ---------------------------------------------------------------------

def test_prop33_needs_small_eps_and_wrong_constant_fails():
    v = a6.check_main_statement()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert a6.main_counterexample()["bound"] == -16
    assert not a6.verify_chain(Ledger(), assume_small_eps=False)
    assert a6.verify_chain(Ledger())
    assert not a6.verify_chain(Ledger(), factor=4)


def test_appendix_a6_statement_is_an_erratum():
    v = a6.check_appendix_statement()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert a6.appendix_counterexample()["negative"]


# --- Lemma A.7 -------------------------------------------------------------------------

def test_lemma_a7_proved_and_needs_nonnegative_entries():
    assert a7.check_lemma_a7().status is Status.PROVED
    assert not a7.verify_absolute_value_step(Ledger(), nonnegative=False)


# --- Theorem 3.1 / A.8 and the abstract ---------------------------------------------------

def test_theorem_derivation_and_wrong_constant_fails():
    v = a8.check_theorem()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert not a8.printed_speed_sign()["c_is_real"]
    assert not a8.verify_derivation(Ledger(), factor=4)


def test_appendix_theorem_statement_and_abstract():
    v = a8.check_appendix_statement()
    assert v.status is Status.ERRATUM and a8.example1_constant()["c > 1"]
    v = a8.check_abstract()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED


# --- Example 1 -------------------------------------------------------------------------------

def test_eq6_and_rank_one_speed():
    assert example1.check_eq6().status is Status.PROVED
    assert example1.check_rank_one_speed().status is Status.PROVED


def test_eq6_wrong_variant_fails():
    wrong = lambda x: sp.cos(x + sp.pi / 4) - sp.cos(x) + sp.cos(x - sp.pi / 4) + sp.cos(x - sp.pi / 2)  # noqa: E731
    assert not example1.verify_eq6(Ledger(), expression=wrong)


def test_rank_one_representation_erratum():
    v = example1.check_rank_one_representation()
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    cx = example1.absolute_value_counterexample()
    assert cx["ranks"] == [1, 1, 1] and cx["is |b^T x|"]
