import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import appendix_a1_homogeneity as a1
from certify.proofs import appendix_a5_weak_control as a5
from certify.proofs import example1
from certify.kernel.symbolic import Ledger


def test_homogeneity_proved_and_negative_lambda_fails():
    v = a1.check_homogeneity()
    assert v.status is Status.PROVED, v.message
    assert v.evidence["negative_lambda"]["fails"]
    assert not v.evidence["failed"]


def test_euler_proved():
    v = a1.check_euler()
    assert v.status is Status.PROVED, v.message


def test_wrong_degree_is_caught():
    # deliberately false variants: degree L+1 instead of L
    ledger = Ledger()
    assert not a1._per_region(ledger, 2, "euler", degree=3)
    assert not a1._per_region(Ledger(), 3, "homogeneity", degree=2)
    assert ledger.failed


def test_relu_is_not_homogeneous_for_negative_scale():
    lam = sp.Symbol("lambda", negative=True)
    z = sp.Symbol("z", positive=True)
    assert Ledger().identity("relu(lambda z) = lambda relu(z), lambda < 0", sp.Max(lam * z, 0) - lam * sp.Max(z, 0)) is False


def test_lemma_a4_proved():
    v = a5.check_lemma_a4()
    assert v.status is Status.PROVED, v.message


def test_a_false_am_gm_certificate_is_caught():
    x, y = sp.symbols("x y", nonnegative=True)
    assert not Ledger().identity("wrong", x**2 + y**2 - 2 * x * y - (x + y) ** 2)


def test_example1_printed_sign_is_an_erratum_with_exact_correction():
    v = example1.check_rank_two_speed()
    assert v.status is Status.ERRATUM
    assert v.evidence["speed_as_printed"] == "-1/2"
    assert v.evidence["||theta||^2"] == "3"
    assert v.corrected.status is Status.PROVED
    assert v.evidence["speed_with_W3=-1"] == "1/2"


def test_example1_exact_data():
    X, G = example1.data()
    assert X[:, 1] == sp.Matrix([1, 0])  # j = 2: (sin(pi/2), cos(pi/2))
    assert X[:, 0] == sp.Matrix([sp.sqrt(2) / 2, sp.sqrt(2) / 2])
    assert list(G) == [-1, 1, -1, 1, -1, 1, -1, 1]


def test_lemma_a4_wrong_log_bound_fails():
    assert a5.log_bound(Ledger())
    assert not a5.log_bound(Ledger(), shift=2)  # log t <= t - 2 is false at t = 1
