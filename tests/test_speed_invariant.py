"""The depth-free (invariant) optimal-speed certificate of Example 1: the shipped file checks, the search that
wrote it gives the same file again, and planted lies in every part of it are refused by the check that
should catch them.

The file claims s*(L) <= 1/2 for every L >= 2 and s*(L) >= 1/2 for every L >= 3.  Its lower end is an
explicit network, so no valid upper end can lie below 1/2.
"""

import copy
import hashlib
import itertools
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from flint import fmpq

from certify.kernel import speed_invariant as I
from certify.kernel.speed_certificate import CertificateFormatError
from certify.kernel.speed_invariant import check_invariant_document, parse_invariant

ROOT = Path(__file__).resolve().parents[1]
CERTS = ROOT / "data" / "certificates"
SHIPPED = json.loads((CERTS / "example1-invariant.json").read_text())


def _doc():
    return copy.deepcopy(SHIPPED)


def _nodes(doc):
    return doc["upper"]["nodes"]


def _kid(doc, i, c):
    return _nodes(doc)[i]["children"][c]


def _fails_at(doc, name, detail=""):
    report = check_invariant_document(doc)
    assert not report.ok, f"a planted lie was accepted (expected {name} to fail)"
    assert report.first_failure is not None and report.first_failure[0] == name, report.first_failure
    assert detail in report.first_failure[1], report.first_failure
    return report


def _refused(doc, needle=""):
    with pytest.raises(CertificateFormatError) as err:
        check_invariant_document(doc)
    assert needle in str(err.value), str(err.value)


def _q2(a, b=0):
    a, b = Fraction(a), Fraction(b)
    return [str(a), str(b)] if b else str(a)


# --- the shipped file and the search -------------------------------------------------------------------


def test_the_shipped_invariant_checks():
    report = check_invariant_document(_doc())
    assert report.ok, report.first_failure
    assert report.lower == report.upper == fmpq(1, 2) and report.depth == 3
    assert I.REQUIRED_CHECKS <= {name for name, _, _ in report.checks}
    assert len(_nodes(SHIPPED)) == 93


def _canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def found():
    from certify.optimum.invariant_search import example1_invariant

    return example1_invariant()


def test_the_search_rebuilds_the_shipped_file(found):
    from certify.optimum.invariant_search import example1_invariant_document

    assert json.loads(json.dumps(example1_invariant_document(found))) == SHIPPED


@pytest.mark.parametrize("depth", [4, 5])
def test_the_shipped_trees_are_the_invariant_unrolled(found, depth):
    from certify.optimum.invariant_search import example1_tree_document

    shipped = json.loads((CERTS / f"example1-exact-depth{depth}.json").read_text())
    assert json.loads(json.dumps(example1_tree_document(depth, found))) == shipped


def test_the_search_is_the_same_in_a_fresh_process_with_another_hash_seed():
    code = ("import hashlib, json; from certify.optimum.invariant_search import example1_invariant_document as d; "
            "print(hashlib.sha256(json.dumps(json.loads(json.dumps(d())), sort_keys=True, "
            "separators=(',', ':')).encode()).hexdigest())")
    env = dict(os.environ, PYTHONHASHSEED="2718")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120, check=True).stdout.strip()
    assert out == hashlib.sha256(_canonical(SHIPPED).encode()).hexdigest()


# --- the upper end ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    f"{10**30 // 2 - 1}/{10**30}",   # 1/2 - 10^-30
    _q2(0, Fraction(1, 4)),          # sqrt(2)/4
    _q2(Fraction(-1153, 2), 408),    # 408 sqrt 2 - 576.5 = 0.49913
    _q2(-1, 1),                      # sqrt 2 - 1 = s*(2): the root alone is within it, other vectors are not
])
def test_an_upper_end_below_one_half_is_refused(value):
    doc = _doc()
    doc["upper"]["value"] = value
    _fails_at(doc, "upper.bound")


def test_a_negative_upper_end_is_refused():
    doc = _doc()
    doc["upper"]["value"] = "-1"
    _fails_at(doc, "upper.nonnegative")


