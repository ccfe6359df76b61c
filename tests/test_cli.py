import io
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from certify.cli import ExitCode, main
from tests.conftest import ROOT, one_line_error, run_cli

REQUIRED = {"id", "title", "status", "method", "margin", "message", "seconds", "evidence"}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("all")
    proc = run_cli("all", "--json", str(d / "r.json"), "--junit", str(d / "r.xml"),
                   "--write-baseline", str(d / "baseline.json"), env={"CERTIFY_RESULTS": str(d / "store")})
    return proc, d


def test_all_exits_zero_and_prints_the_table(full_run):
    proc, _ = full_run
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert "a1.homogeneity" in proc.stdout and "proved" in proc.stdout
    assert "exit status 0" in proc.stdout
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    assert " s wall (" in proc.stdout and " s of checks, " in proc.stdout


def test_the_baseline_of_the_full_run_records_every_status(full_run):
    _, d = full_run
    report = json.loads((d / "r.json").read_text())
    baseline = json.loads((d / "baseline.json").read_text())
    assert report["seconds_wall"] > 0 and report["seconds"] > 0
    assert list(baseline["claims"]) == sorted(c["id"] for c in report["claims"])
    for c in report["claims"]:
        entry = baseline["claims"][c["id"]]
        assert entry["status"] == c["status"]
        assert entry.get("corrected") == (c["corrected"]["status"] if c["status"] == "erratum" else None)


