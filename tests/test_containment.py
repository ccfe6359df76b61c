"""The kernel's contract, as a property: every ball it returns contains the exact value.

Inputs span every binary64 scale (1e-300..1e300 and beyond, subnormals, signed zeros); exact values are
computed in python-flint rationals (fmpq), and containment is decided exactly on the balls' rational
endpoints.  A ball that is not finite must contain everything (WHOLE or NaN), never be a point at
infinity.
"""

from __future__ import annotations

import numpy as np
from flint import arb, fmpq, fmpq_mat
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.kernel import enclose as E
from certify.kernel.compare import Truth, compare_le, compare_lt, endpoints

settings.register_profile("containment", max_examples=150, deadline=None, derandomize=True)

# entries: any finite binary64 (subnormals and -0.0 included), or a moderate number times 2^k for k
# across the whole exponent range, so that most examples are finite and meaningful at every scale
_any = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)
_scaled = st.builds(lambda m, k: float(np.ldexp(m, k)), st.floats(-4, 4, allow_subnormal=False),
                    st.integers(-1070, 1020))


@st.composite
def matrices(draw, rows=None, cols=None, scale=None):
    m = draw(st.integers(1, 4)) if rows is None else rows
    n = draw(st.integers(1, 4)) if cols is None else cols
    k = draw(st.integers(-1000, 1000)) if scale is None else scale
    elems = st.one_of(_any, _scaled, st.sampled_from([0.0, -0.0, 5e-324, -5e-324]),
                      st.floats(-8, 8).map(lambda v: float(np.ldexp(v, k))))
    return np.array(draw(st.lists(elems, min_size=m * n, max_size=m * n)), dtype=np.float64).reshape(m, n)


def q(x: float) -> fmpq:
    return fmpq(*float(x).as_integer_ratio())


def qmat(A: np.ndarray) -> list[list[fmpq]]:
    return [[q(v) for v in row] for row in np.atleast_2d(A)]


