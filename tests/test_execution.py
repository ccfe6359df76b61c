"""Executors (certify.core.execution): the same outcomes in this process, a local pool and a Dask cluster;
dead workers retried once then reported; never a hang; bad cluster settings are exit 2."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from certify.core import execution as E
from certify.fuzz import campaign as F
from certify.fuzz import claims as FC
from certify.fuzz import properties as P
from certify.core.errors import InputError

distributed = pytest.importorskip("distributed")  # the cluster extra is part of the dev install


# --- tasks (top level, so that they pickle by reference) -------------------------------------------


def square(x):
    return x * x


def raise_value_error(x):
    raise ValueError(f"bad input {x}")


def die(x):
    os._exit(7)


def die_once(marker, x):
    """Kill the process on the first attempt only (the marker file remembers it)."""
    m = Path(marker)
    if not m.exists():
        m.write_text("died once")
        os._exit(7)
    return x + 100


def is_three(i, value):
    return value == 9


# --- this process and the local pool -----------------------------------------------------------


@pytest.mark.parametrize("make", [E.SerialExecutor, lambda: E.LocalPoolExecutor(2)], ids=["serial", "pool"])
def test_outcomes_in_task_order_and_stop_after(make):
    with make() as ex:
        assert ex.map(square, [(i,) for i in range(6)]) == [0, 1, 4, 9, 16, 25]
        seen = []
        out = ex.map(square, [(i,) for i in range(6)], on_done=lambda i, v: seen.append(i), stop_after=is_three)
    # everything after the task that says 'stop' is SKIPPED, whichever finished first
    assert out[:4] == [0, 1, 4, 9] and out[4:] == [E.SKIPPED, E.SKIPPED]
    assert set(range(4)) <= set(seen)


def test_pool_reports_a_raising_task_and_runs_the_others():
    with E.LocalPoolExecutor(2) as ex:
        out = ex.map(raise_value_error, [(1,)]) + ex.map(square, [(3,)])
    assert isinstance(out[0], E.TaskFailure) and "ValueError: bad input 1" in out[0].reason
    assert out[1] == 9


def test_pool_retries_a_dead_worker_once(tmp_path):
    with E.LocalPoolExecutor(2) as ex:
        out = ex.map(die_once, [(str(tmp_path / "m"), 1)])
        assert out == [101]  # died on the first attempt, ran on the retry
        out = ex.map(die, [(1,), (2,)])
    assert all(isinstance(o, E.TaskFailure) and "died 2 times" in o.reason for o in out)


def test_pool_stops_on_ctrl_c_without_hanging():
    """KeyboardInterrupt from a callback (standing in for Ctrl-C) propagates and the pool is gone."""
    def interrupt(i, v):
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        E.LocalPoolExecutor(2).map(square, [(i,) for i in range(4)], on_done=interrupt)
    assert time.monotonic() - start < 30


def test_make_executor_and_addresses(monkeypatch):
    assert isinstance(E.make_executor(1), E.SerialExecutor)
    assert isinstance(E.make_executor(4, tasks=1), E.SerialExecutor)
    pool = E.make_executor(4, tasks=2)
    assert isinstance(pool, E.LocalPoolExecutor) and pool.workers == 2
    assert pool.describe() == {"kind": "local", "workers": 2}
    for good in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://scheduler.example.org:8786", "tcp://[::1]:8786"):
        assert E.check_address(good) == good
    for bad in ("foo", "tcp://host", "tcp://host:99999", "tcp://a:1/x", "http://a:1", "tcp://a b:1", ""):
        with pytest.raises(InputError, match="not a scheduler address"):
            E.check_address(bad)
    monkeypatch.setenv(E.CLUSTER_ENV, "  ")
    assert E.cluster_address(None) is None  # empty: run here
    monkeypatch.setenv(E.CLUSTER_ENV, "tcp://127.0.0.1:8786")
    assert E.cluster_address(None) == "tcp://127.0.0.1:8786"
    assert E.cluster_address("") is None  # --cluster '' beats the environment
    monkeypatch.setenv(E.TIMEOUT_ENV, "nan")
    with pytest.raises(InputError, match="CERTIFY_CLUSTER_TIMEOUT"):
        E._connect_timeout()


def test_identity_is_stable_and_sees_the_data(tmp_path, monkeypatch):
    first = E.identity()
    assert first == E.identity() and len(first) == 64
    monkeypatch.setattr(E, "_IDENTITY", None)
    monkeypatch.setenv("CERTIFY_DATA", str(tmp_path))
    assert E.identity() != first  # other data, other identity
    monkeypatch.setattr(E, "_IDENTITY", None)
    monkeypatch.delenv("CERTIFY_DATA")
    assert E.identity() == first


def test_fuzz_chunks_merge_as_if_run_in_order(monkeypatch):
    """A refuting chunk ends the campaign at that chunk, whichever executor ran the chunks and in what order."""
    monkeypatch.setattr(F, "CHUNK", 20)
    weak = functools.partial(P.prop33_property, lipschitz_factor=0.5)  # a false variant: refuted quickly
    serial = F.run_in_chunks(weak, examples=200, seed_value=1)
    with E.LocalPoolExecutor(2) as ex:
        pooled = F.run_in_chunks(weak, examples=200, seed_value=1, executor=ex)
    assert serial.refuted and pooled.refuted
    assert (serial.examples, serial.min_slack, serial.seed) == (pooled.examples, pooled.min_slack, pooled.seed)
    assert F.chunks(45, 7) == [(20, 7), (20, 8), (5, 9)]
    assert F.merge([E.TaskFailure("x"), F.FuzzOutcome(3, 0.5, None, 8)], 7).examples == 3
    assert F.failures([E.TaskFailure("x"), F.FuzzOutcome(3, 0.5, None, 8)]) == ["chunk 0: x"]


# --- a Dask cluster on this machine -------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes; the scheduler gives up on a task at the first worker death
    (allowed-failures 0), so certify's own retry is the only one."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cl = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      host="127.0.0.1")
    try:
        yield cl
    finally:
        cl.close()


def test_cluster_outcomes_failures_and_retry(cluster, tmp_path):
    with E.DaskExecutor(cluster.scheduler_address) as ex:
        d = ex.describe()
        assert d == {"kind": "dask", "address": cluster.scheduler_address, "workers": 2, "threads": 2}
        assert ex.map(square, [(i,) for i in range(6)], stop_after=is_three) == [0, 1, 4, 9, E.SKIPPED, E.SKIPPED]
        (raised,) = ex.map(raise_value_error, [(5,)])
        assert isinstance(raised, E.TaskFailure) and "ValueError: bad input 5" in raised.reason
        assert ex.map(die_once, [(str(tmp_path / "m"), 2)]) == [102]
        start = time.monotonic()
        (dead,) = ex.map(die, [(1,)])
        assert isinstance(dead, E.TaskFailure) and "died 2 times" in dead.reason and "KilledWorker" in dead.reason
        assert time.monotonic() - start < 60
        cluster.wait_for_workers(2, timeout=60)  # the nannies restart the killed workers


def test_cluster_claims_and_fuzz_match_the_local_run(cluster, tmp_path, monkeypatch):
    from certify.gate.registry import select
    from certify.core.paths import data_dir
    from certify.gate.runner import run_claims

    claims = select(["lemma-a4*", "prop3.4.*", "a1.*"])
    here = run_claims(claims, seed=4, data_dir=data_dir(), quick=True, jobs=1)
    with E.DaskExecutor(cluster.scheduler_address) as ex:
        there = run_claims(claims, seed=4, data_dir=None, quick=True, executor=ex)
        monkeypatch.setattr(F, "CHUNK", 15)  # three chunks, planned in this process
        fuzz_there = FC.fuzz_verdict("prop3.4.fuzz", examples=45, seed_value=3, data_dir=tmp_path, executor=ex)
    assert [(r.id, r.status, r.margin, r.message) for r in here] == [(r.id, r.status, r.margin, r.message) for r in there]
    fuzz_here = FC.fuzz_verdict("prop3.4.fuzz", examples=45, seed_value=3, data_dir=tmp_path)
    assert fuzz_here.to_dict() == fuzz_there.to_dict()
    assert fuzz_here.evidence["chunks"] == 3 and fuzz_here.evidence["examples"] == 45


def test_cluster_with_other_data_is_refused(tmp_path):
    """Workers whose data folder differs would give other verdicts: connecting is an input error."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        other = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                         host="127.0.0.1", env={"CERTIFY_DATA": str(tmp_path)})
    try:
        with pytest.raises(InputError, match="other certify sources or data"):
            E.DaskExecutor(other.scheduler_address)
    finally:
        other.close()


