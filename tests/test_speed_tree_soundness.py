"""Soundness of the nested (schema_version 2) optimal-speed certificates: planted lies in every part of the
depth-4 certificate of Example 1 are refused by the check that should catch them, and the honest files (the
old flat ones and the new trees) still check.

The depth-4 file claims s*(4) = 1/2 exactly.  Its lower end is an explicit network, so s*(4) >= 1/2 holds
and no valid upper end can lie below 1/2: a checker that accepted one would be unsound.  For the
multipliers, the property test compares the kernel with an oracle written here (floats, its own walk of the
tree, its own maximum over the circle), not with the kernel's helpers.
"""

import copy
import hashlib
import json
import math
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pytest
from flint import fmpq
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from certify.kernel import speed_certificate as K
from certify.kernel.speed_certificate import CertificateFormatError, check_document, parse_certificate

CERTS = Path(__file__).resolve().parents[1] / "data" / "certificates"
DEPTH4 = json.loads((CERTS / "example1-exact-depth4.json").read_text())
HALF = Fraction(1, 2)


# --- helpers -----------------------------------------------------------------------------------------


def _doc():
    return copy.deepcopy(DEPTH4)


def _tree(doc):
    return doc["upper"]["tree"]


def _fails_at(doc, name):
    """The document parses, is refused, and its first failing check is ``name``."""
    report = check_document(doc)
    assert not report.ok, f"a planted lie was accepted (expected {name} to fail)"
    assert report.first_failure is not None and report.first_failure[0] == name, report.first_failure
    return report


def _refused(doc, needle=""):
    with pytest.raises(CertificateFormatError) as err:
        check_document(doc)
    assert needle in str(err.value), str(err.value)


def _q2(a, b=Fraction(0)):
    """a + b sqrt(2) written as the files write it."""
    a, b = Fraction(a), Fraction(b)
    return [str(a), str(b)] if b else str(a)


def _read_q2(x):
    """(a, b) of a number written as 'p/q' or [a, b]."""
    if isinstance(x, list):
        return Fraction(x[0]), Fraction(x[1])
    return Fraction(x), Fraction(0)


def _less(a, b, c):
    """a + b sqrt 2 < c, decided exactly with squares (without the kernel's QSqrt2)."""
    d = Fraction(c) - a  # is b sqrt 2 < d ?
    if b <= 0:
        return d > 0 or 2 * b * b > d * d
    return d > 0 and 2 * b * b < d * d


def test_the_exact_comparison_of_this_file():
    assert _less(Fraction(-1153, 2), Fraction(408), HALF)          # 408 sqrt 2 < 577
    assert not _less(Fraction(-1153, 2), Fraction(409), HALF)
    assert _less(Fraction(0), Fraction(1, 4), HALF) and not _less(Fraction(0), Fraction(1, 2), HALF)
    assert not _less(HALF, Fraction(0), HALF) and _less(Fraction(3), Fraction(-2), HALF)
    assert not _less(Fraction(578), Fraction(-408), 1) and _less(Fraction(577), Fraction(-408), 1)
    assert not _less(Fraction(1155, 2), Fraction(-408), HALF) and _less(Fraction(1153, 2), Fraction(-408), 0)


SQRT2 = math.sqrt(2)


def _f(x):
    a, b = _read_q2(x)
    return float(a) + float(b) * SQRT2


def _points(doc):
    X = doc["data"]["X"]
    return [(_f(X[0][k]), _f(X[1][k])) for k in range(len(X[0]))]


def _support(points, v):
    """max over unit u of |v . relu(X^T u)|, in floats.  Between consecutive lines x_k . u = 0 the function
    is w . u for one w, whose largest absolute value on the arc is at an end or at +-w/|w|: every such
    candidate is evaluated directly (a candidate off its arc only gives a value the function does take)."""
    ends = sorted({(math.atan2(y, x) + s) % (2 * math.pi) for x, y in points if (x, y) != (0.0, 0.0)
                   for s in (math.pi / 2, -math.pi / 2)})
    cands = [(math.cos(a), math.sin(a)) for a in ends]
    for a, b in zip(ends, ends[1:] + [ends[0] + 2 * math.pi]):
        um = (math.cos((a + b) / 2), math.sin((a + b) / 2))
        w = [0.0, 0.0]
        for vk, (x, y) in zip(v, points):
            if x * um[0] + y * um[1] > 0:
                w[0] += vk * x
                w[1] += vk * y
        n = math.hypot(*w)
        if n > 0:
            cands += [(w[0] / n, w[1] / n), (-w[0] / n, -w[1] / n)]
    return max(abs(sum(vk * max(0.0, x * u[0] + y * u[1]) for vk, (x, y) in zip(v, points))) for u in cands)


