"""The batched escape-direction solver (Section 2.2), Figure 2 / Figure 7 and the depth study (Section 4)."""

import json
import math

import numpy as np
import pytest

import certify.optimum.escape as E
import certify.experiments.section4 as S4
from certify.cli import main
from certify.core.datasets import example1_data, example1_rank_two_weights
from certify.kernel.verdict import Status
from certify.core.network import escape_report, localized_loss, loss_gradient


def _reference_run(Ws, X, G, rates):
    """One run, one layer at a time, through certify.core.network (the unbatched code path)."""
    L = len(Ws)
    for lr in rates:
        grads = loss_gradient(Ws, X, G)
        Ws = [W - lr * g for W, g in zip(Ws, grads)]
        norm = math.sqrt(sum(float((W * W).sum()) for W in Ws))
        Ws = [W * (math.sqrt(L) / norm) for W in Ws]
    return Ws


def test_batched_loss_and_gradient_match_the_network_module(rng):
    widths = [3, 5, 4, 2]
    Ws = [rng.standard_normal((4, widths[l + 1], widths[l])) for l in range(3)]
    X, G = rng.standard_normal((3, 7)), rng.standard_normal((2, 7))
    loss, grads = E.batched_loss_and_gradient(Ws, X, G)
    for r in range(4):
        single = [W[r] for W in Ws]
        assert loss[r] == pytest.approx(float(localized_loss(single, X, G)), rel=1e-12, abs=1e-12)
        for g, ref in zip(grads, loss_gradient(single, X, G)):
            np.testing.assert_allclose(g[r], ref, rtol=1e-11, atol=1e-12)


def test_batched_runs_equal_single_runs_from_the_same_start(rng):
    X, G = rng.standard_normal((3, 6)), rng.standard_normal((2, 6))
    widths, steps = [3, 4, 4, 2], 60
    init = E.sphere_starts(np.random.default_rng(7), widths, 5)
    runs = E.escape_directions(X, G, widths, init=init, steps=steps, lr=0.05)
    rates = E.learning_rates(steps, 0.05)
    assert rates[0] == 0.05 and rates[-1] == pytest.approx(0.05 * E.LR_FINAL_FACTOR)
    for r in range(5):
        ref = _reference_run([W[r] for W in init], X, G, rates)
        for got, want in zip(runs.weights, ref):
            np.testing.assert_allclose(got[r], want, rtol=1e-9, atol=1e-11)
        assert runs.speeds[r] == pytest.approx(-float(localized_loss(ref, X, G)), abs=1e-10)
        assert runs.history[r, -1] == runs.speeds[r]
        # run r alone gives what it gave in the batch
        alone = E.escape_directions(X, G, widths, init=[W[r:r + 1] for W in init], steps=steps, lr=0.05)
        assert alone.speeds[0] == pytest.approx(runs.speeds[r], abs=1e-12)


def test_projected_gradient_descent_keeps_its_former_results(rng):
    """The former solver: one run at a time, constant step, starts drawn run after run."""
    X, G = rng.standard_normal((3, 6)), rng.standard_normal((2, 6))
    widths = [3, 4, 4, 2]
    gen = np.random.default_rng(5)
    best = None
    for _ in range(4):
        Ws = [gen.standard_normal((widths[l + 1], widths[l])) for l in range(3)]
        norm = math.sqrt(sum(float((W * W).sum()) for W in Ws))
        Ws = _reference_run([W * (math.sqrt(3) / norm) for W in Ws], X, G, [0.05] * 80)
        s = -float(localized_loss(Ws, X, G))
        best = s if best is None or s > best else best
    d = E.projected_gradient_descent(X, G, widths, restarts=4, steps=80, seed=5)
    assert isinstance(d, E.Direction) and d.speed == pytest.approx(best, abs=1e-10)
    assert sum(float((W * W).sum()) for W in d.weights) == pytest.approx(3.0)


