"""Experiments of Section 3.3: training, data, saddle detection, statistics, claims, figures, CLI."""

from __future__ import annotations

import gzip
import json
import math
import struct
from dataclasses import replace

import numpy as np
import pytest
from flint import fmpq

from certify.gate.registry import REGISTRY
from certify.gate.claim import Context
from certify.core.errors import InputError
from certify.experiments import claims as C
from certify.experiments.data import digits, load_images, read_idx, standardise
from certify.experiments.experiment import (
    ExperimentSpec,
    dominant_count,
    rank_one_ratio,
    run_experiment,
    spearman,
    top_k_ratio,
)
from certify.experiments.saddles import detect_saddles
from certify.experiments.training import (
    NumpyBackend,
    TrainConfig,
    cost_gradient_at_zero,
    loss_and_output_gradient,
    train,
)
from certify.kernel.arith import EXACT
from certify.kernel.verdict import Status
from certify.core.network import loss_gradient, squared_norm
from tests.conftest import run_cli


def tiny_spec(**kw) -> ExperimentSpec:
    """Depth 3, width 8, 100 digits: three saddles in 600 steps, a fraction of a second."""
    cfg = dict(depth=3, width=8, sigma0=3e-3, lr_c=0.3, steps=600, loss="mse", record_every=5)
    cfg.update(kw)
    return ExperimentSpec("tiny", TrainConfig(**cfg), n_points=100)


@pytest.fixture(scope="module")
def tiny():
    return run_experiment(tiny_spec())