def test_the_oracle_support_on_known_values():
    pts = _points(DEPTH4)
    g = [_f(x) for x in DEPTH4["data"]["G"][0]]
    assert _support(pts, g) == pytest.approx(SQRT2 - 1)          # s*(2) of Example 1 (its depth-2 file)
    assert _support(pts, [1.0] + [0.0] * 7) == pytest.approx(1.0)  # one point of norm 1


def _walk(doc):
    """The oracle's reading of the tree: (every node has one child per sign and subset of P_e, with t
    exactly on M_e and in [0, 1]; {path: leaf vector}), in floats.  Every entry is a product of nonzero
    numbers or exactly 0, so the float signs are the exact ones."""
    leaves = {}
    ok = True

    def visit(v, kids, level, path):
        nonlocal ok
        pos = {j for j, x in enumerate(v) if x > 0}
        neg = {j for j, x in enumerate(v) if x < 0}
        want = {(e, frozenset(S)) for e, P in ((1, pos), (-1, neg)) for r in range(len(P) + 1)
                for S in combinations(sorted(P), r)}
        got = [(kid["sign"], frozenset(kid["subset"])) for kid in kids]
        ok &= len(got) == len(set(got)) and set(got) == want
        for i, kid in enumerate(kids):
            e = kid["sign"]
            P, M = (pos, neg) if e == 1 else (neg, pos)
            S = set(kid["subset"])
            t = {int(k): _f(x) for k, x in kid["t"].items()}
            ok &= S <= P and set(t) == M and all(0 <= x <= 1 for x in t.values())
            c = [0.0] * len(v)
            for j in S & P:
                c[j] = e * v[j]
            for j in M:
                c[j] = e * v[j] * t.get(j, 0.0)
            if level == 1:
                leaves[path + (i,)] = c
            else:
                visit(c, kid.get("children") or [], level - 1, path + (i,))

    visit([_f(x) for x in doc["data"]["G"][0]], _tree(doc), doc["depth"] - 2, ())
    return ok, leaves


BASE_OK, BASE_LEAVES = _walk(DEPTH4)


def test_the_oracle_agrees_with_the_shipped_tree():
    pts = _points(DEPTH4)
    assert BASE_OK and len(BASE_LEAVES) == 484
    worst = max(_support(pts, c) for c in BASE_LEAVES.values())
    assert worst == pytest.approx(0.5, abs=1e-12)  # tight: some leaf reaches 1/2 = s*(4)


# --- the honest files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["example1-depth2.json", "example1-exact-depth2.json", "example1-depth3.json",
                                  "example1-exact-depth3.json"])
def test_old_flat_certificates_still_check(name):
    doc = json.loads((CERTS / name).read_text())
    assert doc["schema_version"] == 1 and "tree" not in doc["upper"]
    report = check_document(doc)
    assert report.ok, report.first_failure
    assert report.lower <= report.upper


@pytest.mark.parametrize("depth", [4, 5])
def test_the_tree_certificates_give_one_half_exactly(depth):
    doc = json.loads((CERTS / f"example1-exact-depth{depth}.json").read_text())
    assert doc["schema_version"] == 2 and doc["depth"] == depth
    report = check_document(doc)
    assert report.ok, report.first_failure
    assert report.lower == report.upper == fmpq(1, 2)
    assert "upper.tree" in {name for name, _, _ in report.checks}


# --- the upper end -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    f"{10**30 // 2 - 1}/{10**30}",      # 1/2 - 10^-30
    "0.4999999999999999999999999",
    _q2(0, Fraction(1, 4)),            # sqrt(2)/4 = 0.354
    _q2(Fraction(-1153, 2), 408),      # 408 sqrt 2 - 576.5 = 0.49913 (408 sqrt 2 < 577)
    _q2(-1, 1),                        # sqrt 2 - 1 = s*(2), a true bound at depth 2 only
])
def test_an_upper_end_below_one_half_is_refused(value):
    doc = _doc()
    doc["upper"]["value"] = value
    _fails_at(doc, "upper.bound")


