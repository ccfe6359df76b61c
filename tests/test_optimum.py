"""Optimal-speed certificates (Section 4, footnote 2): the exact checker, tampering, the commands."""

import copy
import json
import math
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.cli import main
from certify.kernel.speed_certificate import CertificateFormatError, check_document, parse_number
from certify.optimum.certificates import certify_optimum

DATA = Path(__file__).resolve().parents[1] / "data"
CERTS = {d: json.loads((DATA / "certificates" / f"example1-depth{d}.json").read_text()) for d in (2, 3)}
EXAMPLE1 = str(DATA / "instances" / "example1.npz")


# --- an independent oracle: Fractions for the network, dense sampling of the circle for the upper end ---


def _frac_matrix(rows):
    return [[Fraction(v) for v in r] for r in rows]


def _oracle_lower_ok(doc) -> bool:
    """The witness network lies in the ball and reaches the claimed lower end (Fractions, no flint)."""
    X, G = _frac_matrix(doc["data"]["X"]), _frac_matrix(doc["data"]["G"])
    Ws = [_frac_matrix(W) for W in doc["lower"]["weights"]]
    if sum(v * v for W in Ws for r in W for v in r) > doc["depth"]:
        return False
    act = X
    for l, W in enumerate(Ws):
        Z = [[sum(W[i][k] * act[k][j] for k in range(len(act))) for j in range(len(X[0]))] for i in range(len(W))]
        act = Z if l == len(Ws) - 1 else [[max(v, Fraction(0)) for v in r] for r in Z]
    speed = -sum(G[0][j] * act[0][j] for j in range(len(X[0])))
    return speed >= Fraction(doc["lower"]["value"])


_ANGLES = np.linspace(0, 2 * np.pi, 20001)
_U = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)])


def _sampled_support(X: np.ndarray, v: np.ndarray) -> float:
    """max over sampled unit u of |v . relu(X^T u)|: never above the true value."""
    return float(np.max(np.abs(v @ np.maximum(X.T @ _U, 0))))


def _oracle_upper_violation(doc) -> float:
    """How far a sampled support value exceeds the claimed upper end (<= 0: no violation seen)."""
    X = np.array([[float(Fraction(v)) for v in r] for r in doc["data"]["X"]])
    g = np.array([float(Fraction(v)) for v in doc["data"]["G"][0]])
    U = float(Fraction(doc["upper"]["value"]))
    vectors = []
    if doc["depth"] == 2:
        vectors.append(g)
    else:
        table = {(m["sign"], frozenset(m["subset"])): m["t"] for m in doc["upper"]["multipliers"]}
        for e in (1, -1):
            P = [j for j in range(len(g)) if e * g[j] > 0]
            M = [j for j in range(len(g)) if e * g[j] < 0]
            for size in range(len(P) + 1):
                for S in combinations(P, size):
                    t = table.get((e, frozenset(S)))
                    if t is None:
                        return math.inf
                    v = np.zeros(len(g))
                    v[list(S)] = e * g[list(S)]
                    for j in M:
                        tj = float(Fraction(t.get(str(j), "2")))
                        if not 0 <= tj <= 1:
                            return math.inf
                        v[j] = e * g[j] * tj
                    vectors.append(v)
    return max(_sampled_support(X, v) for v in vectors) - U


# --- the shipped certificates -------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [2, 3])
def test_shipped_certificates_pass_and_agree_with_the_oracle(depth):
    rep = check_document(CERTS[depth])
    assert rep.ok, rep.first_failure
    assert _oracle_lower_ok(CERTS[depth])
    assert _oracle_upper_violation(CERTS[depth]) <= 1e-12


def test_example1_depth3_interval_contains_half_and_is_narrow():
    rep = check_document(CERTS[3])
    lower, upper = Fraction(int(rep.lower.p), int(rep.lower.q)), Fraction(int(rep.upper.p), int(rep.upper.q))
    assert lower <= Fraction(1, 2) <= upper
    assert upper - lower <= Fraction(1, 10**6)
    # the certified upper end exceeds the rank-one speed: the depth-3 optimum is not rank one
    assert check_document(CERTS[2]).upper < rep.lower


