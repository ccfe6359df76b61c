"""The proofs' printed slips that used to be notes, each a claim: A.1's display of L0, Lemma A.4's first display,
the index range of Prop. A.5's log-sum, and the two equations of Lemma A.7's proof."""

import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import appendix_a1_homogeneity as a1
from certify.proofs import appendix_a5_weak_control as a5
from certify.proofs import appendix_a7_perron as a7
from certify.kernel.symbolic import Ledger


def _erratum_proved(v):
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED, (v.message, v.corrected.message)


def test_a1_printed_definition_is_not_homogeneous():
    v = a1.check_printed_definition()
    _erratum_proved(v)
    cx = a1.printed_definition_counterexample()
    assert cx["printed L0(2 theta)"] == 1 and cx["2^L printed L0(theta)"] == 4


def test_a1_planted_wrong_power_is_not_proved():
    ledger = Ledger()
    assert not a1.verify_trace_linearity(ledger, power_shift=1) and ledger.failed


def test_lemma_a4_display_counterexample_is_exact():
    _erratum_proved(a5.check_lemma_a4_display())
    cx = a5.lemma_a4_display_counterexample()
    assert (cx["left"], cx["right"]) == (sp.Rational(1, 4), sp.Rational(1, 16))


def test_lemma_a4_display_as_printed_is_not_proved():
    ledger = Ledger()
    assert not a5.verify_lemma_a4_display(ledger, exponent=sp.Integer(1))
    assert ledger.failed[0].startswith("(||theta||^2/L)^(L/2)")


def test_prop34_log_sum_range():
    _erratum_proved(a5.check_prop34_proof_indices())
    cx = a5.printed_log_sum_counterexample()
    assert cx["good among l = 1..L-1"] == 0 and cx["promised (1-p)L"] == 1


def test_prop34_printed_range_does_not_give_the_count():
    ledger = Ledger()
    assert not a5.verify_full_range_count(ledger, first=1)
    assert any("l = 1..L-1" in f for f in ledger.failed)


def test_lemma_a7_printed_equations():
    _erratum_proved(a7.check_lemma_a7_proof())
    cx = a7.printed_proof_counterexample()
    assert cx["A^T A u_1 - s_1^2 u_1"] == sp.zeros(2, 1) and cx["A^T A u_1 - s_1 u_1"] != sp.zeros(2, 1)
    assert cx["A v_1 defined"] is False and cx["A^T v_1 - s_1 u_1"] == sp.zeros(2, 1)


def test_lemma_a7_wrong_power_is_not_proved():
    ledger = Ledger()
    assert not a7.verify_corrected_equations(ledger, power=1)


def test_prop33_squaring_step_and_ball():
    from certify.proofs import appendix_a6_strong_control as a6

    assert a6.check_squaring_step().status is Status.PROVED
    assert a6.check_ball_and_sphere().status is Status.PROVED
    ledger = Ledger()
    assert not a6.verify_squaring_step(ledger, factor=2)  # the bound 2Ce is false (m = 0, Ce = 1/4: 1 > 1/2)


def test_prop33_ball_and_sphere_scaling_down_is_not_proved():
    from certify.proofs import appendix_a6_strong_control as a6

    ledger = Ledger()
    assert not a6.verify_ball_minimiser_on_sphere(ledger, step=-1)  # lambda = 1 - k < 1 raises L0
    assert any("L log(lambda) > 0" in f for f in ledger.failed)