def test_residual_vanishes_at_known_escape_directions():
    X, G = example1_data()
    # the width-one direction at phi = 0 (Appendix D.1), speed sqrt(2) - 1: grad L0 is radial there
    w = [np.array([[[1.0, 0.0]]]), np.array([[[1.0]]]), np.array([[[1.0]]])]
    s, res = E.residuals(w, X, G)
    assert s[0] == pytest.approx(math.sqrt(2) - 1, abs=1e-12) and res[0] < 1e-12
    # depth 1: L0 = Tr[G^T W X] is minimised on ||W|| = 1 at W = -G X^T/||G X^T||
    rng = np.random.default_rng(1)
    X1, G1 = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    W = -G1 @ X1.T / np.linalg.norm(G1 @ X1.T)
    (both,) = E.project([np.stack([W, rng.standard_normal(W.shape)])])
    s, res = E.residuals([both], X1, G1)
    assert s[0] == pytest.approx(np.linalg.norm(G1 @ X1.T)) and res[0] < 1e-12
    assert res[1] > 1e-3  # a random point is not critical
    assert res[1] == pytest.approx(escape_report([both[1]], X1, G1).relative_residual, rel=1e-10)


def test_residual_is_not_small_at_the_kinked_rank_two_direction():
    """eq. (2) (sign-corrected) has speed 1/2 but sits on ReLU kinks (points 4 and 8): with relu'(0) = 0 the
    gradient is not radial, so Definition 2.1's residual stays O(1) near the rank-two optimum."""
    X, G = example1_data()
    Ws = example1_rank_two_weights()
    Ws[2] = -Ws[2]
    s, res = E.residuals([W[None] for W in Ws], X, G)
    assert s[0] == pytest.approx(0.5, abs=1e-12)
    assert res[0] == pytest.approx(escape_report(Ws, X, G).relative_residual, rel=1e-12)
    assert res[0] > 0.5


def test_numerical_ranks_count_singular_values_above_the_tolerance():
    u, v = np.array([1.0, 2.0, 0.0]), np.array([0.5, -1.0])
    rank1 = np.outer(u, v)
    rank2 = rank1 + np.outer([0.0, 0.0, 1.0], [1.0, 0.0])
    tiny = rank1 + 1e-6 * np.outer([0.0, 0.0, 1.0], [1.0, 0.0])  # s_2/s_1 ~ 4e-7 < RANK_RTOL
    ranks = E.numerical_ranks([np.stack([rank1, rank2, tiny, np.zeros((3, 2))])])
    assert ranks[:, 0].tolist() == [1, 2, 1, 0]
    assert E.numerical_ranks([np.stack([tiny])], rtol=1e-8)[0, 0] == 2


def test_example1_depth3_finds_the_rank_two_speed():
    X, G = example1_data()
    runs = E.escape_directions(X, G, [2, 16, 16, 1], restarts=24, steps=800, seed=3)
    b = runs.best
    assert 0.499 < runs.speeds[b] <= 0.5 + 1e-9
    assert runs.ranks[b, 0] == 2  # the first layer of the faster direction is rank two (Section 4)
    assert np.all(runs.speeds <= 0.5 + 1e-9)
    assert runs.history.shape == (24, 801) and np.all(np.abs(E.squared_norms(runs.weights) - 3) < 1e-12)


def test_example1_depth2_reaches_the_rank_one_speed():
    X, G = example1_data()
    runs = E.escape_directions(X, G, [2, 8, 1], restarts=8, steps=800, seed=0)
    assert abs(runs.speeds.max() - (math.sqrt(2) - 1)) < 1e-3


def test_statistics():
    lo, hi = S4.wilson_interval(7, 20)
    assert (round(lo, 4), round(hi, 4)) == (0.1812, 0.5671)
    assert S4.wilson_interval(0, 10)[0] == 0.0 and S4.wilson_interval(10, 10)[1] == 1.0
    z, p = S4.cochran_armitage([2, 3, 4], [1, 5, 9], [10, 10, 10])  # T = 8, Var = 5
    assert z == pytest.approx(8 / math.sqrt(5)) and p == pytest.approx(1.7330967556733e-4, rel=1e-9)
    z, p = S4.cochran_armitage([2, 3, 4], [9, 5, 1], [10, 10, 10])
    assert z < 0 and p > 0.99  # a decreasing trend is not an increase
    assert S4.cochran_armitage([-2, -3, -4], [9, 5, 1], [10, 10, 10])[1] == pytest.approx(1.7330967556733e-4, rel=1e-9)
    assert math.isnan(S4.cochran_armitage([2, 3], [4, 4], [4, 4])[0])