def qmul(A, B):
    return [[sum((A[i][t] * B[t][j] for t in range(len(B))), fmpq(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


def sumsq(M) -> fmpq:
    return sum((v * v for row in M for v in row), fmpq(0))


def unbounded_ok(ball: arb) -> bool:
    """A ball that is not finite must contain every real number (it is WHOLE or NaN)."""
    return ball.contains(0) and ball.contains(arb(10) ** 400) and ball.contains(-arb(10) ** 400)


def holds_value(ball: arb, value: fmpq) -> bool:
    if not ball.is_finite():
        return unbounded_ok(ball)
    lo, hi = endpoints(ball)
    return lo <= value <= hi


def holds_root(ball: arb, square: fmpq) -> bool:
    """The ball contains sqrt(square) (square >= 0), decided exactly through squares."""
    if not ball.is_finite():
        return unbounded_ok(ball)
    lo, hi = endpoints(ball)
    return (lo <= 0 or lo * lo <= square) and hi >= 0 and square <= hi * hi


def positive_definite(M: list[list[fmpq]]) -> bool:
    """Sylvester's criterion, exactly."""
    n = len(M)
    return all(fmpq_mat([row[:k] for row in M[:k]]).det() > 0 for k in range(1, n + 1))


def gram_minus(A, c: fmpq, sign: int) -> list[list[fmpq]]:
    """sign (c I - A^T A)."""
    n = len(A[0])
    G = [[sum((A[t][i] * A[t][j] for t in range(len(A))), fmpq(0)) for j in range(n)] for i in range(n)]
    return [[sign * ((c if i == j else fmpq(0)) - G[i][j]) for j in range(n)] for i in range(n)]


@settings(settings.get_profile("containment"))
@given(matrices())
def test_norm_balls_contain_the_exact_norm(A):
    S = sumsq(qmat(A))
    assert holds_value(E.norm_sq_ball(A), S)
    assert holds_root(E.norm_ball(A), S)
    up = E.norm_up(A)
    assert up == float("inf") or q(up) ** 2 >= S
    for axis_norms, rows in ((E.row_norms_up(A), qmat(A)), (E.col_norms_up(A), qmat(A.T))):
        for bound, row in zip(axis_norms, rows):
            assert bound == float("inf") or q(bound) ** 2 >= sum((v * v for v in row), fmpq(0))


@st.composite
def chains(draw):
    """W2, W1, X of chaining shapes, each at its own scale."""
    d, n1, n2, N = (draw(st.integers(1, 3)) for _ in range(4))
    return draw(matrices(n2, n1)), draw(matrices(n1, d)), draw(matrices(d, N))


@settings(settings.get_profile("containment"))
@given(chains(), st.lists(_scaled, min_size=3, max_size=3))
def test_forward_pass_balls_contain_the_exact_values(chain, vseed):
    W2, W1, X = chain
    Z1 = E.matmul(W1, E.Enclosure.exact(X))
    A1 = E.relu(Z1)
    Z2 = E.matmul(W2, A1)
    x1 = qmul(qmat(W1), qmat(X))
    a1 = [[v if v > 0 else fmpq(0) for v in row] for row in x1]
    x2 = qmul(qmat(W2), a1)
    neg = [[v if v < 0 else fmpq(0) for v in row] for row in x1]
    assert holds_root(E.frobenius_ball(Z1), sumsq(x1))
    assert holds_root(E.frobenius_ball(A1), sumsq(a1))
    assert holds_root(E.frobenius_ball(Z2), sumsq(x2))
    assert holds_root(E.frobenius_ball(E.negative_part(Z1)), sumsq(neg))
    G = np.ones_like(Z2.mid)
    G[0, 0] = -3.0
    trace = sum((q(G[i, j]) * x2[i][j] for i in range(len(x2)) for j in range(len(x2[0]))), fmpq(0))
    assert holds_value(E.inner_ball(G, Z2), trace)
    if sumsq(x1) > 0:
        gap = E.gap_ratio_ball(Z1)
        assert holds_value(gap, sumsq(neg) / sumsq(x1))
    v = np.array((vseed * 2)[: Z2.shape[1]], dtype=np.float64)
    zv = qmul(x2, [[q(t)] for t in v])
    assert holds_root(E.matvec_norm_ball(Z2, v), sumsq(zv))


@settings(settings.get_profile("containment"))
@given(matrices(), st.lists(_scaled, min_size=4, max_size=4))
def test_singular_value_bounds_hold(A, vseed):
    QA = qmat(A)
    v = np.array(vseed[: A.shape[1]], dtype=np.float64)
    Z = E.Enclosure.exact(A)
    uppers = [E.top_singular_upper(A), E.top_singular_upper_gram(Z, v),
              E.top_singular_upper_enclosure(Z, np.abs(v) + 1.0)]
    for u in uppers:
        if not u.is_finite():
            assert unbounded_ok(u)
            continue
        hi = endpoints(u)[1]
        # s_1^2 <= hi^2 fails exactly when A^T A - hi^2 I has a positive eigenvalue, i.e. when
        # hi^2 I - A^T A is not positive semidefinite; that it is positive definite is a sufficient check
        # whenever hi is strictly above s_1 (ties have probability zero here)
        assert hi >= 0 and positive_definite(gram_minus(QA, hi * hi, 1)) or sumsq(QA) == 0
    low = E.top_singular_lower(Z, v)
    if low.is_finite():
        lo = endpoints(low)[0]
        # a violation means s_1^2 < lo^2: lo^2 I - A^T A positive definite
        assert lo <= 0 or not positive_definite(gram_minus(QA, lo * lo, 1))


@given(st.sampled_from([1e-300, 1e-200, 1e-100, 1.0, 1e100, 1e200, 1e300, 5e-324 * 2**40]))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_norms_are_tight_at_every_scale(scale):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 20)) * scale
    ball = E.norm_ball(A)
    assert ball.is_finite() and holds_root(ball, sumsq(qmat(A)))
    assert ball.rad() < 1e-10 * abs(ball.mid())  # relative, at every scale


def test_comparisons_with_unbounded_balls_are_unknown():
    point_at_infinity = arb("+inf")
    for other in (arb(1), fmpq(1), 0):
        assert compare_le(other, point_at_infinity) is Truth.UNKNOWN
        assert compare_lt(point_at_infinity, other) is Truth.UNKNOWN
        assert compare_le(E.WHOLE, other) is Truth.UNKNOWN
    assert compare_le(arb(1), arb(2)) is Truth.TRUE  # the guard does not blunt finite comparisons


def test_conversion_into_exact_arithmetic_never_rounds():
    from certify.kernel.arith import BALL, EXACT

    wide = np.longdouble(1) + np.longdouble(2) ** -60
    if np.finfo(np.longdouble).nmant > 52:  # a long double wider than binary64 (x86)
        assert EXACT.scalar(wide) == fmpq(2**60 + 1, 2**60)
        assert EXACT.array(np.array([[wide]]))[0, 0] == fmpq(2**60 + 1, 2**60)
        assert BALL.scalar(wide).contains(fmpq(2**60 + 1, 2**60))
    assert EXACT.scalar(np.float32(0.1)) == fmpq(*float(np.float32(0.1)).as_integer_ratio())
    assert EXACT.scalar(5e-324) == fmpq(1, 2**1074) and EXACT.scalar(-0.0) == 0


@settings(settings.get_profile("containment"))
@given(matrices())
def test_exact_sum_of_squares_equals_the_rational_sum(A):
    from certify.kernel.arith import sum_of_squares_exact

    assert sum_of_squares_exact(A) == sumsq(qmat(A))
    with np.errstate(over="ignore"):
        narrow = A.astype(np.float32)
    if np.all(np.isfinite(narrow)):  # float32 data are read exactly too
        assert sum_of_squares_exact(narrow) == sumsq(qmat(narrow.astype(np.float64)))
