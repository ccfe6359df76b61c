"""Depth 2 on data of any dimension (cone certificates, issue 17): honest certificates check and agree with an
independent oracle, and every kind of lie planted in the cone trees (a missing or extra node, a pruned cone
whose dual vector is too short, a false multiplier, too many splits, a lower upper end) is refused.

The oracle is independent of the kernel: it samples unit directions (never above the true maximum) and
rebuilds the cones from the preorder list itself.
"""

import copy
import json
from fractions import Fraction

import numpy as np
import pytest

from certify.cli import main
from certify.kernel import speed_cones as C
from certify.kernel.speed_certificate import CertificateFormatError
from certify.optimum.certificates import certify_optimum, check_any_document
from certify.optimum.search import exact_data


def _data(d, n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, n)), rng.standard_normal((1, n))


def _floats(doc):
    X = np.array([[float(Fraction(v)) for v in r] for r in doc["data"]["X"]])
    g = np.array([float(Fraction(v)) for v in doc["data"]["G"][0]])
    return X, g


def _oracle_cones(doc):
    """Per leaf (sign, generators as float rows, q as floats): the preorder walk done here."""
    X, _ = _floats(doc)
    d = X.shape[0]
    out = []
    for tree, e in zip(doc["upper"]["trees"], (1, -1)):
        nodes, i = tree["nodes"], 0
        for k in range(2**d):
            stack = [np.diag([-1.0 if (k >> a) & 1 else 1.0 for a in range(d)])]
            while stack:
                gens = stack.pop()
                node = nodes[i]
                i += 1
                if "split" in node:
                    a, b = node["split"]
                    m = gens[a] + gens[b]
                    first, second = gens.copy(), gens.copy()
                    first[a], second[b] = m, m
                    stack += [second, first]
                else:
                    out.append((e, gens, np.array([float(Fraction(x)) for x in node["q"]])))
    return out


def _sampled_max(X, g, e, gens, rng, samples=4000):
    """max over sampled unit u in cone(gens) of e g . relu(X^T u) (a lower estimate of the true maximum)."""
    c = rng.exponential(size=(samples, gens.shape[0])) ** 3  # towards the generators too
    U = c @ gens
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    return float(np.max((e * g) @ np.maximum(X.T @ U.T, 0.0)))


@pytest.fixture(scope="module")
def cones3():
    X, G = _data(3, 14, 4)
    result = certify_optimum(X, G, 2)
    assert result.report.ok, result.report.first_failure
    return result.document


def _fails_at(doc, name):
    report = check_any_document(doc)
    assert not report.ok, f"a planted lie was accepted (expected {name} to fail)"
    assert report.first_failure[0] == name, report.first_failure


# --- honest certificates ---------------------------------------------------------------------------------


def test_cone_certificate_is_narrow_and_above_every_sampled_direction(cones3):
    rep = check_any_document(cones3)
    assert rep.ok and float(rep.upper - rep.lower) <= 1e-6
    X, g = _floats(cones3)
    rng = np.random.default_rng(0)
    U = rng.standard_normal((3, 200_000))
    U /= np.linalg.norm(U, axis=0)
    assert float(np.max(np.abs(g @ np.maximum(X.T @ U, 0)))) <= float(rep.upper)
    assert any("split" in n for t in cones3["upper"]["trees"] for n in t["nodes"])


@pytest.mark.parametrize("d", [1, 4])
def test_other_dimensions_are_certified(d):
    rep = certify_optimum(*_data(d, 9, d), 2).report
    assert rep.ok and float(rep.upper - rep.lower) <= 1e-6 and rep.widths[0] == d


def test_cones_agree_with_the_arcs_on_2d_data_lifted_to_3d():
    """The same 2-D data with a zero third row has the same s*(2): the cone interval (3-D) and the arc
    interval (2-D) are both certified, so they must overlap."""
    X, G = _data(2, 12, 7)
    arcs = certify_optimum(X, G, 2).report
    cones = certify_optimum(np.vstack([X, np.zeros((1, 12))]), G, 2).report
    assert arcs.ok and cones.ok
    assert cones.lower <= arcs.upper and arcs.lower <= cones.upper


# --- planted lies -------------------------------------------------------------------------------------------


def test_upper_end_below_the_lower_end_is_refused(cones3):
    doc = copy.deepcopy(cones3)
    lo = Fraction(doc["lower"]["value"])
    doc["upper"]["value"] = str(lo * Fraction(999999, 1000000))
    _fails_at(doc, "upper.bound")


def test_missing_and_extra_nodes_are_refused(cones3):
    doc = copy.deepcopy(cones3)
    doc["upper"]["trees"][0]["nodes"].pop()
    _fails_at(doc, "upper.cones")
    doc = copy.deepcopy(cones3)
    doc["upper"]["trees"][1]["nodes"].append({"q": ["0", "0", "0"]})
    _fails_at(doc, "upper.cones")