def test_trend_slope_bound():
    slope, upper = S4.trend_slope_upper([2, 3, 4], [3, 14, 31], [50, 50, 50])
    assert slope == pytest.approx(0.28) and upper > slope
    assert S4.trend_slope_upper([2, 3, 4], [10, 10, 10], [200, 200, 200])[1] < S4.MIN_EFFECT
    assert S4.trend_slope_upper([2, 3, 4], [0, 0, 0], [20, 20, 20])[1] > 0  # all-or-nothing still has variance


def test_eq6_is_the_width_one_speed():
    phi = np.linspace(0, 2 * np.pi, 1001)
    np.testing.assert_allclose(S4.eq6_speed(phi), S4.width_one_speed(phi), atol=1e-12)
    assert S4.eq6_speed(np.arange(8) * np.pi / 4) == pytest.approx(np.full(8, math.sqrt(2) - 1))
    assert S4.eq6_speed(phi).max() <= math.sqrt(2) - 1 + 1e-12


def _fake_study(successes, runs=20, widths=(4, 8, 16)):
    out = {}
    for w, k in zip(widths, successes):
        speeds = np.array([0.5] * k + [math.sqrt(2) - 1] * (runs - k))
        out[w] = E.EscapeRuns((np.zeros((runs, w, 2)),), speeds, np.zeros(runs), np.ones((runs, 1), int),
                              None, 10, 0.1, 0)
    return S4.WidthStudy(tuple(widths), out, 0, 10)


def test_width_helps_decision_rule(monkeypatch):
    from certify.gate.claim import Context

    ctx = Context(seed=1, data_dir=None, quick=True)
    monkeypatch.setattr(S4, "width_study", lambda *a, **k: _fake_study([10, 10, 10]))
    v = S4.check_width_helps(ctx)  # no trend either way: not a robust failure
    assert v.status is Status.UNDECIDED and v.evidence["trend_test"]["p_value"] > S4.LEVEL
    monkeypatch.setattr(S4, "width_study", lambda *a, **k: _fake_study([18, 10, 2]))
    v = S4.check_width_helps(ctx)  # the fraction decreases significantly: refuted
    assert v.status is Status.REFUTED and v.evidence["trend_test"]["p_value_decreasing"] < S4.LEVEL
    monkeypatch.setattr(S4, "width_study", lambda *a, **k: _fake_study([200, 200, 200], runs=400))
    v = S4.check_width_helps(ctx)  # flat, and precisely so: no increase worth the name
    assert v.status is Status.REFUTED and v.evidence["trend_test"]["slope_upper_99"] < S4.MIN_EFFECT
    monkeypatch.setattr(S4, "width_study", lambda *a, **k: _fake_study([2, 10, 18]))
    v = S4.check_width_helps(ctx)
    assert v.status is Status.REPRODUCED and v.evidence["kind"] == "experiment"
    assert [r["successes"] for r in v.evidence["widths"]] == [2, 10, 18]
    assert v.evidence["widths"][0]["ci95"] == list(S4.wilson_interval(2, 20))


def test_depth_decision_rule_pools_runs_and_never_refutes(monkeypatch):
    from certify.gate.claim import Context

    ctx = Context(seed=1, data_dir=None, quick=True)  # 3 runs
    rows = lambda speeds: [{"depth": L, "best_speed": s, "best_ranks": [1], "best_residual": 0.0}  # noqa: E731
                           for L, s in zip(range(2, 7), speeds)]
    runs = iter([rows([0.414, 0.5, 0.4995, 0.5, 0.5])] * 3)
    monkeypatch.setattr(S4, "depth_runs", lambda *a, **k: [next(runs) for _ in range(3)])
    assert S4.check_depths(ctx).status is Status.REPRODUCED
    # one run's search misses at L = 5; the pooled best does not: reproduced
    runs = iter([rows([0.414, 0.5, 0.5, 0.45, 0.5]), rows([0.414, 0.5, 0.5, 0.5, 0.5]), rows([0.414, 0.5, 0.5, 0.5, 0.5])])
    v = S4.check_depths(ctx)
    assert v.status is Status.REPRODUCED and v.evidence["pooled"][3]["per_run"] == [0.45, 0.5, 0.5]
    # L = 6 drops below the pooled best of L = 5, and only one run shows the drop on its own
    runs = iter([rows([0.414, 0.45, 0.45, 0.45, 0.45]), rows([0.414, 0.45, 0.45, 0.45, 0.45]),
                 rows([0.414, 0.45, 0.45, 0.5, 0.45])])
    v = S4.check_depths(ctx)
    assert v.status is Status.UNDECIDED and "L = 6" in v.message and "1 of 3 runs" in v.message
    # the same drop in every run: still undecided, since speeds found are only lower bounds on s*(L)
    runs = iter([rows([0.414, 0.5, 0.5, 0.45, 0.5])] * 3)
    v = S4.check_depths(ctx)
    assert v.status is Status.UNDECIDED and "L = 5" in v.message and "3 of 3 runs" in v.message