# --- training ------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_step_is_gradient_descent_with_the_q_time_learning_rate(rng, loss):
    widths = [5, 4, 4, 3]
    Ws = [rng.standard_normal((widths[i + 1], widths[i])) for i in range(3)]
    X = rng.standard_normal((5, 7))
    T = np.eye(3)[rng.integers(0, 3, 7)].T
    backend = NumpyBackend(Ws, "float64")
    c, k = 0.37, 1
    value, norm = backend.step(X, T, loss, c, k)
    Y = Ws[2] @ np.maximum(Ws[1] @ np.maximum(Ws[0] @ X, 0), 0)
    expected_value, dY = loss_and_output_gradient(Y, T, loss)
    grads = loss_gradient(Ws, X, dY)  # chain rule through the cost, by the network module's backprop
    lr = c / math.sqrt(sum(float((W * W).sum()) for W in Ws)) ** k
    assert value == pytest.approx(expected_value)
    assert norm == pytest.approx(math.sqrt(sum(float((W * W).sum()) for W in Ws)))
    for W, g, new in zip(Ws, grads, backend.weights()):
        np.testing.assert_allclose(new, W - lr * g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_output_gradient_matches_finite_differences(rng, loss):
    Y = rng.standard_normal((3, 5))
    T = np.eye(3)[rng.integers(0, 3, 5)].T
    _, G = loss_and_output_gradient(Y, T, loss)
    h = 1e-6
    for idx in [(0, 0), (2, 4), (1, 3)]:
        E = np.zeros_like(Y)
        E[idx] = h
        fd = (loss_and_output_gradient(Y + E, T, loss)[0] - loss_and_output_gradient(Y - E, T, loss)[0]) / (2 * h)
        assert G[idx] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_cost_gradient_at_zero_is_grad_c0():
    T = np.eye(3)[[0, 2, 1, 1]].T
    np.testing.assert_allclose(cost_gradient_at_zero(T, "mse"), -2 * T / 4)  # eq. (1): -(2/N) Y*
    np.testing.assert_allclose(cost_gradient_at_zero(T, "ce"), (1 / 3 - T) / 4)  # softmax(0) - Y*, mean


def test_default_learning_rate_power_is_depth_minus_two():
    assert TrainConfig(depth=6).k == 4
    assert TrainConfig(depth=4).k == 2
    assert TrainConfig(depth=4, lr_power=4).k == 4


@pytest.mark.parametrize("bad", [dict(depth=1), dict(width=0), dict(sigma0=0.0), dict(sigma0=float("nan")),
                                 dict(lr_c=-1.0), dict(lr_power=-1), dict(steps=0), dict(batch_size=0),
                                 dict(loss="hinge"), dict(record_every=0), dict(backend="torch"),
                                 dict(dtype="float16")])
def test_bad_settings_are_input_errors(bad):
    with pytest.raises(InputError):
        TrainConfig(**bad)


def test_run_records_and_checkpoints(rng):
    X = rng.standard_normal((6, 40))
    T = np.eye(3)[rng.integers(0, 3, 40)].T
    cfg = TrainConfig(depth=3, width=5, sigma0=0.1, lr_c=0.1, steps=23, record_every=5, top_k=4, max_checkpoints=3)
    seen = []
    run = train(cfg, X, T, progress=lambda step, total, loss: seen.append(step))
    assert list(run.steps) == [0, 5, 10, 15, 20, 23] == seen
    assert run.singular_values.shape == (6, 3, 4) and run.frobenius.shape == (6, 3)
    assert 0 in run.checkpoints and 23 in run.checkpoints and len(run.checkpoints) <= 3
    W = run.checkpoints[23]
    np.testing.assert_allclose(run.singular_values[-1, 2, :3], np.linalg.svd(W[2], compute_uv=False))
    assert run.singular_values[-1, 2, 3] == 0.0  # a 3-row layer has 3 singular values, padded with 0
    assert run.norm[-1] == pytest.approx(math.sqrt(sum(float((w * w).sum()) for w in W)), rel=1e-6)


def test_mini_batches_are_seeded_and_recorded_on_the_whole_set(rng):
    X = rng.standard_normal((6, 50))
    T = np.eye(3)[rng.integers(0, 3, 50)].T
    cfg = TrainConfig(depth=3, width=5, sigma0=0.1, lr_c=0.05, steps=30, batch_size=8, record_every=10)
    a, b = train(cfg, X, T), train(cfg, X, T)
    np.testing.assert_array_equal(a.loss, b.loss)
    other = train(replace(cfg, seed=1), X, T)
    assert not np.array_equal(a.loss, other.loss)
    backend = NumpyBackend(a.checkpoints[30], "float64")
    assert a.loss[-1] == pytest.approx(backend.evaluate(X, T, cfg.loss), rel=1e-5)


def test_divergence_is_reported(rng):
    X = rng.standard_normal((4, 20)) * 100
    T = np.eye(2)[rng.integers(0, 2, 20)].T
    with pytest.raises(InputError, match="diverged"):
        train(TrainConfig(depth=2, width=4, sigma0=1.0, lr_c=1e6, lr_power=0, steps=50, record_every=1), X, T)


# --- data ------------------------------------------------------------------------------------------


def test_digits_are_standardised_columns():
    d = digits()
    assert d.X.shape == (64, 1797) and d.n_classes == 10 and d.targets.shape == (10, 1797)
    assert abs(d.X.mean()) < 1e-12 and d.X.std() == pytest.approx(1.0)
    assert np.bincount(d.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    raw0 = [0, 0, 5, 13, 9, 1, 0, 0]  # first row of the first image, as shipped by scikit-learn
    np.testing.assert_allclose(d.X[:8, 0] * d.meta["pixel_std"] + d.meta["pixel_mean"], raw0, atol=1e-9)
    sub, again = digits(100, seed=3), digits(100, seed=3)
    assert sub.X.shape == (64, 100)
    np.testing.assert_array_equal(sub.labels, again.labels)


def _write_idx(path, array: np.ndarray, code: int = 0x08, gz: bool = False) -> None:
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    raw = header + array.astype(">u1" if code == 0x08 else ">i4").tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_as_mnist_ships_them(tmp_path, gz):
    images = np.arange(5 * 3 * 3, dtype=np.uint8).reshape(5, 3, 3)
    labels = np.array([0, 1, 2, 1, 0], dtype=np.uint8)
    suffix = ".gz" if gz else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, gz=gz)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, gz=gz)
    np.testing.assert_array_equal(read_idx(tmp_path / f"train-images-idx3-ubyte{suffix}"), images)
    d = load_images(tmp_path / f"train-images-idx3-ubyte{suffix}")  # labels found by name
    assert d.X.shape == (9, 5) and d.labels.tolist() == [0, 1, 2, 1, 0] and d.n_classes == 3
    np.testing.assert_allclose(d.X.T, standardise(images.reshape(5, 9))[0])


