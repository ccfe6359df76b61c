"""Tests that kill mutants of certify/kernel/ which survived benchmarks/mutation_campaign.py.

Each test pins a property of the kernel that a surviving mutant broke while every earlier test
still passed; the mutant it kills is named in the docstring (path::scope::change)."""

from fractions import Fraction

import numpy as np
from flint import arb, fmpq

from certify.kernel.arith import BALL, EXACT, FLOAT, NumberSystem, working_precision
from certify.kernel.compare import encloses


def test_a_number_system_is_untrusted_unless_it_says_otherwise():
    """arith.py::NumberSystem::False -> True: a new system must not be trusted by default."""
    assert NumberSystem.trusted is False

    class Plain(NumberSystem):
        name = "plain"

    assert Plain().trusted is False
    assert FLOAT.trusted is False and EXACT.trusted is True and BALL.trusted is True


def test_float_relu_derivative_is_the_indicator_of_z_positive():
    """arith.py::_Float.relu_derivative::> -> <= and > -> >=: 1[z > 0], 0 at z = 0."""
    got = FLOAT.relu_derivative(np.array([-2.0, 0.0, 3.0]))
    assert got.tolist() == [0.0, 0.0, 1.0]
    assert [int(v) for v in EXACT.relu_derivative(np.array([fmpq(-2), fmpq(0), fmpq(3)], dtype=object))] == [0, 0, 1]


def test_ball_takes_fractions_exactly():
    """arith.py::_Ball.scalar::if isinstance(x, Fraction): return ... dropped."""
    b = BALL.scalar(Fraction(1, 3))
    assert encloses(b, fmpq(1, 3))
    assert EXACT.scalar(Fraction(-5, 7)) == fmpq(-5, 7)


def test_float64_enters_a_ball_exactly_at_any_precision():
    """arith.py::_Ball.scalar::> -> >= (itemsize): float64 is dyadic, so its ball is exact even at 20 bits."""
    with working_precision(20):
        for x in (np.float64(0.1), 0.1, np.float32(0.1)):
            b = BALL.scalar(x)
            assert b.is_exact(), x
            assert encloses(b, fmpq(*float(x).as_integer_ratio()))
    assert isinstance(BALL.scalar(np.float64(2.5)), arb)


def test_between_clips_to_the_known_bounds():
    """enclose.py::_between::is not -> is: the ball is clipped to [floor, ceil] when they are given."""
    from certify.kernel.enclose import _between

    b = _between(arb(-0.5), arb(2), floor=0.0, ceil=1.0)
    # the union's radius is rounded outward, so allow a hair beyond [0, 1] (the unclipped ball reaches -0.5)
    assert b.lower() >= -1e-6 and b.upper() <= 1 + 1e-6 and b.contains(arb(0)) and b.contains(arb(1))
    free = _between(arb(-0.5), arb(2), floor=None, ceil=None)
    assert free.lower() <= -0.5 and free.upper() >= 2


# --- quadratic.py: Q(sqrt 2) ---------------------------------------------------------------------------

def _qsqrt2_cases():
    import itertools

    values = [fmpq(0), fmpq(1), fmpq(-1), fmpq(3, 2), fmpq(-7, 5), fmpq(99, 70), fmpq(-140, 99), fmpq(17, 12)]
    return list(itertools.product(values, repeat=2))


def test_qsqrt2_sign_bool_neg_and_float_agree_with_arb():
    """quadratic.py::QSqrt2.sign / __bool__ / __neg__ / __float__: every operator against an Arb enclosure."""
    from certify.kernel.quadratic import QSqrt2

    root2 = arb(2).sqrt()
    for a, b in _qsqrt2_cases():
        x = QSqrt2(a, b)
        ball = arb(a) + arb(b) * root2
        expected = 0 if (a == 0 and b == 0) else (1 if ball > 0 else -1)
        assert not (a != 0 or b != 0) or (ball > 0 or ball < 0)  # never a tie for rational a, b
        assert x.sign() == expected, (a, b)
        assert bool(x) is (expected != 0), (a, b)
        assert (-x) == QSqrt2(-a, -b) and (-x).sign() == -expected
        assert abs(float(x) - float(ball.mid())) <= 1e-12 * (1 + abs(float(ball.mid())))
        assert (x < 0) is (expected < 0) and (x <= 0) is (expected <= 0)
        assert (x > 0) is (expected > 0) and (x >= 0) is (expected >= 0)