def test_depth_claim_runs_in_quick_mode():
    from certify.gate.claim import Context

    v = S4.check_depths(Context(seed=0, data_dir=None, quick=True))
    assert v.status is Status.REPRODUCED
    assert [r["depth"] for r in v.evidence["pooled"]] == [2, 3, 4, 5, 6]
    assert v.evidence["tolerance"] == S4.DEPTH_TOL and v.evidence["runs"] == S4.DEPTH_QUICK_RUNS
    full_seeds = [S4.run_seed(0, i) for i in range(S4.DEPTH_RUNS)]
    assert v.evidence["run_seeds"] == full_seeds[:S4.DEPTH_QUICK_RUNS]  # --quick makes the first runs of the full one


def test_batched_depth_runs_equal_separate_searches():
    seeds = [11, 12]
    batched = S4.depth_runs((2, 3), 4, 3, 60, seeds)
    for s, run in zip(seeds, batched):
        X, G = example1_data()
        for row in run:
            L = row["depth"]
            widths = [2] + [4] * (L - 1) + [1]
            alone = E.escape_directions(X, G, widths, restarts=3, steps=60, seed=[s, L], record=False)
            assert row["best_speed"] == pytest.approx(float(alone.speeds.max()), rel=1e-12, abs=1e-15)


def test_figure2_writes_pngs_and_json(tmp_path):
    rep = S4.figure2(tmp_path / "f", runs=6, steps=40, seed=2, widths=(4, 8))
    assert [r["runs"] for r in rep["widths"]] == [6, 6]
    for name in ("figure2.png", "figure7.png"):
        assert (tmp_path / "f" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "f" / "figure2.json").read_text())
    assert saved["settings"]["seed"] == 2 and saved["figure7"]["max_abs_difference"] < 1e-12


@pytest.fixture
def example1_file(tmp_path):
    X, G = example1_data()
    np.savez(tmp_path / "ex1.npz", X=X, G=G)
    np.savez(tmp_path / "zero.npz", X=X, G=0 * G)
    np.savez(tmp_path / "noG.npz", X=X)
    return tmp_path


@pytest.mark.parametrize("args", [
    ["--depth", "0", "--width", "4"],
    ["--depth", "3", "--width", "0"],
    ["--depth", "3", "--width", "4", "--restarts", "0"],
])
def test_escape_command_rejects_bad_options(example1_file, args, capsys):
    assert main(["escape", str(example1_file / "ex1.npz"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("certify: error:")


@pytest.mark.parametrize("name", ["zero.npz", "noG.npz", "missing.npz"])
def test_escape_command_rejects_bad_files(example1_file, name, capsys):
    assert main(["escape", str(example1_file / name), "--depth", "3", "--width", "4"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_escape_command_prints_and_writes_json(example1_file, capsys):
    out = example1_file / "e.json"
    assert main(["escape", str(example1_file / "ex1.npz"), "--depth", "3", "--width", "8", "--restarts", "8",
                 "--steps", "300", "--seed", "1", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "best speed" in text and "numerical ranks" in text
    rep = json.loads(out.read_text())
    assert rep["restarts"] == 8 and len(rep["speeds"]) == 8 and rep["widths"] == [2, 8, 8, 1]
    assert rep["best"]["speed"] == max(rep["speeds"]) and rep["rank_rtol"] == E.RANK_RTOL


def test_figure2_command_rejects_bad_runs(tmp_path, capsys):
    assert main(["figure2", "--out", str(tmp_path / "f"), "--runs", "0"]) == 2
    assert "--runs" in capsys.readouterr().err
