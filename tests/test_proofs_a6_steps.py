"""The steps of the proof of Prop. 3.3 = A.6 (Appendix A.5.2), each with its own verdict."""

import sympy as sp
from flint import arb

import certify.core.paths
from certify.gate.claim import Context
from certify.kernel.verdict import Status
from certify.proofs import appendix_a6_strong_control as a6
from certify.kernel.symbolic import Ledger, to_arb


def ctx():
    return Context(seed=0, data_dir=certify.core.paths.data_dir())


def test_frobenius_remark_is_false_and_the_split_holds():
    v = a6.check_frobenius_remark(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    cx = a6.frobenius_remark_example()
    assert cx["Tr[G^T Y]"] == -1 and cx["||theta||^2"] == 2  # the minimiser (s* = 1)
    assert cx["<Z_1, Z_1^s>"] == 1 and cx["||Z_1||^2 - ||Z_1^s||^2 - ||Z_1 - Z_1^s||^2"] == 0
    assert not a6.verify_relu_split(Ledger(), pairing="printed")
    assert not a6.verify_relu_split(Ledger(), sign=-1)  # planted: minus sign in the split
    assert a6.verify_relu_split(Ledger())


def test_eq5_as_printed_does_not_reach_the_expansion():
    v = a6.check_product_split(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    cx = a6.eq5_example()
    assert cx["||theta||^2"] == 2 and cx["prod ||W_l||_F"] == 1
    assert cx["printed (5) left side"] == 0 and cx["||Y||/||A||"] == sp.Rational(12, 25)
    assert cx["expansion"] == cx["||Y||/||A||"] == cx["corrected (5) left side"]
    printed = Ledger()
    assert not a6.verify_eq5(printed, printed=True)
    assert printed.failed == ["right side of (5) = ||Y||/||A|| (telescoping), L = 4"]  # the inequality itself holds
    assert a6.verify_eq5(Ledger())


def test_product_split_steps_and_planted_mistakes():
    assert a6.verify_telescoping(Ledger(), max_depth=4)
    assert not a6.verify_telescoping(Ledger(), max_depth=4, shift=1)
    assert a6.verify_operator_bounds(Ledger(), rank=3)
    assert not a6.verify_operator_bounds(Ledger(), rank=3, planted=1)
    assert a6.verify_factor_lemma(Ledger(), max_factors=3)
    assert not a6.verify_factor_lemma(Ledger(), max_factors=3, bounded=False)
    for L in (1, 2, 4):
        c = a6.controlled_indices(L)
        assert c["W"] == list(range(1, L + 1)) and c["Z^s"] == list(range(L)) and c["gap"] == list(range(1, L))
        # read off the factors: an off-by-one in the expansion reaches the gap of Z_L, and is seen
        assert L in a6.controlled_indices(L, shift=1)["gap"]


def test_last_activation_fails_at_depth_one():
    v = a6.check_last_activation(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    cx = a6.last_activation_example()
    assert cx["ratio"] == sp.Rational(1, 2) and cx["||G||_F"] == 1 and cx["||G|| eps < s*"]
    assert to_arb(cx["bound"]) < arb(1) / 2
    # planted: with eps = 1/10 the bound is ~0.88 > 1/2, so the same construction refutes nothing
    assert a6.check_last_activation(ctx(), delta=sp.Rational(1, 10)).status is not Status.ERRATUM


def test_attainment_and_rank_one_trace():
    v = a6.check_attainment(ctx())
    assert v.status is Status.PROVED
    ex = a6.rank_one_examples()
    assert ex["value"] == -5 * sp.sqrt(17) == ex["Tr[G^T Y(uv^T)]"]
    assert ex["v = (-1): Tr[G^T Y(uv^T)]"] == 0 and ex["v = (-1): v^T G^T Y(u)"] == -1
    assert not a6.verify_attainment(Ledger(), sign=+1, max_depth=1)  # planted: the maximiser
    assert not a6.verify_homogeneity(Ledger(), c_sign="negative")


def test_dimensions_reading():
    # 'u, v in R^n' is the square special case: nothing fails, the general reading is proved
    v = a6.check_dimensions(ctx())
    assert v.status is Status.PROVED and v.corrected is None
    assert "special case d_in = N" in v.message and "non-square input" in v.message
    assert v.evidence["sizes checked (d_in, N)"] == [[2, 3], [2, 2]]
    assert any("d_in = 2, N = 3" in step for step in v.evidence["steps"])
    assert any("d_in = 2, N = 2" in step for step in v.evidence["steps"])
    # planted: the maximiser in place of the attaining network
    assert a6.check_dimensions(ctx(), sign=+1, sizes=((2, 3),)).status is not Status.PROVED


def test_ineq4_printed_sign_is_wrong():
    v = a6.check_ineq4(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert v.evidence["minimiser_ledger"]["failed"] == []
    cx = a6.ineq4_counterexample()
    # computed from the attaining network, at every depth, and equal to the lower bound -||Gv|| ||u||
    assert cx["lower bound -||Gv|| ||u||"] == -1 and cx["attains the lower bound (a minimiser)"]
    assert cx["on the sphere"] and cx["same at every depth"] and set(cx["by depth"]) == {1, 2, 3}
    assert cx["T"] == -1 == cx["T0"] and cx["printed right side"] == sp.Rational(1, 2)
    assert cx["T"] >= cx["corrected right side"]
    # planted: the maximiser is not a minimiser, so no erratum may come of it
    bad = a6.ineq4_counterexample(sign=+1)
    assert bad["T"] == 1 and not bad["attains the lower bound (a minimiser)"]
    assert a6.check_ineq4(ctx(), sign=+1).status not in (Status.ERRATUM, Status.PROVED)
    assert not a6.verify_ineq4(Ledger(), printed=True)
    assert a6.verify_ineq4(Ledger())
    lip = a6.lipschitz_instance()
    assert lip["||Y(A) - Y(B)||^2"] <= lip["prod ||W||^2 ||A - B||^2"]


def test_dropped_eps_display():
    v = a6.check_dropped_eps(ctx())
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert not a6.verify_ratio_display(Ledger(), printed=True)
    assert a6.verify_ratio_display(Ledger())


def test_existing_claims_unchanged():
    assert a6.check_main_statement().status is Status.ERRATUM
    assert a6.check_appendix_statement().status is Status.ERRATUM
