import numpy as np

from certify.instance.exact import check_euler, check_homogeneity, check_lemma_a4
from certify.core.instances import Instance
from certify.kernel.verdict import Status
from tests.conftest import random_net


def _inst(Ws, X, G):
    return Instance(X=X, G=G, weights=tuple(Ws))


def test_checks_on_random_nets(rng):
    for widths in ([2, 3, 1], [3, 2, 2, 2], [1, 4, 4, 4, 1]):
        Ws, X, G = random_net(rng, widths, 4)
        L = len(Ws)
        scale = np.sqrt(L / sum(float((W * W).sum()) for W in Ws)) * (1 - 1e-9)
        inst = _inst([W * scale for W in Ws], X, G)
        assert check_homogeneity(inst).status is Status.PROVED
        assert check_euler(inst).status is Status.PROVED
        assert check_lemma_a4(inst).status is Status.CERTIFIED


def test_lemma_a4_hypothesis_failure_is_not_a_verdict(rng):
    Ws, X, G = random_net(rng, [2, 3, 1], 4)
    inst = _inst([10 * W for W in Ws], X, G)
    v = check_lemma_a4(inst)
    assert v.status is Status.SKIPPED and "hypothesis" in v.message


def test_lemma_a4_tight_case_has_zero_margin():
    inst = _inst([np.eye(2) / np.sqrt(2), np.eye(2) / np.sqrt(2)], np.ones((2, 1)), np.ones((2, 1)))
    # ||W||_F = 1 up to rounding; exact sum of squares decides the hypothesis
    v = check_lemma_a4(inst)
    assert v.status in (Status.CERTIFIED, Status.SKIPPED)
    exact = _inst([np.eye(1), np.eye(1)], np.ones((1, 1)), np.ones((1, 1)))
    v = check_lemma_a4(exact)
    assert v.status is Status.CERTIFIED and v.margin == 0.0


def test_homogeneity_records_negative_scale(rng):
    Ws, X, G = random_net(rng, [2, 3, 1], 6)
    v = check_homogeneity(_inst(Ws, X, G))
    assert "lambda=-1" in v.evidence


def test_lemma_a4_tightened_past_the_true_product_is_refuted(rng):
    from flint import arb, fmpq

    from certify.kernel.compare import endpoints

    Ws, X, G = random_net(rng, [3, 4, 2], 3)
    scale = np.sqrt(2 / sum(float((W * W).sum()) for W in Ws)) * (1 - 1e-9)
    inst = _inst([W * scale for W in Ws], X, G)
    v = check_lemma_a4(inst)
    assert v.status is Status.CERTIFIED
    prod = arb(1)
    for W in inst.weights:
        prod *= arb(float(np.linalg.norm(W)))
    lo, _ = endpoints(prod.lower())
    assert check_lemma_a4(inst, bound=lo * fmpq(999, 1000)).status is Status.REFUTED
    assert check_lemma_a4(inst, bound=lo * fmpq(1001, 1000)).status is Status.CERTIFIED


def test_matmul_enclosure_agrees_with_arb_mat_and_exact(rng):
    from flint import arb_mat, fmpq, fmpq_mat

    from certify.kernel import enclose as E

    for _ in range(5):
        W = rng.standard_normal((4, 6))
        A = rng.standard_normal((6, 3))
        enc = E.matmul(W, E.Enclosure.exact(A))
        exact = fmpq_mat([[fmpq(*float(x).as_integer_ratio()) for x in row] for row in W]) * fmpq_mat(
            [[fmpq(*float(x).as_integer_ratio()) for x in row] for row in A])
        balls = arb_mat(W.tolist()) * arb_mat(A.tolist())
        rad = enc.max_entry_radius_up()
        for i in range(4):
            for j in range(3):
                q = exact[i, j]
                assert abs(fmpq(*float(enc.mid[i, j]).as_integer_ratio()) - q) <= fmpq(*rad.as_integer_ratio())
                assert balls[i, j].contains(balls[i, j].mid()) and balls[i, j].overlaps(
                    E.arb(float(enc.mid[i, j])) + E.arb(0, rad))
