"""The depth sweep of s*(L) ('certify plateau'): classification of consecutive depths, the sweep on a
tiny instance, the shipped 2-D data, and the command's refusals and strict JSON."""

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from certify.core import jsonio
from certify.cli import ExitCode, main
from certify.core.datasets import DEPTH_SWEEP_DIR, DEPTH_SWEEP_RECIPES
from certify.experiments.depth_sweep import (
    BOUNDED,
    DECREASE,
    FIRST,
    INCREASE,
    NOT_COMPARED,
    DataSweep,
    Point,
    classify,
    sweep,
)
from certify.core.instances import load_data
from tests.conftest import ROOT, one_line_error

SWEEP_DIR = ROOT / "data" / "instances" / DEPTH_SWEEP_DIR
CIRCLE4 = str(SWEEP_DIR / "circle4.npz")


# --- classification on synthetic intervals ---------------------------------------------------------

rationals = st.fractions(min_value=-4, max_value=4, max_denominator=50)


@st.composite
def intervals(draw):
    a, b = draw(rationals), draw(rationals)
    return (min(a, b), max(a, b))


@given(intervals(), intervals())
def test_an_increase_is_certified_exactly_when_lower_exceeds_the_previous_upper(prev, cur):
    kind, bound = classify(prev, cur)
    bound = Fraction(str(bound))  # fmpq -> Fraction (they do not compare equal across types)
    (lo0, hi0), (lo1, hi1) = prev, cur
    assert (kind == INCREASE) == (lo1 > hi0)
    if kind == INCREASE:
        assert bound == lo1 - hi0 > 0
    elif kind == DECREASE:
        assert hi1 < lo0 and bound == lo0 - hi1
    else:
        assert kind == BOUNDED and lo1 <= hi0 and hi1 >= lo0
        # every s0 in prev and s1 in cur with s1 >= s0 rises by at most the bound (and it is attained)
        assert bound == hi1 - lo0 >= 0


def test_classify_edge_cases():
    kind, bound = classify((Fraction(1, 3), Fraction(1, 2)), (Fraction(1, 2), 1))  # touching ends: no increase
    assert kind == BOUNDED and Fraction(str(bound)) == Fraction(2, 3)
    assert classify((0, Fraction(1, 2)), (Fraction(1, 2) + Fraction(1, 10**30), 1))[0] == INCREASE  # exact, not floats
    assert classify((1, 1), (1, 1)) == (BOUNDED, 0)
    assert classify(None, (0, 1)) == (NOT_COMPARED, None) and classify((0, 1), None) == (NOT_COMPARED, None)
    with pytest.raises(TypeError):
        classify((0.0, 1.0), (0, 1))  # floats are not exact ends
    with pytest.raises(ValueError):
        classify((1, 0), (0, 1))


def _point(depth, lo, hi, status="certified"):
    from flint import fmpq

    q = lambda f: fmpq(f.numerator, f.denominator)
    return Point(depth, status, *(None, None) if lo is None else (q(Fraction(lo)), q(Fraction(hi))))


def test_the_summary_stops_at_the_last_certified_depth():
    ds = DataSweep("synthetic", "-", 4, 2, 2, [_point(2, "0", "0"), _point(3, "1/2", "3/5"), _point(4, "1/2", "7/10"),
                                             _point(5, None, None, "refused")])
    for prev, p in zip(ds.points, ds.points[1:]):
        p.verdict, p.bound = classify(prev.interval, p.interval)
    assert [p.verdict for p in ds.points[1:]] == [INCREASE, BOUNDED, NOT_COMPARED]
    s = ds.summary()
    assert s["last_increase_at"] == 3 and (s["flat_from"], s["flat_to"]) == (3, 4)
    assert Fraction(s["rise_bound"]) == Fraction(7, 10) - Fraction(1, 2)
    assert "L > 4" in ds.summary_text() and "refused" in ds.summary_text()


# --- the sweep on a tiny instance -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_sweep():
    return sweep([CIRCLE4], [2, 3, 4])


