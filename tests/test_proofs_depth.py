"""Prop. 3.2 = A.3 at every depth, the layers of its construction, and Section 5's plateau paragraph."""

import pytest
import sympy as sp
from flint import fmpq

import certify.core.paths
from certify.gate.claim import Context
from certify.kernel.quadratic import QSqrt2
from certify.kernel.verdict import Status
from certify.proofs import appendix_a4_depth as a4
from certify.proofs import section5_plateau as s5
from certify.kernel.symbolic import Ledger


@pytest.fixture(scope="module")
def ctx():
    return Context(seed=0, data_dir=certify.core.paths.data_dir())


# --- (a) depth one ------------------------------------------------------------------------------------------


def test_prop32_fails_at_depth_one_and_holds_from_two(ctx):
    v = a4.check_all_depths(ctx)
    assert v.status is Status.ERRATUM
    assert v.evidence["s*(1)"] == "2" and v.evidence["s*(2)"] == "1"
    cx = v.evidence["counterexample"]
    assert cx["L0(theta)"] == "-2" and cx["||theta||^2"] == "1" and cx["witness speed"] == "1"
    steps = v.evidence["depth-1 cases"]["steps"]
    assert len(steps) == 12 and steps[-1].startswith("the witness's speed attains the bound")
    assert v.evidence["s*(2) upper bound (half ||theta||^2 at ||theta||^2 = 2)"] == "1"
    assert v.corrected.status is Status.PROVED
    assert not v.corrected.evidence["failed"]
    runs = v.corrected.evidence["exact runs"]
    assert {"depth2-dead-unit (L=2), k=1", "example1-eq2-W3=-1 (L=3), k=3"} <= set(runs)


def test_all_depths_planted_constant_gives_no_erratum(ctx):
    # a wrong constant in the depth-2 bound: s*(2) is then not determined, nothing may be reported
    v = a4.check_all_depths(ctx, half=sp.Rational(1, 4))
    assert v.status is not Status.ERRATUM and v.status is not Status.PROVED
    assert v.evidence["s*(2)"] == "not determined"


def test_depth_one_numbers_are_exact():
    cx = a4.depth_one_counterexample()
    assert cx["s*(1)"] == 2 and cx["L0(theta)"] == -2 and cx["witness speed"] == 1
    assert cx["witness ||theta||^2"] == 2


def test_depth_two_bound_is_proved_and_planted_errors_are_not():
    assert a4.verify_depth_two_bound(Ledger())
    assert not a4.verify_depth_two_bound(Ledger(), half=sp.Rational(1, 4))  # speed <= 1/2: false
    assert not a4.verify_depth_two_bound(Ledger(), odd_sign=1)  # relu(b) + relu(-b) = b: false


def test_unit_homogeneity_and_a_negative_scale():
    assert a4.verify_unit_homogeneity(Ledger())
    assert not a4.verify_unit_homogeneity(Ledger(), scale_sign=-1)


def test_existing_norm_accounting_still_proved():
    assert a4.check_norm_accounting().status is Status.PROVED


# --- (b) the layers of the deeper network ---------------------------------------------------------------


def test_output_layer_is_not_relu_free(ctx):
    v = a4.check_construction_layers(ctx)
    assert v.status is Status.ERRATUM
    assert v.corrected.status is Status.PROVED
    fails = v.evidence["printed (Section 3.2) fails at"]
    assert fails and all("(output)" in f for f in fails)
    ex1 = v.evidence["instances"]["example1-eq2-W3=-1 (L=3), k=1"]["layers"]
    assert ex1[4]["Z=Z^s"] is False and ex1[4]["negative_entry"] == (0, 1, "-1/4")
    assert ex1[4]["Z=Z_L^s (appendix)"] is False and ex1[4]["appendix shapes match"] is True
    # the depth-2 instance's output (1 x 4) cannot be compared with Z_L^s (3 x 4): shape only, kept apart
    values = v.evidence["appendix reading fails at (values)"]
    shapes = v.evidence["appendix reading not comparable (shapes only)"]
    assert values and not any(f.startswith("depth2") for f in values)
    assert shapes and all(f.startswith("depth2-dead-unit") for f in shapes)
    assert v.evidence["instances off the hypothesis (not counted)"] == []
    # ranks one from L - 1 to L + k, and no ReLU effect on the hidden layers L .. L + k - 1
    for tag, inst in v.evidence["instances"].items():
        layers = inst["layers"]
        top = max(layers)
        assert all(row["rank_W"] == 1 and row["rank_Z"] == 1 for row in layers.values()), tag
        assert all(row["Z=Z^s"] for lp, row in layers.items() if min(layers) < lp < top), tag


def _example1_halved():
    Ws, X, G = a4.example1_instance()
    return [[[x * fmpq(1, 2) for x in row] for row in W] for W in Ws], X, G


def test_off_sphere_instance_is_not_a_counterexample(ctx, monkeypatch):
    # Example 1 scaled by 1/2: ||theta||^2 = 3/4 != 3, outside the hypothesis; its output still has negative
    # entries, but that must not be reported as a counterexample
    monkeypatch.setattr(a4, "INSTANCES", {"example1-halved": _example1_halved})
    v = a4.check_construction_layers(ctx, ks=(1,))
    assert v.status is not Status.ERRATUM
    assert v.evidence["printed (Section 3.2) fails at"] == []
    off = v.evidence["instances off the hypothesis (not counted)"]
    assert len(off) == 1 and "||theta||^2 = 3/4" in off[0]
    assert v.evidence["corrected"]["status"] != "proved"
    # next to the genuine instances it is still left out, and the check reports the bad instance
    monkeypatch.setattr(a4, "INSTANCES", {"example1-halved": _example1_halved,
                                          "example1-eq2-W3=-1 (L=3)": a4.example1_instance})
    v = a4.check_construction_layers(ctx, ks=(1,))
    assert v.status is Status.ERRATUM
    assert v.evidence["printed (Section 3.2) fails at"]
    assert not any("halved" in f for f in v.evidence["printed (Section 3.2) fails at"])
    assert v.corrected.status is not Status.PROVED and "example1-halved" in v.corrected.message


