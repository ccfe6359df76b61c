import numpy as np
import pytest
from flint import fmpq
from hypothesis import given
from hypothesis import strategies as st

from certify.kernel import BALL, EXACT, FLOAT
from certify.kernel.compare import encloses
from certify.core.network import (
    escape_report,
    flatten,
    forward,
    localized_loss,
    loss_gradient,
    shapes_of,
    squared_norm,
    to_sphere,
    unflatten,
)
from tests.conftest import random_net

architectures = st.lists(st.integers(1, 4), min_size=2, max_size=5)


@given(architectures, st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_gradient_matches_central_differences(widths, n, seed):
    Ws, X, G = random_net(np.random.default_rng(seed), widths, n)
    grads = loss_gradient(Ws, X, G)
    theta, shapes = flatten(Ws), shapes_of(Ws)
    v = np.random.default_rng(seed + 1).standard_normal(theta.size)
    h = 1e-6
    fd = (localized_loss(unflatten(theta + h * v, shapes), X, G)
          - localized_loss(unflatten(theta - h * v, shapes), X, G)) / (2 * h)
    assert fd == pytest.approx(float(flatten(grads) @ v), rel=1e-5, abs=1e-6)


def _exact_directional_derivative(Ws, X, G, v):
    """v . grad L0 exactly: L0 is a polynomial of degree <= L along the line while the
    activation pattern stays fixed, so L+1 exact samples determine it."""
    L = len(Ws)
    shapes = shapes_of(Ws)
    theta = EXACT.array(flatten(Ws))
    direction = EXACT.array(v)
    delta = fmpq(1, 10**9)
    hs = [delta * k for k in range(L + 1)]
    values, patterns = [], []
    for h in hs:
        point = unflatten(theta + direction * h, shapes)
        fp = forward(point, X, EXACT)
        patterns.append([tuple(z > 0 for z in Z.ravel()) for Z in fp.pre[:-1]])
        values.append(localized_loss(point, X, G, EXACT))
    if any(p != patterns[0] for p in patterns):
        return None  # a kink within reach: skip
    # derivative at 0 of the Lagrange interpolant through (h_k, values_k)
    total = fmpq(0)
    for k, (hk, yk) in enumerate(zip(hs, values)):
        # d/dh prod_{j != k} (h - h_j)/(h_k - h_j) at h = 0
        others = [hj for j, hj in enumerate(hs) if j != k]
        denom = fmpq(1)
        for hj in others:
            denom *= hk - hj
        deriv = fmpq(0)
        for skip in range(len(others)):
            term = fmpq(1)
            for j, hj in enumerate(others):
                term *= fmpq(1) if j == skip else -hj
            deriv += term
        total += yk * deriv / denom
    return total


@given(architectures, st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_exact_gradient_matches_exact_polynomial_derivative(widths, n, seed):
    rng = np.random.default_rng(seed)
    Ws, X, G = random_net(rng, widths, n)
    v = rng.standard_normal(flatten(Ws).size)
    expected = _exact_directional_derivative(Ws, X, G, v)
    if expected is None:
        return
    grads = loss_gradient(Ws, X, G, EXACT)
    got = (EXACT.array(flatten(grads)) * EXACT.array(v)).sum()
    assert got == expected
    # the float gradient agrees to rounding
    assert float(flatten(loss_gradient(Ws, X, G)) @ v) == pytest.approx(float(got.p) / float(got.q), rel=1e-9, abs=1e-12)


@given(architectures, st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_float_exact_ball_forward_agree(widths, n, seed):
    Ws, X, G = random_net(np.random.default_rng(seed), widths, n)
    f = localized_loss(Ws, X, G, FLOAT)
    e = localized_loss(Ws, X, G, EXACT)
    b = localized_loss(Ws, X, G, BALL)
    assert encloses(b, e)
    assert f == pytest.approx(float(e.p) / float(e.q), rel=1e-9, abs=1e-12)


@given(architectures, st.integers(1, 4), st.integers(0, 2**32 - 1), st.floats(0.01, 100))
def test_homogeneity_and_euler_in_floats(widths, n, seed, lam):
    Ws, X, G = random_net(np.random.default_rng(seed), widths, n)
    L = len(Ws)
    base = localized_loss(Ws, X, G)
    scaled = localized_loss([lam * W for W in Ws], X, G)
    assert scaled == pytest.approx(lam**L * base, rel=1e-9, abs=1e-9 * max(1.0, lam**L))
    inner = float(flatten(loss_gradient(Ws, X, G)) @ flatten(Ws))
    assert inner == pytest.approx(L * base, rel=1e-9, abs=1e-12)


def test_euler_exact_on_ties():
    # a preactivation exactly zero: Euler's identity still holds with relu'(0) = 0
    Ws = [np.array([[1.0, -1.0], [2.0, 0.0]]), np.array([[1.0, 3.0]])]
    X = np.array([[1.0, 2.0], [1.0, 0.5]])
    G = np.array([[1.0, -2.0]])
    grads = loss_gradient(Ws, X, G, EXACT)
    inner = sum((EXACT.array(W) * g).sum() for W, g in zip(Ws, grads))
    assert inner == 2 * localized_loss(Ws, X, G, EXACT)


def test_flatten_roundtrip(rng):
    Ws, _, _ = random_net(rng, [3, 4, 2, 1], 2)
    back = unflatten(flatten(Ws), shapes_of(Ws))
    assert all(np.array_equal(a, b) for a, b in zip(Ws, back))
    with pytest.raises(ValueError):
        unflatten(np.zeros(3), shapes_of(Ws))


def test_forward_layers_follow_section_2(rng):
    Ws, X, _ = random_net(rng, [2, 3, 3, 2], 4)
    fp = forward(Ws, X)
    assert np.array_equal(fp.post[0], X)
    assert len(fp.pre) == 3 and len(fp.post) == 3
    assert np.allclose(fp.pre[0], Ws[0] @ X)
    assert np.allclose(fp.post[1], np.maximum(fp.pre[0], 0))
    assert np.allclose(fp.output, Ws[2] @ np.maximum(Ws[1] @ np.maximum(Ws[0] @ X, 0), 0))


def test_escape_report_on_sphere(rng):
    Ws, X, G = random_net(rng, [2, 3, 1], 5)
    rho = to_sphere(Ws)
    assert float(squared_norm(rho)) == pytest.approx(len(Ws))
    rep = escape_report(Ws, X, G)
    assert rep.speed == pytest.approx(-localized_loss(rho, X, G))
    assert rep.residual >= 0


def test_escape_report_zero_residual_at_a_known_direction():
    # depth 1 (linear): L0 = Tr[G^T W X]; rho = -sqrt(1) (G X^T)/||G X^T|| is an escape direction
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    G = np.array([[1.0, -1.0]])
    M = G @ X.T
    W = -M / np.linalg.norm(M)
    rep = escape_report([W], X, G)
    assert rep.speed == pytest.approx(np.linalg.norm(M))
    assert rep.residual < 1e-12
