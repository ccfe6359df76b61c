"""Baselines: record a run, compare later runs with it (certify/gate/baseline.py and --baseline/--write-baseline)."""

import json
import xml.etree.ElementTree as ET

import pytest

from certify.gate import baseline as bl
from certify.gate.claim import Claim
from certify.cli import ExitCode, main
from certify.kernel.verdict import Evidence, Status, Verdict
from tests.conftest import run_cli

# --- the ranks -----------------------------------------------------------------------------------

E = bl.Entry
S = Status


@pytest.mark.parametrize("old, new, verdict", [
    (E(S.PROVED), E(S.PROVED), "same"),
    (E(S.PROVED), E(S.REFUTED), "worse"),
    (E(S.PROVED), E(S.SKIPPED), "worse"),
    (E(S.PROVED), E(S.ERRATUM, S.PROVED), "worse"),
    (E(S.ERRATUM, S.PROVED), E(S.SKIPPED), "worse"),
    (E(S.SKIPPED), E(S.UNDECIDED), "worse"),
    (E(S.ERRATUM, S.PROVED), E(S.ERRATUM, S.REFUTED), "worse"),
    (E(S.ERRATUM, S.PROVED), E(S.ERRATUM, S.SKIPPED), "worse"),
    (E(S.ERRATUM, S.REFUTED), E(S.ERRATUM, S.CERTIFIED), "better"),
    (E(S.REFUTED), E(S.ERRATUM, S.REFUTED), "changed"),  # a failure either way
    (E(S.SKIPPED), E(S.ERRATUM, S.REFUTED), "worse"),  # a new failure is never an improvement
    (E(S.REFUTED), E(S.SKIPPED), "changed"),  # a check that stops running must not hide its failure
    (E(S.ERRATUM, S.REFUTED), E(S.SKIPPED), "changed"),
    (E(S.REFUTED), E(S.ERRATUM, S.PROVED), "better"),
    (E(S.SKIPPED), E(S.ERRATUM, S.PROVED), "better"),
    (E(S.SKIPPED), E(S.FUZZED), "better"),
    (E(S.PROVED), E(S.CERTIFIED), "changed"),
    (E(S.REFUTED), E(S.UNDECIDED), "changed"),
    (E(S.ERRATUM, S.PROVED), E(S.ERRATUM, S.CERTIFIED), "changed"),
])
def test_judge_follows_the_documented_ranks(old, new, verdict):
    assert bl.judge(old, new) == verdict


def test_an_erratum_ranks_by_its_corrected_statement():
    assert [bl.entry_rank(E(S.ERRATUM, c)) for c in (S.PROVED, S.SKIPPED, S.REFUTED, S.ERROR)] == [2, 1, 0, 0]
    assert bl.entry_rank(E(S.CERTIFIED)) == 3 and bl.entry_rank(E(S.UNDECIDED)) == 0


def test_ranks():
    assert [bl.rank(s) for s in (S.PROVED, S.CERTIFIED, S.FUZZED, S.REPRODUCED)] == [3, 3, 3, 3]
    assert bl.rank(S.ERRATUM) == 2 and bl.rank(S.SKIPPED) == 1
    assert [bl.rank(s) for s in (S.REFUTED, S.UNDECIDED, S.ERROR)] == [0, 0, 0]


# --- a registry of fake claims whose verdicts the tests choose --------------------------------------

OUTCOME: dict[str, tuple] = {}


def _verdict(cid):
    status, corrected = OUTCOME[cid]
    if status == "raise":
        raise RuntimeError("the check broke")
    fix = Verdict(Status(corrected), "corrected") if corrected else None
    return Verdict(Status(status), f"{cid} says {status}", None, {}, fix)


def check_a(ctx):
    return _verdict("fake.a")


def check_b(ctx):
    return _verdict("fake.b")


def check_c(ctx):
    return _verdict("fake.c")


def check_d(ctx):
    return _verdict("fake.d")


