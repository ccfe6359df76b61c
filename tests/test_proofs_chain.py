"""Theorem 3.1's chain index by index (proofs/section3_chain.py): the verdicts, the counterexamples, and
planted falsehoods (a wrong constant, the printed non-strict count, a wrong sign, a wrong c) that must not prove."""

import sympy as sp
from flint import fmpq

import certify.core.paths
from certify.gate.claim import Context
from certify.kernel.verdict import Status
from certify.proofs import section3_chain as ch
from certify.kernel.symbolic import Ledger


def ctx():
    return Context(seed=0, data_dir=certify.core.paths.data_dir())


# --- thm3.1.chain --------------------------------------------------------------------------------


def test_chain_is_an_erratum_with_a_proved_repair():
    v = ch.check_chain(ctx())
    assert v.status is Status.ERRATUM
    assert v.corrected.status is Status.PROVED
    assert v.evidence["corrected_ledger"]["failed"] == []
    # the printed count leaves W_l outside Y_{L:l0+1}: L = 2, l = 1, bad set {0}, l0 = 1 = l
    printed = v.evidence["printed_bookkeeping"]
    assert "printed count (<= pL bad), p = l/L: W_l inside the sub-network (L <= 7)" in printed["failed"]
    assert printed["index sets"]["X >= 0, p = l/L"]["first"]["W"] == (1, (0,), 1)
    book = v.evidence["bookkeeping (strict count, L <= 7)"]
    assert not any(book["X >= 0, p = l/L"]["uncovered"].values())
    assert book["general X, p = l/L"]["uncovered"]["Zs"] == 0
    assert book["general X, p = l/L"]["uncovered"]["W"] > 0  # why general X needs p = (l-1)/L for W_l
    assert not any(book["general X, p = (l-1)/L"]["uncovered"].values())
    assert "prop3.3.dimensions" in v.evidence["non-square input"]


def test_bookkeeping_printed_count_reaches_l0_equal_l():
    got = ch.bookkeeping(2, strict=False)
    assert (1, (0,), 1) in got["uncovered"]["W"]
    assert got["uncovered"]["Zs"] == []  # Z^s_l itself is still reached (l0 <= l)
    strict = ch.bookkeeping(2, strict=True)
    assert not any(strict["uncovered"].values())


def test_planted_wrong_constant_does_not_prove():
    assert ch.verify_composed_chain(Ledger(), target_factor=8)
    led = Ledger()
    assert not ch.verify_composed_chain(led, target_factor=4)
    assert any(step.startswith("B(eps_max) = 4") for step in led.failed)
    assert any(step.startswith("composed") for step in led.failed)


def test_planted_printed_count_does_not_prove():
    led = Ledger()
    assert not ch.verify_composed_chain(led, strict=False)
    assert "l0 <= l  =>  l0 <= l - 1 (fails)" in led.failed


def test_sign_helper_reads_the_expression():
    x = sp.Symbol("x", positive=True)
    assert ch._sign(x / (1 + x)) and not ch._sign(-x / (1 + x)) and not ch._sign(x - 1)
    assert not ch._sign(sp.Integer(0), strict=True)


def test_index_zero_example_has_no_nonnegative_top_vector():
    ex = ch.input_sign_example()
    assert ex["rank-one ratio"] == 0 and ex["s_1^2"] == 2 and ex["eigenspace dimension"] == 1
    assert not ex["a non-negative top right singular vector exists"]


# --- thm3.1.output-gap ---------------------------------------------------------------------------


def test_output_gap_counterexample_exact():
    cx = ch.output_gap_counterexample()
    assert cx["violated"] and cx["witness Y = -1, ||theta||^2 = L"]
    assert cx["c"] == 0 and cx["bound(l)"] == 0
    assert cx["Z_L (every minimiser)"] == fmpq(-1) and cx["Z_L^s"] == 0 and cx["gap ratio at l = L"] == 1
    assert cx["comparison"] == "refuted"
    v = ch.check_output_gap(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert "B(l) if X >= 0" in v.corrected.message and "B(l - 1) for general X when l - 1 > c^2" in v.corrected.message


# --- thm3.1.balanced-layers ----------------------------------------------------------------------


def test_balanced_layers_proved_and_planted_fail():
    assert ch.check_balanced_layers(ctx()).status is Status.PROVED
    led = Ledger()
    assert not ch.verify_balanced_layers(led, speed_sign=-1)  # s* read as the minimum itself: P <= 1, not >= 1
    assert any(step.startswith("P = ") for step in led.failed)
    led = Ledger()
    assert not ch.verify_balanced_layers(led, log_shift=2)
    assert "f(1) = 0, f(t) = t - 1 - log t" in led.failed


def test_subnetwork_composition_is_checked_exactly():
    led = Ledger()
    assert ch.verify_subnetwork(led)
    assert sum(step.startswith("Y_theta(X) = Y_(L:l0+1)(Z^s_l0)") for step in led.checked) == 4
    assert not any("l0 + (L - l0 - m)" in step for step in led.checked)


# --- thm3.1.c-controlled -------------------------------------------------------------------------


def test_c_controlled_proved_and_wrong_c_fails():
    v = ch.check_c_controlled(ctx())
    assert v.status is Status.PROVED
    assert "s*(L0) > 0" in v.evidence["hypotheses"]
    wrong = lambda: (ch.s / ch.K) * sp.sqrt(2 * sp.log(ch.K / ch.s))  # noqa: E731 - increasing near s = 0
    led = Ledger()
    assert not ch.verify_c_controlled(led, c_of=wrong)
    assert led.failed[0].startswith("dc/ds < 0")
    assert "width >= 2" in v.message
    assert not any("floor" in step for step in v.evidence["steps"])


def test_width_two_representation_exact_and_planted_sign():
    ex = ch.width_two_example(0)
    assert ex["Y - g w^T X"] == sp.zeros(2, 4) and ex["||theta||^2"] == 2
    assert ex["L0"] < 0 and ex["L0"] == -abs(ex["M = G X^T"][ex["entry"]]) / 2
    led = Ledger()
    assert not ch.verify_c_controlled(led, second=+1)  # W2 = g [1, 1]: Y = g |w^T X|
    assert "W2 relu(W1 X) = g w^T X (exact, random rational X 3 x 4, d_out = 2)" in led.failed
    assert ch.check_c_controlled(ctx(), second=+1).status is not Status.PROVED
