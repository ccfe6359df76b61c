"""Optimal speeds at depth 4 and more: the tree of multipliers (schema_version 2), proposed by
certify.optimum.search and accepted by the exact checker; the depth range of the command."""

import json
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from certify.cli import main
from certify.kernel.speed_certificate import check_document
from certify.optimum.certificates import certify_optimum
from certify.optimum.search import _padded, propose, tree_size

EXAMPLE1 = str(Path(__file__).resolve().parents[1] / "data" / "instances" / "example1.npz")

# five points in general position, G with two positive and three negative entries: a depth-4 tree of a
# few dozen nodes, solved in a few seconds
SMALL_X = np.array([[1.0, 0.3, -0.8, -0.2, 0.6], [0.1, 1.0, 0.4, -1.0, -0.7]])
SMALL_G = np.array([[1.0, -0.5, 0.75, -1.0, -0.25]])


@pytest.fixture(scope="module")
def small():
    """The depth-3 and depth-4 results on the small instance (computed once)."""
    return certify_optimum(SMALL_X, SMALL_G, 3), certify_optimum(SMALL_X, SMALL_G, 4)


def _npz(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


# --- an independent reading of the tree (Fractions, no flint): shape rules and sampled support values ---


_ANGLES = np.linspace(0, 2 * np.pi, 20001)
_U = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)])


def _walk(doc):
    """Check the tree's shape by the rules of the format and return the exact leaf vectors."""
    g = [Fraction(v) for v in doc["data"]["G"][0]]
    leaves = []

    def visit(v, children, level):
        if level == 1:
            leaves.append(v)
            assert not children
            return
        want = {(e, frozenset(S)) for e in (1, -1)
                for S in (frozenset(c) for k in range(len(v) + 1)
                          for c in combinations([j for j in range(len(v)) if e * v[j] > 0], k))}
        got = [(c["sign"], frozenset(c["subset"])) for c in children]
        assert len(got) == len(set(got)) and set(got) == want
        for c in children:
            e = c["sign"]
            M = {j for j in range(len(v)) if e * v[j] < 0}
            t = {int(k): Fraction(x) for k, x in c["t"].items()}
            assert set(t) == M and all(0 <= x <= 1 for x in t.values())
            w = [Fraction(0)] * len(v)
            for j in c["subset"]:
                w[j] = e * v[j]
            for j in M:
                w[j] = e * v[j] * t[j]
            visit(w, c.get("children", []), level - 1)

    visit(g, doc["upper"]["tree"], doc["depth"] - 1)
    return leaves


def test_depth4_on_a_small_instance_certifies_above_the_depth3_witness(small):
    three, four = small
    assert three.report.ok and four.report.ok, four.report.first_failure
    lo3 = three.report.lower
    # a depth-3 network padded with a layer [[1]] is a depth-4 network of the same speed
    assert four.report.lower >= lo3
    assert lo3 <= four.report.upper
    width = four.report.upper - four.report.lower
    assert Fraction(int(width.p), int(width.q)) <= Fraction(1, 10**6)  # here s*(4) = s*(3), closed to 1e-6


def test_depth4_document_is_version_2_and_round_trips(small):
    doc = small[1].document
    assert doc["schema_version"] == 2 and doc["depth"] == 4
    assert "multipliers" not in doc["upper"] and doc["upper"]["tree"]
    again = json.loads(json.dumps(doc))
    rep = check_document(again)
    assert rep.ok, rep.first_failure
    assert len(again["lower"]["weights"]) == 4
    nodes, _ = tree_size([Fraction(v) for v in doc["data"]["G"][0]], 4)
    assert doc["search"]["tree_nodes"] <= nodes


def test_depth4_tree_obeys_the_format_and_sampled_support_stays_below_upper(small):
    doc = small[1].document
    leaves = _walk(doc)
    X = np.array([[float(Fraction(v)) for v in r] for r in doc["data"]["X"]])
    U = float(Fraction(doc["upper"]["value"]))
    P = np.maximum(X.T @ _U, 0)
    worst = max(float(np.max(np.abs(np.array([float(x) for x in v]) @ P))) for v in leaves)
    assert worst <= U + 1e-12