DEFAULT = {"fake.a": ("proved", None), "fake.b": ("erratum", "proved"), "fake.c": ("skipped", None),
           "fake.d": ("refuted", None)}


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """Replace the catalog by four fake claims (a: proved, b: erratum -> proved, c: skipped, d: a
    refuted experiment, which the default rule lets pass) and keep results in tmp_path."""
    import certify.gate.registry as claims

    catalog = tuple(Claim(cid, "eq1", cid, "s", "st", Evidence.EXPERIMENT if cid == "fake.d" else Evidence.SYMBOLIC,
                          check=f"{__name__}:check_{cid[-1]}") for cid in DEFAULT)
    monkeypatch.setattr(claims, "CATALOG", catalog)
    monkeypatch.setattr(claims, "REGISTRY", {c.id: c for c in catalog})
    monkeypatch.setenv("CERTIFY_RESULTS", str(tmp_path / "store"))
    monkeypatch.delenv("COLUMNS", raising=False)
    OUTCOME.clear()
    OUTCOME.update(DEFAULT)
    yield tmp_path
    OUTCOME.clear()


def _cli(capsys, *args):
    code = main(list(args) + ["--jobs", "1"])
    out, err = capsys.readouterr()
    return code, out, err


def _record(capsys, tmp_path, edit=None):
    path = tmp_path / "b.json"
    code, _, err = _cli(capsys, "all", "--write-baseline", str(path))
    assert code == ExitCode.OK, err  # a refuted experiment does not fail the default rule
    if edit:
        doc = json.loads(path.read_text())
        edit(doc["claims"])
        path.write_text(json.dumps(doc))
    return path


def test_written_baseline_is_sorted_stable_and_has_no_timings(fake, capsys):
    path = _record(capsys, fake)
    text = path.read_text()
    assert text == bl.dumps([], seed=0, quick=False).replace('"claims": {}', '"claims": {\n' + ",\n".join(
        f'    "{cid}": {json.dumps(E(S(st), S(c) if c else None).to_dict())}' for cid, (st, c) in sorted(DEFAULT.items()))
        + "\n  }")
    doc = json.loads(text)
    assert doc["schema_version"] == 1 and doc["seed"] == 0 and doc["quick"] is False
    assert doc["claims"]["fake.b"] == {"status": "erratum", "corrected": "proved"}
    assert "seconds" not in text
    for cid in DEFAULT:  # one claim per line
        assert sum(cid in line for line in text.splitlines()) == 1
    _record(capsys, fake)
    assert path.read_text() == text  # the same run writes the same bytes


def test_unchanged_run_passes_even_with_known_errata_and_refutations(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.update({"fake.d": {"status": "refuted"}}))
    OUTCOME["fake.d"] = ("refuted", None)
    code, out, err = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.OK, out + err
    assert "0 regressions" in out and "4 unchanged" in out


@pytest.mark.parametrize("cid, recorded, kind", [
    ("fake.c", {"status": "proved"}, "worse"),  # skipped, recorded as proved
    ("fake.b", {"status": "proved"}, "worse"),  # an erratum, recorded as proved
    ("fake.d", {"status": "reproduced"}, "worse"),  # refuted, recorded as reproduced
    ("fake.d", {"status": "undecided"}, "changed"),  # same rank, other status
    ("fake.a", {"status": "certified"}, "changed"),
    ("fake.b", {"status": "erratum", "corrected": "certified"}, "changed"),
])
def test_a_planted_regression_fails_and_is_named(fake, capsys, cid, recorded, kind):
    path = _record(capsys, fake, edit=lambda c: c.update({cid: recorded}))
    out_json = fake / "r.json"
    code, out, _ = _cli(capsys, "all", "--baseline", str(path), "--json", str(out_json))
    assert code == ExitCode.FINDINGS
    assert f"REGRESSION ({kind})" in out and cid in out
    section = out[out.index("baseline "):]
    assert section.index("REGRESSION") < section.index("seed 0")
    report = json.loads(out_json.read_text())
    assert report["exit_status"] == 1
    base = report["baseline"]
    assert base["counts"]["regressions"] == 1 and base["regressions"][0]["id"] == cid
    assert base["regressions"][0]["kind"] == kind and base["regressions"][0]["baseline"] == recorded


def test_a_worse_corrected_statement_is_a_regression(fake, capsys):
    path = _record(capsys, fake)
    OUTCOME["fake.b"] = ("erratum", "undecided")
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "fake.b: erratum -> proved, now erratum -> undecided" in out


