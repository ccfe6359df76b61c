"""Enclosures against 50-digit mpmath references, over many random instances and seeds."""

import math

import mpmath
import numpy as np
import pytest
from flint import arb, ctx, fmpq

from certify.kernel import enclose as E
from certify.kernel import normwise as NW
from certify.instance.verdicts import check_prop34
from certify.instance.enclosure import enclose_network, weight_ratios
from certify.core.instances import Instance
from certify.kernel.verdict import Status

mpmath.mp.dps = 50


def ref_matrix(A):
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in np.atleast_2d(A)])


def ref_forward(Ws, X):
    act = ref_matrix(X)
    pre, post = [], [act]
    for l, W in enumerate(Ws, start=1):
        Z = ref_matrix(W) * act
        pre.append(Z)
        if l < len(Ws):
            act = Z.apply(lambda v: v if v > 0 else mpmath.mpf(0))
            post.append(act)
    return pre, post


def ref_fro(M):
    return mpmath.sqrt(mpmath.fsum(x**2 for x in M))


def ref_svals(M):
    return sorted((abs(s) for s in mpmath.svd_r(M, compute_uv=False)), reverse=True)


def contains(ball: arb, value) -> bool:
    """The ball contains the 50-digit reference (as a ball of radius 1e-45 around it)."""
    old = ctx.prec
    ctx.prec = 200
    try:
        ref = arb(mpmath.nstr(value, 50)) + arb(0, 1e-45)
        return bool(ball.lower() <= ref.lower()) and bool(ref.upper() <= ball.upper())
    finally:
        ctx.prec = old


def random_instance(seed):
    rng = np.random.default_rng(seed)
    L = int(rng.integers(1, 5))
    widths = [int(w) for w in rng.integers(1, 7, size=L + 1)]
    N = int(rng.integers(1, 8))
    scale = 10.0 ** rng.uniform(-3, 3)
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) * scale for l in range(L)]
    X = rng.standard_normal((widths[0], N))
    G = rng.standard_normal((widths[-1], N))
    return Instance(X=X, G=G, weights=tuple(Ws))


@pytest.mark.parametrize("seed", range(40))
def test_enclosures_contain_50_digit_references(seed):
    inst = random_instance(seed)
    net = enclose_network(inst, keep=True)
    pre, post = ref_forward(inst.weights, inst.X)
    assert len(net.pre) == len(pre) == inst.depth and len(net.post) == len(post)  # nothing passes vacuously
    for Z_enc, Z_ref in zip(net.pre, pre):
        assert contains(NW.frobenius_ball(Z_enc), ref_fro(Z_ref))
        # the exact preactivation lies within the radius of the double-double centre mid + lo, and within
        # the wider radius of mid alone
        lo = Z_enc.lo if Z_enc.lo is not None else np.zeros_like(Z_enc.mid)
        cells = [(i, j) for i in range(Z_ref.rows) for j in range(Z_ref.cols)]
        dist = mpmath.sqrt(mpmath.fsum((mpmath.mpf(float(Z_enc.mid[i, j])) + mpmath.mpf(float(lo[i, j]))
                                        - Z_ref[i, j]) ** 2 for i, j in cells))
        assert contains(Z_enc.radius.upper().union(arb(0)), dist)
        dist_mid = mpmath.sqrt(mpmath.fsum((mpmath.mpf(float(Z_enc.mid[i, j])) - Z_ref[i, j]) ** 2 for i, j in cells))
        assert contains(Z_enc.mid_radius().union(arb(0)), dist_mid)
    trace = mpmath.fsum(mpmath.mpf(float(g)) * y for g, y in zip(inst.G.ravel(), pre[-1]))
    assert contains(net.loss, trace)
    assert len(net.activations) == len(post)
    for r, ref in zip(net.activations, post):  # X itself (any sign) and the non-negative activations
        sv = ref_svals(ref)
        total = mpmath.fsum(s**2 for s in sv)
        if total > 0:
            assert contains(r.ratio, 1 - sv[0] ** 2 / total)
            assert contains(r.s1_low.union(r.s1_high), sv[0])
    for W in inst.weights:
        r = weight_ratios(W)
        sv = ref_svals(ref_matrix(W))
        assert contains(r.ratio, 1 - sv[0] ** 2 / mpmath.fsum(s**2 for s in sv))
        assert contains(E.top_singular_upper(W).union(arb(0)), sv[0])
        assert contains(NW.spectral_norm_upper(W).union(arb(0)), sv[0])
    assert len(net.gaps) == len(pre) - 1
    for gap, ref in zip(net.gaps, pre[:-1]):
        num = mpmath.fsum(min(x, 0) ** 2 for x in ref)
        den = mpmath.fsum(x**2 for x in ref)
        if den > 0:
            assert contains(gap, num / den)


def test_enclosures_are_tight():
    rng = np.random.default_rng(11)
    Ws = [rng.standard_normal((8, 5)), rng.standard_normal((8, 8)), rng.standard_normal((3, 8))]
    inst = Instance(X=rng.standard_normal((5, 20)), G=rng.standard_normal((3, 20)), weights=tuple(Ws))
    net = enclose_network(inst, keep=True)
    fro = NW.frobenius_ball(net.pre[-1])
    assert float(fro.rad()) <= 1e-14 * float(abs(fro.mid())) + 1e-300
    assert all(r["relative"] < 1e-14 for r in net.radii)


def test_witness_quality_does_not_matter_for_soundness():
    # a poor witness gives a wide but still valid enclosure
    rng = np.random.default_rng(7)
    A = np.abs(rng.standard_normal((6, 9)))
    Z = E.Enclosure.exact(A)
    sv = np.linalg.svd(A, compute_uv=False)
    bad_v = rng.standard_normal(9)
    lo = E.top_singular_lower(Z, bad_v)
    hi = E.top_singular_upper_enclosure(Z, np.ones(9))
    assert float(lo.mid()) <= sv[0] <= float(hi.mid()) + 1e-9