@pytest.mark.parametrize("entry, name", [("1", "upper.bound"), ("1/2", None)])
def test_every_listed_vector_gets_the_arc_check(entry, name):
    """Append a vector on point 1 alone (x_1 = (1, 0), so its support is |entry|), closed under the step:
    its children are 0, itself, and 0.  Nothing refers to it, yet it must be within the upper end."""
    doc = _doc()
    n = len(_nodes(doc))
    _nodes(doc).append({"vector": ["0", entry] + ["0"] * 6, "children": [
        {"sign": 1, "subset": [], "t": {}},
        {"sign": 1, "subset": [1], "t": {}, "cover": {"node": n, "sign": 1, "dominated": False}},
        {"sign": -1, "subset": [], "t": {"1": "0"}},
    ]})
    if name is None:
        report = check_invariant_document(doc)
        assert report.ok, report.first_failure
    else:
        _fails_at(doc, name, f"vector {n}")


def _two_point_vector(doc, scale, sign):
    """Append sign * scale * (e_1 + 2 e_7) with its children.  x_1 = (1, 0) and x_7 = (0, 1), so its support is
    sqrt(5) * scale, reached at u = (1, 2)/sqrt 5: inside the cell between the rays at 45 and 90 degrees,
    where the rays themselves give only 3/sqrt(2) * scale and 2 * scale.  Only the arc check's inner case
    (the direction of w lies in the cone) can see it."""
    n = len(_nodes(doc))
    a, b = Fraction(scale) * sign, 2 * Fraction(scale) * sign
    vector = ["0", str(a)] + ["0"] * 5 + [str(b)]
    # e = sign: P_e = {1, 7}, M_e is empty; the child e v on S is >= 0 and lies between 0 and e v = sign * w_n
    kids = [{"sign": sign, "subset": S, "t": {}, **({"cover": {"node": n, "sign": sign, "dominated": True}} if S else {})}
            for S in ([], [1], [7], [1, 7])]
    kids.append({"sign": -sign, "subset": [], "t": {"1": "0", "7": "0"}})  # the other sign: only t = 0, child 0
    _nodes(doc).append({"vector": vector, "children": kids})
    return n


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("scale, name", [("22/100", None), ("2236/10000", None), ("2237/10000", "upper.bound"),
                                         ("23/100", "upper.bound")])
def test_a_maximum_inside_a_cell_is_seen(scale, name, sign):
    """sqrt(5) * scale <= 1/2 iff scale <= 1/(2 sqrt 5) = 0.223607: the two sides of it, for both signs (the
    arc check must look at w and at -w)."""
    doc = _doc()
    n = _two_point_vector(doc, scale, sign)
    if name is None:
        report = check_invariant_document(doc)
        assert report.ok, report.first_failure
    else:
        _fails_at(doc, name, f"vector {n}")


@pytest.mark.parametrize("cover, ok", [
    ({"sign": -1, "dominated": True}, True),       # c = -v lies between 0 and -v
    ({"sign": -1, "dominated": False}, True),      # c = -v exactly
    ({"sign": 1, "dominated": True}, False),       # c <= 0 is not between 0 and v >= 0
    ({"node": 69, "sign": -1, "dominated": True}, False),  # -w_69 = -(sqrt 2/4) e_1 is 0 on point 7, c is not
])
def test_a_nonpositive_child_and_its_dominated_cover(cover, ok):
    """The appended v >= 0 has, for the sign -1, one child -t v (P_- is empty): with t = 1 it is -v <= 0."""
    doc = _doc()
    n = _two_point_vector(doc, "22/100", 1)
    kid = _nodes(doc)[n]["children"][-1]
    assert kid["sign"] == -1 and kid["subset"] == []
    kid["t"] = {"1": "1", "7": "1"}
    kid["cover"] = {"node": n, **cover}
    if ok:
        report = check_invariant_document(doc)
        assert report.ok, report.first_failure
    else:
        _fails_at(doc, "invariant.children", COVER)