def test_qsqrt2_refuses_booleans_and_non_rationals():
    """quadratic.py::_rational::if isinstance(x, bool): return ... dropped."""
    import pytest

    from certify.kernel.quadratic import QSqrt2

    for bad in (True, False, 0.5, "1"):
        with pytest.raises(TypeError):
            QSqrt2(bad)
        with pytest.raises(TypeError):
            QSqrt2(1, bad)
    assert QSqrt2(2, 3) == QSqrt2(fmpq(2), fmpq(3))


# --- verdict.py: combining cases -------------------------------------------------------------------------

def test_combine_names_the_failing_case_and_drops_the_margin():
    """verdict.py::combine (is -> is not, and -> or, not x -> x): the weakest status, its cases, no margin."""
    from certify.kernel.verdict import Status, Verdict, combine

    good = Verdict(Status.CERTIFIED, "fine", 0.5, {})
    bad = Verdict(Status.REFUTED, "broken here", None, {})
    skip = Verdict(Status.SKIPPED, "not run", None, {})
    v = combine({"a": good, "b": bad, "c": skip}, "claim")
    assert v.status is Status.REFUTED and v.margin is None
    assert v.message.startswith("claim: refuted on b: broken here") and "on a" not in v.message
    assert "skipped c" in v.message
    v = combine({"a": good, "d": Verdict(Status.CERTIFIED, "fine", 0.25, {})}, "claim")
    assert v.status is Status.CERTIFIED and v.margin == 0.25 and "on 2 case(s)" in v.message
    assert combine({"c": skip}, "claim").status is Status.SKIPPED
    assert set(combine({"a": good, "c": skip}, "claim").evidence["cases"]) == {"a", "c"}


def test_only_an_erratum_needs_a_corrected_verdict():
    """verdict.py::Verdict.__post_init__::and -> or."""
    import pytest

    from certify.kernel.verdict import Status, Verdict

    Verdict(Status.PROVED, "ok")
    with pytest.raises(ValueError):
        Verdict(Status.ERRATUM, "no correction")
    Verdict(Status.ERRATUM, "with correction", corrected=Verdict(Status.PROVED, "fixed"))


# --- enclose.py: rounding-error bounds must cover real rounding errors ------------------------------------

def _exact_dot(row, v) -> fmpq:
    return sum((fmpq(*float(a).as_integer_ratio()) * fmpq(*float(b).as_integer_ratio()) for a, b in zip(row, v)),
               fmpq(0))


def test_matvec_norm_ball_covers_cancellation():
    """enclose.py::matvec_norm_ball::* -> /#1: fl(1e16 + 1 - 1e16) = 0 while the true value is 1."""
    from certify.kernel.enclose import Enclosure, matvec_norm_ball

    Z = Enclosure.exact(np.array([[1e16, 1.0, -1e16], [3.0, 0.0, 0.0]]))
    v = np.array([1.0, 1.0, 1.0])
    ball = matvec_norm_ball(Z, v)
    true_sq = _exact_dot([1e16, 1.0, -1e16], v) ** 2 + _exact_dot([3.0, 0.0, 0.0], v) ** 2  # 1 + 9
    assert (ball * ball).lower() <= arb(true_sq) <= (ball * ball).upper()


def test_matvec_error_bound_stays_finite_and_sound():
    """enclose.py::_matvec_with_error::* -> /#2 (k eta -> k/eta makes every bound infinite)."""
    from certify.kernel.enclose import Enclosure, _matvec_with_error, top_singular_upper_gram

    A = np.array([[3.0, 0.0], [0.0, 1.0]])
    y, e = _matvec_with_error(Enclosure.exact(A), np.array([1.0, 0.0]))
    assert np.all(np.isfinite(e)) and np.all(e < 1e-12)
    up = top_singular_upper_gram(Enclosure.exact(A), np.array([1.0, 0.0]))
    assert up.is_finite() and 3 <= float(up.mid()) <= 3 + 1e-9


