"""The trust boundary, as an attacker would probe it: every input is read at face value or refused with
one line and exit 2; a bug is exit 3 with one line (the traceback under --debug); no check can end a run
without a report.  One test per reproduction of the soundness issue, plus variants of each class."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from certify.cli import ExitCode, main
from certify.gate.claim import Context
from certify.core.instances import Instance, exact_float64, load_data, load_instance, save_instance
from certify.core.errors import InputError, InstanceError
from certify.kernel.verdict import Status, Verdict
from certify.core.paths import instances_dir

EXAMPLE1 = instances_dir() / "example1.npz"


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as d:
        return {k: d[k] for k in d.files}


def _save(path: Path, **arrays) -> Path:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return int(code), out, err


def _one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == ExitCode.USAGE, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certify: error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


# --- 1. non-finite and oversized JSON in meta ---------------------------------------------------

@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e400", str(10**400), "1" * 5000])
def test_claimed_speed_must_be_a_finite_number(tmp_path, capsys, literal):
    a = _arrays(EXAMPLE1)
    a["meta"] = np.array('{"name": "e1", "claimed_speed": %s}' % literal)
    code, out, err = _cli(capsys, "instance", str(_save(tmp_path / "m.npz", **a)))
    _one_line_error(code, err, "meta")
    assert "certified" not in out


@pytest.mark.parametrize("meta", ['{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", '{"x": {"y": NaN}}',
                                  '{"claimed_speed": true}', '{"claimed_speed": "0.5"}', '{"name": 3}'])
def test_hostile_meta_is_refused(tmp_path, capsys, meta):
    a = _arrays(EXAMPLE1)
    a["meta"] = np.array(meta)
    code, _, err = _cli(capsys, "instance", str(_save(tmp_path / "m.npz", **a)))
    _one_line_error(code, err, "meta")


# --- 2. values float64 cannot hold are refused, never rounded ------------------------------------

def test_integer_beyond_2_53_is_refused_by_optimum(tmp_path, capsys):
    f = _save(tmp_path / "big.npz", X=np.array([[2**53 + 3], [0]], dtype=np.int64), G=np.array([[1]], dtype=np.int64))
    code, out, err = _cli(capsys, "optimum", str(f), "--depth", "2")
    _one_line_error(code, err, "X[0, 0] = 9007199254740995", "int64")
    assert "certified" not in out


def test_definition21_is_not_proved_on_rounded_weights(tmp_path, capsys):
    f = _save(tmp_path / "d.npz", X=np.eye(2, dtype=np.int64), G=np.array([[-1, -1]], dtype=np.int64),
              W1=np.array([[2**53 + 1, 2**53]], dtype=np.int64))
    code, out, err = _cli(capsys, "instance", str(f))
    _one_line_error(code, err, "W1[0, 0] = 9007199254740993")
    assert "proved" not in out


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="long double is binary64 on this platform")
def test_long_double_weight_is_refused(tmp_path, capsys):
    W = np.array([[np.longdouble(1) + np.longdouble(2) ** -60]], dtype=np.longdouble)
    f = _save(tmp_path / "ld.npz", X=np.eye(1), G=np.array([[-1.0]]), W1=W)
    code, out, err = _cli(capsys, "instance", str(f))
    _one_line_error(code, err, "W1[0, 0]", "longdouble" if "longdouble" in str(W.dtype) else str(W.dtype))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.uint64, np.float16, np.float32])
def test_exactly_representable_dtypes_are_read_exactly(dtype):
    a = np.array([[0, 1, -1 if np.dtype(dtype).kind != "u" else 2, 7]], dtype=dtype)
    out = exact_float64(a, "X")
    assert out.dtype == np.float64 and all(float(x) == float(y) for x, y in zip(out.ravel(), a.ravel()))


@pytest.mark.parametrize("value,dtype", [(2**53 + 1, np.int64), (2**64 - 1, np.uint64), (-(2**63) + 1, np.int64)])
def test_unrepresentable_integers_name_the_first_entry(value, dtype):
    a = np.zeros((2, 3), dtype=dtype)
    a[1, 2] = value
    with pytest.raises(InstanceError, match=r"X\[1, 2\] = " + str(value)):
        exact_float64(a, "X")


def test_large_integers_that_are_binary64_numbers_are_accepted():
    a = np.array([[2**60, -(2**62), 2**63 - 2**11]], dtype=np.int64)
    assert [int(v) for v in exact_float64(a, "X").ravel()] == [2**60, -(2**62), 2**63 - 2**11]


@pytest.mark.parametrize("bad", [np.array([[True, False]]), np.array([[1 + 2j, 0]])])
def test_booleans_and_complex_numbers_are_refused(tmp_path, capsys, bad):
    f = _save(tmp_path / "b.npz", X=bad, G=np.array([[1.0, -1.0]]), W1=np.ones((1, 1 if bad.shape[0] == 1 else 2)))
    code, _, err = _cli(capsys, "instance", str(f))
    _one_line_error(code, err, "real numbers")


def test_save_instance_refuses_to_round():
    inst = Instance(X=np.array([[2**53 + 1]], dtype=np.int64), G=np.ones((1, 1)), weights=(np.ones((1, 1)),))
    with pytest.raises(InstanceError, match="not exactly a float64"):
        save_instance(inst, "/nonexistent/never-written.npz")


# --- 4. shipped-instance results are keyed by file, never merged by name -------------------------

def test_results_are_keyed_by_file_and_shared_names_reported(tmp_path):
    from certify.instance import claims as instance_claims

    d = tmp_path / "instances"
    d.mkdir()
    a = _arrays(EXAMPLE1)
    a["meta"] = np.array('{"name": "same"}')
    _save(d / "a.npz", **a)
    _save(d / "b.npz", **a)
    seen = []

    def check(inst):  # the first file is undecided, the second certified: the undecided must not vanish
        seen.append(inst.path.name)
        status = Status.UNDECIDED if inst.path.name == "a.npz" else Status.CERTIFIED
        return Verdict(status, f"{status.value} on {inst.path.name}", 0.5 if status is Status.CERTIFIED else None)

    v = instance_claims._on_shipped(Context(seed=0, data_dir=tmp_path, quick=True), check, "fake")
    assert seen == ["a.npz", "b.npz"]
    assert v.status is Status.UNDECIDED
    assert set(v.evidence["cases"]) == {"a.npz", "b.npz"}
    assert v.evidence["shared_names"] == {"same": ["a.npz", "b.npz"]} and "shared by a.npz, b.npz" in v.message


# --- 5. degenerate legal inputs get a report; hostile sizes are refused before the work ------------

def test_all_zero_weights_get_a_report(tmp_path, capsys):
    a = _arrays(EXAMPLE1)
    a = {"X": a["X"], "G": a["G"], "W1": np.zeros((3, 2)), "W2": np.zeros((1, 3))}
    code, out, err = _cli(capsys, "instance", str(_save(tmp_path / "z.npz", **a)), "--json", "-")
    assert code == ExitCode.OK, err
    report = json.loads(out)  # standard JSON: an unbounded speed is null, not Infinity
    assert report["certified"]["speed_on_sphere"] == [None, None]
    assert report["verdicts"]["prop3.4"]["status"] == "skipped"
    assert "not a direction" in report["certified"]["escape_direction"]["message"]


@pytest.mark.parametrize("scale", [1e-300, 1e300, 5e-324])
def test_extreme_data_scales_get_a_report(tmp_path, capsys, scale):
    a = _arrays(instances_dir() / "nearly-rank-one-depth4.npz")
    a.pop("meta", None)
    a["X"] = a["X"] * scale
    code, out, err = _cli(capsys, "instance", str(_save(tmp_path / "s.npz", **a)), "--json", "-")
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    report = json.loads(out)
    if scale != 5e-324:  # Prop. 3.4 is scale-invariant in X: certified at every scale the data keep their digits
        assert report["verdicts"]["prop3.4"]["status"] == "certified"


def _bomb(path: Path, shape=(20000, 20000)) -> Path:
    """A small archive whose W1 member declares a huge array (the data itself is missing)."""
    with zipfile.ZipFile(path, "w") as z:
        for key in ("X", "G"):
            buf = io.BytesIO()
            np.save(buf, np.ones((1, 1)))
            z.writestr(f"{key}.npy", buf.getvalue())
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
        z.writestr("W1.npy", buf.getvalue() + bytes(64))
    return path


def test_declared_sizes_are_checked_before_loading(tmp_path, capsys):
    code, _, err = _cli(capsys, "instance", str(_bomb(tmp_path / "bomb.npz")))
    _one_line_error(code, err, "beyond the limit", "CERTIFY_MAX_ARRAY_BYTES", "W1")


def test_the_size_limit_can_be_raised_and_lowered(tmp_path, monkeypatch):
    monkeypatch.setenv("CERTIFY_MAX_ARRAY_BYTES", "100")
    with pytest.raises(InstanceError, match="beyond the limit of 100"):
        load_instance(EXAMPLE1)
    monkeypatch.setenv("CERTIFY_MAX_ARRAY_BYTES", "1000000")
    assert load_instance(EXAMPLE1).depth >= 1
    monkeypatch.setenv("CERTIFY_MAX_ARRAY_BYTES", "lots")
    with pytest.raises(InputError, match="CERTIFY_MAX_ARRAY_BYTES must be a positive integer"):
        load_instance(EXAMPLE1)


def test_object_arrays_are_refused_from_the_header(tmp_path):
    p = tmp_path / "obj.npz"
    with zipfile.ZipFile(p, "w") as z:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1, 1)})
        z.writestr("X.npy", buf.getvalue())
    with pytest.raises(InstanceError, match="Python objects"):
        load_data(p)


# --- 7. a check that exits, and bugs: exit 3 with one line, the traceback under --debug -----------

def test_system_exit_in_a_check_is_an_error_result():
    from certify.gate.runner import run_claim

    claim = next(iter(__import__("certify.gate.registry", fromlist=["CATALOG"]).CATALOG))

    class Exits:
        def __getattr__(self, name):
            return getattr(claim, name)

        def run(self, ctx):
            raise SystemExit(0)

    r = run_claim(Exits(), 0, instances_dir().parent, True)  # type: ignore[arg-type]
    assert r.status is Status.ERROR and "SystemExit" in r.message


def test_internal_errors_are_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    import certify.instance.report as ir

    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nsecond line")

    monkeypatch.setattr(ir, "instance_report", broken)
    code, _, err = _cli(capsys, "instance", str(EXAMPLE1))
    assert code == ExitCode.INTERNAL
    assert err.strip().splitlines() == ["certify: internal error: RuntimeError: a bug; run with --debug for the traceback"]
    code, _, err = _cli(capsys, "instance", str(EXAMPLE1), "--debug")
    assert code == ExitCode.INTERNAL and "Traceback" in err and "raise RuntimeError" in err
    code, _, err = _cli(capsys, "--debug", "instance", str(EXAMPLE1))
    assert code == ExitCode.INTERNAL and "Traceback" in err


def test_a_closed_pipe_is_not_an_internal_error():
    import subprocess
    import sys

    cert = instances_dir().parent / "certificates" / "example1-depth3.json"
    proc = subprocess.run(f'"{sys.executable}" -m certify check "{cert}" | head -c 10; exit "${{PIPESTATUS[0]}}"',
                          shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 141) and "internal error" not in proc.stderr, proc.stderr


def test_lemma_a4_is_exact_without_rational_arrays(monkeypatch):
    """Lemma A.4 sums squares exactly at numpy speed: it must not build fmpq arrays of the weights (a
    2048 x 2048 layer took 43 s and 1 GB that way), and it must still decide instances on the sphere
    ||theta||^2 = L exactly, where balls cannot."""
    from certify.instance import exact as exact_checks
    from certify.kernel import arith

    def refuse(*args, **kwargs):
        raise AssertionError("Lemma A.4 built a rational array")

    monkeypatch.setattr(arith.EXACT, "array", refuse)
    for name in ("random-depth3", "nearly-rank-one-depth8", "digits-trained"):
        v = exact_checks.check_lemma_a4(load_instance(instances_dir() / f"{name}.npz"))
        assert v.status is Status.CERTIFIED, (name, v.message)
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((1024, 1024))
    W1 *= 1 / np.sqrt(np.sum(W1 * W1))
    inst = Instance(X=np.ones((1024, 1)), G=np.ones((1, 1)), weights=(W1, np.ones((1, 1024)) / 64))
    assert exact_checks.check_lemma_a4(inst).status is Status.CERTIFIED


@pytest.mark.parametrize("name", ["[/red]", "[bold green]certified[/bold green] all", "esc\x1b[31mred\x00"])
def test_meta_names_are_shown_as_text_not_markup(tmp_path, capsys, name):
    a = _arrays(EXAMPLE1)
    a["meta"] = np.array(json.dumps({"name": name}))
    code, out, err = _cli(capsys, "instance", str(_save(tmp_path / "n.npz", **a)))
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    assert "\x1b" not in out and "\x00" not in out
    if name.startswith("[bold"):
        assert "[bold green]certified[/bold green] all" in out  # printed literally, not styled


def test_lone_surrogates_in_meta_are_refused(tmp_path, capsys):
    a = _arrays(EXAMPLE1)
    a["meta"] = np.array('{"name": "\\ud800"}')
    code, _, err = _cli(capsys, "instance", str(_save(tmp_path / "s.npz", **a)))
    _one_line_error(code, err, "surrogate")


def test_a_damaged_result_store_is_ignored(tmp_path, capsys, monkeypatch):
    store = tmp_path / "store"
    store.mkdir()
    (store / "lemma-a4.json").write_text(json.dumps({"id": "lemma-a4", "title": "t", "method": "symbolic",
                                                     "status": "proved", "margin": None, "message": "m",
                                                     "seconds": "abc", "seed": 0}))
    monkeypatch.setenv("CERTIFY_RESULTS", str(store))
    code, out, err = _cli(capsys, "show", "lemma-a4")
    assert code == ExitCode.OK and "no evidence stored yet" in out, err


def test_huge_exact_values_display_as_finite_lower_ends():
    import sys

    from flint import arb, fmpq

    from certify.kernel.compare import lower_float

    assert lower_float(fmpq(10) ** 400) == sys.float_info.max
    assert lower_float(-(fmpq(10) ** 400)) == -float("inf")
    assert lower_float(arb(10) ** 400) == sys.float_info.max