def test_any_multipliers_the_search_returns_give_a_tree_the_checker_accepts(monkeypatch):
    """The exact tree is built from whatever tau the solver returns: random values, with many exact zeros
    (whose entries leave P and M, so whole branches drop out), still give a certificate that checks."""
    import certify.optimum.search as opt

    rng = np.random.default_rng(7)

    def noisy(slots, gf, XA, normals, root_support):
        tau = rng.uniform(0.0, 1.0, (len(slots), len(gf)))
        tau[rng.uniform(size=tau.shape) < 0.4] = 0.0
        return tau

    monkeypatch.setattr(opt, "_solve_layout", noisy)
    doc, _ = propose(SMALL_X, SMALL_G, 5)
    rep = check_document(json.loads(json.dumps(doc)))
    assert rep.ok, rep.first_failure
    layout, _ = tree_size([Fraction(v) for v in doc["data"]["G"][0]], 5)
    assert doc["search"]["tree_nodes"] < layout  # some branches were dropped
    _walk(doc)


def test_depth2_and_3_still_write_version_1(small):
    assert small[0].document["schema_version"] == 1 and "multipliers" in small[0].document["upper"]
    doc, _ = propose(SMALL_X, SMALL_G, 2)
    assert doc["schema_version"] == 1


def test_padding_keeps_the_speed():
    from flint import fmpq

    from certify.kernel.speed_certificate import exact_speed
    from certify.optimum.arrangement import to_rational

    W = [[[fmpq(1), fmpq(-1, 2)], [fmpq(1, 3), fmpq(1)]], [[fmpq(1, 2), fmpq(-1)]], [[fmpq(-1)]]]
    Xq = [[to_rational(v) for v in r] for r in SMALL_X]
    Gq = [[to_rational(v) for v in r] for r in SMALL_G]
    for L in (4, 6):
        padded = _padded(W, L)
        assert len(padded) == L and exact_speed(padded, Xq, Gq) == exact_speed(W, Xq, Gq)


@pytest.mark.parametrize("depth", ["1", "9"])
def test_optimum_depth_outside_2_to_8_is_one_line_and_exit_2(capsys, depth):
    assert main(["optimum", EXAMPLE1, "--depth", depth]) == 2
    err = capsys.readouterr().err
    assert "--depth must be between 2 and 8" in err and err.count("\n") == 1


def test_optimum_tree_too_large_is_refused_up_front(capsys):
    assert main(["optimum", EXAMPLE1, "--depth", "8"]) == 2  # about 3.7 million layout nodes
    err = capsys.readouterr().err
    assert "nodes" in err and err.count("\n") == 1


def test_optimum_depth4_command_writes_a_certificate_that_check_accepts(tmp_path, capsys):
    path = _npz(tmp_path, "small.npz", X=SMALL_X, G=SMALL_G)
    cert = tmp_path / "c4.json"
    assert main(["optimum", path, "--depth", "4", "--certificate", str(cert)]) == 0
    assert "certified" in capsys.readouterr().out
    assert main(["check", str(cert), "--data", path]) == 0


def test_issue16_acceptance_example1_depth4(tmp_path, capsys):
    """Issue 16's acceptance on the shipped float data: an interval containing 1/2 of width <= 1e-6, a
    certificate `certify check` accepts, and rejects once its upper end is lowered below 1/2."""
    import json
    from fractions import Fraction

    cert, report = tmp_path / "c4.json", tmp_path / "r4.json"
    assert main(["optimum", EXAMPLE1, "--depth", "4", "--certificate", str(cert), "--json", str(report)]) == 0
    r = json.loads(report.read_text())
    assert r["certified"] and r["lower_float"] <= 0.5 <= r["upper_float"]
    assert r["upper_float"] - r["lower_float"] <= 1e-6
    assert Fraction(r["lower"]) <= Fraction(1, 2) <= Fraction(r["upper"])
    capsys.readouterr()
    assert main(["check", str(cert)]) == 0
    doc = json.loads(cert.read_text())
    doc["upper"]["value"] = "49999999/100000000"
    cert.write_text(json.dumps(doc))
    assert main(["check", str(cert)]) == 1
    assert "FAIL  check upper.bound" in capsys.readouterr().out