def test_a_subset_run_against_the_full_baseline_is_clean(full_run, tmp_path):
    _, d = full_run
    proc = run_cli("run", "lemma-a4", "example1.rank-two-speed", "--jobs", "1", "--baseline",
                   str(d / "baseline.json"), "--json", "-", env={"CERTIFY_RESULTS": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    base = json.loads(proc.stdout)["baseline"]
    assert base["counts"] == {"regressions": 0, "improvements": 0, "new": 0, "removed": 0, "unchanged": 2}


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
    for key in ("generated_at", "seconds", "seconds_wall", "jobs", "executor"):
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


# --- the table at terminal widths ------------------------------------------------------------------

def _results():
    from certify.kernel.verdict import Status
    from certify.gate.runner import Result

    long_message = ("as printed the bound drops ||X||_F, which makes it fail on an exact depth-3 flow; "
                    "a_very_long_token_without_any_space_" * 3 + " the corrected bound is exact on that flow")
    return [
        Result("section3.3.low-rank-after-escape.escape-direction", "t", "s", "experiment", Status.REFUTED, None,
               "relative residual 0.308 (depth 6), 0.214 (depth 4) > 0.2 at the snapshot", 4.2, 1),
        Result("section2.2.escape-time-bound", "t", "s", "symbolic", Status.ERRATUM, None, long_message, 0.5, 2,
               {}, {"status": "proved"}),
        Result("lemma-a4.instances", "t", "s", "interval", Status.CERTIFIED, 1.2345e-7, "certified on 6 cases",
               0.1, 3),
        Result("prop3.3.appendix-statement", "t", "s", "symbolic", Status.ERRATUM, None, "short", 0.2, 4, {},
               {"status": "undecided"}),
    ]


@pytest.mark.parametrize("width", [60, 80, 150])
def test_table_fits_the_width_and_cuts_nothing(width):
    from rich.console import Console

    from certify.gate.report import print_results

    results = _results()
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    print_results(results, console, wall=5.0, jobs=2)
    text = console.file.getvalue()
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert "…" not in text and "..." not in text  # nothing shortened
    assert "erratum -> proved" in text and "erratum -> undecided" in text
    assert any("refuted" in line for line in lines) and any("certified" in line for line in lines)
    words = " ".join(line.strip(" │┃") for line in lines)
    for r in results:
        for word in r.message.split():
            if len(word) < width // 2:  # longer words fold across lines
                assert word in words, (word, width)
    if width >= 80:
        assert "section3.3.low-rank-after-escape.escape-direction" in text
    assert "4 claims in 5.0 s wall (5.0 s of checks, 2 jobs)" in " ".join(l.strip() for l in lines)


def test_summary_line_gives_wall_time_and_check_time():
    from certify.gate.report import summary_line

    line = summary_line(_results(), wall=28.1, jobs=2).plain
    assert "4 claims in 28.1 s wall (5.0 s of checks, 2 jobs)" in line
    assert "1 refuted" in line and "2 erratum" in line
    assert "(4 claims, 5.0 s of checks)" in summary_line(_results()).plain


# --- outputs checked before the work ---------------------------------------------------------------

EXAMPLE1 = str(ROOT / "data/instances/example1-rank-two.npz")
WORK = {"run": "certify.gate.runner:run_claims", "all": "certify.gate.runner:run_claims",
        "instance": "certify.instance.report:instance_report", "fuzz": "certify.fuzz.claims:fuzz_verdict",
        "optimum": "certify.optimum.search:propose_task", "escape": "certify.optimum.escape:escape_directions",
        "figure2": "certify.experiments.section4:figure2", "figures": "certify.experiments.report:run_figures",
        "escape-time": "certify.followup.report:escape_time_report"}
OUTPUT_CASES = [
    ["run", "lemma-a4", "--json", "BAD"], ["run", "lemma-a4", "--junit", "BAD"],
    ["all", "--write-baseline", "BAD"], ["instance", EXAMPLE1, "--json", "BAD"],
    ["fuzz", "prop3.2", "--json", "BAD"], ["optimum", EXAMPLE1, "--depth", "2", "--json", "BAD"],
    ["optimum", EXAMPLE1, "--depth", "2", "--certificate", "BAD"],
    ["escape", EXAMPLE1, "--depth", "2", "--width", "2", "--json", "BAD"],
    ["escape-time", "--json", "BAD"], ["figure2", "--out", "BADDIR"], ["figures", "--out", "BADDIR"],
    ["escape-time", "--out", "BADDIR"],
]


@pytest.mark.parametrize("bad", ["directory", "no-parent"])
@pytest.mark.parametrize("args", OUTPUT_CASES, ids=lambda a: "-".join(x for x in a if not x.startswith("/")))
def test_every_output_is_checked_before_the_work(tmp_path, capsys, monkeypatch, args, bad):
    import importlib

    module, _, name = WORK[args[0]].partition(":")

    def refuse(*a, **k):
        raise AssertionError("the work started before the outputs were checked")

    monkeypatch.setattr(importlib.import_module(module), name, refuse)
    monkeypatch.setenv("CERTIFY_RESULTS", str(tmp_path / "store"))
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    target = {("directory", "BAD"): str(tmp_path), ("no-parent", "BAD"): str(tmp_path / "no" / "r.json"),
              ("directory", "BADDIR"): str(a_file), ("no-parent", "BADDIR"): str(a_file / "sub")}
    args = [target[(bad, x)] if x in ("BAD", "BADDIR") else x for x in args]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE, err
    assert out == "" and err.startswith("certify: error:") and err.count("\n") == 1, err


class _Reached(Exception):
    pass


@pytest.mark.parametrize("args", OUTPUT_CASES, ids=lambda a: "-".join(x for x in a if not x.startswith("/")))
def test_the_guarded_work_is_what_the_command_runs(tmp_path, monkeypatch, args):
    """With usable outputs each command reaches the function WORK names: otherwise the test above, which
    patches that function, would pass without checking anything."""
    import importlib

    module, _, name = WORK[args[0]].partition(":")

    def reached(*a, **k):
        raise _Reached

    monkeypatch.setattr(importlib.import_module(module), name, reached)
    monkeypatch.setenv("CERTIFY_RESULTS", str(tmp_path / "store"))
    args = [str(tmp_path / "out.json") if x == "BAD" else str(tmp_path / "outdir") if x == "BADDIR" else x
            for x in args]
    from certify.cli import cli as group

    with pytest.raises(_Reached):
        group.main(args=args, prog_name="certify", standalone_mode=False)


@pytest.mark.parametrize("args", [["run", "lemma-a4", "--json", "-", "--junit", "-"],
                                  ["all", "--json", "-", "--write-baseline", "-"],
                                  ["run", "lemma-a4", "--json", "SAME", "--junit", "SAME"]])
def test_two_outputs_to_one_place_are_refused(tmp_path, capsys, monkeypatch, args):
    import certify.gate.runner

    monkeypatch.setattr(certify.gate.runner, "run_claims", lambda *a, **k: pytest.fail("a claim ran"))
    args = [str(tmp_path / "same.json") if a == "SAME" else a for a in args]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE and out == ""
    assert err.startswith("certify: error:") and err.count("\n") == 1, err


def test_check_says_fail_first_when_the_data_differ(tmp_path, capsys):
    other = tmp_path / "other.npz"
    with open(other, "wb") as fh:
        np.savez(fh, X=np.eye(2), G=np.ones((1, 2)))
    cert = str(ROOT / "data/certificates/example1-depth3.json")
    assert main(["check", cert, "--data", str(other)]) == ExitCode.FINDINGS
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("FAIL"), out
    assert main(["check", cert]) == ExitCode.OK
    assert capsys.readouterr().out.splitlines()[0].startswith("certified")


def test_optimum_writes_its_certificate_before_printing(tmp_path, capsys, monkeypatch):
    """A reader that leaves after the first line (`| head -1`) must not cost the certificate."""
    import certify.cli as cli

    def closed_pipe_console():
        console = cli._console(file=io.StringIO())

        def gone(*a, **k):
            raise BrokenPipeError("the reader of stdout has gone")

        console.print = gone
        return console

    monkeypatch.setattr(cli, "_stdout_console", closed_pipe_console)
    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)  # keep pytest's stdout
    cert = tmp_path / "c.json"
    assert main(["optimum", EXAMPLE1, "--depth", "2", "--certificate", str(cert)]) == 141
    monkeypatch.undo()
    assert cert.is_file() and main(["check", str(cert), "--data", EXAMPLE1]) == ExitCode.OK


# --- Ctrl-C --------------------------------------------------------------------------------------

def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return None


def _default_sigint() -> None:
    """In the child: SIGINT back to its default, since a test runner started in the background (nohup, '&')
    ignores it, and Python keeps an inherited 'ignore' (the test would then pass or fail for that reason)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("jobs, target", [("1", "process"), ("2", "process"), ("2", "group")])
def test_ctrl_c_exits_130_with_one_line(tmp_path, jobs, target):
    """SIGINT during a slow run (two slow claims, so that --jobs 2 starts a pool), to certify alone or, as
    Ctrl-C in a terminal does, to its whole process group: exit 130 within seconds (the claims have
    several seconds left), one line, no traceback, no worker left behind."""
    env = {**os.environ, "CERTIFY_RESULTS": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "certify", "run", "section3.3.low-rank-after-escape", "prop-a1",
                             "--jobs", jobs], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT, start_new_session=True, preexec_fn=_default_sigint)
    start = time.monotonic()
    kids: list[int] = []
    try:
        while time.monotonic() - start < 60:  # until the pool's workers exist, or the claims have begun
            found = _children(proc.pid)
            if found is None:
                time.sleep(3)
                break
            kids = found
            if (jobs == "2" and len(kids) >= 2) or (jobs == "1" and time.monotonic() - start > 2.5):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        if jobs == "2" and _children(proc.pid) is not None:
            assert len(kids) >= 2, "no worker processes appeared"
        time.sleep(0.5)
        if target == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - sent < 5, "the interrupted run waited for its claims"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    assert err == "certify: interrupted\n", err
    assert "Traceback" not in err and out == ""
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{k}") for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [k for k in kids if os.path.exists(f"/proc/{k}")], "worker processes outlived the run"


@pytest.mark.parametrize("option", ["--json", "--junit", "--write-baseline"])
def test_an_empty_output_path_is_refused(capsys, option):
    assert main(["run", "eq6", option, ""]) == ExitCode.USAGE
    from tests.conftest import one_line_error

    one_line_error(capsys, option, "empty file name")


def test_stdout_by_another_name_counts_as_stdout(tmp_path):
    """--json /dev/stdout is '-': the table moves aside, and it cannot share stdout with --junit -."""
    if not os.path.exists("/dev/stdout"):
        pytest.skip("no /dev/stdout here")
    env = {"CERTIFY_RESULTS": str(tmp_path)}
    both = run_cli("run", "eq6", "--json", "/dev/stdout", "--junit", "-", env=env)
    assert both.returncode == ExitCode.USAGE and "cannot both write to stdout" in both.stderr
    out = tmp_path / "out.json"
    with open(out, "w") as fh:  # stdout is this file; --json names it by /dev/stdout
        proc = subprocess.run([sys.executable, "-m", "certify", "run", "eq6", "--jobs", "1", "--json", "/dev/stdout"],
                              stdout=fh, stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **env},
                              timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["claims"][0]["id"] == "eq6"  # JSON alone, no table around it


@pytest.mark.parametrize("columns", ["0", "5", "abc"])
def test_a_useless_columns_value_still_prints_the_table(tmp_path, columns):
    proc = run_cli("run", "eq6", "--jobs", "1", env={"COLUMNS": columns, "CERTIFY_RESULTS": str(tmp_path)})
    assert proc.returncode == 0 and "eq6" in proc.stdout and "exit status 0" in proc.stdout


def test_unusable_cifar10_data_is_refused_before_any_claim_runs(tmp_path, monkeypatch, capsys):
    """Appendix C's data, named by CERTIFY_CIFAR10, is read before the work starts: exit 2 with one line, no table
    and no verdict; claims that do not use it are unaffected."""
    junk = tmp_path / "batch.bin"
    junk.write_bytes(b"\x01" * 5000)  # not a whole number of 3073-byte records
    monkeypatch.setenv("CERTIFY_CIFAR10", str(junk))
    assert main(["run", "appendixc.*"]) == ExitCode.USAGE
    one_line_error(capsys, "CERTIFY_CIFAR10", "3073")
    monkeypatch.setenv("CERTIFY_CIFAR10", str(tmp_path / "missing"))
    assert main(["run", "appendixc.cifar10.depth"]) == ExitCode.USAGE
    one_line_error(capsys, "CERTIFY_CIFAR10", "no such file")
    assert main(["run", "lemma-a4"]) == ExitCode.OK  # the variable only matters to the claims that read it