def test_upper_end_below_the_optimum_is_always_rejected():
    for value in ["0", "1/4", "0.4", "0.49", "0.4999999", "0.49999998"]:
        doc = copy.deepcopy(CERTS[3])
        doc["upper"]["value"] = value
        assert not check_document(doc).ok, value


def _tamper(doc, draw):
    kinds = ["upper", "shift", "data", "ray", "active", "weight", "lower"] + (["t"] if doc["upper"]["multipliers"] else [])
    kind = draw(st.sampled_from(kinds))
    scale = draw(st.sampled_from([1e-9, 1e-6, 1e-3, 0.1, 1.0]))
    sign = draw(st.sampled_from([-1, 1]))
    d = copy.deepcopy(doc)
    bump = lambda text: str(Fraction(text) + Fraction(sign) * Fraction(scale))  # noqa: E731
    if kind == "upper":
        d["upper"]["value"] = bump(d["upper"]["value"])
    elif kind == "shift":  # a consistent lie: both ends moved, so only the upper-end checks can object
        d["upper"]["value"] = bump(d["upper"]["value"])
        d["lower"]["value"] = bump(d["lower"]["value"])
    elif kind == "lower":
        d["lower"]["value"] = bump(d["lower"]["value"])
    elif kind == "t":
        m = d["upper"]["multipliers"][draw(st.integers(0, len(d["upper"]["multipliers"]) - 1))]
        if not m["t"]:
            return d, kind
        key = draw(st.sampled_from(sorted(m["t"])))
        m["t"][key] = bump(m["t"][key])
    elif kind == "data":
        row = draw(st.integers(0, 1))
        col = draw(st.integers(0, len(d["data"]["X"][0]) - 1))
        d["data"]["X"][row][col] = bump(d["data"]["X"][row][col])
        if draw(st.booleans()):  # an adversary who also fixes the digest
            from certify.kernel.speed_certificate import data_digest

            Xq = [[parse_number(v, "") for v in r] for r in d["data"]["X"]]
            Gq = [[parse_number(v, "") for v in r] for r in d["data"]["G"]]
            d["data"]["sha256"] = data_digest(Xq, Gq)
    elif kind == "ray":
        i = draw(st.integers(0, len(d["upper"]["rays"]) - 1))
        d["upper"]["rays"][i][draw(st.integers(0, 1))] = bump(d["upper"]["rays"][i][0])
    elif kind == "active":
        i = draw(st.integers(0, len(d["upper"]["active"]) - 1))
        k = draw(st.integers(0, len(d["data"]["X"][0]) - 1))
        a = set(d["upper"]["active"][i])
        a ^= {k}
        d["upper"]["active"][i] = sorted(a)
    else:
        W = d["lower"]["weights"][draw(st.integers(0, len(d["lower"]["weights"]) - 1))]
        r = draw(st.integers(0, len(W) - 1))
        W[r][draw(st.integers(0, len(W[r]) - 1))] = bump(W[r][0])
    return d, kind


def _random_certificates():
    """Certificates of small random datasets.  With G > 0 the largest value lies inside a cell (a peak of
    w . u); with mixed signs it tends to sit at a ray, where a point with g_k < 0 switches on."""
    rng = np.random.default_rng(7)
    docs = []
    for depth, n, signs in ((2, 5, [1.0, 2.0]), (2, 6, [-1.0, 1.0, 2.0]), (3, 4, [-1.0, 1.0, 2.0]), (3, 3, [1.0])):
        X = rng.integers(-4, 5, size=(2, n)) / 4.0
        G = rng.choice(signs, size=(1, n))
        docs.append(certify_optimum(X, G, depth).document)
    return docs


TAMPER_TARGETS = [CERTS[2], CERTS[3]] + _random_certificates()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_tampered_certificates_are_rejected_whenever_their_conclusion_no_longer_follows(data):
    doc = data.draw(st.sampled_from(TAMPER_TARGETS))
    kinds = []
    for _ in range(data.draw(st.integers(1, 3))):  # several changes at once: one may hide another
        doc, kind = _tamper(doc, data.draw)
        kinds.append(kind)
    kind = "+".join(kinds)
    rep = check_document(doc)
    violation = _oracle_upper_violation(doc)
    from certify.kernel.speed_certificate import data_digest

    Xq = [[parse_number(v, "") for v in r] for r in doc["data"]["X"]]
    Gq = [[parse_number(v, "") for v in r] for r in doc["data"]["G"]]
    digest_ok = data_digest(Xq, Gq) == doc["data"]["sha256"]
    broken = (violation > 1e-12 or not _oracle_lower_ok(doc) or not digest_ok
              or Fraction(doc["lower"]["value"]) > Fraction(doc["upper"]["value"]))
    if broken:
        assert not rep.ok, f"accepted a broken certificate ({kind})"
    if rep.ok:  # whatever was changed, an accepted certificate is right
        assert violation <= 1e-12 and _oracle_lower_ok(doc) and digest_ok