def test_depth_two_construction_with_dead_unit():
    Ws, X, G = a4.depth_two_instance()
    f = a4.construction_facts(Ws, X, G, 2)
    assert f["hypothesis"]["on_sphere"] and f["hypothesis"]["L0<0"]
    assert f["i_star"] == 2 and 1 not in f["contributions"]  # unit 1 has b = 0: never a candidate
    # by hand: rbar_0 = (3/5, 4/5) gives relu = (3/5, 4/5, 0, 0), wbar_0 = 1, c_0 = 3/5 + 2/5; rbar_2 = (4/5, -3/5)
    # gives relu = (4/5, 0, 1, 0), wbar_2 = -1, c_2 = -(4/5 + 2); L0 = 1/25 + (16/225)(-14/5), L0' = (1/9)(-14/5)
    assert f["contributions"] == {0: "1", 2: "-14/5"}
    assert f["hypothesis"]["L0(theta)"] == "-179/1125"
    assert f["L0_not_increased"] and f["norm_within"]
    assert f["L0(theta')"] == "-14/45" and f["||theta'||^2"] == "20/9"


def test_wrong_unit_is_caught():
    v = a4.check_construction_layers(pick="worst")
    assert v.corrected.status is not Status.PROVED
    Ws, X, G = a4.depth_two_instance()
    assert not a4.construction_facts(Ws, X, G, 1, pick="worst")["L0_not_increased"]


def test_symbolic_structure_and_planted_output_claim():
    assert a4.verify_layer_structure(Ledger())
    assert not a4.verify_layer_structure(Ledger(), output_relu_free=True)


def test_exact_helpers():
    assert a4.exact_sqrt(fmpq(9, 25)) == fmpq(3, 5)
    with pytest.raises(ValueError):
        a4.exact_sqrt(fmpq(2))
    with pytest.raises(ValueError):
        a4.exact_sqrt(QSqrt2(0, 1))
    assert a4.exact_rank([[fmpq(1), fmpq(2)], [fmpq(2), fmpq(4)]]) == 1
    assert a4.exact_rank([[fmpq(1), fmpq(0)], [fmpq(0), QSqrt2(0, 1)]]) == 2
    assert a4.exact_rank([[fmpq(0)]]) == 0
    with pytest.raises(ValueError):
        a4.exact_deepen([[[fmpq(1)]]], [[fmpq(1)]], [[fmpq(1)]], 1)  # depth one: no layer L - 1


# --- (c) Section 5 -----------------------------------------------------------------------------------------


def test_plateau_forward_proved_and_planted_norm_fails(ctx):
    v = s5.check_plateau_forward(ctx)
    assert v.status is Status.PROVED
    assert "L_0 = 1 is not covered" in v.evidence["L0 = 1"]
    run = v.evidence["runs"]["example1, L = 5"]
    assert run["speed"] == "1/2" and run["||theta'||^2"] == "5"
    assert v.evidence["runs"]["example1, L = 3"]["ranks (W, Z) by layer"] == {"2": (1, 1), "3": (1, 1)}
    # k = 0 keeps the depth: only the last two layers change, ||theta'||^2 = sum_{l <= L-2} ||W_l||^2 + 2 S
    assert v.evidence["runs"]["depth2-dead-unit (L=2), k = 0"]["||theta'||^2"] == "2/9"
    assert v.evidence["runs"]["depth4-two-outputs (L=4), k = 0"]["||theta'||^2"] == "4"
    assert s5.check_plateau_forward(ctx, norm_excess=True).status is not Status.PROVED
    assert not s5.verify_squeeze(Ledger(), norm_excess=True)


def test_plateau_converse_counterexample(ctx):
    v = s5.check_plateau_converse(ctx)
    assert v.status is Status.ERRATUM
    ev = v.evidence
    assert ev["ranks W1, W2, W3"] == [2, 1, 1] and ev["speed"] == "1/2" and ev["||theta||^2"] == "3"
    assert ev["s*(1) = ||G X^T||_F"] == "0" and ev["G X^T"] == ["0", "0"]
    by_L0 = {c["L_0"]: c for c in ev["counterexamples"]}
    assert by_L0[2]["s*(L)"] == "1/2" and by_L0[2]["s*(L_0)"] == "sqrt(2) - 1"
    assert by_L0[2]["s*(L) - s*(L_0)"] == "3/2 - sqrt(2)"
    assert v.corrected.status is Status.PROVED


def test_plateau_converse_planted_falsehoods_give_no_erratum(ctx):
    # eq. (2) as printed (W3 = [1]) has speed -1/2: not an optimal direction, no counterexample from it
    v = s5.check_plateau_converse(ctx, w3_sign=1)
    assert v.status not in (Status.ERRATUM, Status.PROVED)
    # if s*(1) = s*(2) = s*(3) the example would not contradict the sentence
    v = s5.check_plateau_converse(ctx, s_star={1: fmpq(1, 2), 2: fmpq(1, 2)})
    assert v.status not in (Status.ERRATUM, Status.PROVED)
