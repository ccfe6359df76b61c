"""Depth 3 by branch and bound (schema_version 3, issue 17): the search agrees with the enumeration, and every
kind of lie planted in a branch-and-bound certificate (a pruned node whose bound is wrong, a missing or extra
branch, a split on the wrong point, a leaf with a false dual, a lower upper end) is refused.

The oracle here is independent of the kernel: its own walk of the preorder list, and one-sided support values
from 20,001 sampled directions (never above the true value), so a refusal it predicts is a real violation.
"""

import copy
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from certify.cli import main
from certify.kernel import speed_certificate as K
from certify.kernel.speed_certificate import CertificateFormatError, check_document
from certify.optimum.certificates import certify_optimum
from certify.optimum.search import exact_data, propose

_ANGLES = np.linspace(0, 2 * np.pi, 20001)
_U = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)])


def _data(n, seed, positive=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, n))
    g = np.abs(rng.standard_normal(n)) * np.where(rng.random(n) < positive, 1.0, -1.0)
    return X, g[None, :]


def _floats(doc):
    X = np.array([[float(Fraction(v)) for v in r] for r in doc["data"]["X"]])
    g = np.array([float(Fraction(v)) for v in doc["data"]["G"][0]])
    return X, g


def _oracle_leaves(doc):
    """Per leaf (v_plus, v_minus) as floats, walking the preorder lists here; None if the trees are malformed."""
    X, g = _floats(doc)
    N = len(g)
    out = []
    for tree, e in zip(doc["upper"]["branches"], (1, -1)):
        P = {j for j in range(N) if e * g[j] > 0}
        M = {j for j in range(N) if e * g[j] < 0}
        nodes = tree["nodes"]

        def walk(i, s_in, s_out):
            if i >= len(nodes):
                raise IndexError
            node = nodes[i]
            if "split" in node:
                j = node["split"]
                if j not in P or j in s_in or j in s_out:
                    raise ValueError
                i = walk(i + 1, s_in | {j}, s_out)
                return walk(i, s_in, s_out | {j})
            t = {int(k): float(Fraction(v)) for k, v in node["t"].items()}
            if not set(t) <= M or any(not 0 <= x <= 1 for x in t.values()):
                raise ValueError
            minus = np.zeros(N)
            for j in s_in:
                minus[j] = e * g[j]
            for j, x in t.items():
                minus[j] = e * g[j] * x
            plus = minus.copy()
            for j in P - s_in - s_out:
                plus[j] = e * g[j]
            out.append((plus, minus))
            return i + 1

        try:
            if walk(0, frozenset(), frozenset()) != len(nodes):
                return None
        except (IndexError, ValueError, RecursionError):
            return None
    return out


def _sampled_excess(doc):
    """How far the sampled one-sided support values exceed the upper end (> 0: a real violation)."""
    X, _ = _floats(doc)
    leaves = _oracle_leaves(doc)
    if leaves is None:
        return math.inf
    P = np.maximum(X.T @ _U, 0.0)
    top = max(max(float(np.max(plus @ P)), float(np.max(-(minus @ P)))) for plus, minus in leaves)
    return top - float(Fraction(doc["upper"]["value"]))


def _enumerated_branches(doc3):
    """A version-3 document from an enumeration certificate: the complete binary tree over P_e for each sign,
    each leaf (S decided, nothing open) carrying the enumeration's multipliers for S."""
    g = [Fraction(v) for v in doc3["data"]["G"][0]]
    table = {(m["sign"], frozenset(m["subset"])): m["t"] for m in doc3["upper"]["multipliers"]}
    branches = []
    for e in (1, -1):
        P = [j for j in range(len(g)) if e * g[j] > 0]
        nodes = []

        def build(k, S):
            if k == len(P):
                nodes.append({"t": dict(table[(e, frozenset(S))])})
                return
            nodes.append({"split": P[k]})
            build(k + 1, S + [P[k]])
            build(k + 1, S)

        build(0, [])
        branches.append({"sign": e, "nodes": nodes})
    doc = copy.deepcopy(doc3)
    doc["schema_version"] = K.BRANCH_VERSION
    del doc["upper"]["multipliers"]
    doc["upper"]["branches"] = branches
    return doc


@pytest.fixture(scope="module")
def enumerated():
    """Six points, three of each sign: the enumeration's certificate and the same bound as a full tree."""
    X, G = _data(6, 3)
    doc3 = certify_optimum(X, G, 3, method="enumerate").document
    return doc3, _enumerated_branches(doc3)


