import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis.errors import InvalidArgument

import certify.strategies as S
from certify.core.instances import validate


@given(S.instances())
def test_instances_are_valid(inst):
    validate(inst)


@given(S.instances(on_sphere=True))
def test_on_sphere(inst):
    sq = sum(float((W * W).sum()) for W in inst.weights)
    assert sq <= inst.depth and sq == pytest.approx(inst.depth, rel=1e-12)


@given(S.instances(in_ball=True))
def test_in_ball(inst):
    assert sum(float((W * W).sum()) for W in inst.weights) <= inst.depth


@given(S.datasets(d_in=5, n_points=6, rank=2, allow_duplicates=False, allow_zero_points=False))
def test_controlled_rank(X):
    assert X.shape == (5, 6) and np.linalg.matrix_rank(X) <= 2


@given(S.nearly_rank_one_data(d_in=3, n_points=4, max_eps=0.2))
def test_nearly_rank_one(data):
    X, u, v, eps = data
    assert (u >= 0).all() and (v >= 0).all() and 0 <= eps <= 0.2
    assert np.linalg.norm(X - np.outer(u, v)) <= eps + 1e-12


@given(S.relu_networks(min_depth=2, max_depth=3, d_in=2, d_out=1))
def test_network_shapes_chain(ws):
    assert ws[0].shape[1] == 2 and ws[-1].shape[0] == 1
    for a, b in zip(ws, ws[1:]):
        assert b.shape[1] == a.shape[0]


@pytest.mark.parametrize("make", [
    lambda: S.widths(min_depth=3, max_depth=2),
    lambda: S.widths(min_width=0),
    lambda: S.datasets(d_in=2, n_points=3, rank=0),
    lambda: S.nearly_rank_one_data(d_in=2, n_points=2, max_eps=-1.0),
])
def test_bad_arguments_say_how_to_fix(make):
    with pytest.raises(InvalidArgument):
        find(make(), lambda _: True, settings=settings(database=None))


def test_shrinking_gives_small_readable_counterexamples():
    # the smallest network whose weights have total absolute value above 3
    ws = find(S.relu_networks(max_depth=3), lambda w: sum(float(np.abs(W).sum()) for W in w) > 3,
              settings=settings(max_examples=300, database=None, derandomize=True))
    entries = np.concatenate([W.ravel() for W in ws])
    assert all(float(x * 4).is_integer() for x in entries), entries  # quarter-integers: readable
    assert np.count_nonzero(entries) <= 3 and entries.size <= 12, ws  # most entries shrink to 0


def test_public_names_match_the_implementation():
    import certify.fuzz.strategies as impl

    assert set(S.__all__) <= set(dir(impl))
    assert all(callable(getattr(S, name)) for name in S.__all__)