def test_an_improvement_is_reported_and_passes(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.update({"fake.a": {"status": "refuted"},
                                                          "fake.b": {"status": "erratum", "corrected": "refuted"}}))
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.OK
    assert "2 improvements" in out and "fake.a: refuted, now proved" in out
    assert "fake.b: erratum -> refuted, now erratum -> proved" in out


def test_an_error_always_fails_even_when_recorded(fake, capsys):
    OUTCOME["fake.a"] = ("raise", None)
    code, _, _ = _cli(capsys, "all", "--write-baseline", str(fake / "b.json"))
    assert code == ExitCode.FINDINGS  # the default rule: an error fails
    path = fake / "b.json"
    assert json.loads(path.read_text())["claims"]["fake.a"] == {"status": "error"}
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "REGRESSION (error)" in out and "fake.a" in out


def test_new_and_removed_claims_are_named(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: (c.pop("fake.c"), c.update({
        "gone.held": {"status": "proved"}, "gone.erratum": {"status": "erratum", "corrected": "proved"},
        "gone.refuted": {"status": "refuted"}, "gone.skipped": {"status": "skipped"}})))
    out_json = fake / "r.json"
    code, out, _ = _cli(capsys, "all", "--baseline", str(path), "--json", str(out_json))
    assert code == ExitCode.FINDINGS  # claims recorded as holding vanished: deleting must not hide them
    base = json.loads(out_json.read_text())["baseline"]
    assert [c["id"] for c in base["new"]] == ["fake.c"]
    assert [c["id"] for c in base["removed"]] == ["gone.refuted", "gone.skipped"]
    assert sorted((c["id"], c["kind"]) for c in base["regressions"]) == [("gone.erratum", "removed"),
                                                                         ("gone.held", "removed")]
    assert base["removed"][0]["now"] is None and base["new"][0]["baseline"] is None
    for cid in ("fake.c", "gone.held", "gone.erratum", "gone.refuted", "gone.skipped"):
        assert cid in out
    assert set(base["counts"]) == {"regressions", "improvements", "new", "removed", "unchanged"}