def test_bad_idx_files_are_input_errors(tmp_path):
    bad = tmp_path / "x-images-idx3-ubyte"
    bad.write_bytes(b"\x01\x02\x08\x03")
    with pytest.raises(InputError, match="magic"):
        read_idx(bad)
    images = np.zeros((4, 2, 2), dtype=np.uint8)
    _write_idx(bad, images)
    bad.write_bytes(bad.read_bytes()[:-3])
    with pytest.raises(InputError, match="promises"):
        read_idx(bad)
    _write_idx(bad, images)
    with pytest.raises(InputError, match="no labels file"):
        load_images(bad)
    lab = tmp_path / "mine-labels"
    _write_idx(lab, np.zeros(3, dtype=np.uint8))
    with pytest.raises(InputError, match="4 images but 3 labels"):
        load_images(bad, lab)
    with pytest.raises(InputError, match="no such file"):
        load_images(tmp_path / "missing.npz")


def test_npz_images_with_channels(tmp_path, rng):
    x = rng.integers(0, 256, (6, 4, 4, 3)).astype(np.uint8)
    y = np.array([0, 1, 2, 3, 0, 1])
    np.savez(tmp_path / "cifar.npz", x=x, y=y)
    flat = load_images(tmp_path / "cifar.npz")
    gray = load_images(tmp_path / "cifar.npz", grayscale=True)
    assert flat.X.shape == (48, 6) and gray.X.shape == (16, 6) and gray.n_classes == 4
    np.testing.assert_allclose(gray.X.T, standardise(x.mean(axis=-1).reshape(6, 16))[0])
    np.savez(tmp_path / "other.npz", images=x[..., 0], labels=y)
    assert load_images(tmp_path / "other.npz", n_points=4).n_points == 4


@pytest.mark.parametrize("arrays,match", [
    ({"pixels": np.ones((3, 4)), "y": np.arange(3)}, "expected an image array"),
    ({"x": np.ones((3, 4)), "y": np.arange(3)}, "constant"),
    ({"x": np.arange(12.0).reshape(3, 4), "y": np.array([0.5, 1, 2])}, "integers"),
    ({"x": np.arange(3.0), "y": np.arange(3)}, "at least 2 dimensions"),
])
def test_bad_npz_files_are_input_errors(tmp_path, arrays, match):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InputError, match=match):
        load_images(tmp_path / "bad.npz")


def test_a_file_that_is_not_an_archive(tmp_path):
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(InputError, match="not a readable"):
        load_images(tmp_path / "junk.npz")


# --- saddles ---------------------------------------------------------------------------------------


def staircase(steps: np.ndarray, levels=(2.3, 1.9, 1.2), at=(300, 700), width=15.0) -> np.ndarray:
    y = np.full(steps.shape, float(levels[0]))
    for a, hi, lo in zip(at, levels[:-1], levels[1:]):
        y -= (hi - lo) / (1 + np.exp(-(steps - a) / width))
    return y


def test_two_drops_and_three_plateaus():
    x = np.arange(0, 1001, 5)
    s = detect_saddles(x, staircase(x))
    assert s.n_escapes == 2
    (d1, d2) = s.drops
    assert d1.start_step < 300 < d1.end_step and d2.start_step < 700 < d2.end_step
    assert d1.end_step - d1.start_step < 200 and d2.end_step - d2.start_step < 200
    assert len(s.plateaus) == 3 and s.plateaus[0].start_step == 0 and s.plateaus[-1].end_step == 1000


def test_detection_does_not_depend_on_units_or_noise(rng):
    x = np.arange(0, 1001, 5)
    y = staircase(x)
    base = [(d.start, d.end) for d in detect_saddles(x, y).drops]
    scaled = [(d.start, d.end) for d in detect_saddles(10 * x, 100 * y + 7).drops]
    assert scaled == base
    noisy = y + 0.01 * rng.standard_normal(y.size)
    noisy[::37] += 0.5  # mini-batch spikes
    assert detect_saddles(x, noisy).n_escapes == 2