def test_lower_above_upper_fails_the_interval(monkeypatch):
    """Unreachable with the real arc check (a lower end above a valid upper end would contradict the
    explicit network), so the arc check is replaced by one that always passes, to see that the last
    comparison is made at all."""

    def passes(vectors, pts, rays, active, U, record):
        record("upper.bound", True, "stubbed")

    monkeypatch.setattr(K, "check_support", passes)
    doc = _doc()
    doc["upper"]["value"] = "1/4"
    _fails_at(doc, "interval")


def test_a_negative_upper_end_is_refused():
    doc = _doc()
    doc["upper"]["value"] = "-1/2"
    _fails_at(doc, "upper.nonnegative")


@settings(max_examples=12, deadline=None)
@given(a=st.fractions(min_value=-2, max_value=2, max_denominator=1000),
       b=st.fractions(min_value=-1, max_value=1, max_denominator=1000))
@example(a=Fraction(-1153, 2), b=Fraction(408)).via("just below 1/2")
@example(a=Fraction(1155, 2), b=Fraction(-408)).via("just above 1/2")
@example(a=HALF, b=Fraction(0)).via("1/2 itself")
def test_the_upper_end_is_accepted_exactly_from_one_half_up(a, b):
    doc = _doc()
    doc["upper"]["value"] = _q2(a, b)
    report = check_document(doc)
    if _less(a, b, 0):
        assert report.first_failure[0] == "upper.nonnegative"
    elif _less(a, b, HALF):
        assert not report.ok and report.first_failure[0] == "upper.bound", report.first_failure
    else:
        assert report.ok, report.first_failure


# --- multipliers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("where, value, name", [
    # a level-2 node (a child of the root g, itself with children)
    ("inner", "2", "upper.tree"),
    ("inner", "-1/3", "upper.tree"),
    ("inner", _q2(578, -408), "upper.tree"),         # 1.00087: just above 1, in Q(sqrt 2)
    ("inner", "1", "upper.bound"),                   # inside [0, 1], but a leaf below it grows past 1/2
    # a level-1 node (a leaf)
    ("leaf", "2", "upper.tree"),
    ("leaf", "-1/2", "upper.tree"),
    ("leaf", "1/2", "upper.bound"),                  # inside [0, 1], the leaf's own support exceeds 1/2
    ("leaf", _q2(0, Fraction(1, 2)), "upper.bound"),
])
def test_a_changed_multiplier_is_refused(where, value, name):
    doc = _doc()
    node = _tree(doc)[1] if where == "inner" else _tree(doc)[1]["children"][1]
    assert node["t"]["0"] == (_q2(0, Fraction(1, 4)) if where == "inner" else "1")
    node["t"]["0"] = value
    _fails_at(doc, name)


@pytest.mark.parametrize("value, name", [("1/2", None), ("7/10", "upper.bound")])
def test_a_leaf_whose_maximum_lies_inside_a_cell(value, name):
    """The leaf (sqrt 2/4) e_0 - t e_1 under the node +g on {1}: for t = 7/10 its support is 0.5148 at a
    direction strictly inside a cell, while every ray gives at most 0.495, so only the inner case of the arc
    check refuses it; t = 1/2 keeps it within 1/2."""
    doc = _doc()
    leaf = _tree(doc)[1]["children"][3]
    assert leaf["sign"] == -1 and leaf["subset"] == [0] and leaf["t"] == {"1": "0"}
    leaf["t"]["1"] = value
    if name is None:
        report = check_document(doc)
        assert report.ok, report.first_failure
    else:
        _fails_at(doc, name)


def test_a_zero_multiplier_made_positive_at_an_inner_node_changes_what_children_it_needs():
    doc = _doc()
    assert _tree(doc)[0]["t"]["0"] == "0"
    _tree(doc)[0]["t"]["0"] = "1/3"  # its vector gains a negative entry: 2^0 + 2^1 children are needed
    _fails_at(doc, "upper.tree")


@pytest.mark.parametrize("edit", ["drop M key", "extra P key", "extra zero key", "drop leaf key"])
def test_multipliers_must_sit_exactly_on_m_e(edit):
    doc = _doc()
    inner, leaf = _tree(doc)[1], _tree(doc)[1]["children"][0]  # inner: +g on {1}; leaf: sign +1, S = []
    if edit == "drop M key":
        del inner["t"]["4"]      # g_4 = -1 < 0: index 4 is in M_+(g), even though its t is 0
    elif edit == "extra P key":
        inner["t"]["1"] = "0"    # index 1 is in S (P_+)
    elif edit == "extra zero key":
        leaf["t"]["5"] = "0"     # the inner node's entry 5 is 0: neither P nor M
    else:
        del leaf["t"]["2"]
    _fails_at(doc, "upper.tree")


