"""Norm-wise enclosures (certify.kernel.normwise) against exact rationals, through depth 20.

Every radius the kernel reports must bound the distance, computed exactly in fmpq, between the exact
network and the float (double-double) one, at every layer, for both product schemes (two and three
slices), on data whose scales force each code path: the split products, the plain fallback near the
ends of the float range, zero rows, subnormal entries and exact ties at zero.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from flint import arb, fmpq

from certify.core.instances import Instance
from certify.kernel import normwise as NW
from certify.kernel.arith import EXACT, sum_of_squares_exact
from certify.kernel.compare import encloses, endpoints
from certify.core.network import forward
from certify.instance.enclosure import enclose_network, slices_for_depth

mpmath.mp.dps = 50


def q(x: float) -> fmpq:
    return fmpq(*float(x).as_integer_ratio())


def exact_matrix(A: np.ndarray):
    return EXACT.array(A)


def dist_sq(Z_exact, mid: np.ndarray, lo: np.ndarray | None) -> fmpq:
    """||Z_exact - (mid + lo)||_F^2, exactly."""
    total = fmpq(0)
    for i in range(mid.shape[0]):
        for j in range(mid.shape[1]):
            d = Z_exact[i, j] - q(mid[i, j]) - (q(lo[i, j]) if lo is not None else fmpq(0))
            total += d * d
    return total


def within(ball: arb, value_sq: fmpq) -> bool:
    """value_sq <= (upper end of ball)^2, decided exactly."""
    hi = endpoints(ball.upper().union(arb(0)))[1]
    return value_sq <= hi * hi


def network(seed: int, depth: int, scale_kind: str = "plain"):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 6, size=depth + 1)]
    N = int(rng.integers(1, 6))
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) * np.sqrt(2 / widths[l]) for l in range(depth)]
    X = rng.standard_normal((widths[0], N))
    if scale_kind == "rows":  # rows of very different magnitudes: different split exponents per row
        Ws = [W * (10.0 ** rng.integers(-30, 30, size=(W.shape[0], 1))) for W in Ws]
    elif scale_kind == "tiny":  # near the bottom of the range: the split falls back to plain products
        X = X * 1e-300
    elif scale_kind == "huge":
        X = X * 1e300
        Ws = [W * 1e-3 for W in Ws]
    elif scale_kind == "subnormal":
        X = X * 1e-310
    elif scale_kind == "zeros":
        for W in Ws:
            W[0, :] = 0.0
    elif scale_kind == "ties":  # exact zeros in preactivations: X with a repeated, cancelling structure
        X = np.round(X * 4) / 4
        Ws = [np.round(W * 4) / 4 for W in Ws]
    G = rng.standard_normal((widths[-1], N))
    return Instance(X=X, G=G, weights=tuple(Ws))


@pytest.mark.parametrize("slices", [2, 3])
@pytest.mark.parametrize("kind", ["plain", "rows", "tiny", "huge", "subnormal", "zeros", "ties"])
@pytest.mark.parametrize("seed", range(3))
def test_radius_bounds_the_exact_distance_through_depth_20(seed, kind, slices):
    inst = network(seed, 20, kind)
    act = NW.NormEnclosure.exact(inst.X)
    exact = forward([exact_matrix(W) for W in inst.weights], exact_matrix(inst.X), EXACT)
    for l, W in enumerate(inst.weights, start=1):
        Z = NW.layer(W, act, slices=slices)
        Z_exact = exact.pre[l - 1]
        assert within(Z.radius, dist_sq(Z_exact, Z.mid, Z.lo)), (l, Z.radius)
        assert within(Z.mid_radius(), dist_sq(Z_exact, Z.mid, None)), l
        fro = NW.frobenius_ball(Z)
        sq = sum((z * z for z in Z_exact.ravel()), fmpq(0))
        lo_end, hi_end = endpoints(fro)
        assert (lo_end <= 0 or lo_end * lo_end <= sq) and sq <= hi_end * hi_end, l
        if l < inst.depth:
            act = NW.relu(Z)
            A_exact = exact.post[l]
            assert within(act.radius, dist_sq(A_exact, act.mid, act.lo)), l
        else:
            trace = sum((q(g) * y for g, y in zip(inst.G.ravel(), Z_exact.ravel())), fmpq(0))
            assert encloses(NW.inner_ball(inst.G, Z), trace)


@pytest.mark.parametrize("seed", range(6))
def test_network_quantities_contain_50_digit_references(seed):
    inst = network(seed, 16 + seed % 5)  # depths 16..20: three slices
    assert slices_for_depth(inst.depth) == 3
    net = enclose_network(inst, keep=True)
    exact = forward([exact_matrix(W) for W in inst.weights], exact_matrix(inst.X), EXACT)
    for r, A in zip(net.activations, exact.post):
        M = mpmath.matrix([[mpmath.mpf(int(x.p)) / mpmath.mpf(int(x.q)) for x in row] for row in A.tolist()])
        sv = sorted((abs(s) for s in mpmath.svd_r(M, compute_uv=False)), reverse=True)
        total = mpmath.fsum(s**2 for s in sv)
        s1 = sv[0]
        lo, hi = float(r.s1_low.lower().mid()), float(r.s1_high.upper().mid())
        assert lo <= s1 * (1 + 1e-30) and s1 <= hi * (1 + 1e-30) or (s1 == 0 and lo == 0)
        if total > 0:
            ratio = 1 - s1**2 / total
            assert float(r.ratio_low.lower().mid()) <= ratio + 1e-30 <= float(r.ratio_high.upper().mid()) + 2e-30


def test_three_slices_are_tighter_than_two_on_a_deep_random_network():
    rng = np.random.default_rng(0)
    widths = [40] * 21
    Ws = [rng.standard_normal((40, 40)) * np.sqrt(2 / 40) for _ in range(20)]
    X = rng.standard_normal((40, 60))
    finals = {}
    for slices in (2, 3):
        act = NW.NormEnclosure.exact(X)
        for W in Ws[:-1]:
            act = NW.relu(NW.layer(W, act, slices=slices))
        finals[slices] = float(act.radius.upper().mid()) / float(NW.norm_ball_accurate(act.mid).mid())
    assert finals[3] < finals[2] / 10 and finals[3] < 1e-12, (finals, widths[0])


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (7, 3), (30, 30), (50, 80), (10, 200)])
@pytest.mark.parametrize("kind", ["gaussian", "rank-one", "zero", "tiny", "huge"])
def test_spectral_norm_bound_holds_and_is_tight(shape, kind):
    rng = np.random.default_rng(sum(shape))
    W = rng.standard_normal(shape)
    if kind == "rank-one":
        W = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
    elif kind == "zero":
        W = np.zeros(shape)
    elif kind == "tiny":
        W = W * 1e-305
    elif kind == "huge":
        W = W * 1e300
    bound = NW.spectral_norm_upper(W)
    s1 = float(np.linalg.norm(W, 2)) if kind != "huge" else float(np.linalg.norm(W / 1e300, 2)) * 1e300
    if kind == "zero":
        assert bound.upper() <= 0 or float(bound.upper().mid()) == 0.0
        return
    if min(shape) <= 30 and kind not in ("tiny", "huge"):  # the exact s_1 at 50 digits
        M = mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in W])
        s1_ref = max(abs(s) for s in mpmath.svd_r(M, compute_uv=False))
        assert mpmath.mpf(float(bound.upper().mid())) >= s1_ref
    assert float(bound.upper().mid()) >= s1 * (1 - 1e-12)
    assert float(bound.upper().mid()) <= s1 * 1.1  # a few percent at most (margins of the certificate)


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e300, 1e-310, 1e-160, 1e160])
@pytest.mark.parametrize("n", [1, 2, 3, 64, 1001])
def test_accurate_sums_contain_the_exact_values(scale, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * scale
    y = rng.standard_normal(n) * (1 / scale if 1e-150 < scale < 1e150 else 1.0)
    b = NW.norm_sq_ball_accurate(x)
    assert encloses(b, sum_of_squares_exact(x))
    exact_dot = sum((q(a) * q(c) for a, c in zip(x, y)), fmpq(0))
    d = NW.dot_ball_accurate(x, y)
    assert d.is_finite() and encloses(d, exact_dot)
    if scale == 1.0:  # relative widths of about u
        assert float(b.rad()) <= 4e-16 * float(b.mid())
        assert float(d.rad()) <= 1e-25 * float(np.sum(np.abs(x * y))) + 1e-300  # about n u^2


def test_accurate_sums_of_non_finite_data_certify_nothing():
    assert NW.norm_sq_ball_accurate(np.array([1.0, np.inf])) is NW.E.WHOLE
    assert NW.dot_ball_accurate(np.array([np.nan]), np.array([1.0])) is NW.E.WHOLE


@pytest.mark.parametrize("slices", [2, 3])
def test_blocked_products_bound_the_exact_distance(monkeypatch, slices):
    monkeypatch.setattr(NW, "COLUMN_BLOCK", 3)  # several blocks of columns, the last one short
    rng = np.random.default_rng(slices)
    for trial in range(8):
        W = rng.standard_normal((3, 5))
        A = rng.standard_normal((5, int(rng.integers(4, 11)))) * 10.0 ** rng.integers(-6, 6, size=(1, 1))
        A_lo = A * 2.0**-60 * rng.standard_normal(A.shape) if trial % 2 else None
        hi, lo, bound = NW.product_pair(W, A, A_lo, slices)
        exact = exact_matrix(W) @ (exact_matrix(A) + (exact_matrix(A_lo) if A_lo is not None else 0))
        assert within(bound, dist_sq(exact, hi, lo)), trial


# --- findings of the adversarial review, each pinned ------------------------------------------------


@pytest.mark.parametrize("ratio", [1.0, 1e3, 1e6])
def test_activation_norm_stays_tight_when_negative_entries_dominate(ratio):
    rng = np.random.default_rng(0)
    M = np.abs(rng.standard_normal((30, 40)))
    M[:, ::2] *= -ratio  # negative entries dominate ||Z||: ||relu(Z)|| must not come from a cancelling difference
    act, gap = NW.relu_and_gap(NW.NormEnclosure.exact(M))
    norm = NW.frobenius_ball(act)
    assert float(norm.rad()) <= 1e-15 * float(norm.mid())
    assert encloses(norm * norm, sum_of_squares_exact(np.maximum(M, 0.0)))
    neg, total = sum_of_squares_exact(np.minimum(M, 0.0)), sum_of_squares_exact(M)
    assert encloses(gap, neg / total)


@pytest.mark.parametrize("scale", [1.0, 1e-40, 1e40, 1e-200, 1e200])
def test_float_escape_estimate_does_not_depend_on_the_scale_of_theta(scale):
    from certify.core.network import escape_report, flatten, localized_loss, loss_gradient, to_sphere

    rng = np.random.default_rng(3)
    Ws = [rng.standard_normal((6, 4)), rng.standard_normal((5, 6)), rng.standard_normal((2, 5))]
    X, G = rng.standard_normal((4, 9)), rng.standard_normal((2, 9))
    rho = to_sphere(Ws)  # the reference, computed on the sphere
    s = -float(localized_loss(rho, X, G))
    g = flatten(loss_gradient(rho, X, G))
    residual = float(np.linalg.norm(g + s * flatten(rho)))
    got = escape_report([W * scale for W in Ws], X, G)
    assert got.speed == pytest.approx(s, rel=1e-12) and got.residual == pytest.approx(residual, rel=1e-12)


def test_an_overflowed_instance_reports_unknown_not_zero(tmp_path):
    from certify.instance.report import instance_report
    from certify.core.instances import save_instance

    rng = np.random.default_rng(1)
    inst = Instance(X=rng.standard_normal((3, 4)) * 1e300, G=rng.standard_normal((1, 4)),
                    weights=(rng.standard_normal((3, 3)) * 1e10, rng.standard_normal((1, 3)) * 1e10))
    path = save_instance(inst, tmp_path / "overflow.npz") or tmp_path / "overflow.npz"
    import os

    old = os.environ.get("CERTIFY_EXACT_WORK")
    os.environ["CERTIFY_EXACT_WORK"] = "1"  # force the enclosed path
    try:
        report, _ = instance_report(path)
    finally:
        if old is None:
            del os.environ["CERTIFY_EXACT_WORK"]
        else:
            os.environ["CERTIFY_EXACT_WORK"] = old
    loss = report["localized_loss"]
    assert loss["kind"] == "enclosed" and loss["float"] is None
    est = report["direction_float_estimates"]
    assert not (est["residual"] == 0.0)  # an overflow is not an exact escape direction


@pytest.mark.parametrize("bad", [np.array([[2**53 + 1]], dtype=np.int64), np.array([[1.0]], dtype=np.longdouble),
                                 np.array([[1.0]], dtype=object)])
def test_the_kernel_refuses_what_float64_cannot_hold(bad):
    if bad.dtype == np.longdouble and np.finfo(np.longdouble).nmant <= 52:
        pytest.skip("long double is binary64 here")
    for call in (lambda: NW.norm_sq_ball_accurate(bad), lambda: NW.product_pair(bad, np.ones((1, 1))),
                 lambda: NW.spectral_norm_upper(bad), lambda: NW.NormEnclosure.exact(bad),
                 lambda: NW.dot_ball_accurate(bad, np.ones((1, 1)))):
        with pytest.raises((TypeError, ValueError)):
            call()


def test_non_finite_entries_certify_nothing():
    M = np.array([[-np.inf, 1.0], [2.0, np.nan]])
    enc = NW.NormEnclosure.exact(M)
    act, _ = NW.relu_and_gap(enc)
    for ball in (NW.frobenius_ball(enc), NW.frobenius_ball(NW.relu(enc)), NW.frobenius_ball(act)):
        assert not ball.is_finite() or not (ball < 1e300)


def test_spectral_bound_is_within_1e_7_of_the_norm():
    rng = np.random.default_rng(2)
    for W in (np.eye(5), np.linalg.qr(rng.standard_normal((40, 40)))[0], rng.standard_normal((100, 100))):
        b = float(NW.spectral_norm_upper(W).upper().mid())
        s1 = float(np.linalg.norm(W, 2))
        assert s1 * (1 - 1e-12) <= b <= s1 * (1 + 1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_prop34_tightened_below_the_true_ratios_does_not_certify_at_depth_16(seed):
    """A false variant on the three-slice path: the bound scaled below every true ratio must not certify."""
    from certify.kernel.verdict import Status
    from certify.instance.verdicts import check_prop34

    rng = np.random.default_rng(seed)
    L = 16
    # entries mostly positive: activations stay alive and non-negative, so their ratios' lower ends are tight
    Ws = [rng.standard_normal((5, 5)) * 0.3 + 1.0 for _ in range(L - 1)] + [rng.standard_normal((2, 5))]
    scale = np.sqrt(L / sum(float((W * W).sum()) for W in Ws)) * (1 - 1e-9)
    Ws = [W * scale for W in Ws]
    X = np.abs(rng.standard_normal((5, 12)))
    A = X
    for W in Ws[:-1]:
        A = np.maximum(W @ A, 0.0)
    inst = Instance(X=X, G=-(Ws[-1] @ A), weights=tuple(Ws))
    net = enclose_network(inst)
    assert slices_for_depth(L) == 3
    v = check_prop34(net, net.activations, ps=(0.5,))
    assert v.status is Status.CERTIFIED, v.message  # true as printed
    # false variants: the bound below every ratio the layers certainly have (when all are certainly
    # positive; deep layers here are often rank one to float precision), and a negative bound
    lows = [float(r.ratio_low.lower().mid()) for r in net.activations]
    if min(lows) > 0:
        bound = float(arb(v.evidence["per_p"]["0.5"]["bound"][1]).mid())
        w = check_prop34(net, net.activations, ps=(0.5,), tighten=0.5 * min(lows) / bound)
        assert w.status is not Status.CERTIFIED, w.message
    w = check_prop34(net, net.activations, ps=(0.5,), tighten=-1.0)
    assert w.status is Status.REFUTED, w.message
