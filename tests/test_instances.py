import json

import numpy as np
import pytest

from certify.datasets import example1_data, example1_rank_two_weights, shipped_instances
from certify.errors import InstanceError
from certify.instances import Instance, load_instance, save_instance
from certify.kernel import EXACT
from certify.network import squared_norm
from certify.paths import instances_dir

SHIPPED = ["example1-rank-two", "random-depth3", "random-depth5"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_instances_load(name):
    inst = load_instance(instances_dir() / f"{name}.npz", require_nonzero_G=True)
    assert inst.name == name
    assert squared_norm(inst.weights, EXACT) <= inst.depth


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_match_their_recipe(name):
    # the recipe is the documentation of how the file was made; a mismatch means stale data
    disk = load_instance(instances_dir() / f"{name}.npz")
    made = shipped_instances()[name]
    assert disk.meta == made.meta
    assert np.array_equal(disk.X, made.X) and np.array_equal(disk.G, made.G)
    if name.startswith("example1"):
        assert all(np.array_equal(a, b) for a, b in zip(disk.weights, made.weights))


def test_example1_is_as_printed():
    inst = load_instance(instances_dir() / "example1-rank-two.npz")
    X, G = example1_data()
    assert np.array_equal(inst.X, X) and np.array_equal(inst.G, G)
    assert G.tolist() == [[-1, 1, -1, 1, -1, 1, -1, 1]]
    W1, W2, W3 = example1_rank_two_weights()
    assert W1.tolist() == [[0.5, 0], [0, 0.5], [-0.5, 0], [0, -0.5]]
    assert W2.tolist() == [[0.5, -0.5, 0.5, -0.5]] and W3.tolist() == [[1.0]]
    assert inst.meta["claimed_speed"] == 0.5


def _good():
    rng = np.random.default_rng(0)
    return {"X": rng.standard_normal((3, 5)), "G": rng.standard_normal((2, 5)),
            "W1": rng.standard_normal((4, 3)), "W2": rng.standard_normal((2, 4))}


def _write(tmp_path, arrays, name="inst.npz"):
    p = tmp_path / name
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    return p


def test_roundtrip(tmp_path):
    a = _good()
    inst = Instance(X=a["X"], G=a["G"], weights=(a["W1"], a["W2"]), meta={"name": "mine", "claimed_speed": 0.1})
    p = save_instance(inst, tmp_path / "mine.npz")
    back = load_instance(p)
    assert back.name == "mine" and back.meta["claimed_speed"] == 0.1
    assert back.widths == [3, 4, 2]


def test_integer_arrays_accepted(tmp_path):
    a = {k: np.round(v * 3).astype(np.int64) for k, v in _good().items()}
    inst = load_instance(_write(tmp_path, a))
    assert inst.X.dtype == np.float64


BAD = {
    "wrong chain": (lambda a: a.update(W2=np.ones((2, 3)))) ,
    "wrong G rows": (lambda a: a.update(G=np.ones((3, 5)))),
    "wrong G columns": (lambda a: a.update(G=np.ones((2, 4)))),
    "nan": (lambda a: a["W1"].__setitem__((0, 0), np.nan)),
    "inf": (lambda a: a["X"].__setitem__((1, 1), np.inf)),
    "empty data": (lambda a: a.update(X=np.ones((3, 0)), G=np.ones((2, 0)))),
    "missing X": (lambda a: a.pop("X")),
    "no weights": (lambda a: (a.pop("W1"), a.pop("W2"))),
    "gap in weights": (lambda a: a.update(W3=a.pop("W2"))),
    "unknown key": (lambda a: a.update(w3=np.ones((1, 1)))),
    "1-D array": (lambda a: a.update(G=np.ones(5))),
    "complex": (lambda a: a.update(G=np.ones((2, 5), dtype=complex))),
    "bad meta": (lambda a: a.update(meta=np.array("{not json"))),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_instances_raise_one_clear_error(tmp_path, case):
    a = _good()
    BAD[case](a)
    with pytest.raises(InstanceError) as info:
        load_instance(_write(tmp_path, a))
    msg = str(info.value)
    assert "\n" not in msg and str(tmp_path) in msg


def test_zero_G_only_rejected_when_a_speed_is_needed(tmp_path):
    a = _good()
    a["G"] = np.zeros((2, 5))
    p = _write(tmp_path, a)
    load_instance(p)
    with pytest.raises(InstanceError, match="G is all zero"):
        load_instance(p, require_nonzero_G=True)


def test_not_an_npz(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(InstanceError, match="not a readable .npz"):
        load_instance(text)
    npy = tmp_path / "single.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(InstanceError, match="single .npy array"):
        load_instance(npy)
    with pytest.raises(InstanceError, match="no such file"):
        load_instance(tmp_path / "missing.npz")
    with pytest.raises(InstanceError, match="directory"):
        load_instance(tmp_path)


def test_meta_written_as_json(tmp_path):
    a = _good()
    inst = Instance(X=a["X"], G=a["G"], weights=(a["W1"], a["W2"]), meta={"name": "x"})
    p = save_instance(inst, tmp_path / "x.npz")
    with np.load(p) as data:
        assert json.loads(str(data["meta"])) == {"name": "x"}