def _multiplier_sites(kids, path=()):
    for i, kid in enumerate(kids):
        for key in kid["t"]:
            yield path + (i,), key
        yield from _multiplier_sites(kid.get("children") or [], path + (i,))


SITES = list(_multiplier_sites(_tree(DEPTH4)))


def _node(doc, path):
    kids, node = _tree(doc), None
    for i in path:
        node = kids[i]
        kids = node.get("children") or []
    return node


@settings(max_examples=25, deadline=None)
@given(site=st.sampled_from(SITES),
       r=st.fractions(min_value=Fraction(1, 64), max_value=Fraction(3, 2), max_denominator=64))
@example(site=((1,), "0"), r=Fraction(1) - Fraction(1, 64)).via("inner node, a bigger leaf below")
@example(site=((1, 1), "0"), r=Fraction(1, 2)).via("a t = 1 pushed past 1")
@example(site=((0,), "0"), r=Fraction(1, 3)).via("a zero made positive at an inner node")
def test_raising_one_multiplier_agrees_with_the_oracle(site, r):
    """Raise one multiplier by r > 0.  Past 1: refused (upper.tree).  Otherwise the oracle decides: a broken
    shape fails upper.tree; a changed leaf with float support clearly above 1/2 fails upper.bound; when every
    changed leaf is clearly below 1/2 (the others are the shipped ones, exactly <= 1/2) the file is ok."""
    path, key = site
    doc = _doc()
    node = _node(doc, path)
    a, b = _read_q2(node["t"][key])
    node["t"][key] = _q2(a + r, b)
    report = check_document(doc)
    if not _less(a + r, b, 1) and (a + r, b) != (1, 0):  # the new multiplier is > 1
        event("past 1")
        assert report.first_failure[0] == "upper.tree", report.first_failure
        return
    shape_ok, leaves = _walk(doc)
    if not shape_ok:
        event("shape broken")
        assert report.first_failure[0] == "upper.tree", report.first_failure
        return
    pts = _points(doc)
    changed = [_support(pts, c) for p, c in leaves.items() if c != BASE_LEAVES[p]]
    worst = max(changed, default=0.0)
    if worst > 0.5 + 1e-9:
        event("a leaf above 1/2")
        assert not report.ok and report.first_failure[0] == "upper.bound", report.first_failure
    elif worst < 0.5 - 1e-9:
        event("still a certificate")
        assert report.ok, report.first_failure
    else:  # within 1e-9 of 1/2 floats cannot decide; the exact checker may go either way
        event("undecided by floats")


# --- the shape of the tree -----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["root", "inner"])
def test_a_missing_branch_is_refused(where):
    doc = _doc()
    kids = _tree(doc) if where == "root" else _tree(doc)[5]["children"]
    del kids[3]
    _fails_at(doc, "upper.tree")


@pytest.mark.parametrize("where", ["root", "inner", "leaf level"])
def test_a_duplicated_child_is_a_format_error(where):
    doc = _doc()
    kids = {"root": _tree(doc), "inner": _tree(doc)[5]["children"], "leaf level": _tree(doc)[0]["children"]}[where]
    kids.append(copy.deepcopy(kids[0]))
    _refused(doc, "given twice")


def test_a_child_replaced_by_a_copy_of_its_sibling_is_a_format_error():
    doc = _doc()  # the count stays right; one (sign, subset) is missing and one is there twice
    _tree(doc)[2] = copy.deepcopy(_tree(doc)[1])
    _refused(doc, "given twice")


@pytest.mark.parametrize("where, subset", [
    ("root", [0]),       # g_0 = -1: index 0 is in M_+(g), not P_+(g)
    ("root", [1, 2]),
    ("inner", [0]),      # the node (+g on {1}, t on {0, 2}) has entry 0 < 0
    ("inner", [3]),      # ... and entry 3 = 0
])
def test_a_subset_outside_p_e_is_refused(where, subset):
    doc = _doc()
    kid = _tree(doc)[0] if where == "root" else _tree(doc)[1]["children"][0]
    assert kid["sign"] == 1 and kid["subset"] == []
    kid["subset"] = subset
    _fails_at(doc, "upper.tree")