def test_a_leaf_with_a_too_short_dual_vector_is_refused_whenever_its_cone_has_a_positive_value(cones3):
    """q = 0 on a leaf claims the objective is <= 0 on its whole cone; sampling finds where it is not."""
    rng = np.random.default_rng(1)
    X, g = _floats(cones3)
    leaves = _oracle_cones(cones3)
    caught = 0
    for idx, (e, gens, _) in enumerate(leaves[:40]):
        if _sampled_max(X, g, e, gens, rng) <= 1e-9:
            continue
        doc = copy.deepcopy(cones3)
        seen = -1
        for tree in doc["upper"]["trees"]:
            for node in tree["nodes"]:
                if "q" in node:
                    seen += 1
                    if seen == idx:
                        node["q"] = ["0"] * 3
        _fails_at(doc, "upper.bound")
        caught += 1
    assert caught >= 5


def test_pruning_a_subtree_early_is_refused_when_its_cone_exceeds_the_dual_bound(cones3):
    """Replace each split's subtree by one leaf carrying the first inner leaf's q: when sampling over the larger
    cone finds a value above ||q||, the checker must refuse (and some such lie must exist)."""
    rng = np.random.default_rng(2)
    X, g = _floats(cones3)
    caught = 0
    for b, tree in enumerate(cones3["upper"]["trees"]):
        nodes = tree["nodes"]
        for i, node in enumerate(nodes[:60]):
            if "split" not in node:
                continue
            end, need = i, 1
            while need:
                need += 1 if "split" in nodes[end] else -1
                end += 1
            q = next(n["q"] for n in nodes[i:end] if "q" in n)
            doc = copy.deepcopy(cones3)
            doc["upper"]["trees"][b]["nodes"] = nodes[:i] + [{"q": list(q)}] + nodes[end:]
            report = check_any_document(doc)
            if report.ok:  # then no sampled direction of any leaf cone may beat the upper end
                U = float(Fraction(doc["upper"]["value"]))
                assert all(_sampled_max(X, g, e, gens, rng, 500) <= U + 1e-9 for e, gens, _ in _oracle_cones(doc))
            else:
                caught += 1
    assert caught >= 3


@pytest.mark.parametrize("value", ["-1/1000", "1.0000001"])
def test_multipliers_outside_the_unit_interval_are_refused(cones3, value):
    doc = copy.deepcopy(cones3)
    leaf = next(n for n in doc["upper"]["trees"][0]["nodes"] if "q" in n)
    g = [Fraction(v) for v in doc["data"]["G"][0]]
    leaf["t"] = {str(next(j for j in range(len(g)) if g[j] < 0)): value}
    _fails_at(doc, "upper.cones")


def test_multipliers_off_the_crossing_points_of_M_are_refused(cones3):
    g = [Fraction(v) for v in cones3["data"]["G"][0]]
    for j_pick in (next(j for j in range(len(g)) if g[j] > 0), next(j for j in range(len(g)) if g[j] < 0)):
        doc = copy.deepcopy(cones3)
        for node in doc["upper"]["trees"][0]["nodes"]:  # every leaf: some cone has j decided, or j is in P
            if "q" in node:
                node["t"] = {str(j_pick): "1/2"}
        assert not check_any_document(doc).ok


def test_too_many_splits_on_a_path_are_refused(cones3):
    doc = copy.deepcopy(cones3)
    deep = [{"split": [0, 1]}] * (C.MAX_SPLIT_DEPTH + 1)
    doc["upper"]["trees"][0]["nodes"] = deep + [{"q": ["9", "9", "9"]}] * (C.MAX_SPLIT_DEPTH + 2) + \
        [{"q": ["9", "9", "9"]}] * 7
    _fails_at(doc, "upper.cones")


def test_lower_end_and_data_lies_are_refused(cones3):
    doc = copy.deepcopy(cones3)
    doc["lower"]["value"] = str(Fraction(doc["lower"]["value"]) + Fraction(1, 10**9))
    _fails_at(doc, "lower.speed")
    doc = copy.deepcopy(cones3)
    X, g = _floats(doc)
    doc["data"] = exact_data(X, 2 * g[None, :])
    assert not check_any_document(doc).ok


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["upper"]["trees"].reverse(), "sign 1, then sign -1"),
    (lambda d: d["upper"]["trees"].pop(), "two forests"),
    (lambda d: d["upper"]["trees"][0]["nodes"].insert(0, {"split": [0, 0]}), "two different"),
    (lambda d: d["upper"]["trees"][0]["nodes"].insert(0, {"split": [0, 3]}), "two different"),
    (lambda d: d["upper"]["trees"][0]["nodes"].insert(0, {"split": [0, 1], "q": []}), "either"),
    (lambda d: d["upper"]["trees"][0]["nodes"].insert(0, {"q": ["1", "2"]}), "list of 3"),
    (lambda d: d["upper"]["trees"][0]["nodes"].insert(0, {"q": ["1", "2", 0.5]}), "strings"),
    (lambda d: d.update(depth=3), "depth 2"),
    (lambda d: d.update(schema_version=2), "schema_version"),
    (lambda d: d["data"].update(X=[["1"]] * 9), "rows"),
])
def test_malformed_cone_documents_are_format_errors(cones3, mutate, needle):
    doc = copy.deepcopy(cones3)
    mutate(doc)
    with pytest.raises(CertificateFormatError) as err:
        check_any_document(doc)
    assert needle in str(err.value), str(err.value)


