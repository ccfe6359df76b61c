"""`certify check` and `certify optimum` on files that ask for more than the checker's limits: every one
ends in exit 2 with one line, or in a verdict true for the file as stored."""

import copy
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest

from certify.cli import main
from certify.kernel import speed_certificate as K
from certify.optimum import certificates, search
from certify.optimum.arrangement import arrangement, to_rational
from certify.optimum.search import exact_data
from tests.conftest import one_line_error as _one_line_error

DATA = Path(__file__).resolve().parents[1] / "data"
CERT3 = json.loads((DATA / "certificates" / "example1-depth3.json").read_text())




def _write(tmp_path, doc, name="c.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(path)


def test_the_search_and_the_checker_share_one_pattern_limit():
    assert search.MAX_PATTERNS is K.MAX_PATTERNS == 4096
    assert K.MAX_DIGITS < 4300  # below Python's int() limit on decimal strings


@pytest.mark.parametrize("text, needle", [
    ('"depth": ' + "1" * 5000, "integer of 5000 digits"),          # a JSON literal
    ('"depth": ' + "1" + "0" * 400, "integer of 401 digits"),       # 10**400
])
def test_huge_json_integers_are_refused(tmp_path, capsys, text, needle):
    doc = json.dumps(CERT3).replace('"depth": 3', text)
    assert main(["check", _write(tmp_path, doc)]) == 2
    _one_line_error(capsys, needle)


def test_deep_nesting_is_refused(tmp_path, capsys):
    assert main(["check", _write(tmp_path, "[" * 10**5 + "]" * 10**5)]) == 2
    _one_line_error(capsys, "nested")


@pytest.mark.parametrize("value", [
    "1" * 5000,                      # a 5000-digit integer inside a number string
    "1/" + "3" * 2001,               # a denominator past MAX_DIGITS
    "1e9999",                        # 10^9999 would be built
    "1e-2001",
    "0." + "0" * 2000 + "1",
    "1" * 1000 + "." + "1" * 1001,
])
def test_numbers_beyond_the_digit_limit_are_refused(tmp_path, capsys, value):
    doc = copy.deepcopy(CERT3)
    doc["lower"]["value"] = value
    start = time.perf_counter()
    assert main(["check", _write(tmp_path, doc)]) == 2
    assert time.perf_counter() - start < 5
    _one_line_error(capsys, "lower.value")


def test_numbers_within_the_limits_parse_exactly():
    from flint import fmpq

    assert K.parse_number("1e1999", "x") == fmpq(10**1999)  # 2000 digits written out
    with pytest.raises(K.CertificateFormatError):
        K.parse_number("1e2000", "x")  # 2001 digits
    assert K.parse_number("-1.5e-3", "x") == fmpq(-3, 2000)
    assert K.parse_number("-7/" + "9" * 2000, "x") == fmpq(-7, 10**2000 - 1)
    for bad in ("1e", "1.e3", "\u0661", "1/0", " 1", "1\n"):
        with pytest.raises(K.CertificateFormatError):
            K.parse_number(bad, "x")


def test_oversize_certificate_file_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "big.json"
    path.write_text(" " * (certificates.MAX_CERTIFICATE_BYTES + 1))
    assert main(["check", str(path)]) == 2
    _one_line_error(capsys, "beyond the limit")


def test_coprime_denominators_in_the_data_are_refused(tmp_path, capsys):
    # sums over points of coprime denominators would grow without bound: the common denominator is capped
    doc = copy.deepcopy(CERT3)
    primes = [10**300 + k for k in (7, 37, 39, 61, 63, 91, 99, 117)]  # pairwise coprime enough
    doc["data"]["X"][0] = [f"1/{p}" for p in primes]
    assert main(["check", _write(tmp_path, doc)]) == 2
    _one_line_error(capsys, "common denominator")


def _certificate(npos, nneg, nzero=0, upper="1000000", seed=0):
    """A depth-3 certificate with t = 1/3 everywhere and a generous upper end (true for these data)."""
    rng = np.random.default_rng(seed)
    N = npos + nneg + nzero
    X = rng.standard_normal((2, N))
    G = np.array([[1.0] * npos + [-1.0] * nneg + [0.0] * nzero])
    Xq = [[to_rational(v) for v in r] for r in X]
    arr = arrangement([(Xq[0][k], Xq[1][k]) for k in range(N)])
    mults = []
    for e in (1, -1):
        P = [j for j in range(N) if e * G[0, j] > 0]
        M = [j for j in range(N) if e * G[0, j] < 0]
        for size in range(len(P) + 1):
            for S in itertools.combinations(P, size):
                mults.append({"sign": e, "subset": list(S), "t": {str(j): "1/3" for j in M}})
    return {"schema": K.SCHEMA, "schema_version": K.SCHEMA_VERSION, "depth": 3, "data": exact_data(X, G),
            "lower": {"value": "0", "weights": [[["0", "0"]], [["0"]], [["0"]]]},
            "upper": {"value": upper, "rays": [[K.number_text(r[0]), K.number_text(r[1])] for r in arr.rays],
                      "active": [sorted(a) for a in arr.active], "multipliers": mults}}


def test_more_sign_patterns_than_the_search_enumerates_are_refused(tmp_path, capsys):
    doc = _certificate(12, 1)  # 2^12 + 2^1 = 4098 > 4096
    assert main(["check", _write(tmp_path, doc)]) == 2
    _one_line_error(capsys, "sign patterns", "4096")


def test_patterns_times_cells_beyond_the_limit_are_refused_before_work(tmp_path, capsys):
    doc = _certificate(11, 11, nzero=50)  # 4096 patterns x 148 cells
    start = time.perf_counter()
    assert main(["check", _write(tmp_path, doc)]) == 2
    assert time.perf_counter() - start < 10
    _one_line_error(capsys, "support values", str(K.MAX_PATTERN_CELLS))


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["data"]["X"].__setitem__(0, ["1"] * (K.MAX_POINTS + 1)), "points"),
    (lambda d: d["upper"].__setitem__("rays", [["1", "0"]] * (K.MAX_RAYS + 1)), "rays"),
    (lambda d: d["lower"]["weights"].__setitem__(0, [["0", "0"]] * (K.MAX_WEIGHTS + 1)), "rows"),
    (lambda d: d["lower"]["weights"].__setitem__(0, [["0", "0"]] * 40000), "multiply-adds"),
    (lambda d: d["upper"].__setitem__("multipliers", [{}] * (K.MAX_PATTERNS + 1)), "multiplier vectors"),
    (lambda d: d["upper"]["multipliers"][0]["t"].__setitem__("9" * 5000, "0"), "keys are point indices"),
])
def test_declared_sizes_are_bounded_before_parsing(tmp_path, capsys, mutate, needle):
    doc = copy.deepcopy(CERT3)
    mutate(doc)
    assert main(["check", _write(tmp_path, doc)]) == 2
    _one_line_error(capsys, needle)