def test_cluster_without_workers_fails_the_waiting_tasks():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0",
                                  host="127.0.0.1") as lonely:
        ex = E.DaskExecutor(lonely.scheduler_address, no_worker_grace=2.0)
        try:
            lonely.scale(0)
            deadline = time.monotonic() + 30
            while lonely.scheduler.workers and time.monotonic() < deadline:
                time.sleep(0.1)
            start = time.monotonic()
            out = ex.map(square, [(1,), (2,)])
            assert all(isinstance(o, E.TaskFailure) and "no worker" in o.reason for o in out)
            assert time.monotonic() - start < 30
        finally:
            ex.close()


# --- the command line --------------------------------------------------------------------------


def _cli(*args, env=None, timeout=600):
    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "certify", *args], capture_output=True, text=True, env=full,
                          timeout=timeout)


def test_cli_run_on_the_cluster_reports_it(cluster, tmp_path):
    env = {"CERTIFY_RESULTS": str(tmp_path)}
    subset = ["lemma-a4*", "prop3.4.*", "example1.rank-two-speed"]
    here = _cli("run", *subset, "--jobs", "2", "--json", str(tmp_path / "here.json"), env=env)
    there = _cli("run", *subset, "--json", str(tmp_path / "there.json"),
                 env={**env, "CERTIFY_CLUSTER": cluster.scheduler_address})
    assert here.returncode == there.returncode == 0, there.stderr
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("here.json", "there.json"))
    assert a["executor"] == {"kind": "local", "workers": 2}
    assert b["executor"]["kind"] == "dask" and b["executor"]["address"] == cluster.scheduler_address
    assert b["executor"]["workers"] == 2
    assert [(c["id"], c["status"], c["margin"]) for c in a["claims"]] == \
        [(c["id"], c["status"], c["margin"]) for c in b["claims"]]
    assert f"2 Dask workers at {cluster.scheduler_address}" in there.stdout


