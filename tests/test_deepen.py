import numpy as np
import pytest

from certify.optimum.deepen import ConstructionError, deepen, safe_norms, unit_contributions
from certify.core.network import forward, localized_loss


def _net():
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W2 = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]])
    W3 = np.array([[1.0, -2.0]])
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    G = np.array([[-1.0, 1.0, -0.5]])
    return [W1, W2, W3], X, G


@pytest.mark.parametrize("k", [1, 2, 3])
def test_deepening_keeps_its_promises(k):
    Ws, X, G = _net()
    before = localized_loss(Ws, X, G)
    d = deepen(Ws, X, G, k)
    assert len(d.weights) == len(Ws) + k
    assert localized_loss(d.weights, X, G) <= before + 1e-12
    sq = lambda ws: sum(float((W * W).sum()) for W in ws)  # noqa: E731
    assert sq(d.weights) <= sq(Ws) + k + 1e-12
    assert all(np.linalg.matrix_rank(W) <= 1 for W in d.weights[len(Ws) - 2:])
    fp = forward(d.weights, X)
    for Z in fp.pre[len(Ws):len(Ws) + k - 1]:
        assert (Z >= 0).all()  # no ReLU effect after layer L


def test_construction_needs_depth_two_and_a_live_unit():
    Ws, X, G = _net()
    with pytest.raises(ConstructionError):
        deepen([np.ones((1, 2))], X, G, 1)
    dead = [Ws[0], Ws[1], np.zeros((1, 2))]
    with pytest.raises(ConstructionError):
        deepen(dead, X, G, 1)
    with pytest.raises(ConstructionError):
        deepen(Ws, X, G, 0)


def test_ties_choose_the_smallest_index():
    W1 = np.eye(2)
    W2 = np.array([[1.0, 0.0], [1.0, 0.0]])  # two identical units
    W3 = np.array([[-1.0, -1.0]])
    X = np.eye(2)
    G = np.ones((1, 2))
    assert deepen([W1, W2, W3], X, G, 1).chosen_unit == 0


def test_tiny_weights_do_not_drop_the_best_unit():
    # regression: fuzzing found a column of norm 5.5e-279 whose square underflows to 0
    W1 = np.array([[-0.3] * 5, [0, 0, 0, 0, 0.3], [0.0] * 5])
    W2 = np.array([[5.528903809103657e-279, 1.2, 0.0]])
    X = np.zeros((5, 5))
    X[4, 1] = -0.25
    G = np.array([[0.0, -0.25, 0.0, 0.0, 0.0]])
    a, b, c = unit_contributions([W1, W2], X, G)
    assert a[0] > 0 and not np.isnan(c[0])
    d = deepen([W1, W2], X, G, 1)
    assert d.chosen_unit == 0


def test_safe_norms():
    A = np.array([[3.0, 4.0], [1e-200, 0.0]])
    assert safe_norms(A, axis=1)[0] == 5.0 and safe_norms(A, axis=1)[1] == 1e-200