@pytest.mark.parametrize("where", ["root", "leaf"])
def test_a_wrong_sign_label_is_refused(where):
    doc = _doc()
    kid = _tree(doc)[1] if where == "root" else _tree(doc)[1]["children"][1]
    assert kid["sign"] == 1 and kid["subset"] == [1]
    kid["sign"] = -1  # index 1 is positive in the parent: not in P_-
    _fails_at(doc, "upper.tree")


def test_a_sign_flip_that_repeats_a_sibling_is_a_format_error():
    doc = _doc()
    assert _tree(doc)[0]["subset"] == [] and _tree(doc)[16]["subset"] == []
    _tree(doc)[0]["sign"] = -1
    _refused(doc, "given twice")


def test_children_at_a_leaf_are_a_format_error():
    doc = _doc()
    leaf = _tree(doc)[1]["children"][1]
    leaf["children"] = [{"sign": 1, "subset": [], "t": {}}]
    _refused(doc, "leaf")


@pytest.mark.parametrize("children", ["absent", [], None])
def test_a_level_two_node_without_children_is_a_format_error(children):
    doc = _doc()
    if children == "absent":
        del _tree(doc)[1]["children"]
    else:
        _tree(doc)[1]["children"] = children
    _refused(doc, "needs its children")


# --- data, rays and cells --------------------------------------------------------------------------------


def _digest(X, G):
    return hashlib.sha256(json.dumps({"X": X, "G": G}, separators=(",", ":")).encode()).hexdigest()


def test_this_files_digest_matches_the_shipped_one():
    assert _digest(DEPTH4["data"]["X"], DEPTH4["data"]["G"]) == DEPTH4["data"]["sha256"]


@pytest.mark.parametrize("edit", ["G", "X", "sha"])
def test_changed_data_fail_the_digest(edit):
    doc = _doc()
    if edit == "G":
        doc["data"]["G"][0][0] = "-2"
    elif edit == "X":
        doc["data"]["X"][1][1] = "1/1000"
    else:
        doc["data"]["sha256"] = "0" * 64
    _fails_at(doc, "data.sha256")


def test_doubled_data_with_a_matching_digest_fail_the_upper_end():
    doc = _doc()  # G -> 2G: the lower end still holds (speed 1), every leaf doubles past 1/2
    doc["data"]["G"] = [[str(2 * Fraction(v)) for v in doc["data"]["G"][0]]]
    doc["data"]["sha256"] = _digest(doc["data"]["X"], doc["data"]["G"])
    _fails_at(doc, "upper.bound")


@pytest.mark.parametrize("edit", ["reverse", "swap", "repeat"])
def test_rays_out_of_order_are_refused(edit):
    doc = _doc()
    rays = doc["upper"]["rays"]
    if edit == "reverse":
        rays.reverse()
    elif edit == "swap":
        rays[2], rays[3] = rays[3], rays[2]
    else:
        rays[3] = copy.deepcopy(rays[2])
    _fails_at(doc, "upper.rays")


@pytest.mark.parametrize("edit", ["drop a point", "add a point", "drop a ray", "tilt a ray", "shift"])
def test_wrong_cells_are_refused(edit):
    doc = _doc()
    up = doc["upper"]
    if edit == "drop a point":
        up["active"][0].remove(7)
    elif edit == "add a point":
        up["active"][0].append(4)
    elif edit == "drop a ray":   # turns of pi/2 are fine, but the merged cell has no one active set
        del up["rays"][1], up["active"][1]
    elif edit == "tilt a ray":   # (1, 0) -> (1, 1/10): point 3 = (0, -1) is no longer active at its end
        up["rays"][0] = ["1", "1/10"]
    else:                        # each cell given its neighbour's active set
        up["active"] = up["active"][1:] + up["active"][:1]
    _fails_at(doc, "upper.cells")