def test_a_cover_by_a_vector_beyond_the_upper_end_is_refused():
    """Point a dominated cover at a larger one-signed vector appended for it: the cover is right, the
    vector is not within 1/2."""
    doc = _doc()
    n = len(_nodes(doc))
    subsets = [list(s) for r in range(9) for s in itertools.combinations(range(8), r)]
    kids = [{"sign": 1, "subset": s, "t": {}, **({"cover": {"node": n, "sign": 1, "dominated": True}} if s else {})}
            for s in subsets]  # 2^8 children of sign +1 (M_+ is empty), each between 0 and the vector itself
    kids.append({"sign": -1, "subset": [], "t": {str(j): "0" for j in range(8)}})  # P_- is empty: one child, 0
    _nodes(doc).append({"vector": ["1"] * 8, "children": kids})
    kid = _kid(doc, 9, 9)  # sign -1, S = [0, 2]: covered by node 39 in the file
    assert kid["cover"] == {"node": 39, "sign": 1, "dominated": True}
    kid["cover"] = {"node": n, "sign": 1, "dominated": True}
    _fails_at(doc, "upper.bound", f"vector {n}")


# --- the root and the children ------------------------------------------------------------------------------


@pytest.mark.parametrize("edit", ["entry", "negated", "swapped"])
def test_the_first_vector_must_be_g(edit):
    doc = _doc()
    nodes = _nodes(doc)
    if edit == "entry":
        nodes[0]["vector"][0] = "-2"
    elif edit == "negated":
        nodes[0]["vector"] = [str(-Fraction(x)) for x in nodes[0]["vector"]]
    else:
        nodes[0], nodes[1] = nodes[1], nodes[0]
    _fails_at(doc, "invariant.root")


@pytest.mark.parametrize("where", [0, 6, 39])
def test_a_removed_child_is_refused(where):
    doc = _doc()
    del _nodes(doc)[where]["children"][1]
    _fails_at(doc, "invariant.children", "one child per sign and subset")


COVER = "every child is 0, +-a listed vector"
SUBSET = "every subset lies in P_e"
ON_M = "the multipliers t sit exactly on M_e"
RANGE = "every multiplier t lies in [0, 1]"


@pytest.mark.parametrize("i, c, cover", [
    (0, 1, {"node": 2, "sign": 1, "dominated": False}),    # the wrong node
    (0, 1, {"node": 1, "sign": -1, "dominated": False}),   # the wrong sign
    (0, 1, {"node": 1, "sign": 1, "dominated": True}),     # dominated by node 1, which has both signs
    (0, 15, {"node": 0, "sign": 1, "dominated": True}),    # c = g exactly, but g has both signs
    (9, 9, {"node": 39, "sign": 1, "dominated": False}),   # c lies below node 39 but is not equal to it
    (9, 9, {"node": 39, "sign": -1, "dominated": True}),   # c >= 0 is not between 0 and -w_39 <= 0
    (9, 9, {"node": 29, "sign": 1, "dominated": True}),    # node 29 is one-signed but too small for c
])
def test_a_wrong_cover_is_refused(i, c, cover):
    doc = _doc()
    assert _kid(doc, i, c)["cover"] != cover
    _kid(doc, i, c)["cover"] = cover
    _fails_at(doc, "invariant.children", COVER)


def test_an_exact_cover_of_a_one_signed_vector_may_be_read_as_dominated():
    doc = _doc()  # c = w_29 >= 0 lies between 0 and w_29: the looser reading is still a proof
    kid = _kid(doc, 1, 3)
    assert kid["cover"]["dominated"] is False and kid["cover"]["node"] in range(29, 43)
    kid["cover"]["dominated"] = True
    report = check_invariant_document(doc)
    assert report.ok, report.first_failure


@pytest.mark.parametrize("i, c", [(0, 1), (5, 1), (9, 9)])
def test_a_nonzero_child_without_a_cover_is_refused(i, c):
    doc = _doc()
    del _kid(doc, i, c)["cover"]
    _fails_at(doc, "invariant.children", COVER)


def test_a_zero_child_may_have_no_cover_and_a_null_cover_means_zero():
    doc = _doc()
    kid = _kid(doc, 0, 0)
    assert "cover" not in kid and set(kid["t"].values()) == {"0"}
    kid["cover"] = None
    assert check_invariant_document(doc).ok


@pytest.mark.parametrize("value", ["-1/100", "2", "101/100", _q2(578, -408)])
def test_multipliers_outside_zero_one_are_refused(value):
    doc = _doc()
    kid = _kid(doc, 0, 0)  # sign +1, S = [], t = 0 on M_+(g) = {0, 2, 4, 6}: the zero child
    kid["t"]["0"] = value
    kid["cover"] = {"node": 29, "sign": 1, "dominated": True}
    _fails_at(doc, "invariant.children", RANGE)


