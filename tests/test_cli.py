import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from certify.cli import ExitCode
from tests.conftest import ROOT, run_cli

REQUIRED = {"id", "title", "status", "method", "margin", "message", "seconds", "evidence"}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("all")
    proc = run_cli("all", "--json", str(d / "r.json"), "--junit", str(d / "r.xml"),
                   env={"CERTIFY_RESULTS": str(d / "store")})
    return proc, d


def test_all_exits_zero_and_prints_the_table(full_run):
    proc, _ = full_run
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert "a1.homogeneity" in proc.stdout and "proved" in proc.stdout
    assert "exit status 0" in proc.stdout
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_json_report_has_the_documented_fields(full_run):
    _, d = full_run
    report = json.loads((d / "r.json").read_text())
    assert report["schema_version"] == 1 and report["tool"] == "certify"
    assert {"version", "seed", "summary", "claims", "exit_status"} <= set(report)
    assert report["summary"]["total"] == len(report["claims"])
    for claim in report["claims"]:
        assert REQUIRED <= set(claim), claim["id"]
    by_id = {c["id"]: c for c in report["claims"]}
    assert by_id["lemma-a4"]["status"] == "proved"
    assert by_id["lemma-a4.instances"]["status"] == "certified"
    assert by_id["example1.rank-two-speed"]["status"] == "erratum"
    assert by_id["example1.rank-two-speed"]["corrected"]["status"] == "proved"


def test_junit_report(full_run):
    _, d = full_run
    root = ET.parse(d / "r.xml").getroot()
    suite = root.find("testsuite")
    assert int(suite.get("tests")) > 0 and suite.get("failures") == "0" and suite.get("errors") == "0"
    names = {tc.get("name") for tc in suite.iter("testcase")}
    assert "lemma-a4" in names


def _strip_timing(report):
    report = dict(report)
    for key in ("generated_at", "seconds", "jobs"):
        report.pop(key, None)
    report["claims"] = [{k: v for k, v in c.items() if k != "seconds"} for c in report["claims"]]
    for c in report["claims"]:
        c["evidence"] = {k: v for k, v in c["evidence"].items() if k != "seconds"}
    return report


SUBSET = ["a1.*", "lemma-a4*", "prop3.4.*", "example1.rank-two-speed", "section2.1.euler*"]


def test_same_seed_same_report_whatever_the_jobs(tmp_path):
    reports = []
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}.json"
        proc = run_cli("run", *SUBSET, "--jobs", jobs, "--json", str(out), env={"CERTIFY_RESULTS": str(tmp_path)})
        assert proc.returncode == 0, proc.stderr
        reports.append(json.loads(out.read_text()))
    assert len(reports[0]["claims"]) >= 7
    assert _strip_timing(reports[0]) == _strip_timing(reports[1])


def test_seed_changes_claim_seeds(tmp_path):
    proc = run_cli("run", "lemma-a4", "--seed", "7", "--json", "-")
    report = json.loads(proc.stdout)
    assert report["seed"] == 7 and report["claims"][0]["seed"] != 0


def test_strict_makes_errata_fail():
    proc = run_cli("run", "example1.rank-two-speed", "--strict")
    assert proc.returncode == ExitCode.FINDINGS
    proc = run_cli("run", "example1.rank-two-speed")
    assert proc.returncode == ExitCode.OK


def test_run_patterns_and_nothing_selected():
    proc = run_cli("run", "lemma-a4*")
    assert proc.returncode == 0 and "lemma-a4.instances" in proc.stdout
    proc = run_cli("run", "no-such-*")
    assert proc.returncode == ExitCode.NO_CLAIMS


def test_list_and_show(tmp_path):
    proc = run_cli("list", "--json")
    assert proc.returncode == 0
    assert any(row["id"] == "thm3.1" for row in json.loads(proc.stdout))
    env = {"CERTIFY_RESULTS": str(tmp_path)}
    proc = run_cli("show", "lemma-a4", env=env)
    assert proc.returncode == 0 and "no evidence stored yet" in proc.stdout
    run_cli("run", "lemma-a4", env=env)
    proc = run_cli("show", "lemma-a4", env=env)
    assert proc.returncode == 0 and "proved" in proc.stdout and "AM-GM" in proc.stdout