def test_no_drop_and_a_drop_at_the_end():
    x = np.arange(0, 501, 5)
    assert detect_saddles(x, np.full(x.size, 2.3)).n_escapes == 0
    assert detect_saddles(x, 2.3 - 1e-4 * x / 500).n_escapes == 0  # a slow crawl is a plateau, not a drop
    late = staircase(x, levels=(1.0, 0.5), at=(495,), width=3.0)
    (d,) = detect_saddles(x, late).drops
    assert d.end_step == 500


def test_snapshots_sit_after_each_drop(tiny):
    drops = tiny.saddles.drops
    first, second = tiny.snapshots["after_first_escape"], tiny.snapshots["after_second_escape"]
    assert drops[0].end_step <= first.step <= drops[1].start_step
    assert drops[1].end_step <= second.step
    assert tiny.snapshots["escape_onset"].step <= drops[0].start_step
    assert first.weights is not None and tiny.snapshots["end"].step == tiny.run.steps[-1]


# --- statistics ------------------------------------------------------------------------------------


def test_layer_statistics():
    u, v = np.ones((4, 1)), np.arange(1.0, 4.0)[None, :]
    R1, I = u @ v, np.eye(4)
    s = lambda A: np.linalg.svd(A, compute_uv=False)  # noqa: E731
    assert rank_one_ratio(s(R1)[0], np.linalg.norm(R1)) == pytest.approx(0.0, abs=1e-12)
    assert rank_one_ratio(s(I)[0], np.linalg.norm(I)) == pytest.approx(0.75)
    assert top_k_ratio(np.array([3.0, 4.0])) == pytest.approx(16 / 25)
    assert dominant_count(np.array([[10, 9.5, 1, 0.9, 0.8], [10, 1, 0.9, 0.8, 0.7], [5, 4, 3, 0.1, 0]])).tolist() == [2, 1, 3]
    assert spearman(np.arange(4), np.array([4.0, 3, 2, 1])) == pytest.approx(-1.0)
    assert spearman(np.arange(4), np.array([1.0, 1, 2, 2])) == pytest.approx(0.894427191)
    assert math.isnan(spearman(np.arange(3), np.ones(3)))


# --- the claims' checks on a run --------------------------------------------------------------------


def fake_result(tiny, **changes):
    """The tiny run with the statistics of its snapshots replaced (to exercise each verdict)."""
    snaps = dict(tiny.snapshots)
    for key, fields in changes.items():
        snaps[key] = replace(snaps[key], **fields)
    return replace(tiny, snapshots=snaps)


def test_checks_on_a_real_tiny_run(tiny):
    assert C.rank_one_case(tiny).status is Status.REPRODUCED
    assert C.second_saddle_case(tiny).status is Status.REPRODUCED
    v = C.prop34_case(tiny)
    assert v.status is Status.CERTIFIED, v.message
    e = C.escape_direction_case(tiny)
    assert e.status in (Status.REPRODUCED, Status.REFUTED)
    assert e.evidence["snapshots"]["init"]["relative_residual"] > 0.9  # a random direction is far from one


def test_rank_one_check_can_fail(tiny):
    bad = fake_result(tiny, after_first_escape={"ratios": np.array([0.2, 0.6, 0.1])})
    v = C.rank_one_case(bad)
    assert v.status is Status.REFUTED and "0.600 (W2) > 0.5" in v.message


def test_depth_order_check_can_fail(tiny):
    up = fake_result(tiny, after_first_escape={"ratios": np.array([0.01, 0.02, 0.03])})
    assert C.depth_order_case(up).status is Status.REFUTED
    down = fake_result(tiny, after_first_escape={"ratios": np.array([0.03, 0.02, 0.01])})
    v = C.depth_order_case(down)
    assert v.status is Status.REPRODUCED and v.evidence["spearman"] == pytest.approx(-1.0)