@pytest.mark.parametrize("args, env, message", [
    (["run", "lemma-a4", "--cluster", "nonsense"], {}, "not a scheduler address"),
    (["fuzz", "prop3.4", "-n", "5", "--cluster", "tcp://127.0.0.1:99999"], {}, "not a scheduler address"),
    (["run", "lemma-a4", "--cluster", "tcp://127.0.0.1:8786", "--jobs", "2"], {}, "exclude each other"),
    (["run", "lemma-a4", "--jobs", "2"], {"CERTIFY_CLUSTER": "tcp://127.0.0.1:8786"}, "CERTIFY_CLUSTER"),
    (["run", "lemma-a4", "--cluster", "tcp://127.0.0.1:9"], {"CERTIFY_CLUSTER_TIMEOUT": "2"}, "cannot reach"),
    (["fuzz", "prop3.4", "-n", "5", "--cluster", "tcp://127.0.0.1:9"], {"CERTIFY_CLUSTER_TIMEOUT": "x"},
     "CERTIFY_CLUSTER_TIMEOUT"),
    (["fuzz", "prop3.4", "-n", "20000000", "--deep"], {}, "more than"),
])
def test_cli_bad_cluster_settings_are_exit_2(args, env, message, tmp_path):
    start = time.monotonic()
    proc = _cli(*args, env={"CERTIFY_RESULTS": str(tmp_path), **env}, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert time.monotonic() - start < 60


# --- certify optimum on several files, certify figures sweeps ------------------------------------

DATA = Path(__file__).resolve().parent.parent / "data" / "instances"
SWEEP = sorted((DATA / "depth-sweep").glob("*.npz"))


def test_optimum_several_files_on_the_cluster_match_the_local_run(cluster, tmp_path):
    files = [str(DATA / "example1.npz"), *map(str, SWEEP[:3])]
    here = _cli("optimum", *files, "--depth", "3", "--jobs", "2", "--certificate", str(tmp_path / "here"),
                "--json", str(tmp_path / "here.json"))
    there = _cli("optimum", *files, "--depth", "3", "--cluster", cluster.scheduler_address,
                 "--certificate", str(tmp_path / "there"), "--json", str(tmp_path / "there.json"))
    assert here.returncode == there.returncode == 0, there.stdout + there.stderr
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("here.json", "there.json"))
    assert b["executor"]["kind"] == "dask" and a["executor"] == {"kind": "local", "workers": 2}
    assert [(f["file"], f["certified"], f["lower"], f["upper"]) for f in a["files"]] == \
        [(f["file"], f["certified"], f["lower"], f["upper"]) for f in b["files"]]
    for f in b["files"]:  # each certificate was written and checks on its own
        assert f["certificate"] == str(tmp_path / "there" / (Path(f["file"]).stem + ".json"))
        assert _cli("check", f["certificate"], "--data", f["file"]).returncode == 0
    assert f"{len(files)} certified" in there.stdout and "Dask workers at" in there.stdout