@pytest.fixture(scope="module")
def searched():
    """Twenty points searched by branch and bound (this seed needs splits: 8 nodes)."""
    X, G = _data(20, 5)
    result = certify_optimum(X, G, 3, method="branch")
    assert result.report.ok, result.report.first_failure
    return result.document


def _fails_at(doc, name):
    report = check_document(doc)
    assert not report.ok, f"a planted lie was accepted (expected {name} to fail)"
    assert report.first_failure[0] == name, report.first_failure
    return report


# --- honest certificates --------------------------------------------------------------------------------


def test_a_full_tree_of_the_enumeration_checks_with_the_same_ends(enumerated):
    doc3, doc = enumerated
    a, b = check_document(doc3), check_document(doc)
    assert a.ok and b.ok, b.first_failure
    assert (a.lower, a.upper) == (b.lower, b.upper)
    assert any("split" in n for tree in doc["upper"]["branches"] for n in tree["nodes"])
    assert _sampled_excess(doc) <= 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_branch_and_bound_and_enumeration_intervals_overlap(seed):
    """Both intervals are certified, so they must overlap; a relaxation that cut off the optimum would give an
    upper end below the enumeration's lower end."""
    X, G = _data(9, seed)
    a = certify_optimum(X, G, 3, method="enumerate").report
    b = certify_optimum(X, G, 3, method="branch").report
    assert a.ok and b.ok
    assert b.lower <= a.upper and a.lower <= b.upper
    assert float(b.upper - b.lower) <= 1e-6


def test_searched_certificate_has_splits_and_agrees_with_the_oracle(searched):
    assert searched["schema_version"] == K.BRANCH_VERSION
    assert _sampled_excess(searched) <= 0
    rep = check_document(searched)
    assert float(rep.upper - rep.lower) <= 1e-6
    assert sum("split" in n for tree in searched["upper"]["branches"] for n in tree["nodes"]) >= 1


def test_auto_enumerates_few_patterns_and_branches_on_many():
    X, G = _data(6, 3)
    assert propose(X, G, 3)[0]["schema_version"] == 1
    X, G = _data(20, 5)
    assert propose(X, G, 3, node_limit=2)[0]["schema_version"] == K.BRANCH_VERSION


# --- planted lies ---------------------------------------------------------------------------------------


def test_upper_end_just_below_the_largest_leaf_is_refused(searched):
    rep = check_document(searched)
    doc = copy.deepcopy(searched)
    doc["upper"]["value"] = str(Fraction(int(rep.lower.p), int(rep.lower.q)) * Fraction(999999, 1000000))
    _fails_at(doc, "upper.bound")


def _first_split(doc):
    for b, tree in enumerate(doc["upper"]["branches"]):
        for i, node in enumerate(tree["nodes"]):
            if "split" in node:
                return b, i
    raise AssertionError("no split")


def test_missing_branch_and_extra_node_are_refused(enumerated):
    _, honest = enumerated
    doc = copy.deepcopy(honest)
    doc["upper"]["branches"][0]["nodes"].pop()  # the last leaf: one branch has no node
    _fails_at(doc, "upper.branches")
    doc = copy.deepcopy(honest)
    doc["upper"]["branches"][1]["nodes"].append({"t": {}})
    _fails_at(doc, "upper.branches")
    doc = copy.deepcopy(honest)
    b, i = _first_split(doc)
    del doc["upper"]["branches"][b]["nodes"][i]  # a split removed: the subtrees no longer line up
    assert not check_document(doc).ok


def test_splits_on_wrong_points_are_refused(enumerated):
    _, honest = enumerated
    g = [Fraction(v) for v in honest["data"]["G"][0]]
    b, i = _first_split(honest)
    e = (1, -1)[b]
    in_M = next(j for j in range(len(g)) if e * g[j] < 0)
    doc = copy.deepcopy(honest)
    doc["upper"]["branches"][b]["nodes"][i]["split"] = in_M  # a point of M_e, not P_e
    _fails_at(doc, "upper.branches")
    doc = copy.deepcopy(honest)
    nodes = doc["upper"]["branches"][b]["nodes"]
    nodes[i + 1]["split"] = nodes[i]["split"]  # the same point split twice on one path
    _fails_at(doc, "upper.branches")


@pytest.mark.parametrize("value", ["-1/1000", "1.000001", "3"])
def test_multipliers_outside_the_unit_interval_are_refused(enumerated, value):
    _, honest = enumerated
    doc = copy.deepcopy(honest)
    leaf = next(n for n in doc["upper"]["branches"][0]["nodes"] if "t" in n)
    g = [Fraction(v) for v in doc["data"]["G"][0]]
    j = next(j for j in range(len(g)) if g[j] < 0)
    leaf["t"][str(j)] = value
    _fails_at(doc, "upper.branches")