def test_sweep_on_four_points_certifies_every_depth_and_classifies_consistently(tiny_sweep):
    (ds,) = tiny_sweep.data
    assert (ds.name, ds.n_points, ds.n_positive, ds.n_negative) == ("circle4", 4, 2, 2)
    assert [p.depth for p in ds.points] == [2, 3, 4] and all(p.status == "certified" for p in ds.points)
    assert ds.points[0].verdict == FIRST and not tiny_sweep.findings
    for prev, p in zip(ds.points, ds.points[1:]):
        assert p.lower <= p.upper
        assert (p.verdict, p.bound) == classify(prev.interval, p.interval)
        assert (p.verdict == INCREASE) == (p.lower > prev.upper)
        assert p.verdict != DECREASE  # Prop. 3.2: s*(L) >= s*(L-1)
    # s*(2) = 1 here (w along a point of G = +1 sees only that point), and every upper end is 1: s*(L) = 1
    assert ds.points[0].lower == ds.points[0].upper == 1
    assert all(p.lower <= 1 == p.upper for p in ds.points)
    assert ds.summary()["flat_from"] == 2 and ds.summary()["flat_to"] == 4
    assert ds.summary()["rise_bound"] == "0"
    for p in ds.points:  # floats are rounded outward
        assert p.lower_float <= float(p.lower) and p.upper_float >= float(p.upper) and p.width >= 0


def test_the_sweep_json_is_strict(tiny_sweep):
    text = jsonio.dumps(tiny_sweep.to_json())
    doc = jsonio.loads(text, "sweep")  # refuses NaN and Infinity
    assert [d["verdict"] for d in doc["data"][0]["depths"]] == [FIRST, BOUNDED, BOUNDED]


def test_a_depth_beyond_the_size_limits_is_recorded_as_refused(monkeypatch):
    from certify.optimum import search

    monkeypatch.setattr(search, "MAX_TREE_NODES", 10)  # the depth-4 tree of circle4 has 58 nodes
    (ds,) = sweep([CIRCLE4], [2, 4]).data
    assert [p.status for p in ds.points] == ["certified", "refused"]
    assert "nodes" in ds.points[1].reason and ds.points[1].verdict == NOT_COMPARED


# --- the shipped data -------------------------------------------------------------------------------


def test_the_depth_sweep_data_match_their_recipes():
    assert {p.stem for p in SWEEP_DIR.glob("*.npz")} == set(DEPTH_SWEEP_RECIPES)
    for name, recipe in DEPTH_SWEEP_RECIPES.items():
        X, G, meta = load_data(SWEEP_DIR / f"{name}.npz")
        X0, G0, meta0 = recipe()
        assert np.array_equal(X, X0) and np.array_equal(G, G0) and meta == meta0
        assert X.shape[0] == 2 and G.shape[0] == 1 and set(np.unique(G)) <= {-1.0, 1.0}


def test_the_scattered_data_do_not_alternate():
    X, G, _ = DEPTH_SWEEP_RECIPES["scattered7"]()
    s = G[0, np.argsort(np.arctan2(X[1], X[0]))]
    assert 0 < (s > 0).sum() < len(s) and np.any(s == np.roll(s, 1))


# --- the command ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", ["1", "9"])
def test_plateau_refuses_a_max_depth_out_of_range(capsys, depth):
    assert main(["plateau", CIRCLE4, "--max-depth", depth]) == ExitCode.USAGE
    one_line_error(capsys, "--max-depth", depth)


@pytest.mark.parametrize("args, needle", [
    ([str(ROOT / "data/instances/random-depth3.npz")], "2-D data"),
    ([CIRCLE4, "--figure", "out.pdf"], ".png"),
    ([CIRCLE4, "--figure", "-"], "stdout"),
    ([CIRCLE4, CIRCLE4], "same file"),
])
def test_plateau_bad_input_is_one_line(capsys, args, needle):
    assert main(["plateau", *args, "--max-depth", "2"]) == ExitCode.USAGE
    one_line_error(capsys, needle)


@pytest.mark.parametrize("option", ["--json", "--figure"])
def test_plateau_checks_its_outputs_before_the_work(tmp_path, capsys, monkeypatch, option):
    import certify.experiments.depth_sweep as ds

    monkeypatch.setattr(ds, "sweep", lambda *a, **k: pytest.fail("the work started before the outputs were checked"))
    assert main(["plateau", CIRCLE4, option, str(tmp_path / "no" / "x.png")]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("certify: error:") and err.count("\n") == 1


def test_plateau_json_to_stdout_is_strict_and_the_figure_is_a_png(tmp_path, capsys):
    fig = tmp_path / "sweep.png"
    assert main(["plateau", CIRCLE4, "--max-depth", "3", "--json", "-", "--figure", str(fig)]) == ExitCode.OK
    out = capsys.readouterr().out
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    depths = doc["data"][0]["depths"]
    assert [d["depth"] for d in depths] == [2, 3] and all(d["status"] == "certified" for d in depths)
    assert depths[0]["lower"] == depths[0]["upper"] == "1" and depths[1]["upper"] == "1"
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plateau_prints_the_table(capsys):
    assert main(["plateau", CIRCLE4, "--max-depth", "2"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "circle4 (N=4)" in out and "[1, 1]" in out and "first depth" in out