def test_optimum_several_files_refusals_and_bad_input(tmp_path):
    import numpy as np

    many = tmp_path / "many.npz"  # 40 points with nonzero G: enumeration refuses them at depth 3
    rng = np.random.default_rng(0)
    np.savez(many, X=rng.standard_normal((2, 40)), G=rng.standard_normal((1, 40)))
    proc = _cli("optimum", str(DATA / "example1.npz"), str(many), "--depth", "3", "--method", "enumerate",
                "--jobs", "1", "--json", "-")
    assert proc.returncode == 2, proc.stderr  # one file refused: the batch had unusable input
    rows = json.loads(proc.stdout)["files"]
    assert rows[0]["certified"] and rows[1]["state"] == "refused" and "sign patterns" in rows[1]["reason"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in "ab":
        np.savez(tmp_path / d / "same.npz", X=rng.standard_normal((2, 4)), G=rng.standard_normal((1, 4)))
    bad = tmp_path / "bad.npz"
    bad.write_text("not an archive")
    cases = [
        ([str(tmp_path / "a" / "same.npz"), str(tmp_path / "b" / "same.npz"), "--certificate", str(tmp_path / "c")],
         "distinct names"),
        ([str(DATA / "example1.npz"), str(bad)], "bad.npz"),
        ([str(DATA / "example1.npz"), str(many), "--certificate", "-"], "give a directory"),
        ([str(DATA / "example1.npz"), str(many), "--gap", "2"], "--gap"),
    ]
    for args, message in cases:
        start = time.monotonic()
        proc = _cli("optimum", *args, "--depth", "2")
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr
        assert time.monotonic() - start < 30  # refused before any search


def test_figure_sweeps_are_the_same_on_every_executor(cluster, tmp_path):
    from certify.experiments.report import build_specs, run_figures

    specs = build_specs("quick", (3,), seeds=(1, 2, 1), steps=60, n_points=40, record_every=10)
    assert [s.name for s in specs] == ["depth3-seed1", "depth3-seed2"]  # a repeated seed runs once
    assert {s.config.seed for s in specs} == {1, 2}

    def runs(summary):
        def strip(o):
            if isinstance(o, dict):
                return {k: strip(v) for k, v in o.items() if k not in ("seconds", "figures")}
            return [strip(v) for v in o] if isinstance(o, list) else o
        return strip(summary["runs"])

    serial = run_figures(specs, tmp_path / "serial")
    with E.LocalPoolExecutor(2) as pool:
        pooled = run_figures(specs, tmp_path / "pool", executor=pool)
    with E.DaskExecutor(cluster.scheduler_address) as ex:
        remote = run_figures(specs, tmp_path / "dask", executor=ex)
    assert runs(serial) == runs(pooled) == runs(remote)
    assert remote["executor"]["kind"] == "dask" and remote["failed"] == {}
    assert sorted(p.name for p in (tmp_path / "dask").glob("loss_*.png")) == ["loss_depth3-seed1.png",
                                                                              "loss_depth3-seed2.png"]


def test_worker_tasks_see_the_clients_settings(monkeypatch):
    """CERTIFY_* settings travel with a task and replace the worker's own for its duration only."""
    monkeypatch.setenv("CERTIFY_EXACT_WORK", "123")
    monkeypatch.setenv("CERTIFY_DATA", "/somewhere")
    sent = E.certify_settings()
    assert sent.get("CERTIFY_EXACT_WORK") == "123" and "CERTIFY_DATA" not in sent
    monkeypatch.setenv("CERTIFY_EXACT_WORK", "999")  # the worker's own value
    monkeypatch.setenv("CERTIFY_EXACT_ENTRIES", "7")  # set on the worker only
    with E._settings(sent):
        assert os.environ["CERTIFY_EXACT_WORK"] == "123" and "CERTIFY_EXACT_ENTRIES" not in os.environ
        assert os.environ["CERTIFY_DATA"] == "/somewhere"
    assert os.environ["CERTIFY_EXACT_WORK"] == "999" and os.environ["CERTIFY_EXACT_ENTRIES"] == "7"


# --- review findings: hangs, collateral deaths, certificates bound to their file ------------------


def sleep_then(x):
    time.sleep(1.5)
    return x


def die_or_sleep(x):
    if x == 0:
        os._exit(9)
    time.sleep(1.0)
    return x


def test_a_dead_task_in_the_pool_takes_no_other_task_with_it():
    with E.LocalPoolExecutor(2) as ex:
        out = ex.map(die_or_sleep, [(i,) for i in range(5)])
    assert isinstance(out[0], E.TaskFailure) and "died 2 times" in out[0].reason
    assert out[1:] == [1, 2, 3, 4]  # the others were caught in the broken pool, then ran alone


def test_addresses_dask_cannot_use_are_refused(monkeypatch):
    for bad in ("tls://127.0.0.1:1", "tcp://127.0.0.1:0", ".:80", "a..b:80", "-host:80"):
        with pytest.raises(InputError, match="not a scheduler address"):
            E.check_address(bad)
    monkeypatch.setenv(E.CLUSTER_ENV, "garbage")
    with pytest.raises(InputError, match="^CERTIFY_CLUSTER: 'garbage'"):
        E.cluster_address(None)


def test_a_server_that_never_answers_as_a_scheduler_is_refused_in_time():
    """An HTTP server, or anything that accepts the connection and then says nothing a scheduler would:
    Dask's own timeout does not cover that handshake."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    try:
        start = time.monotonic()
        with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
            E.DaskExecutor(f"tcp://127.0.0.1:{port}", connect_timeout=1.0)
        assert time.monotonic() - start < 10
    finally:
        server.close()


def test_the_identity_covers_the_deciding_packages(monkeypatch):
    first = E.identity()
    monkeypatch.setattr(E, "_IDENTITY", None)
    monkeypatch.setattr(E, "_version", lambda dist: "0.0-other" if dist == "hypothesis" else "same")
    assert E.identity() != first
    assert "hypothesis" in E._DEPENDENCIES and "python-flint" in E._DEPENDENCIES


def test_an_optimum_certificate_must_be_about_the_file_and_depth():
    """A search that comes back from a worker with a certificate about other data (or another depth) is not
    reported as certified for this file, even though that certificate checks on its own."""
    import numpy as np

    from certify.core.instances import load_data
    from certify.optimum.certificates import check_search_outcome
    from certify.optimum.search import propose_task

    X4, G4, _ = load_data(SWEEP[2])  # circle4
    X6, G6, _ = load_data(SWEEP[3])  # circle6
    other = propose_task(X6, G6, 2)
    row = check_search_outcome(other, X4, G4, 2)
    assert row["state"] == "error" and "other data" in row["reason"]
    own = propose_task(X4, G4, 2)
    assert check_search_outcome(own, X4, G4, 2)["state"] == "certified"
    row = check_search_outcome(own, X4, G4, 3)
    assert row["state"] == "error" and "depth 2, not 3" in row["reason"]
    assert np.array_equal(X4, load_data(SWEEP[2])[0])


def test_losing_the_scheduler_fails_the_waiting_tasks_with_that_reason():
    cl = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=":0", host="127.0.0.1")
    ex = E.DaskExecutor(cl.scheduler_address, no_worker_grace=5.0)
    try:
        import threading

        threading.Timer(1.0, cl.close).start()
        start = time.monotonic()
        out = ex.map(sleep_then, [(i,) for i in range(6)])
        assert time.monotonic() - start < 90
        failed = [o for o in out if isinstance(o, E.TaskFailure)]
        assert failed and all("scheduler" in o.reason for o in failed)
    finally:
        ex.close()


def test_a_task_refuses_to_run_on_other_code():
    """The per-task check (for workers that join after the start): another digest raises before the task."""
    ran = []
    with pytest.raises(E.WorkerMismatch, match="other certify sources"):
        E._on_worker(ran.append, "0" * 64, None, {}, 1)
    assert ran == []
    assert E._on_worker(square, E.identity(), None, {}, 3) == 9


def test_a_negative_figure_seed_is_refused_before_any_training(tmp_path):
    proc = _cli("figures", "--preset", "quick", "--seed", "-1", "--seed", "2", "--out", str(tmp_path / "f"),
                "--steps", "5")
    assert proc.returncode == 2 and "--seed" in proc.stderr and not (tmp_path / "f").exists()