def test_the_checker_stops_at_the_first_failing_step():
    doc = _certificate(11, 11, upper="1/1000000")  # 4096 patterns: the first support value already fails
    start = time.perf_counter()
    report = K.check_document(doc)
    assert time.perf_counter() - start < 3
    assert not report.ok and report.first_failure[0] == "upper.bound"
    assert report.checks[-1][0] == "upper.bound"  # nothing after the failure was run
    lied = copy.deepcopy(CERT3)
    lied["lower"]["value"] = "1"
    report = K.check_document(lied)
    assert [n for n, _, _ in report.checks][-1] == "lower.speed" and not report.ok


def test_a_certificate_at_the_pattern_limit_checks(tmp_path, capsys):
    doc = _certificate(11, 11)  # 4096 patterns x 48 cells, all true
    assert main(["check", _write(tmp_path, doc)]) == 0
    assert "certified" in capsys.readouterr().out


def test_shipped_certificates_still_check(capsys):
    for name in ("example1-depth2", "example1-depth3", "example1-exact-depth2", "example1-exact-depth3"):
        assert main(["check", str(DATA / "certificates" / f"{name}.json")]) == 0, name
    capsys.readouterr()


def test_a_report_missing_a_required_check_is_not_ok():
    from certify.kernel.speed_certificate import REQUIRED_CHECKS, CheckReport

    full = [(name, True, "") for name in sorted(REQUIRED_CHECKS)]
    assert CheckReport(full, None, None, 2, [2, 1]).ok
    assert not CheckReport(full[:-1], None, None, 2, [2, 1]).ok  # a step skipped
    assert not CheckReport([], None, None, 2, [2, 1]).ok  # nothing checked proves nothing
    assert not CheckReport(full, None, None, 3, [2, 1, 1]).ok  # depth 3 needs its multipliers