def test_a_negative_multiplier_is_refused_even_when_its_child_is_covered():
    """With t_0 = -1/100 the child is (1/100) e_0 >= 0, which lies between 0 and w_29 = (sqrt 2/4) e_0: only
    the range check on t stands between this file and a false step (relu(z) >= t z fails for t < 0)."""
    from certify.kernel.speed_invariant import _covered

    inv = parse_invariant(_doc())
    assert _covered([fmpq(1, 100)] + [fmpq(0)] * 7, inv.vectors[29], 1, True)
    doc = _doc()
    kid = _kid(doc, 0, 0)
    kid["t"]["0"] = "-1/100"
    kid["cover"] = {"node": 29, "sign": 1, "dominated": True}
    _fails_at(doc, "invariant.children", RANGE)


@pytest.mark.parametrize("edit", ["subset in M", "subset on a zero entry", "t key dropped", "t key on P",
                                  "t key on a zero entry", "wrong sign"])
def test_the_shape_of_a_child_is_checked(edit):
    doc = _doc()
    kid = _kid(doc, 1, 1)  # node 1 = (-r, 1, -r, 0, ...) with r = sqrt 2/4; child sign +1, S = [1]
    assert kid["sign"] == 1 and kid["subset"] == [1] and set(kid["t"]) == {"0", "2"}
    expected = ON_M
    if edit == "subset in M":
        kid["subset"], expected = [0, 1], SUBSET
    elif edit == "subset on a zero entry":
        kid["subset"], expected = [1, 3], SUBSET
    elif edit == "t key dropped":
        del kid["t"]["2"]
    elif edit == "t key on P":
        kid["t"]["1"] = "0"
    elif edit == "t key on a zero entry":
        kid["t"]["5"] = "0"
    else:
        kid["sign"], expected = -1, SUBSET
    _fails_at(doc, "invariant.children", expected)


# --- the lower end, data and cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("edit, name", [
    ("two units in the last hidden layer", "lower.extends"),
    ("depth two, four hidden units", "lower.extends"),
    ("lower value up", "lower.speed"),
    ("flip the output", "lower.speed"),
    ("norm past 3", "lower.norm"),
    ("broken chain", "lower.shapes"),
])
def test_a_wrong_lower_end_is_refused(edit, name):
    doc = _doc()
    low = doc["lower"]
    W = low["weights"]
    if edit == "two units in the last hidden layer":  # the same function, speed and norm; it does not extend
        W[1] = W[1] + [["0", "0", "0", "0"]]
        W[2] = [["-1", "0"]]
    elif edit == "depth two, four hidden units":      # a depth-2 network: relu(X^T u) . g is at most s*(2)
        low["depth"] = 2
        low["value"] = "0"
        low["weights"] = [W[0], [["-1/2", "1/2", "-1/2", "1/2"]]]
    elif edit == "lower value up":
        low["value"] = _q2(Fraction(1155, 2), -408)   # 1/2 + 0.00087
    elif edit == "flip the output":
        W[2] = [["1"]]
    elif edit == "norm past 3":
        W[2] = [["-1001/1000"]]
    else:
        W[2] = [["-1", "0"]]
    _fails_at(doc, name)


def test_lower_above_upper_fails_the_interval(monkeypatch):
    """Unreachable with the real arc check (upper.bound forces U >= s*(2) and the other vectors' supports;
    lower <= s*(L0) <= U whenever every earlier check holds), so the arc check is replaced by one that
    always passes, to see that the last comparison is made at all."""

    def passes(vectors, pts, rays, active, U, record):
        record("upper.bound", True, "stubbed")

    monkeypatch.setattr(I, "check_support", passes)
    doc = _doc()
    doc["upper"]["value"] = "1/4"
    _fails_at(doc, "interval")