def test_removed_only_counts_what_a_run_selects(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.update({"gone.held": {"status": "proved"},
                                                          "fake.zzz": {"status": "proved"}}))
    code, out, _ = _cli(capsys, "run", "fake.a", "--baseline", str(path))
    assert code == ExitCode.OK and "0 removed" in out and "gone.held" not in out  # a subset run
    code, out, _ = _cli(capsys, "run", "fake.*", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "fake.zzz" in out and "gone.held" not in out
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "fake.zzz" in out and "gone.held" in out


def test_a_new_claim_that_fails_the_default_rule_fails(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.pop("fake.a"))
    OUTCOME["fake.a"] = ("undecided", None)
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "REGRESSION (new)" in out and "fake.a" in out


def test_a_new_refuted_experiment_fails_although_the_default_rule_lets_it_pass(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.pop("fake.d"))  # fake.d: a refuted experiment
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "REGRESSION (new)" in out and "fake.d" in out


def test_a_skipped_claim_turning_into_a_failing_erratum_is_no_improvement(fake, capsys):
    path = _record(capsys, fake)  # fake.c skipped, fake.d refuted
    OUTCOME["fake.c"] = ("erratum", "refuted")
    OUTCOME["fake.d"] = ("skipped", None)
    code, out, _ = _cli(capsys, "all", "--baseline", str(path))
    assert code == ExitCode.FINDINGS and "0 improvements" in out
    assert "REGRESSION (worse)" in out and "REGRESSION (changed)" in out


def test_regressions_are_junit_failures(fake, capsys):
    path = _record(capsys, fake, edit=lambda c: c.update({"fake.c": {"status": "proved"},
                                                          "gone.held": {"status": "certified"}}))
    xml = fake / "r.xml"
    code, _, _ = _cli(capsys, "all", "--baseline", str(path), "--junit", str(xml))
    assert code == ExitCode.FINDINGS
    suite = ET.parse(xml).getroot().find("testsuite")
    failed = {tc.get("name"): tc.find("failure") for tc in suite.iter("testcase") if tc.find("failure") is not None}
    assert set(failed) == {"fake.c", "gone.held"}  # the known erratum and refuted experiment pass
    assert suite.get("failures") == "2" and suite.get("tests") == "5"
    assert "proved, now skipped" in failed["fake.c"].get("message")
    # CI dashboards know a test case by classname and name: these are part of the JUnit output's format
    classes = {tc.get("name"): tc.get("classname") for tc in suite.iter("testcase")}
    assert classes["gone.held"] == "certify.baseline" and classes["fake.c"].startswith("certify.")


def test_notes_when_the_seed_differs(fake, capsys):
    path = _record(capsys, fake)
    code, out, _ = _cli(capsys, "all", "--baseline", str(path), "--seed", "4")
    assert code == ExitCode.OK and "recorded with --seed 0" in out


# --- refused before any claim runs ---------------------------------------------------------------

GOOD = '{"schema_version": 1, "claims": {"fake.a": {"status": "proved"}}}'
BAD = {
    "not-json": ("{not json", "not valid JSON"),
    "empty": ("", "not valid JSON"),
    "nan": ('{"schema_version": 1, "seed": NaN, "claims": {}}', "non-finite"),
    "infinity": ('{"schema_version": 1, "claims": {"fake.a": {"status": "proved", "x": Infinity}}}', "non-finite"),
    "overflow": ('{"schema_version": 1, "seed": 1e400, "claims": {}}', "overflows"),
    "duplicate-id": ('{"schema_version": 1, "claims": {"fake.a": {"status": "proved"}, '
                     '"fake.a": {"status": "refuted"}}}', "'fake.a' appears twice"),
    "unknown-status": ('{"schema_version": 1, "claims": {"fake.a": {"status": "prooved"}}}', "unknown status"),
    "status-not-string": ('{"schema_version": 1, "claims": {"fake.a": {"status": 3}}}', "unknown status"),
    "unknown-corrected": ('{"schema_version": 1, "claims": {"fake.b": {"status": "erratum", "corrected": "fine"}}}',
                          "unknown status"),
    "erratum-without-corrected": ('{"schema_version": 1, "claims": {"fake.b": {"status": "erratum"}}}', "corrected"),
    "corrected-without-erratum": ('{"schema_version": 1, "claims": {"fake.a": {"status": "proved", '
                                  '"corrected": "proved"}}}', "only an erratum"),
    "no-status": ('{"schema_version": 1, "claims": {"fake.a": {}}}', "no status"),
    "entry-not-object": ('{"schema_version": 1, "claims": {"fake.a": "proved"}}', "expected an object"),
    "unknown-field": ('{"schema_version": 1, "claims": {}, "extra": 1}', "unknown field"),
    "wrong-version": ('{"schema_version": 2, "claims": {}}', "schema_version 2"),
    "version-true": ('{"schema_version": true, "claims": {}}', "schema_version True"),
    "no-version": ('{"claims": {}}', "no schema_version"),
    "claims-list": ('{"schema_version": 1, "claims": []}', "'claims' must be an object"),
    "not-object": ('[1, 2]', "a JSON object is expected"),
    "bad-seed": ('{"schema_version": 1, "seed": "0", "claims": {}}', "seed must be an integer"),
    "other-tool": ('{"schema_version": 1, "tool": "pytest", "claims": {}}', "not 'certify'"),
    "control-id": ('{"schema_version": 1, "claims": {"a\\u001b[31m": {"status": "proved"}}}', "not a claim id"),
    "lone-surrogate": ('{"schema_version": 1, "claims": {"\\ud800": {"status": "proved"}}}', "surrogate"),
    "deep": ('{"schema_version": 1, "claims": {}, "seed": ' + "[" * 100 + "]" * 100 + "}", "nested"),
}


@pytest.fixture
def no_work(monkeypatch):
    import certify.gate.runner as runner

    def refuse(*args, **kwargs):
        raise AssertionError("a claim ran")

    monkeypatch.setattr(runner, "run_claims", refuse)


def _one_line_usage_error(code, out, err, *needles):
    assert code == ExitCode.USAGE, err
    assert out == ""
    assert err.startswith("certify: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_baseline_is_refused_with_one_line(fake, capsys, no_work, case):
    text, needle = BAD[case]
    path = fake / f"{case}.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, out, err = _cli(capsys, "all", "--baseline", str(path))
    _one_line_usage_error(code, out, err, "baseline", needle)


def test_missing_oversized_and_directory_baselines_are_refused(fake, capsys, no_work, monkeypatch):
    code, out, err = _cli(capsys, "all", "--baseline", str(fake / "missing.json"))
    _one_line_usage_error(code, out, err, "no such file")
    code, out, err = _cli(capsys, "all", "--baseline", str(fake))
    _one_line_usage_error(code, out, err, "not a regular file")
    monkeypatch.setattr(bl, "MAX_BYTES", 100)
    big = fake / "big.json"
    big.write_text(GOOD[:-1] + " " * 200 + "}")
    code, out, err = _cli(capsys, "all", "--baseline", str(big))
    _one_line_usage_error(code, out, err, "more than 100 bytes")


def test_the_size_cap_holds_for_what_is_read(tmp_path, monkeypatch):
    """The cap is on the bytes read, not on the size the file system reports: /proc files report 0."""
    from pathlib import Path

    from certify.core.errors import InputError

    proc_file = Path("/proc/self/maps")
    if not proc_file.is_file():
        pytest.skip("no /proc")
    monkeypatch.setattr(bl, "MAX_BYTES", 80)
    assert proc_file.stat().st_size == 0
    with pytest.raises(InputError, match="more than 80 bytes"):
        bl.load(proc_file)
    p = tmp_path / "b.json"
    p.write_text(GOOD)
    assert bl.load(p).claims == {"fake.a": E(S.PROVED)}


@pytest.mark.parametrize("extra, needle", [
    (["--strict"], "--baseline and --strict"),
    (["--write-baseline", "x.json"], "--baseline and --write-baseline"),
    (["--json", "SAME"], "name the same file"),
])
def test_conflicting_options_are_refused(fake, capsys, no_work, extra, needle):
    path = fake / "b.json"
    path.write_text(GOOD)
    extra = [str(path) if e == "SAME" else str(fake / e) if e.endswith(".json") else e for e in extra]
    code, out, err = _cli(capsys, "all", "--baseline", str(path), *extra)
    _one_line_usage_error(code, out, err, needle)


def test_write_baseline_path_is_checked_before_the_work(fake, capsys, no_work):
    code, out, err = _cli(capsys, "all", "--write-baseline", str(fake / "no" / "dir" / "b.json"))
    _one_line_usage_error(code, out, err, "--write-baseline", "does not exist")
    code, out, err = _cli(capsys, "all", "--write-baseline", str(fake))
    _one_line_usage_error(code, out, err, "is a directory")
    code, out, err = _cli(capsys, "all", "--write-baseline", "-", "--json", "-")
    _one_line_usage_error(code, out, err, "stdout")


# --- end to end, on real claims ------------------------------------------------------------------

REAL = ["example1.rank-two-speed", "thm3.1.instances", "lemma-a4"]


def test_real_claims_round_trip(tmp_path):
    """The installed program on three quick real claims (an erratum, a skipped claim, a proof)."""
    env = {"CERTIFY_RESULTS": str(tmp_path / "store")}
    path = tmp_path / "b.json"
    proc = run_cli("run", *REAL, "--jobs", "1", "--write-baseline", str(path), env=env)
    assert proc.returncode == 0, proc.stderr
    claims = json.loads(path.read_text())["claims"]
    assert claims == {"example1.rank-two-speed": {"status": "erratum", "corrected": "proved"},
                      "lemma-a4": {"status": "proved"}, "thm3.1.instances": {"status": "skipped"}}
    doc = json.loads(path.read_text())
    doc["claims"]["thm3.1.instances"] = {"status": "certified"}  # expects better than reality
    doc["claims"]["lemma-a4"] = {"status": "refuted"}  # expects worse: an improvement
    path.write_text(json.dumps(doc))
    proc = run_cli("run", *REAL, "--jobs", "1", "--baseline", str(path), "--json", "-", env=env)
    assert proc.returncode == 1, proc.stderr
    base = json.loads(proc.stdout)["baseline"]
    assert [(c["id"], c["kind"]) for c in base["regressions"]] == [("thm3.1.instances", "worse")]
    assert [c["id"] for c in base["improvements"]] == ["lemma-a4"]
    assert base["counts"]["unchanged"] == 1