def test_the_size_of_the_numbers_is_bounded_with_their_count(monkeypatch):
    import json as _json

    import pytest as _pytest

    from certify.core.paths import data_dir
    from certify.kernel import speed_certificate as sc

    doc = _json.loads((data_dir() / "certificates" / "example1-depth3.json").read_text())
    assert sc.check_document(doc).ok
    monkeypatch.setattr(sc, "MAX_CHECK_COST", 100)
    with _pytest.raises(sc.CertificateFormatError, match="would cost"):
        sc.check_document(doc)
    monkeypatch.undo()
    monkeypatch.setattr(sc, "MAX_CHECK_DIGITS", 10)
    with _pytest.raises(sc.CertificateFormatError, match="digits"):
        sc.check_document(doc)


def test_deep_lower_network_with_growing_numbers_is_refused_before_evaluation():
    """Review finding: at depth 8 the exact speed of the lower-end network multiplies long numbers layer after
    layer (about 2,000 more digits per layer); a 1 MB file kept the checker busy for minutes.  The cost of the
    lower end now counts that growth, and such a file is refused before anything is evaluated."""
    import random
    import time

    from certify.kernel.speed_certificate import (
        CertificateFormatError,
        data_digest,
        parse_certificate,
    )

    rng = random.Random(1)
    N, width, depth = 16, 30, 8
    den = 10**699 + 7
    X = [[f"{rng.randrange(-10**699, 10**699)}/{den}" for _ in range(N)] for _ in range(2)]
    G = [[f"{rng.randrange(-10**699, 10**699)}/{den}" for _ in range(N)]]
    primes = [p for p in range(1009, 20000) if all(p % q for q in range(2, int(p**0.5) + 1))][:440]
    widths = [2] + [width] * (depth - 1) + [1]
    Ws = [[[f"{rng.randrange(1, p)}/{p * 200}" for k in range(widths[l]) for p in [primes[(i * widths[l] + k + 37 * l) % 440]]]
           for i in range(widths[l + 1])] for l in range(depth)]

    def chain(level):
        node = {"sign": 1, "subset": [], "t": {}}
        if level >= 2:
            node["children"] = [chain(level - 1)]
        return node

    Xq = [[K.parse_number(x, "") for x in r] for r in X]
    Gq = [[K.parse_number(x, "") for x in r] for r in G]
    doc = {"schema": K.SCHEMA, "schema_version": 2, "depth": depth,
           "data": {"X": X, "G": G, "sha256": data_digest(Xq, Gq)},
           "lower": {"value": "0", "weights": Ws},
           "upper": {"value": "1", "rays": [["1", "0"], ["0", "1"], ["-1", "0"], ["0", "-1"]],
                     "active": [[], [], [], []], "tree": [chain(depth - 2)]}}
    start = time.perf_counter()
    with pytest.raises(CertificateFormatError, match="evaluating the network exactly would cost"):
        parse_certificate(doc)
    assert time.perf_counter() - start < 20
