import math
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, fmpq
from hypothesis import given
from hypothesis import strategies as st

from certify.kernel import BALL, EXACT, FLOAT, Status, Truth, Verdict, compare_le, compare_lt
from certify.kernel.compare import compare_eq, encloses, endpoints, lower_float
from certify.kernel.verdict import combine, from_comparison, from_exact_identity

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(finite)
def test_float_to_exact_and_ball_is_exact(x):
    q = EXACT.scalar(x)
    assert Fraction(int(q.p), int(q.q)) == Fraction(x)
    b = BALL.scalar(x)
    assert b.is_exact() and encloses(b, q)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_refused(bad):
    with pytest.raises(ValueError):
        EXACT.scalar(bad)
    with pytest.raises(ValueError):
        BALL.scalar(bad)


def test_booleans_refused():
    with pytest.raises(TypeError):
        EXACT.scalar(True)


def test_ball_comparison_is_three_valued():
    wide = arb(0, 1)  # [-1, 1]
    assert compare_le(wide, arb(0)) is Truth.UNKNOWN
    assert compare_lt(wide, arb(0)) is Truth.UNKNOWN
    assert compare_le(arb(1), arb(2)) is Truth.TRUE
    assert compare_le(arb(3), arb(2)) is Truth.FALSE
    assert compare_eq(arb(1), arb(1)) is Truth.TRUE
    assert compare_eq(arb(2).sqrt() ** 2, arb(2)) is Truth.UNKNOWN


def test_exact_comparison_is_two_valued():
    assert compare_le(fmpq(1, 3), fmpq(1, 3)) is Truth.TRUE
    assert compare_lt(fmpq(1, 3), fmpq(1, 3)) is Truth.FALSE


def test_floats_cannot_be_compared_in_the_kernel():
    with pytest.raises(TypeError):
        compare_le(0.1, 0.2)
    with pytest.raises(TypeError):
        from_comparison(0.1, 1.0, "floats")


def test_truth_is_not_a_bool():
    with pytest.raises(TypeError):
        bool(Truth.UNKNOWN)


@given(st.fractions(max_denominator=10**12))
def test_lower_float_is_below(q):
    x = fmpq(q.numerator, q.denominator)
    v = lower_float(x)
    assert Fraction(v) <= q
    assert Fraction(math.nextafter(v, math.inf)) > q or Fraction(v) == q


def test_lower_float_of_ball():
    x = arb(2).sqrt()
    v = lower_float(x)
    assert v < math.sqrt(2) and math.sqrt(2) - v < 1e-14


@given(st.lists(finite.filter(lambda v: abs(v) < 1e100), min_size=1, max_size=6))
def test_relu_agrees_and_encloses(values):
    a = np.array(values)
    f = FLOAT.relu(a)
    e = EXACT.relu(EXACT.array(a))
    b = BALL.relu(BALL.array(a))
    for fv, ev, bv in zip(f, e, b):
        assert Fraction(fv) == Fraction(int(ev.p), int(ev.q))
        assert encloses(bv, ev)


def test_relu_of_straddling_ball_contains_zero_and_top():
    (b,) = BALL.relu(np.array([arb(0, 1)], dtype=object))
    assert b.contains(0) and b.contains(1)
    (d,) = BALL.relu_derivative(np.array([arb(0, 1)], dtype=object))
    assert d.contains(0) and d.contains(1)


def test_from_comparison_statuses():
    assert from_comparison(fmpq(1), fmpq(2), "x").status is Status.CERTIFIED
    assert from_comparison(fmpq(1), fmpq(2), "x").margin == 1.0
    assert from_comparison(fmpq(3), fmpq(2), "x").status is Status.REFUTED
    assert from_comparison(arb(0, 1), arb(0), "x").status is Status.UNDECIDED
    assert from_exact_identity(fmpq(1, 2), fmpq(2, 4), "x").status is Status.PROVED
    assert from_exact_identity(fmpq(1, 2), fmpq(1, 3), "x").status is Status.REFUTED


def test_combine_takes_the_weakest():
    ok = Verdict(Status.PROVED, "a")
    cert = Verdict(Status.CERTIFIED, "b", margin=0.5)
    bad = Verdict(Status.REFUTED, "c")
    skip = Verdict(Status.SKIPPED, "d")
    assert combine({"a": ok, "b": cert}, "w").status is Status.CERTIFIED
    assert combine({"a": ok, "b": cert}, "w").margin == 0.5
    assert combine({"a": ok, "c": bad, "b": cert}, "w").status is Status.REFUTED
    assert combine({"a": ok, "d": skip}, "w").status is Status.PROVED
    assert combine({"d": skip}, "w").status is Status.SKIPPED


def test_erratum_needs_a_corrected_verdict():
    with pytest.raises(ValueError):
        Verdict(Status.ERRATUM, "missing correction")


@given(st.fractions(max_denominator=10**30), st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**30))
def test_ball_products_enclose_exact_products(a, b):
    qa, qb = fmpq(a.numerator, a.denominator), fmpq(b.numerator, b.denominator)
    assert encloses(arb(qa), qa)
    assert encloses(arb(qa) * arb(qb), qa * qb)
    assert encloses(arb(qa) + arb(qb), qa + qb)


def test_endpoints_are_exact():
    lo, hi = endpoints(arb(2).sqrt())
    assert lo * lo < 2 < hi * hi


def test_kernel_imports_nothing_from_the_rest_of_certify():
    import ast
    from pathlib import Path

    import certify.kernel

    for path in Path(certify.kernel.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("certify"):
                    assert name.startswith("certify.kernel"), f"{path.name} imports {name}"