def test_multipliers_on_points_of_P_are_refused(enumerated):
    _, honest = enumerated
    doc = copy.deepcopy(honest)
    g = [Fraction(v) for v in doc["data"]["G"][0]]
    j = next(j for j in range(len(g)) if g[j] > 0)
    next(n for n in doc["upper"]["branches"][0]["nodes"] if "t" in n)["t"][str(j)] = "1/2"
    _fails_at(doc, "upper.branches")


def test_pruning_a_subtree_early_is_refused_when_its_bound_exceeds_the_upper_end(enumerated):
    """Replace the subtree under each split by one leaf (with the multipliers of one of its leaves, or 0, or 1):
    the leaf now covers the open points too.  Whenever sampling shows its bound above the upper end, the
    checker must refuse; and at least one such lie must exist (else this test could not fail)."""
    _, honest = enumerated
    caught = 0
    for b, tree in enumerate(honest["upper"]["branches"]):
        nodes = tree["nodes"]
        for i, node in enumerate(nodes):
            if "split" not in node:
                continue
            end, need = i, 1  # the end of the subtree rooted at i, in preorder
            while need:
                need += 1 if "split" in nodes[end] else -1
                end += 1
            inner_t = next(n["t"] for n in nodes[i:end] if "t" in n)
            for t in (inner_t, {}, {k: "1" for k in inner_t}):
                doc = copy.deepcopy(honest)
                doc["upper"]["branches"][b]["nodes"] = nodes[:i] + [{"t": dict(t)}] + nodes[end:]
                if _sampled_excess(doc) > 1e-9:
                    _fails_at(doc, "upper.bound")
                    caught += 1
                else:
                    assert check_document(doc).ok or _sampled_excess(doc) > -1e-6
    assert caught >= 3


def test_a_leaf_with_a_false_dual_is_refused(enumerated):
    """Every leaf's multipliers set to 0 or 1 in turn: refused exactly when sampling sees the bound exceeded."""
    _, honest = enumerated
    g = [Fraction(v) for v in honest["data"]["G"][0]]
    caught = 0
    for b, tree in enumerate(honest["upper"]["branches"]):
        e = (1, -1)[b]
        M = [j for j in range(len(g)) if e * g[j] < 0]
        for i, node in enumerate(tree["nodes"]):
            if "t" not in node:
                continue
            for value in ("0", "1"):
                doc = copy.deepcopy(honest)
                doc["upper"]["branches"][b]["nodes"][i]["t"] = {str(j): value for j in M}
                if _sampled_excess(doc) > 1e-9:
                    _fails_at(doc, "upper.bound")
                    caught += 1
    assert caught >= 2


def test_lower_end_lie_is_refused(searched):
    doc = copy.deepcopy(searched)
    lo = Fraction(doc["lower"]["value"]) if "/" in doc["lower"]["value"] else Fraction(doc["lower"]["value"])
    doc["lower"]["value"] = str(lo + Fraction(1, 10**9))
    _fails_at(doc, "lower.speed")


def test_other_data_is_refused(searched):
    doc = copy.deepcopy(searched)
    X, G = _floats(doc)
    G = G.copy()
    G[0] *= 1.5
    doc["data"] = exact_data(X, G[None, :])
    assert not check_document(doc).ok


# --- malformed documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["upper"]["branches"].reverse(), "sign 1, then sign -1"),
    (lambda d: d["upper"]["branches"].pop(), "two trees"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {"split": 0, "t": {}}), "either"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {}), "either"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {"split": True}), "point index"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {"split": 10**6}), "point index"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {"t": {"01": "1"}}), "keys"),
    (lambda d: d["upper"]["branches"][0]["nodes"].insert(0, {"t": {"0": 0.5}}), "strings"),
    (lambda d: d.update(schema_version=2), "only there"),
    (lambda d: d.update(depth=4), "3 in schema_version 3"),
    (lambda d: d["upper"].update(multipliers=[]), "not together"),
])
def test_malformed_branch_documents_are_format_errors(searched, mutate, needle):
    doc = copy.deepcopy(searched)
    mutate(doc)
    with pytest.raises(CertificateFormatError) as err:
        check_document(doc)
    assert needle in str(err.value), str(err.value)


