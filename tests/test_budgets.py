"""Scale, memory and size limits of `certify optimum`, `escape`, `figure2` and `figures --data`: data far from
one, batches too large for memory, files whose headers promise more than the limits."""

import gzip
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from certify.optimum import escape as E
from certify.cli import main
from certify.core.datasets import example1_data
from certify.experiments import data as D

from tests.conftest import one_line_error as _one_line_error

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE1 = str(DATA / "instances" / "example1.npz")




def _npz(tmp_path, name, **arrays):
    path = tmp_path / name
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return str(path)


# --- 3. data scaled far from one --------------------------------------------------------------------

@pytest.mark.parametrize("sx, sg", [(1e-300, 1.0), (1e300, 1.0), (1.0, 1e-300), (1.0, 1e300)])
@pytest.mark.parametrize("depth", [2, 3])
def test_optimum_on_scaled_data_is_certified_and_scales(tmp_path, capsys, sx, sg, depth):
    X, G = example1_data()
    path = _npz(tmp_path, "scaled.npz", X=X * sx, G=G * sg)
    cert, out = tmp_path / "c.json", tmp_path / "r.json"
    assert main(["optimum", path, "--depth", str(depth), "--certificate", str(cert), "--json", str(out)]) == 0
    capsys.readouterr()
    rep = json.loads(out.read_text())
    target = (np.sqrt(2) - 1 if depth == 2 else 0.5) * sx * sg  # s* is homogeneous in X and in G
    assert rep["lower_float"] <= target * (1 + 1e-12) and rep["upper_float"] >= target * (1 - 1e-12)
    assert rep["upper_float"] - rep["lower_float"] <= 1e-6 * target  # relative width, not 1e-12 absolute
    assert main(["check", str(cert), "--data", path]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("command", [["optimum", "--depth", "2"], ["optimum", "--depth", "3"],
                                     ["escape", "--depth", "3", "--width", "4", "--restarts", "4"]])
@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_speeds_beyond_float64_are_refused_with_the_range(tmp_path, capsys, command, scale):
    X, G = example1_data()
    path = _npz(tmp_path, "both.npz", X=X * scale, G=G * scale)
    assert main([command[0], path, *command[1:]]) == 2
    _one_line_error(capsys, "2^-1000..2^1000", "rescale")


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_escape_on_scaled_data_runs_and_scales(tmp_path, capsys, scale):
    X, G = example1_data()
    path = _npz(tmp_path, "scaled.npz", X=X * scale, G=G)
    out = tmp_path / "e.json"
    assert main(["escape", path, "--depth", "3", "--width", "4", "--restarts", "4", "--steps", "300",
                 "--json", str(out)]) == 0
    assert capsys.readouterr().err == ""  # no overflow warnings either
    rep = json.loads(out.read_text())
    base = E.escape_directions(X, G, [2, 4, 4, 1], restarts=4, steps=300, record=False)
    assert np.allclose(np.array(rep["speeds"]) / scale, base.speeds, rtol=1e-12)


def test_escape_iterates_do_not_depend_on_a_power_of_two_scale():
    X, G = example1_data()
    a = E.escape_directions(X, G, [2, 5, 5, 1], restarts=3, steps=200, seed=4)
    b = E.escape_directions(X * 2.0**-900, G * 2.0**40, [2, 5, 5, 1], restarts=3, steps=200, seed=4)
    for Wa, Wb in zip(a.weights, b.weights):
        assert np.array_equal(Wa, Wb)
    assert np.array_equal(np.ldexp(a.speeds, -860), b.speeds)


@pytest.mark.parametrize("X, G, needle", [
    (np.zeros((2, 4)), np.ones((1, 4)), "every data point is zero"),
    (np.ones((2, 4)), np.zeros((1, 4)), "zero"),
    (np.full((2, 4), 5e-324), np.ones((1, 4)), "2^-1000"),
])
def test_degenerate_data_is_one_line(tmp_path, capsys, X, G, needle):
    path = _npz(tmp_path, "d.npz", X=X, G=G)
    for cmd in (["optimum", path, "--depth", "3"], ["escape", path, "--depth", "3", "--width", "4"]):
        assert main(cmd) == 2
        _one_line_error(capsys, needle)


def test_signed_zeros_and_subnormal_entries_certify(tmp_path, capsys):
    X = np.array([[-0.0, 1.0, -1.0, 0.0, 5e-324], [0.0, -0.0, 1.0, 1.0, -5e-324]])
    G = np.array([[-0.0, 1.0, -1.0, 1.0, 1e-320]])
    path = _npz(tmp_path, "z.npz", X=X, G=G)
    cert = tmp_path / "c.json"
    for depth in ("2", "3"):
        assert main(["optimum", path, "--depth", depth, "--certificate", str(cert)]) == 0
        assert main(["check", str(cert), "--data", path]) == 0
    assert main(["escape", path, "--depth", "3", "--width", "4", "--restarts", "2", "--steps", "50"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("dtype", ["float16", "float32", "int8"])
def test_other_real_dtypes_certify(tmp_path, capsys, dtype):
    X, G = example1_data()
    path = _npz(tmp_path, "t.npz", X=(4 * X).astype(dtype), G=G.astype(dtype))
    assert main(["optimum", path, "--depth", "2"]) == 0
    capsys.readouterr()


def test_too_many_points_for_the_checker_are_refused(tmp_path, capsys):
    from certify.kernel.speed_certificate import MAX_POINTS

    rng = np.random.default_rng(0)
    path = _npz(tmp_path, "many.npz", X=rng.standard_normal((2, MAX_POINTS + 1)),
                G=rng.standard_normal((1, MAX_POINTS + 1)))
    assert main(["optimum", path, "--depth", "2"]) == 2
    _one_line_error(capsys, str(MAX_POINTS))


# --- 4. escape budgets -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["--restarts", "100000000"], "CERTIFY_ESCAPE_MAX_BYTES"),
    (["--steps", "1000000000000"], "CERTIFY_ESCAPE_MAX_BYTES"),
    (["--width", "100000"], "CERTIFY_ESCAPE_MAX_BYTES"),
    (["--restarts", "100000", "--steps", "100000"], "CERTIFY_ESCAPE_MAX_WORK"),
])
def test_escape_budget_is_checked_before_allocating(capsys, args, needle):
    base = {"--width": "4", "--restarts": "4"}
    opts = dict(base, **dict(zip(args[::2], args[1::2])))
    assert main(["escape", EXAMPLE1, "--depth", "3", *[x for kv in opts.items() for x in kv]]) == 2
    _one_line_error(capsys, needle)


def test_escape_budget_can_be_raised_and_must_be_a_number(monkeypatch, capsys):
    monkeypatch.setenv(E.ESCAPE_MAX_BYTES_ENV, "1000")
    assert main(["escape", EXAMPLE1, "--depth", "3", "--width", "4", "--restarts", "4", "--steps", "10"]) == 2
    _one_line_error(capsys, "1000 bytes")
    monkeypatch.setenv(E.ESCAPE_MAX_BYTES_ENV, "lots")
    assert main(["escape", EXAMPLE1, "--depth", "3", "--width", "4", "--restarts", "4", "--steps", "10"]) == 2
    _one_line_error(capsys, "positive integer")
    monkeypatch.setenv(E.ESCAPE_MAX_BYTES_ENV, str(2**40))
    assert main(["escape", EXAMPLE1, "--depth", "3", "--width", "4", "--restarts", "4", "--steps", "10"]) == 0
    capsys.readouterr()


def test_figure2_checks_every_width_before_running(tmp_path, capsys):
    assert main(["figure2", "--out", str(tmp_path / "f"), "--runs", "100000000"]) == 2
    _one_line_error(capsys, "CERTIFY_ESCAPE_MAX_BYTES")
    assert main(["figure2", "--out", str(tmp_path / "f"), "--seed", "-1"]) == 2
    _one_line_error(capsys, "--seed")
    assert not (tmp_path / "f").exists()


def test_escape_json_has_no_infinity(tmp_path, capsys):
    # every hidden unit dead: grad L0 = 0, the residual is undefined (null), not Infinity
    X = np.array([[1.0, 2.0], [0.5, 1.0]])
    G = np.array([[1.0, -1.0]])
    init = [np.array([[[-1.0, -1.0]]]), np.array([[[1.0]]]), np.array([[[1.0]]])]
    runs = E.escape_directions(X, G, [2, 1, 1, 1], init=init, steps=0)
    summary = runs.summary()
    assert summary["residuals"] == [None]
    json.loads(json.dumps(summary), parse_constant=lambda c: pytest.fail(c))
    assert "undefined" in "\n".join(E.summary_lines(summary))


# --- 5. figures --data ---------------------------------------------------------------------------------

def _idx(path, shape, body=b"", gz=True, code=0x08):
    head = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        fh.write(head)
        fh.write(body)


def test_idx_header_is_checked_before_decompressing(tmp_path, capsys):
    images = tmp_path / "bomb-images-idx3-ubyte.gz"
    _idx(images, (10_000_000, 28, 28), bytes(2**20))  # promises 7.8 GB, holds 1 MB
    _idx(tmp_path / "bomb-labels-idx1-ubyte.gz", (10_000_000,))
    assert main(["figures", "--data", str(images), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "7840000000 bytes", D.MAX_DATA_BYTES_ENV)


def test_idx_longer_than_its_header_is_refused_in_bounded_reads(tmp_path, capsys):
    images = tmp_path / "long-images-idx3-ubyte.gz"
    _idx(images, (10, 2, 2), bytes(50 * 2**20))  # 40 bytes promised, 50 MB of zeros behind them
    _idx(tmp_path / "long-labels-idx1-ubyte.gz", (10,), bytes(range(10)))
    assert main(["figures", "--data", str(images), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "promises shape (10, 2, 2)")
    short = tmp_path / "short-images-idx3-ubyte"
    _idx(short, (10, 2, 2), bytes(7), gz=False)
    assert main(["figures", "--data", str(short), "--labels", str(tmp_path / "long-labels-idx1-ubyte.gz"),
                 "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "promises")


def test_npz_member_shape_is_refused_from_its_header(tmp_path, capsys):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (20000, 20000)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as fh:
            fh.write(buf.getvalue())
            fh.write(bytes(2**20))
        labels = io.BytesIO()
        np.save(labels, np.zeros(20000, np.int64))
        zf.writestr("y.npy", labels.getvalue())
    assert main(["figures", "--data", str(path), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "(20000, 20000)", "3200000000 bytes")


@pytest.mark.parametrize("labels, needle", [
    (np.array([2**40] + [1] * 19, dtype=np.int64), "[0, 1000)"),
    (np.array([2**63 + 5] + [1] * 19, dtype=np.uint64), "[0, 1000)"),
    (np.array([-1] + [1] * 19, dtype=np.int8), "[0, 1000)"),
    (np.arange(20) / 2, "integers"),
    (np.ones(20, dtype=bool), "integers"),
])
def test_labels_outside_the_range_are_refused(tmp_path, capsys, labels, needle):
    x = np.random.default_rng(0).random((20, 4, 4))
    path = _npz(tmp_path, "l.npz", x=x, y=labels)
    assert main(["figures", "--data", path, "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, needle)


@pytest.mark.parametrize("dtype", ["bool", "complex128", "longdouble"])
def test_images_of_other_dtypes_are_refused(tmp_path, capsys, dtype):
    x = (np.random.default_rng(0).random((20, 4, 4)) * 100).astype(dtype)
    path = _npz(tmp_path, "i.npz", x=x, y=np.arange(20) % 10)
    assert main(["figures", "--data", path, "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "dtype")


@pytest.mark.parametrize("scale", [1e300, 1e-310, 1.0])
@pytest.mark.parametrize("dtype", ["float64", "float16", "uint64", "int8"])
def test_images_at_any_scale_and_dtype_standardise(dtype, scale):
    x = np.random.default_rng(0).random((30, 4, 4)) * (scale if dtype == "float64" else 100)
    ds = D._finish(x.astype(dtype), np.arange(30) % 3, "t", None, 0, {})
    assert np.all(np.isfinite(ds.X)) and abs(float(ds.X.mean())) < 1e-9 and abs(float(ds.X.std()) - 1) < 1e-9


def test_training_values_are_bounded_after_the_subset(monkeypatch):
    monkeypatch.setattr(D, "MAX_TRAIN_VALUES", 100)
    x = np.random.default_rng(0).random((40, 4, 4))
    assert D._finish(x, np.arange(40) % 2, "t", 6, 0, {}).X.shape == (16, 6)
    with pytest.raises(D.InputError, match="--points"):
        D._finish(x, np.arange(40) % 2, "t", None, 0, {})


@pytest.mark.parametrize("name", ["CERTIFY_EXACT_WORK", "CERTIFY_EXACT_ENTRIES"])
@pytest.mark.parametrize("value", ["lots", "0", "-3", "1e9"])
def test_exact_budgets_must_be_positive_integers(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    assert main(["instance", EXAMPLE1]) == 2
    _one_line_error(capsys, name, "positive integer")


def test_exact_budgets_move_the_report_between_exact_and_enclosed(monkeypatch, capsys):
    import json

    for work, kind in (("1", "enclosed"), (str(10**9), "exact")):
        monkeypatch.setenv("CERTIFY_EXACT_WORK", work)
        monkeypatch.setenv("CERTIFY_EXACT_ENTRIES", work)
        assert main(["instance", EXAMPLE1, "--json", "-"]) in (0, 1)
        report = json.loads(capsys.readouterr().out)
        assert report["localized_loss"]["kind"] == kind and report["squared_norm"]["kind"] == kind
        assert report["arithmetic"]["budgets"]["exact_work"] == int(work)