def test_rmatvec_error_bound_covers_underflow():
    """The contract |Z^T w - z| <= e at the underflow edge: 0.5 * 2^-1074 rounds to 0 eight times (true sum 4 2^-1074).

    (It does not kill enclose.py::_rmatvec_with_error::+ -> -#0: the next line's own k eta slack covers it.)"""
    from certify.kernel.enclose import Enclosure, _rmatvec_with_error

    Z = Enclosure.exact(np.full((8, 1), 0.5))
    y = np.full(8, 2.0**-1074)
    z, e = _rmatvec_with_error(Z, y, np.zeros(8))
    true = _exact_dot([0.5] * 8, y)  # mid^T y, exactly
    err = abs(true - fmpq(*float(z[0]).as_integer_ratio()))
    assert err <= fmpq(*float(e[0]).as_integer_ratio())
    # and with a radius on y: |Z^T w - z| <= e for every |w - y| <= ey
    Z = Enclosure.exact(np.array([[0.5], [0.5]]))
    z, e = _rmatvec_with_error(Z, np.array([1.0, -1.0]), np.array([0.25, 0.25]))
    worst = max(abs(_exact_dot([0.5, 0.5], [1.0 + s1, -1.0 + s2]) - fmpq(*float(z[0]).as_integer_ratio()))
                for s1 in (-0.25, 0.25) for s2 in (-0.25, 0.25))
    assert worst <= fmpq(*float(e[0]).as_integer_ratio())


# --- speed_certificate.py ---------------------------------------------------------------------------------

def test_arc_maximum_inside_the_cone_is_the_norm():
    """speed_certificate.py::arc_max_at_most::if inside: return ... dropped: w inside the cone attains ||w||."""
    from certify.kernel.speed_certificate import arc_max_at_most

    w, ra, rb = (fmpq(1), fmpq(0)), (fmpq(1), fmpq(-1)), (fmpq(1), fmpq(1))
    assert arc_max_at_most(w, ra, rb, fmpq(1))
    assert not arc_max_at_most(w, ra, rb, fmpq(4, 5))  # the ends give 1/sqrt 2 < 4/5, the middle gives 1
    outside = (fmpq(-1), fmpq(0))  # the maximum is at an end: -1/sqrt 2 < 0
    assert arc_max_at_most(outside, ra, rb, fmpq(0))
    assert not arc_max_at_most((fmpq(0), fmpq(1)), ra, rb, fmpq(7, 10))  # end (1, 1): 1/sqrt 2 > 7/10


def test_parse_number_refuses_too_many_digits_in_either_part():
    """speed_certificate.py::parse_number::or -> and: the numerator or the denominator alone may be too long."""
    import pytest

    from certify.kernel.speed_certificate import MAX_DIGITS, CertificateFormatError, parse_number

    assert parse_number("-3/4", "x") == fmpq(-3, 4) and parse_number("1.25e1", "x") == fmpq(25, 2)
    long = "9" * (MAX_DIGITS + 1)
    for text in (f"{long}/7", f"7/{long}"):
        with pytest.raises(CertificateFormatError):
            parse_number(text, "x")
    with pytest.raises(CertificateFormatError):
        parse_number("1/0", "x")


def test_lower_float_of_an_unbounded_ball_is_minus_infinity():
    """compare.py::lower_float::-x -> x#0: a ball with no finite lower end must not give a margin of +inf."""
    import math

    from certify.kernel.compare import lower_float

    for ball in (arb(0, math.inf), arb("inf"), arb(1) / 0):
        assert lower_float(ball) == -math.inf
    assert lower_float(arb(fmpq(1, 3))) <= 1 / 3 and lower_float(fmpq(-5, 2)) == -2.5


def test_rmatvec_error_bound_covers_cancellation():
    """enclose.py::_rmatvec_with_error::* -> /#1: fl(1e16 + 1 - 1e16) = 0 in mid^T y, the true value is 1."""
    from certify.kernel.enclose import Enclosure, _rmatvec_with_error

    Z = Enclosure.exact(np.array([[1e16], [1.0], [-1e16]]))
    y = np.ones(3)
    z, e = _rmatvec_with_error(Z, y, np.zeros(3))
    err = abs(_exact_dot([1e16, 1.0, -1e16], y) - fmpq(*float(z[0]).as_integer_ratio()))
    assert err <= fmpq(*float(e[0]).as_integer_ratio())