# --- the lower end ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("edit, name", [
    ("flip the output", "lower.speed"),
    ("lower value up", "lower.speed"),
    ("lower value up in Q(sqrt 2)", "lower.speed"),
    ("norm just past 4", "lower.norm"),
    ("norm doubled", "lower.norm"),
    ("three inputs", "lower.shapes"),
    ("two outputs", "lower.shapes"),
    ("broken chain", "lower.shapes"),
])
def test_a_wrong_lower_end_is_refused(edit, name):
    doc = _doc()
    low = doc["lower"]
    W = low["weights"]
    if edit == "flip the output":
        W[3] = [["1"]]
    elif edit == "lower value up":
        low["value"] = f"{10**30 // 2 + 1}/{10**30}"
    elif edit == "lower value up in Q(sqrt 2)":
        low["value"] = _q2(Fraction(1155, 2), -408)  # 577.5 - 408 sqrt 2 = 1/2 + 0.00087
    elif edit == "norm just past 4":                # ||theta||^2 = 4 exactly in the file
        W[2] = [["1001/1000"]]
    elif edit == "norm doubled":
        W[0] = [[str(2 * Fraction(v)) for v in row] for row in W[0]]
    elif edit == "three inputs":
        W[0] = [row + ["0"] for row in W[0]]
    elif edit == "two outputs":
        W[3] = [["-1"], ["0"]]
    else:
        W[2] = [["1", "0"]]  # 1 x 2 after a layer of one unit
    _fails_at(doc, name)


def test_a_lower_network_of_the_wrong_depth_is_a_format_error():
    doc = _doc()
    del doc["lower"]["weights"][2]  # the depth-3 network in a depth-4 certificate
    _refused(doc, "expected 4 matrices")


# --- depth, version and size -----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [3, 5, 6])
def test_a_changed_depth_with_the_same_tree_is_never_ok(depth):
    doc = _doc()
    doc["depth"] = depth
    doc["lower"]["weights"] = doc["lower"]["weights"][:2] + [[["1"]]] * (depth - 3) + [[["-1"]]]
    try:
        report = check_document(doc)
    except CertificateFormatError:
        return
    assert not report.ok, "a depth-4 tree was accepted as a certificate of another depth"


def test_a_depth_five_tree_read_as_depth_four_is_refused():
    doc = json.loads((CERTS / "example1-exact-depth5.json").read_text())
    doc["depth"] = 4
    del doc["lower"]["weights"][2]
    _refused(doc, "leaf")


def test_version_one_with_a_tree_is_a_format_error():
    doc = _doc()
    doc["schema_version"] = 1
    doc["depth"] = 3  # depth 4 is refused in version 1 anyway; with depth 3 the tree itself is refused
    del doc["lower"]["weights"][2]
    _refused(doc, "upper.tree")


def test_version_one_at_depth_four_is_a_format_error():
    doc = _doc()
    doc["schema_version"] = 1
    _refused(doc, "schema_version 1")


def test_a_tree_next_to_flat_multipliers_is_a_format_error():
    doc = _doc()
    doc["upper"]["multipliers"] = []
    _refused(doc, "upper.tree")


@pytest.mark.parametrize("replacement", ["absent", "null"])
def test_depth_four_without_a_tree_is_a_format_error(replacement):
    doc = _doc()
    if replacement == "absent":
        del doc["upper"]["tree"]
    else:
        doc["upper"]["tree"] = None
    _refused(doc, "needs the tree")


@pytest.mark.parametrize("depth", [9, 0, 1, -4])
def test_depths_outside_two_to_eight_are_format_errors(depth):
    doc = _doc()
    doc["depth"] = depth
    doc["lower"]["weights"] = doc["lower"]["weights"][:2] + [[["1"]]] * max(depth - 3, 0) + [[["-1"]]]
    _refused(doc, "certificate.depth")


def test_an_empty_tree_at_depth_four_is_refused():
    doc = _doc()
    doc["upper"]["tree"] = []
    _fails_at(doc, "upper.tree")


def _count(kids):
    return sum(1 + _count(k.get("children") or []) for k in kids)


def test_the_node_limit_is_applied_before_any_number_of_the_tree_is_read(monkeypatch):
    nodes = _count(_tree(DEPTH4))
    assert nodes == 516
    doc = _doc()
    _tree(doc)[-1]["children"][-1]["t"]["1"] = "not a number"  # the last node of the walk's input
    with pytest.raises(CertificateFormatError, match="not an exact number"):
        parse_certificate(doc)  # with the real limit, the bad number is what is refused
    monkeypatch.setattr(K, "MAX_TREE_NODES", nodes - 1)
    with pytest.raises(CertificateFormatError, match=f"more than {nodes - 1} nodes"):
        parse_certificate(doc)  # with a lower limit, the size is refused first
    monkeypatch.setattr(K, "MAX_TREE_NODES", nodes)
    assert parse_certificate(_doc()).tree is not None  # exactly at the limit: accepted
