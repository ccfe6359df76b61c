"""The registered claims on Example 1 at depth 4 and at every depth read the shipped certificates, and fail
(refuted, never certified) when a certificate is tampered with or is about other data or other depths."""

import json
import shutil

import pytest

from certify.gate.claim import Context
from certify.kernel.verdict import Status
from certify.core.paths import data_dir
from certify.proofs.section5_plateau import check_example1_depth4, check_example1_every_depth


@pytest.fixture()
def data_copy(tmp_path):
    shutil.copytree(data_dir() / "certificates", tmp_path / "certificates")
    return tmp_path


def _edit(root, name, change):
    path = root / "certificates" / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_shipped_certificates_certify():
    assert check_example1_depth4().status is Status.CERTIFIED
    v = check_example1_every_depth()
    assert v.status is Status.CERTIFIED and "every L >= 3" in v.message
    assert v.evidence["vectors"] == 93


def test_depth5_file_certifies_too():
    assert check_example1_depth4(depth=5).status is Status.CERTIFIED


def test_depth4_upper_end_not_closing_is_refuted(data_copy):
    # a true but wider upper end: the certificate checks, yet it does not say s*(4) = 1/2
    _edit(data_copy, "example1-exact-depth4.json", lambda d: d["upper"].__setitem__("value", "3/5"))
    v = check_example1_depth4(Context(seed=0, data_dir=data_copy))
    assert v.status is Status.REFUTED and "does not close" in v.message


def test_depth4_upper_end_below_half_fails_the_checker(data_copy):
    _edit(data_copy, "example1-exact-depth4.json", lambda d: d["upper"].__setitem__("value", "499999/1000000"))
    v = check_example1_depth4(Context(seed=0, data_dir=data_copy))
    assert v.status is Status.REFUTED and "upper.bound" in v.message


def test_invariant_with_a_later_lower_depth_is_not_the_claim(data_copy):
    def later(d):  # a lower end from depth 4 on only: one more layer [1], still a valid certificate
        d["lower"]["depth"] = 4
        d["lower"]["weights"].insert(2, [["1"]])

    _edit(data_copy, "example1-invariant.json", later)
    v = check_example1_every_depth(Context(seed=0, data_dir=data_copy))
    assert v.status is Status.REFUTED and "from L = 3" in v.message
    assert v.evidence["checks"]["interval"]["ok"]  # the certificate itself still checks


def test_invariant_about_other_data_is_refuted(data_copy):
    from certify.kernel.speed_certificate import data_digest, parse_number

    def other(d):  # G scaled by 2: a valid invariant would need U = 1; the checker must refuse U = 1/2
        d["data"]["G"] = [[str(2 * int(x)) for x in d["data"]["G"][0]]]
        X = [[parse_number(x, "") for x in r] for r in d["data"]["X"]]
        G = [[parse_number(x, "") for x in r] for r in d["data"]["G"]]
        d["data"]["sha256"] = data_digest(X, G)
        d["upper"]["nodes"][0]["vector"] = d["data"]["G"][0]

    _edit(data_copy, "example1-invariant.json", other)
    v = check_example1_every_depth(Context(seed=0, data_dir=data_copy))
    assert v.status is Status.REFUTED


def test_invariant_report_shows_the_lower_network_widths():
    """The widths `certify check` prints for the every-depth certificate: inputs 2, then eq. (2)'s layers."""
    import json as _json

    from certify.kernel.speed_invariant import check_invariant_document

    doc = _json.loads((data_dir() / "certificates" / "example1-invariant.json").read_text())
    report = check_invariant_document(doc)
    assert report.ok and report.widths == [2, 4, 1, 1] and report.depth == 3 and report.every_depth