@pytest.mark.parametrize("edit, name", [
    ("G", "data.sha256"),
    ("X", "data.sha256"),
    ("rays reversed", "upper.rays"),
    ("active set", "upper.cells"),
    ("ray tilted", "upper.cells"),
])
def test_data_and_cells(edit, name):
    doc = _doc()
    if edit == "G":
        doc["data"]["G"][0][1] = "2"
    elif edit == "X":
        doc["data"]["X"][0][1] = "2"
    elif edit == "rays reversed":
        doc["upper"]["rays"].reverse()
    elif edit == "active set":
        doc["upper"]["active"][3].remove(4)
    else:
        doc["upper"]["rays"][0] = ["1", "1/10"]
    _fails_at(doc, name)


def test_changed_g_with_a_matching_digest_fails_the_root():
    doc = _doc()
    doc["data"]["G"] = [[str(2 * Fraction(v)) for v in doc["data"]["G"][0]]]
    doc["data"]["sha256"] = hashlib.sha256(json.dumps({"X": doc["data"]["X"], "G": doc["data"]["G"]},
                                                      separators=(",", ":")).encode()).hexdigest()
    _fails_at(doc, "invariant.root")


# --- format errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("edit, needle", [
    ("tree schema", "schema"),
    ("version 2", "schema_version"),
    ("no nodes", "at least the root"),
    ("lower depth 9", "lower.depth"),
    ("cover node n", "cover"),
    ("cover node -1", "cover"),
    ("cover sign 0", "cover"),
    ("cover dominated 1", "dominated"),
    ("cover node true", "node"),
    ("duplicate child", "given twice"),
    ("copied sibling", "given twice"),
    ("short vector", "8 entries"),
    ("t key 01", "keys are point indices"),
    ("subset repeats", "given twice"),
])
def test_malformed_documents_are_format_errors(edit, needle):
    doc = _doc()
    nodes = _nodes(doc)
    n = len(nodes)
    kid = _kid(doc, 0, 1)
    if edit == "tree schema":
        doc["schema"] = "certify/optimal-speed-certificate"
    elif edit == "version 2":
        doc["schema_version"] = 2
    elif edit == "no nodes":
        doc["upper"]["nodes"] = []
    elif edit == "lower depth 9":
        doc["lower"]["depth"] = 9
    elif edit == "cover node n":
        kid["cover"]["node"] = n
    elif edit == "cover node -1":
        kid["cover"]["node"] = -1
    elif edit == "cover sign 0":
        kid["cover"]["sign"] = 0
    elif edit == "cover dominated 1":
        kid["cover"]["dominated"] = 1
    elif edit == "cover node true":
        kid["cover"]["node"] = True
    elif edit == "duplicate child":
        nodes[5]["children"].append(copy.deepcopy(nodes[5]["children"][2]))
    elif edit == "copied sibling":
        nodes[5]["children"][3] = copy.deepcopy(nodes[5]["children"][2])
    elif edit == "short vector":
        nodes[7]["vector"].pop()
    elif edit == "t key 01":
        kid["t"]["01"] = kid["t"].pop("0")
    else:
        kid["subset"] = [1, 1]
    _refused(doc, needle)


def test_the_node_limit_is_applied_before_the_vectors_are_read(monkeypatch):
    doc = _doc()
    n = len(_nodes(doc))
    _nodes(doc)[-1]["vector"][0] = "not a number"
    with pytest.raises(CertificateFormatError, match="not an exact number"):
        parse_invariant(doc)
    monkeypatch.setattr(I, "MAX_NODES", n - 1)
    with pytest.raises(CertificateFormatError, match=f"more than this checker accepts \\({n - 1}\\)"):
        parse_invariant(doc)
    monkeypatch.setattr(I, "MAX_NODES", n)
    assert len(parse_invariant(_doc()).vectors) == n


def test_the_children_limit_is_applied_before_the_children_are_read(monkeypatch):
    doc = _doc()
    total = sum(len(node["children"]) for node in _nodes(doc))
    assert total == 1032
    _nodes(doc)[-1]["children"][-1]["t"]["1"] = "not a number"
    monkeypatch.setattr(I, "MAX_CHILDREN", total - 1)
    with pytest.raises(CertificateFormatError, match=f"more than {total - 1} children"):
        parse_invariant(doc)
    monkeypatch.setattr(I, "MAX_CHILDREN", total)
    with pytest.raises(CertificateFormatError, match="not an exact number"):
        parse_invariant(doc)