def test_too_many_nodes_and_too_much_work_are_refused_before_parsing(cones3, monkeypatch):
    doc = copy.deepcopy(cones3)
    doc["upper"]["trees"][0]["nodes"] = [{"split": "never parsed"}] * (C.MAX_CONE_NODES + 1)
    with pytest.raises(CertificateFormatError, match="more than"):
        check_any_document(doc)
    monkeypatch.setattr(C, "MAX_CHECK_COST", 10)
    with pytest.raises(CertificateFormatError, match="would cost"):
        check_any_document(copy.deepcopy(cones3))


# --- the command ------------------------------------------------------------------------------------------


def _npz(tmp_path, X, G):
    path = tmp_path / "d.npz"
    np.savez(path, X=X, G=G)
    return str(path)


def test_command_certifies_3d_data_and_check_reads_the_file(tmp_path, capsys):
    path = _npz(tmp_path, *_data(3, 14, 4))
    cert, rep = tmp_path / "c.json", tmp_path / "r.json"
    assert main(["optimum", path, "--depth", "2", "--certificate", str(cert), "--json", str(rep)]) == 0
    assert main(["check", str(cert)]) == 0
    out = json.loads(rep.read_text())
    assert out["certified"] and out["widths"][0] == 3 and out["search"]["leaves"] >= 1
    assert main(["optimum", path, "--depth", "2", "--node-limit", "2", "--json", str(rep)]) == 0
    cut = json.loads(rep.read_text())
    assert cut["search"]["stopped"] == "node limit"
    assert Fraction(cut["upper"]) >= Fraction(out["upper"]) - Fraction(1, 10**6)
    assert "certified, but wider" in capsys.readouterr().out


@pytest.mark.parametrize("shape, args, message", [
    ((3, 8), ["--depth", "3"], "needs 2-D data"),
    ((9, 8), ["--depth", "2"], "dimensions 1 to 8"),
    ((3, 8), ["--depth", "2", "--method", "branch"], "--method"),
    ((3, 8), ["--depth", "2", "--gap", "0"], "--gap"),
    ((3, 8), ["--depth", "2", "--time-limit", "nan"], "--time-limit"),
    ((2, 8), ["--depth", "2", "--gap", "1e-3"], "--gap"),
])
def test_bad_cone_input_is_one_line_and_exit_2(tmp_path, capsys, shape, args, message):
    rng = np.random.default_rng(0)
    path = _npz(tmp_path, rng.standard_normal(shape), rng.standard_normal((1, shape[1])))
    assert main(["optimum", path, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_split_depth_limit_is_exact(cones3):
    """MAX_SPLIT_DEPTH splits on one path are read (the leaves are then checked); one more is refused."""
    for depth, refused in ((C.MAX_SPLIT_DEPTH, False), (C.MAX_SPLIT_DEPTH + 1, True)):
        doc = copy.deepcopy(cones3)
        leaf = {"q": ["9", "9", "9"]}
        doc["upper"]["trees"][0]["nodes"] = [{"split": [0, 1]}] * depth + [leaf] * (depth + 1) + [leaf] * 7
        report = check_any_document(doc)
        names = {name for name, _, _ in report.checks}
        if refused:
            _fails_at(doc, "upper.cones")
        else:
            assert "upper.cones" in names and report.first_failure != "upper.cones"
            assert dict((n, ok) for n, ok, _ in report.checks)["upper.cones"]


def test_lower_network_work_is_bounded_before_parsing(cones3):
    """A lower-end network of 8192 x 3 weights on 512 points: 2^24.6 multiply-adds, refused by the size check."""
    doc = copy.deepcopy(cones3)
    X, G = _data(3, 512, 0)
    doc["data"] = exact_data(X, G)
    doc["lower"]["weights"] = [[["0", "0", "0"]] * 8192, [["0"] * 8192]]
    with pytest.raises(CertificateFormatError, match="multiply-adds"):
        check_any_document(doc)