# --- any small 2-D dataset ------------------------------------------------------------------------------

_QUARTERS = st.integers(-8, 8).map(lambda k: k / 4)


@st.composite
def _planar_data(draw, max_points=6):
    n = draw(st.integers(1, max_points))
    X = np.array(draw(st.lists(_QUARTERS, min_size=2 * n, max_size=2 * n))).reshape(2, n)
    G = np.array(draw(st.lists(st.integers(-2, 2).map(float), min_size=n, max_size=n)))[None, :]
    if draw(st.booleans()) and n > 1:
        X[:, -1] = X[:, 0]  # a duplicated point
    return X, G


@settings(max_examples=40, deadline=None)
@given(_planar_data())
def test_depth2_interval_on_random_data_is_certified_and_right(case):
    X, G = case
    if not G.any() or not X.any():
        return
    rep = certify_optimum(X, G, 2).report
    assert rep.ok, rep.first_failure
    sampled = _sampled_support(X, G[0])  # below s*(2)
    assert sampled <= float(rep.upper) + 1e-12
    assert float(rep.upper - rep.lower) <= 1e-9 * (1 + float(rep.upper))


@settings(max_examples=4, deadline=None)
@given(_planar_data(max_points=5))
def test_depth3_interval_on_random_data_is_certified_and_above_every_found_network(case):
    from certify.optimum.escape import projected_gradient_descent

    X, G = case
    if not G.any() or not X.any():
        return
    rep = certify_optimum(X, G, 3).report
    assert rep.ok, rep.first_failure
    assert float(rep.upper - rep.lower) <= 1e-6 * (1 + float(rep.upper))
    found = projected_gradient_descent(X, G, [2, 6, 6, 1], restarts=3, steps=200, seed=0)
    assert found.speed <= float(rep.upper) + 1e-9


# --- the commands ---------------------------------------------------------------------------------------


def _npz(tmp_path, name, **arrays):
    p = tmp_path / name
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    return str(p)


def test_optimum_command_writes_a_certificate_that_check_accepts(tmp_path, capsys):
    cert, out = tmp_path / "c.json", tmp_path / "r.json"
    assert main(["optimum", EXAMPLE1, "--depth", "2", "--certificate", str(cert), "--json", str(out)]) == 0
    assert "certified" in capsys.readouterr().out
    assert json.loads(out.read_text())["certified"] is True
    assert main(["check", str(cert), "--data", EXAMPLE1]) == 0