def test_instance_command_on_shipped_and_json(tmp_path):
    proc = run_cli("instance", str(ROOT / "data/instances/random-depth3.npz"), "--json", str(tmp_path / "i.json"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "i.json").read_text())
    assert report["verdicts"]["lemma-a4"]["status"] == "certified"
    assert report["verdicts"]["section2.1.euler"]["status"] == "proved"
    assert "not certified" in proc.stdout  # float estimates are labelled as such


def _bad_files(tmp_path):
    rng = np.random.default_rng(0)
    good = {"X": rng.standard_normal((2, 3)), "G": rng.standard_normal((1, 3)),
            "W1": rng.standard_normal((2, 2)), "W2": rng.standard_normal((1, 2))}
    cases = {}
    def save(name, **change):
        arrays = {**good, **change}
        p = tmp_path / f"{name}.npz"
        with open(p, "wb") as fh:
            np.savez(fh, **arrays)
        cases[name] = p
    save("shapes", W2=np.ones((1, 3)))
    save("nan", X=np.array([[np.nan, 1, 2], [0, 1, 2]]))
    save("inf", G=np.array([[np.inf, 1, 2]]))
    save("empty", X=np.ones((2, 0)), G=np.ones((1, 0)))
    text = tmp_path / "text.npz"
    text.write_text("not an archive")
    cases["not-npz"] = text
    cases["missing"] = tmp_path / "missing.npz"
    return cases


@pytest.mark.parametrize("case", ["shapes", "nan", "inf", "empty", "not-npz", "missing"])
def test_bad_instance_files_exit_2_with_one_line(tmp_path, case):
    path = _bad_files(tmp_path)[case]
    proc = run_cli("instance", str(path))
    assert proc.returncode == ExitCode.USAGE
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certify: error:"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["run", "no-such-claim"], ["show", "nope"], ["bogus"], ["all", "--seed", "x"],
                                  ["all", "--jobs", "0"], ["all", "--json", "/nonexistent/dir/r.json"]])
def test_usage_errors_exit_2_with_one_line(args):
    proc = run_cli(*args)
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certify: error:"), proc.stderr


def test_console_script_and_module_agree():
    import shutil
    import subprocess

    exe = shutil.which("certify")
    if exe is None:
        pytest.skip("console script not on PATH")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "0.1.0" in out.stdout


@pytest.mark.parametrize("name", ["example1-rank-two", "random-depth3", "nearly-rank-one-depth8", "digits-trained"])
def test_instance_report_on_every_kind_of_shipped_instance(tmp_path, name):
    out = tmp_path / "i.json"
    proc = run_cli("instance", str(ROOT / f"data/instances/{name}.npz"), "--json", str(out),
                   "--theta0-norm", "0.01", "--r", "0.5")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(out.read_text())
    for cid, v in report["verdicts"].items():
        assert {"status", "message", "margin", "evidence"} <= set(v), cid
    layers = report["certified"]["layers"]
    assert len(layers) == report["depth"] + 1
    for row in layers.values():
        for key in ("W_ratio", "activation_ratio"):
            if key in row:
                lo, hi = row[key]["ratio"]
                assert 0 <= lo <= hi <= 1
    assert report["verdicts"]["thm3.1"]["status"] == "skipped"  # optimality is never assumed
    if name == "nearly-rank-one-depth8":
        assert report["verdicts"]["prop3.4"]["status"] == "certified"
        assert not report["verdicts"]["prop3.4"]["evidence"]["per_p"]["0.5"]["vacuous"]
    if name == "example1-rank-two":
        assert report["verdicts"]["claimed-speed"]["status"] == "refuted"  # eq. (2) as printed: speed -1/2
        assert proc.returncode == 1


@pytest.mark.parametrize("args", [["--p", "0"], ["--p", "1.2"], ["--r", "1"], ["--theta0-norm", "-1", "--r", "1"]])
def test_instance_options_are_validated(args):
    proc = run_cli("instance", str(ROOT / "data/instances/random-depth3.npz"), *args)
    assert proc.returncode == ExitCode.USAGE
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certify: error:"), proc.stderr