def test_collatz_wielandt_needs_positive_vector():
    with pytest.raises(ValueError):
        E.top_singular_upper_enclosure(E.Enclosure.exact(np.ones((2, 2))), np.array([1.0, 0.0]))


@pytest.mark.parametrize("seed", range(30))
def test_upper_bound_holds_for_matrices_of_any_sign(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((int(rng.integers(1, 7)), int(rng.integers(1, 7))))
    ref = ref_svals(ref_matrix(A))[0]
    assert contains(E.top_singular_upper(A).union(arb(0)), ref)
    x = np.abs(rng.standard_normal(A.shape[1])) + 1e-3  # any positive vector, even a poor one
    assert contains(E.top_singular_upper_enclosure(E.Enclosure.exact(A), x).union(arb(0)), ref)
    v = rng.standard_normal(A.shape[1])  # any witness, good or poor
    assert contains(E.top_singular_upper_gram(E.Enclosure.exact(A), v).union(arb(0)), ref)
    # a near rank-one matrix: the Gram bound is tight
    B = np.outer(rng.standard_normal(5), rng.standard_normal(4)) + 1e-6 * rng.standard_normal((5, 4))
    top = np.linalg.svd(B)[2][0]
    ub = E.top_singular_upper_gram(E.Enclosure.exact(B), top)
    sv = ref_svals(ref_matrix(B))[0]
    assert contains(ub.union(arb(0)), sv) and float(ub.mid()) - float(sv) < 1e-8 * float(sv)


def test_large_entries_are_enclosed_not_overflowed():
    # the squares overflow binary64, the norm (2e300) does not: scaled by a power of two, it is enclosed
    Z = E.Enclosure.exact(np.full((2, 2), 1e300))
    exact = 2 * fmpq(*(1e300).as_integer_ratio())
    ball = E.frobenius_ball(Z)
    assert ball.is_finite() and contains(ball, exact) and ball < 1e301 and ball > 1.9e300


def test_overflowed_values_certify_nothing():
    # a product that overflows leaves inf in the midpoint: no comparison with the result may be certain
    Z = E.matmul(np.array([[1e300, 1e300]]), E.Enclosure.exact(np.full((2, 1), 1e300)))
    for ball in (E.frobenius_ball(Z), E.inner_ball(np.ones((1, 1)), Z)):
        assert not (ball < 1e308) and not (ball > 1e308) and not (ball < 0) and not (ball > 0)
    assert E.gap_ratio_ball(Z).contains(0) and E.gap_ratio_ball(Z).contains(1)  # nothing known but the range
    assert E.frobenius_ball(Z) is E.WHOLE and E.inner_ball(np.ones((1, 1)), Z) is E.WHOLE


def test_gamma_is_an_upper_bound():
    from fractions import Fraction

    for k in (1, 2, 10, 1000, 10**6):
        exact = Fraction(k) * Fraction(E.U) / (1 - Fraction(k) * Fraction(E.U))
        assert Fraction(E.gamma(k)) >= exact
    assert E.gamma(2**52) == math.inf


def test_rounding_mode_probe():
    assert E.ROUNDING_OK


def _nearly_rank_one(seed, L=4):
    rng = np.random.default_rng(seed)
    u, v = np.abs(rng.standard_normal(5)), np.abs(rng.standard_normal(12))
    X = np.outer(u, v) + 1e-3 * rng.standard_normal((5, 12))
    g = rng.standard_normal(2)
    G = np.outer(g, v)
    Ws = [np.outer(np.eye(4)[0], u / np.linalg.norm(u))] + [np.outer(np.eye(4)[0], np.eye(4)[0]) for _ in range(L - 2)]
    Ws.append(-np.outer(g / np.linalg.norm(g), np.eye(4)[0]))
    return Instance(X=X, G=G, weights=tuple(Ws))


def test_prop34_certifies_on_nearly_rank_one_data():
    inst = _nearly_rank_one(0)
    net = enclose_network(inst)
    ratios = net.activations
    v = check_prop34(net, ratios, ps=(0.25, 0.5))
    assert v.status is Status.CERTIFIED, v.message
    assert not v.evidence["per_p"]["0.5"]["vacuous"]


@pytest.mark.parametrize("seed", range(5))
def test_prop34_tightened_past_the_true_ratios_does_not_certify(seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((6, 4)), rng.standard_normal((6, 6)), rng.standard_normal((6, 6)), rng.standard_normal((2, 6))]
    scale = np.sqrt(4 / sum(float((W * W).sum()) for W in Ws)) * (1 - 1e-9)
    Ws = [W * scale for W in Ws]
    X = rng.standard_normal((4, 10))
    Y = Ws[3] @ np.maximum(Ws[2] @ np.maximum(Ws[1] @ np.maximum(Ws[0] @ X, 0), 0), 0)
    inst = Instance(X=X, G=-Y, weights=tuple(Ws))
    net = enclose_network(inst)
    ratios = net.activations
    assert check_prop34(net, ratios, ps=(0.5,)).status is Status.CERTIFIED
    smallest = min(float(r.ratio.lower()) for r in ratios)
    assert smallest > 0
    bound = float(E.arb(check_prop34(net, ratios, ps=(0.5,)).evidence["per_p"]["0.5"]["bound"][1]).mid())
    w = check_prop34(net, ratios, ps=(0.5,), tighten=0.5 * smallest / bound)
    assert w.status is Status.REFUTED, w.message