def test_check_exit_codes(tmp_path, capsys):
    bad = copy.deepcopy(CERTS[3])
    bad["upper"]["value"] = "0.4"
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(bad))
    assert main(["check", str(failing)]) == 1
    other = _npz(tmp_path, "other.npz", X=np.eye(2), G=np.ones((1, 2)))
    assert main(["check", str(DATA / "certificates" / "example1-depth3.json"), "--data", other]) == 1
    not_json = tmp_path / "x.json"
    not_json.write_text("{not json")
    wrong_kind = tmp_path / "y.json"
    wrong_kind.write_text(json.dumps({"schema": "something else"}))
    truncated = tmp_path / "z.json"
    doc = copy.deepcopy(CERTS[2])
    del doc["upper"]["rays"]
    truncated.write_text(json.dumps(doc))
    capsys.readouterr()
    for path in (not_json, wrong_kind, truncated, tmp_path / "missing.json"):
        assert main(["check", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("certify: error:") and err.count("\n") == 1


@pytest.mark.parametrize("arrays, message", [
    ({"X": np.ones((3, 4)), "G": np.ones((1, 4))}, "2-D data"),
    ({"X": np.ones((2, 4)), "G": np.ones((2, 4))}, "one output"),
    ({"X": np.ones((2, 4)), "G": np.zeros((1, 4))}, "G is all zero"),
    ({"X": np.zeros((2, 4)), "G": np.ones((1, 4))}, "every data point is zero"),
    ({"X": np.ones((2, 4)), "G": np.ones((1, 3))}, "columns"),
    ({"X": np.ones((2, 4))}, "missing array 'G'"),
])
def test_optimum_bad_input_is_one_line_and_exit_2(tmp_path, capsys, arrays, message):
    path = _npz(tmp_path, "bad.npz", **arrays)
    assert main(["optimum", path, "--depth", "3"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_optimum_depth_out_of_range_and_duplicates_and_zero_points(tmp_path, capsys):
    assert main(["optimum", EXAMPLE1, "--depth", "9"]) == 2
    X = np.array([[1.0, 1.0, 0.0, -1.0], [0.0, 0.0, 0.0, 1.0]])  # a duplicate and a zero point
    path = _npz(tmp_path, "dup.npz", X=X, G=np.array([[1.0, -1.0, 1.0, 1.0]]))
    assert main(["optimum", path, "--depth", "3"]) == 0


@pytest.mark.parametrize("text", ["1/0", "0x10", "1,5", "nan", " 1", "1e99999", "", "--1", "1.5\n", "2\n"])
def test_numbers_must_be_exact_strings(text):
    with pytest.raises(CertificateFormatError):
        parse_number(text, "here")


def test_numbers_parse_exactly():
    from flint import fmpq

    assert parse_number("-3/6", "") == fmpq(-1, 2)
    assert parse_number("0.125", "") == fmpq(1, 8)
    assert parse_number("1.5e-3", "") == fmpq(3, 2000)
    assert parse_number("-2E2", "") == fmpq(-200)
    assert parse_number(7, "") == 7


@pytest.mark.parametrize("index", range(len(TAMPER_TARGETS)))
def test_every_wrong_active_set_is_rejected(index):
    """Flip one point in or out of one cell's active set: rejected unless the point is zero on both rays."""
    doc = TAMPER_TARGETS[index]
    X = _frac_matrix(doc["data"]["X"])
    rays = [tuple(Fraction(v) for v in r) for r in doc["upper"]["rays"]]
    m = len(rays)
    for i in range(m):
        for k in range(len(X[0])):
            d = copy.deepcopy(doc)
            d["upper"]["active"][i] = sorted(set(d["upper"]["active"][i]) ^ {k})
            on_both = [X[0][k] * r[0] + X[1][k] * r[1] for r in (rays[i], rays[(i + 1) % m])]
            if any(on_both):
                assert not check_document(d).ok, (i, k)


# --- Example 1 exactly, in Q(sqrt 2) --------------------------------------------------------------------

EXACT = {d: json.loads((DATA / "certificates" / f"example1-exact-depth{d}.json").read_text()) for d in (2, 3)}


def test_exact_example1_data_are_the_sines_and_cosines():
    import sympy as sp

    from certify.optimum.example1 import example1_exact_data

    X, G = example1_exact_data()
    for j in range(1, 9):
        for row, f in ((0, sp.sin), (1, sp.cos)):
            q = X[row][j - 1]
            a, b = (q.a, q.b) if hasattr(q, "b") else (q, 0)
            value = sp.Rational(int(a.p), int(a.q)) + sp.Rational(int(b.p), int(b.q)) * sp.sqrt(2) if b else \
                sp.Rational(int(a.p), int(a.q))
            assert sp.simplify(value - f(2 * sp.pi * j / 8)) == 0
        assert G[0][j - 1] == (-1) ** j


def test_exact_certificates_close_the_interval():
    from certify.kernel.quadratic import QSqrt2

    for depth, value in ((2, QSqrt2(-1, 1)), (3, Fraction(1, 2))):
        rep = check_document(EXACT[depth])
        assert rep.ok, rep.first_failure
        assert rep.lower == rep.upper
        assert (rep.upper == value) if depth == 2 else (rep.upper.p, rep.upper.q) == (1, 2)


def test_exact_certificate_needs_the_irrational_multiplier():
    """With sqrt(2)/4 replaced by rationals just below or above it, the patterns that reach 1/2 exceed it."""
    for approx in ("0.3535533905", "0.3535533906"):
        doc = copy.deepcopy(EXACT[3])
        changed = 0
        for m in doc["upper"]["multipliers"]:
            for j, t in m["t"].items():
                if isinstance(t, list):
                    m["t"][j] = approx
                    changed += 1
        assert changed == 16  # 4 patterns x 4 negative points
        assert not check_document(doc).ok


@pytest.mark.parametrize("path, value", [
    (("upper", "value"), "0.4999999999999999999999"),
    (("upper", "value"), ["0", "0.3535"]),
    (("lower", "value"), ["1", "0"]),
])
def test_exact_certificate_lies_are_rejected(path, value):
    doc = copy.deepcopy(EXACT[3])
    doc[path[0]][path[1]] = value
    assert not check_document(doc).ok


def test_exact_data_change_is_rejected():
    doc = copy.deepcopy(EXACT[3])
    doc["data"]["X"][0][0] = ["0", "1/3"]
    assert not check_document(doc).ok


@pytest.mark.parametrize("bad", [[1], ["1", "2", "3"], [["1"], "2"], ["1", "x"]])
def test_qsqrt2_numbers_must_be_pairs_of_rationals(bad):
    with pytest.raises(CertificateFormatError):
        parse_number(bad, "here")


@settings(max_examples=200, deadline=None)
@given(st.fractions(max_denominator=50), st.fractions(max_denominator=50))
def test_qsqrt2_signs_agree_with_balls(a, b):
    from flint import arb, fmpq

    from certify.kernel.quadratic import QSqrt2

    q = QSqrt2(fmpq(a.numerator, a.denominator), fmpq(b.numerator, b.denominator))
    ball = arb(fmpq(a.numerator, a.denominator)) + arb(fmpq(b.numerator, b.denominator)) * arb(2).sqrt()
    if ball > 0:
        assert q > 0 and q.sign() == 1
    elif ball < 0:
        assert q < 0 and q.sign() == -1
    else:
        assert a == 0 and b == 0 and q.sign() == 0


# --- found by the independent review ----------------------------------------------------------------


def test_check_command_prints_exact_ends_in_qsqrt2(capsys):
    assert main(["check", str(DATA / "certificates" / "example1-exact-depth2.json")]) == 0
    assert "the ends are equal" in capsys.readouterr().out


@pytest.mark.parametrize("mutate", [
    lambda d: d["lower"].__setitem__("value", 0.5),       # a float where an exact string belongs
    lambda d: d["upper"].__setitem__("value", True),
    lambda d: d.__setitem__("depth", "3"),
])
def test_wrong_json_types_are_format_errors(tmp_path, capsys, mutate):
    doc = copy.deepcopy(CERTS[3])
    mutate(doc)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_deeply_nested_json_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    assert main(["check", str(path)]) == 2


def test_too_many_sign_patterns_is_a_format_error():
    doc = copy.deepcopy(CERTS[3])
    n = 20
    doc["data"]["X"] = [["1"] * n, ["0"] * n]
    doc["data"]["G"] = [["1"] * n]
    with pytest.raises(CertificateFormatError):
        check_document(doc)


def test_transfer_to_exact_data_is_entry_by_entry():
    from certify.core.datasets import example1_data
    from certify.core.errors import InputError
    from certify.optimum.claims import _float_data_gap

    X, G = example1_data()
    assert float(_float_data_gap(X, G).upper()) < 1e-14
    assert float(_float_data_gap(X[:, [1, 0, 2, 3, 4, 5, 6, 7]], G).lower()) > 1  # permuted points are far away
    with pytest.raises(InputError):
        _float_data_gap(X, 1.01 * G)


def test_definition21_erratum_needs_the_optimum_certificate(tmp_path):
    import shutil

    from certify.gate.claim import Context
    from certify.proofs.section2_escape_directions import check_definition

    shutil.copytree(DATA / "certificates", tmp_path / "certificates")
    path = tmp_path / "certificates" / "example1-exact-depth3.json"
    doc = json.loads(path.read_text())
    doc["upper"]["value"] = "0.4"
    path.write_text(json.dumps(doc))
    assert check_definition(Context(0, tmp_path)).status.value != "erratum"