def test_second_saddle_check_can_fail_or_skip(tiny):
    none_after = fake_result(tiny, after_second_escape={"dominant": np.array([1, 1, 2])})
    assert C.second_saddle_case(none_after).status is Status.REFUTED
    already = fake_result(tiny, after_first_escape={"dominant": np.array([2, 2, 1])})
    assert C.second_saddle_case(already).status is Status.REFUTED
    one_drop = replace(tiny, saddles=replace(tiny.saddles, drops=tiny.saddles.drops[:1]))
    v = C.second_saddle_case(one_drop)
    assert v.status is Status.SKIPPED and "no later saddle" in v.message


def test_no_escape_is_skipped_not_reproduced():
    flat = run_experiment(tiny_spec(steps=10))
    for case in C.CASES.values():
        assert case(flat).status is Status.SKIPPED


def test_snapshot_instance_is_inside_the_ball(tiny):
    inst = C.snapshot_instance(tiny)
    assert squared_norm(inst.weights, EXACT) <= fmpq(inst.depth)
    np.testing.assert_allclose(inst.G, -2 * tiny.dataset.targets / tiny.dataset.n_points)


def test_registered_claims_share_one_run(tmp_path, monkeypatch):
    from certify.experiments import experiment as E

    monkeypatch.setitem(E.PRESETS, "default", (tiny_spec(),))
    monkeypatch.setenv("CERTIFY_RESULTS", str(tmp_path / "results"))
    C.shared_results.cache_clear()
    C._figure_paths.cache_clear()
    try:
        ctx = Context(seed=1, data_dir=tmp_path, quick=False)
        v = C.check_rank_one(ctx)
        w = C.check_second_saddle(ctx)
        assert C.shared_results.cache_info().misses == 1  # one training run for both claims
        assert v.status is Status.REPRODUCED and w.status is Status.REPRODUCED
        assert v.evidence["training_seed"] == 0 and v.evidence["preset"] == "default"
        figs = v.evidence["figures"]["tiny"]
        assert set(figs) == {"loss", "singular_values", "spectra"}
        for path in figs.values():
            with open(path, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert "tiny reproduced" in v.message
    finally:
        C.shared_results.cache_clear()
        C._figure_paths.cache_clear()


def test_catalog_entries():
    ids = [i for i in REGISTRY if i.startswith("section3.3.")]
    assert len(ids) == 5
    for i in ids:
        c = REGISTRY[i]
        assert c.paper_ref == "section3.3.low-rank-after-escape" and c.check and c.check.startswith("certify.experiments")
    assert "<= 0.5" in REGISTRY["section3.3.low-rank-after-escape"].statement
    assert "-0.5" in REGISTRY["section3.3.low-rank-after-escape.depth"].statement
    assert "<= 0.2" in REGISTRY["section3.3.low-rank-after-escape.escape-direction"].statement


# --- command line ----------------------------------------------------------------------------------


def test_figures_command_writes_pngs(tmp_path):
    out = tmp_path / "figs"
    r = run_cli("figures", "--out", str(out), "--depth", "3", "--width", "8", "--steps", "600", "--points", "100",
                "--lr-c", "0.3", "--record-every", "5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["loss_depth3.png", "singular_values_depth3.png", "spectra_depth3.png", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    run = summary["runs"]["depth3"]
    assert run["settings"]["depth"] == 3 and run["settings"]["lr"] == "0.3/||theta||^1"
    assert len(run["saddles"]["drops"]) >= 2 and run["checks"]["rank-one"]["status"] == "reproduced"
    assert "drops of the loss" in r.stdout and r.stderr == ""  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize("args,match", [
    (["--width", "0"], "--width"),
    (["--data", "missing.npz"], "missing.npz: no such file"),
    (["--steps", "5", "--epochs", "2"], "exclude each other"),
    (["--labels", "x"], "--labels needs --data"),
    (["--loss", "hinge"], "--loss"),
])
def test_figures_bad_input_is_one_line_and_exit_2(tmp_path, args, match):
    r = run_cli("figures", "--out", str(tmp_path / "o"), *args, cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and match in r.stderr


def test_figures_out_must_be_a_directory(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = run_cli("figures", "--out", str(tmp_path / "afile"), "--depth", "3", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