def test_too_many_nodes_are_refused_before_parsing(searched, monkeypatch):
    doc = copy.deepcopy(searched)
    doc["upper"]["branches"][0]["nodes"] = [{"split": "not even parsed"}] * (K.MAX_BRANCH_NODES + 1)
    with pytest.raises(CertificateFormatError, match="more than"):
        check_document(doc)
    monkeypatch.setattr(K, "MAX_CHECK_COST", 10)
    with pytest.raises(CertificateFormatError, match="would cost"):
        check_document(copy.deepcopy(searched))


# --- the command ------------------------------------------------------------------------------------------


def _npz(tmp_path, X, G):
    path = tmp_path / "d.npz"
    np.savez(path, X=X, G=G)
    return str(path)


def test_command_branches_and_a_node_limit_gives_a_wider_certified_interval(tmp_path, capsys):
    path = _npz(tmp_path, *_data(20, 5))
    full, cut = tmp_path / "full.json", tmp_path / "cut.json"
    assert main(["optimum", path, "--depth", "3", "--method", "branch", "--json", str(full),
                 "--certificate", str(tmp_path / "c.json")]) == 0
    assert main(["check", str(tmp_path / "c.json")]) == 0
    assert main(["optimum", path, "--depth", "3", "--node-limit", "2", "--json", str(cut)]) == 0
    out = capsys.readouterr().out
    assert "stopped at the node limit" in out and "certified, but wider" in out
    a, b = json.loads(full.read_text()), json.loads(cut.read_text())
    assert b["search"]["stopped"] == "node limit" and a["search"]["stopped"] is None
    # the cut interval is certified and contains the full one's certified optimum
    assert Fraction(b["lower"]) <= Fraction(a["upper"]) and Fraction(a["lower"]) <= Fraction(b["upper"])
    assert Fraction(b["upper"]) >= Fraction(a["upper"]) - Fraction(1, 10**6)
    assert main(["optimum", path, "--depth", "3", "--time-limit", "0.001", "--json", str(cut)]) == 0
    assert json.loads(cut.read_text())["search"]["stopped"] == "time limit"


@pytest.mark.parametrize("args, message", [
    (["--gap", "0"], "--gap"), (["--gap", "nan"], "--gap"), (["--gap", "1"], "--gap"),
    (["--time-limit", "-1"], "--time-limit"), (["--time-limit", "inf"], "--time-limit"),
    (["--node-limit", "1"], "--node-limit"), (["--method", "magic"], "magic"),
    (["--method", "enumerate", "--gap", "1e-3"], "enumeration has none"),
])
def test_bad_search_options_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    path = _npz(tmp_path, *_data(20, 5))
    assert main(["optimum", path, "--depth", "3", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_search_options_need_depth_3(tmp_path, capsys):
    path = _npz(tmp_path, *_data(6, 3))
    assert main(["optimum", path, "--depth", "2", "--method", "branch"]) == 2
    assert "--depth 3" in capsys.readouterr().err


def test_enumeration_still_refuses_what_it_cannot_enumerate(tmp_path, capsys):
    path = _npz(tmp_path, *_data(30, 0))
    assert main(["optimum", path, "--depth", "3", "--method", "enumerate"]) == 2
    assert "sign patterns" in capsys.readouterr().err


def test_limited_search_starts_from_the_depth2_optimum_and_keeps_its_node_limit(tmp_path):
    """s*(3) >= s*(2) (p(u*) lies in K): a search cut at its first branching still reports that lower end,
    and never builds more nodes than the limit allows."""
    X, G = _data(20, 5)
    two = certify_optimum(X, G, 2).report
    for limit in (2, 3, 5):
        result = certify_optimum(X, G, 3, method="branch", node_limit=limit)
        assert result.report.ok
        assert result.report.lower >= two.lower * K.fmpq(10**9 - 1, 10**9)
        assert result.document["search"]["nodes"] <= max(limit, 2)


def test_cost_digits_count_the_common_denominators_of_the_multipliers():
    """Sums of g_k t_k x_k take the lcm of the denominators: thirteen 50-digit primes in t make about 650-digit
    sums though every single number has 50 digits, and the cost estimate must see them."""
    from flint import fmpz

    primes, p = [], fmpz(10) ** 49
    while len(primes) < 13:
        p = p + 1
        if p.is_prime():
            primes.append(p)
    t = [K.fmpq(1, int(q)) for q in primes]
    data = [K.fmpq(1, 2), K.fmpq(3, 4)]
    assert K.branch_digits(data, t) >= 13 * 49
    assert K.branch_digits(data, t[:1]) < 120
