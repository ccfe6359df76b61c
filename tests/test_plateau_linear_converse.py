"""Section 5's converse sentence: the printed (rank-one) form fails on Example 1, the linear form holds."""

import certify.core.paths
from certify.gate.claim import Context
from certify.kernel.verdict import Status
from certify.proofs import section5_plateau as s5
from certify.kernel.symbolic import Ledger

CTX = Context(seed=0, data_dir=certify.core.paths.data_dir())


def test_linear_converse_is_the_corrected_statement():
    v = s5.check_plateau_converse(CTX)
    assert v.status is Status.ERRATUM and v.corrected.status is Status.PROVED
    assert "ReLU-free" in v.message and "other reading" in v.evidence


def test_collapse_is_exact_on_the_depth5_construction():
    ex = s5.collapse_example()
    assert ex["relu_free_after_L0"] and ex["depth collapsed"] == 4
    assert ex["speed collapsed"] == ex["speed deep"] == s5.fmpq(1, 2)
    assert ex["||theta''||^2 collapsed"] <= 4


def test_example1_optimum_has_a_relu_effect_at_layer_2():
    assert s5.example1_relu_effect()["relu_free_after_1"] is False


def test_planted_wrong_lagrange_identity_is_not_proved():
    ledger = Ledger()
    assert not s5.verify_collapse(ledger, lagrange_sign=-1)
    assert s5.check_linear_converse(CTX, lagrange_sign=-1).status is not Status.PROVED


def test_example1_lower_ends_at_every_depth():
    v = s5.check_example1_lower_ends(CTX)
    assert v.status is Status.PROVED and v.evidence["computed"]["8"] == {"speed": "1/2", "||theta'||^2": "8"}
    assert s5.check_example1_lower_ends(CTX, extra=1).status is not Status.PROVED


def test_lower_ends_need_the_certificate(monkeypatch):
    """Without a certified depth-3 optimum (a tampered or missing certificate) nothing is proved at depth >= 4."""
    import certify.optimum.claims
    from certify.kernel.verdict import Verdict

    monkeypatch.setattr(certify.optimum.claims, "check_footnote2_exact",
                        lambda ctx: Verdict(Status.REFUTED, "tampered certificate"))
    assert s5.check_example1_lower_ends(CTX).status is not Status.PROVED
    assert s5.check_linear_converse(CTX).status is Status.PROVED  # does not rest on that certificate
    assert s5.check_plateau_converse(CTX).status is not Status.ERRATUM  # the counterexample needs it
