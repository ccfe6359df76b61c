"""Benchmark: the speed-up of a fuzz campaign on a local Dask cluster of 1 vs 2 workers, end to end.

Times the command a user runs, not the library call:
    certify fuzz prop3.4 -n N --seed S --cluster tcp://127.0.0.1:PORT --json REPORT
as a subprocess (``python -m certify``, the same entry point as the ``certify`` console script),
with the wall clock measured around the subprocess (interpreter start, connecting to the
scheduler, the workers' identity check and the campaign itself).  For reference it times the same
campaign on the local executor, ``--jobs 1`` (this process, one chunk after the other) and
``--jobs 2`` (a local pool of two processes), without --cluster.

The clusters are started by the benchmark, as subprocesses in their own process groups:
    python -m distributed.cli.dask_scheduler --host 127.0.0.1 --port PORT --no-dashboard
    python -m distributed.cli.dask_worker tcp://127.0.0.1:PORT --nworkers K --nthreads 1 --no-dashboard
(the modules behind the ``dask scheduler`` and ``dask worker`` console scripts), on free ports,
one cluster with K = 1 and one with K = 2, both up for the whole run so the configurations can be
interleaved; the benchmark waits until each scheduler has its K workers.  Everything it started is
terminated (whole process groups) at the end, on errors and on Ctrl-C / SIGTERM.

Warm-up, reported separately and not part of the timings: the first task on a worker imports
certify, hypothesis and the property.  Each cluster gets one tiny campaign through the command
(``-n 5``, timed: what a user pays on fresh workers), then one tiny chunk pinned to every worker
(so the second worker of the K = 2 cluster is warm too; timed per worker).  One tiny local run
warms the file cache for the local configurations.

The campaign runs as chunks of 1000 examples, so N = 2000 (the default, the issue's example with
seed 3) is two chunks: the ideal speed-up from 1 to 2 workers is 2, which a 2-core machine can
reach only if nothing else runs.  The four configurations are interleaved over R repeats (the
order rotates each repeat), every run in a fresh working directory so local runs never replay a
hypothesis example database (cluster runs never use one).  From each report it reads status,
evidence.examples, evidence.smallest_slack, seconds and executor, and checks that every run gives
the same status, examples and smallest_slack: the verdict must not depend on the executor (exit 1
if it does, or if a run failed).  No timing is asserted: it prints the median wall seconds per
configuration and the ratios jobs 1 / jobs 2 and 1 worker / 2 workers.

Then, unless ``--no-chunk-times``, each chunk runs alone once (``certify fuzz prop3.4 -n 1000
--seed S+k --jobs 1``, chunk k of the campaign): chunks differ in cost (what hypothesis draws depends
on the seed: with seed 3, 48 s and 23 s here), so two processes can finish no sooner than the longest chunk, and
sum / max(longest, sum / 2) of the report's seconds bounds the speed-up on two processes.  The
chunks' examples and smallest slacks must also add up to the campaign's verdict.

The workers check that they run the same certify as the command (a digest of the sources and
data), so editing the sources during a benchmark makes every later cluster run fail; ``--snapshot``
copies the package (and its data folder) at the start and puts the copy first on PYTHONPATH of the
clusters and of every run.

Not a test: run it by hand (the default, N = 2000 and 3 repeats, took 14 minutes on a 2-core
machine, the chunk timings included; ``--quick``, N = 2000 and 1 repeat, about 5 minutes),
    python benchmarks/bench_cluster_fuzz.py [--quick] [--examples N] [--repeats R] [--seed S]
                                            [--snapshot] [--out RESULTS.json] [--plot FIGURE.png]
    python benchmarks/bench_cluster_fuzz.py --plot-only RESULTS.json --plot FIGURE.png
Prints the results as JSON (and writes them to --out, after every run, so a long run can be
drawn before it ends); the table of medians and ratios goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLAIM = "prop3.4"
#: (name, label, cluster size K or None, --jobs for a local run)
CONFIGS = (
    ("cluster-1", "cluster, 1 worker", 1, None),
    ("cluster-2", "cluster, 2 workers", 2, None),
    ("local-1", "local, --jobs 1", None, 1),
    ("local-2", "local, --jobs 2", None, 2),
)
WARMUP_EXAMPLES = 5
START_TIMEOUT = 60.0
#: environment variables that would change where certify runs or writes: never inherited by the runs
CLEARED_ENV = ("CERTIFY_CLUSTER", "CERTIFY_RESULTS")
#: set by --snapshot: the folder holding the copy of certify that every subprocess imports
SNAPSHOT: Path | None = None


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "certify", *args]


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in CLEARED_ENV:
        env.pop(name, None)
    if SNAPSHOT is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(SNAPSHOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def snapshot(workdir: Path) -> Path:
    """A copy of the certify package (and of its data folder, unless $CERTIFY_DATA names one) under
    ``workdir``, put first on PYTHONPATH of every subprocess: the workers and the runs then import the
    same code for the whole benchmark, even if the sources are edited meanwhile (the workers' identity
    check would otherwise fail every run after an edit)."""
    import certify
    from certify.core.paths import data_dir

    src = workdir / "src"
    package = Path(certify.__file__).resolve().parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(package, src / "certify", ignore=ignore)
    data = data_dir().resolve()
    if "CERTIFY_DATA" not in os.environ and package not in data.parents and data.is_dir():
        shutil.copytree(data, src / "data", ignore=ignore)  # where paths.data_dir() looks in a checkout
    return src


# --- processes -------------------------------------------------------------------------------


class Processes:
    """Long-running subprocesses (schedulers, workers), each in its own process group, all
    terminated by :meth:`stop_all`."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, cmd: list[str], cwd: Path) -> subprocess.Popen:
        log = cwd / f"{name}.log"
        with open(log, "w") as f:
            proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL, stdout=f,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def check_alive(self) -> None:
        for name, proc, log in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}:\n{tail(log)}")

    def stop_all(self) -> None:
        for _, proc, _ in reversed(self.procs):
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc, _ in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # whatever of the group is left (the nanny's workers too)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                print(f"warning: process {proc.pid} did not exit", file=sys.stderr)
        self.procs.clear()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(procs: Processes, workers: int, workdir: Path) -> dict[str, Any]:
    """A scheduler on a free port of 127.0.0.1 and ``workers`` single-threaded worker processes; returns
    once the scheduler has them all."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    where = workdir / f"cluster-{workers}"
    where.mkdir()
    t0 = time.perf_counter()
    procs.start(f"scheduler-{workers}", [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                         "--port", str(port), "--no-dashboard"], where)
    deadline = time.monotonic() + START_TIMEOUT
    while True:  # the port answers once the scheduler listens
        procs.check_alive()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler at {address} did not listen within {START_TIMEOUT:g} s") from None
            time.sleep(0.2)
    procs.start(f"workers-{workers}", [sys.executable, "-m", "distributed.cli.dask_worker", address,
                                       "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard",
                                       "--local-directory", str(where / "worker-space")], where)
    with Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=START_TIMEOUT)
        names = sorted(client.nthreads())
    procs.check_alive()
    return {"address": address, "workers": workers, "worker_addresses": names,
            "start_seconds": round(time.perf_counter() - t0, 3)}


def warm_workers(address: str, seed: int) -> dict[str, float]:
    """One tiny chunk of the campaign pinned to every worker (the imports a first task pays); seconds per
    worker, as seen from here."""
    from distributed import Client

    from certify.fuzz.properties import PROPERTIES
    from certify.fuzz.campaign import run_chunk

    seconds = {}
    with Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
        for worker in sorted(client.nthreads()):
            t0 = time.perf_counter()
            fut = client.submit(run_chunk, PROPERTIES[f"{CLAIM}.fuzz"], WARMUP_EXAMPLES, seed, None,
                                workers=[worker], allow_other_workers=False, pure=False)
            fut.result(timeout=300)
            seconds[worker] = round(time.perf_counter() - t0, 3)
    return seconds


# --- one run of the command ------------------------------------------------------------------------


def run_fuzz(examples: int, seed: int, cwd: Path, timeout: float, *, cluster: str | None = None,
             jobs: int | None = None) -> dict[str, Any]:
    """``certify fuzz`` as a subprocess in ``cwd`` (a fresh folder); wall seconds and the report's fields."""
    cwd.mkdir(parents=True)
    report = cwd / "report.json"
    cmd = command("fuzz", CLAIM, "-n", str(examples), "--seed", str(seed), "--json", str(report))
    cmd += ["--cluster", cluster] if cluster else ["--jobs", str(jobs)]
    row: dict[str, Any] = {"command": " ".join(["certify", *cmd[3:]]).replace(str(report), "REPORT")}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.communicate()
        row.update(wall=round(time.perf_counter() - t0, 3), returncode=None, error=f"timed out after {timeout:g} s")
        return row
    except BaseException:  # Ctrl-C, SIGTERM: take the run down with us
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
        raise
    row.update(wall=round(time.perf_counter() - t0, 3), returncode=proc.returncode, load1_before=load)
    if proc.returncode not in (0, 1) or not report.exists():
        lines = (err or out).strip().splitlines()
        row["error"] = lines[-1] if lines else f"exit {proc.returncode}"
        return row
    rep = json.loads(report.read_text())
    ev = rep.get("evidence") or {}
    row.update(status=rep.get("status"), examples=ev.get("examples"), smallest_slack=ev.get("smallest_slack"),
               seconds=rep.get("seconds"), executor=rep.get("executor"))
    return row


def verdict_of(row: dict[str, Any]) -> tuple:
    return (row.get("status"), row.get("examples"), row.get("smallest_slack"))


# --- summary -------------------------------------------------------------------------------------


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    walls: dict[str, list[float]] = {}
    for row in results["runs"]:
        if "error" not in row:
            walls.setdefault(row["config"], []).append(row["wall"])
    med = {name: round(statistics.median(v), 3) for name, v in walls.items()}
    ratios = {}
    for a, b, key in (("cluster-1", "cluster-2", "cluster_1_over_2_workers"),
                      ("local-1", "local-2", "local_jobs1_over_jobs2"),
                      ("local-1", "cluster-2", "local_jobs1_over_cluster_2_workers")):
        if a in med and b in med and med[b] > 0:
            ratios[key] = round(med[a] / med[b], 3)
    verdicts = {json.dumps(verdict_of(r)) for r in results["runs"] if "error" not in r}
    errors = [f"{r['config']} repeat {r['repeat']}: {r['error']}" for r in results["runs"] if "error" in r]
    out = {"median_wall": med, "min_wall": {k: min(v) for k, v in walls.items()},
           "max_wall": {k: max(v) for k, v in walls.items()}, "speedup": ratios,
           "verdicts": sorted(json.loads(v) for v in verdicts), "verdicts_agree": len(verdicts) == 1 and not errors,
           "errors": errors}
    parts = results.get("chunks") or []
    errors += [f"chunk {c['chunk']} alone: {c['error']}" for c in parts if "error" in c]
    secs = [c["seconds"] for c in parts if c.get("seconds") is not None]
    if parts and len(secs) == len(parts):
        # two processes can finish no sooner than the longest chunk, nor than half the work
        out["chunk_seconds"] = secs
        out["speedup_bound_2_processes"] = round(sum(secs) / max(max(secs), sum(secs) / 2), 3)
        if len(verdicts) == 1 and all(c.get("status") == "fuzzed" for c in parts):
            status, examples, slack = json.loads(next(iter(verdicts)))
            out["chunks_match_campaign"] = (status == "fuzzed" and sum(c["examples"] for c in parts) == examples
                                            and min(c["smallest_slack"] for c in parts) == slack)
            out["verdicts_agree"] = out["verdicts_agree"] and out["chunks_match_campaign"]
    out["verdicts_agree"] = out["verdicts_agree"] and not errors
    return out


def print_table(results: dict[str, Any]) -> None:
    s = results["summary"]
    labels = {name: label for name, label, _, _ in CONFIGS}
    print(f"\ncertify fuzz {CLAIM} -n {results['examples']} --seed {results['seed']}  "
          f"({results['repeats']} repeat(s), {results['machine']['cpus']} CPUs)", file=sys.stderr)
    print(f"{'configuration':<22}{'median s':>10}{'min s':>9}{'max s':>9}   runs", file=sys.stderr)
    for name, _, _, _ in CONFIGS:
        if name in s["median_wall"]:
            runs = ", ".join(f"{r['wall']:.1f}" for r in results["runs"] if r["config"] == name and "error" not in r)
            print(f"{labels[name]:<22}{s['median_wall'][name]:>10.1f}{s['min_wall'][name]:>9.1f}"
                  f"{s['max_wall'][name]:>9.1f}   {runs}", file=sys.stderr)
    for key, value in s["speedup"].items():
        print(f"speed-up {key}: {value:.2f}x", file=sys.stderr)
    if "chunk_seconds" in s:
        print(f"chunks run alone (--jobs 1; the report's seconds): {', '.join(f'{x:.1f}' for x in s['chunk_seconds'])}"
              f" -> at best {s['speedup_bound_2_processes']:.2f}x on 2 processes (sum / max(longest, sum / 2))",
              file=sys.stderr)
    if "chunks_match_campaign" in s:
        print(f"the chunks run alone add up to the campaign's verdict: {s['chunks_match_campaign']}", file=sys.stderr)
    for key, w in results.get("warmup", {}).items():
        print(f"warm-up {key}: {json.dumps(w)}", file=sys.stderr)
    if s["verdicts_agree"]:
        status, examples, slack = s["verdicts"][0]
        print(f"VERDICTS AGREE: every run gave status={status}, examples={examples}, smallest_slack={slack!r}",
              file=sys.stderr)
    else:
        print("VERDICTS DIFFER (or a run failed):", file=sys.stderr)
        for v in s["verdicts"]:
            print(f"  status, examples, smallest_slack = {v}", file=sys.stderr)
        for e in s["errors"]:
            print(f"  ERROR {e}", file=sys.stderr)


def machine_info() -> dict[str, Any]:
    import dask
    import distributed
    import hypothesis

    info: dict[str, Any] = {"cpus": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine(),
                            "python": platform.python_version(), "dask": dask.__version__,
                            "distributed": distributed.__version__, "hypothesis": hypothesis.__version__}
    if hasattr(os, "sched_getaffinity"):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


# --- figure ---------------------------------------------------------------------------------------


def plot(results: dict[str, Any], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = results["summary"]
    names = [c for c in CONFIGS if c[0] in s["median_wall"]]
    colours = {"cluster-1": "#7fc4b0", "cluster-2": "#1b9e77", "local-1": "#f2b48a", "local-2": "#d95f02"}
    xs = {}
    x = 0.0
    for i, (name, _, _, _) in enumerate(names):
        if i and name.startswith("local") and not names[i - 1][0].startswith("local"):
            x += 0.6  # a gap between the cluster pair and the local pair
        xs[name] = x
        x += 1.0

    plt.rcParams.update({"font.size": 12})
    fig, ax = plt.subplots(figsize=(8.5, 5.6), constrained_layout=True)
    top = max(max(r["wall"] for r in results["runs"] if "error" not in r), 1.0)
    for name, label, _, _ in names:
        med = s["median_wall"][name]
        ax.bar(xs[name], med, width=0.7, color=colours[name], edgecolor="0.2", linewidth=0.8)
        ax.annotate(f"{med:.1f} s", (xs[name], med), xytext=(0, 4), textcoords="offset points", ha="center",
                    va="bottom", fontsize=11, fontweight="bold")
        walls = [r["wall"] for r in results["runs"] if r["config"] == name and "error" not in r]
        jitter = [(k - (len(walls) - 1) / 2) * 0.09 for k in range(len(walls))]
        ax.plot([xs[name] + j for j in jitter], walls, linestyle="none", marker="o", markersize=6, color="0.15",
                alpha=0.8, label="individual runs" if name == names[0][0] else None)
    ideal_label = "ideal on 2 CPUs: half of the 1-process median"
    bound = s.get("speedup_bound_2_processes")
    bound_label = (f"best these chunks allow: 1-process median / {bound:.2f}\n(the longest chunk, timed alone)"
                   if bound else None)
    for a, b, key, what in (("cluster-1", "cluster-2", "cluster_1_over_2_workers", "1 / 2 workers"),
                            ("local-1", "local-2", "local_jobs1_over_jobs2", "jobs 1 / jobs 2")):
        if key not in s["speedup"]:
            continue
        ideal = s["median_wall"][a] / 2
        ax.plot([xs[b] - 0.38, xs[b] + 0.38], [ideal, ideal], color="0.3", linestyle="--", linewidth=1.5,
                label=ideal_label)
        ideal_label = None
        if bound and abs(bound - 2) > 0.02:
            best = s["median_wall"][a] / bound
            ax.plot([xs[b] - 0.38, xs[b] + 0.38], [best, best], color="crimson", linestyle=":", linewidth=2,
                    label=bound_label)
            bound_label = None
        y = top * 1.13
        ax.plot([xs[a], xs[a], xs[b], xs[b]], [y - top * 0.025, y, y, y - top * 0.025], color="0.3", linewidth=1.2)
        ax.annotate(f"speed-up {s['speedup'][key]:.2f}x\n({what})", ((xs[a] + xs[b]) / 2, y), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=11)
    ax.set_xticks([xs[n] for n, _, _, _ in names])
    ax.set_xticklabels([label.replace(", ", ",\n") for _, label, _, _ in names])
    ax.set_ylim(0, top * 1.45)
    ax.set_ylabel("wall time of the whole command (s)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncol=2, fontsize=10, frameon=False)
    m = results["machine"]
    agree = "verdicts identical in every run" if s["verdicts_agree"] else "VERDICTS DIFFER"
    warm = results.get("warmup", {}).get("cluster-2", {}).get("cli_seconds")
    note = f"{m['cpus']} CPUs, {results['repeats']} repeat(s), bars: median; {agree}"
    if warm is not None:
        note += f"\nnot timed: first tiny run on fresh workers (warm-up) took {warm:.1f} s"
    ax.text(0.01, 0.99, note, transform=ax.transAxes, ha="left", va="top", fontsize=9, color="0.3")
    chunks = -(-results["examples"] // results.get("chunk", 1000))
    ax.set_title(f"certify fuzz {CLAIM} -n {results['examples']} --seed {results['seed']}: "
                 f"{chunks} chunk{'s' if chunks != 1 else ''} of up to 1000 examples", fontsize=13)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main ----------------------------------------------------------------------------------------


def _raise_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one repeat (N 2000 unless --examples)")
    ap.add_argument("--examples", "-n", type=int, default=2000,
                    help="examples per campaign (default 2000: two chunks of 1000; try 4000)")
    ap.add_argument("--seed", type=int, default=3, help="seed of the campaign (default 3)")
    ap.add_argument("--repeats", type=int, help="interleaved repeats of every configuration (default 3; --quick: 1)")
    ap.add_argument("--no-local", action="store_true", help="time the clusters only, not --jobs 1 / --jobs 2")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per command (default 1800)")
    ap.add_argument("--no-chunk-times", action="store_true",
                    help="skip timing each chunk alone at the end (the bound on the speed-up)")
    ap.add_argument("--snapshot", action="store_true",
                    help="run a copy of certify taken at the start (immune to edits of the sources meanwhile)")
    ap.add_argument("--keep-workdir", action="store_true", help="keep the temporary folder (logs, reports)")
    ap.add_argument("--out", help="write the results JSON here (rewritten after every run)")
    ap.add_argument("--plot", help="draw the figure (PNG) from the results")
    ap.add_argument("--plot-only", metavar="FROM_JSON", help="redraw --plot from a saved results JSON; run nothing")
    args = ap.parse_args()

    if args.plot_only:
        with open(args.plot_only) as f:
            results = json.load(f)
        plot(results, args.plot or "cluster-fuzz.png")
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1 or args.examples < 1:
        ap.error("--repeats and --examples must be at least 1")
    configs = [c for c in CONFIGS if not (args.no_local and c[2] is None)]

    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises, even if started with it ignored
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    results: dict[str, Any] = {
        "benchmark": "certify fuzz end to end (subprocess wall clock) on a local Dask cluster of 1 and 2 workers, "
                     "and on the local executor (--jobs 1, --jobs 2)",
        "command": f"certify fuzz {CLAIM} -n N --seed S (--cluster tcp://127.0.0.1:PORT | --jobs J) --json REPORT",
        "claim": CLAIM, "examples": args.examples, "seed": args.seed, "repeats": repeats, "chunk": 1000,
        "machine": machine_info(), "load_average_start": list(os.getloadavg()), "clusters": {}, "warmup": {},
        "runs": []}

    def save() -> None:
        results["summary"] = summarise(results)
        if args.out:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=2)

    global SNAPSHOT
    workdir = Path(tempfile.mkdtemp(prefix="bench_cluster_fuzz_"))
    procs = Processes()
    start = time.perf_counter()
    try:
        if args.snapshot:
            SNAPSHOT = snapshot(workdir)
            results["snapshot"] = True
        for k in sorted({c[2] for c in configs if c[2] is not None}):
            info = start_cluster(procs, k, workdir)
            results["clusters"][f"cluster-{k}"] = info
            print(f"cluster of {k} worker(s) at {info['address']}: up in {info['start_seconds']:.1f} s",
                  file=sys.stderr, flush=True)
        for name, _, k, _ in configs:
            if k is None:
                continue
            address = results["clusters"][name]["address"]
            cold = run_fuzz(WARMUP_EXAMPLES, args.seed, workdir / f"warmup-{name}", args.timeout, cluster=address)
            if "error" in cold:
                raise RuntimeError(f"the warm-up run on {address} failed: {cold['error']}")
            pinned = warm_workers(address, args.seed)
            results["warmup"][name] = {"cli_seconds": cold["wall"], "cli_report_seconds": cold.get("seconds"),
                                       "pinned_chunk_seconds_per_worker": pinned}
            print(f"warm-up {name}: first `certify fuzz -n {WARMUP_EXAMPLES}` {cold['wall']:.1f} s "
                  f"(report: {cold.get('seconds')} s); a pinned chunk per worker: "
                  f"{', '.join(f'{v:.2f} s' for v in pinned.values())}", file=sys.stderr, flush=True)
        if any(k is None for _, _, k, _ in configs):
            local = run_fuzz(WARMUP_EXAMPLES, args.seed, workdir / "warmup-local", args.timeout, jobs=1)
            results["warmup"]["local"] = {"cli_seconds": local["wall"], "cli_report_seconds": local.get("seconds")}
        total = repeats * len(configs)
        done = 0
        for r in range(repeats):
            order = configs[r % len(configs):] + configs[:r % len(configs)]  # rotate: no config always first
            for name, label, k, jobs in order:
                procs.check_alive()
                address = results["clusters"][name]["address"] if k is not None else None
                row = run_fuzz(args.examples, args.seed, workdir / f"run-{r}-{name}", args.timeout,
                               cluster=address, jobs=jobs)
                row.update(config=name, label=label, repeat=r)
                if k is not None and "error" not in row and (row.get("executor") or {}).get("workers") != k:
                    row["error"] = f"the report says {row.get('executor')}, expected {k} Dask worker(s)"
                if "other certify sources" in row.get("error", "") and not args.snapshot:
                    row["error"] += " (were the sources edited during the benchmark? --snapshot avoids it)"
                results["runs"].append(row)
                done += 1
                print(f"[{done}/{total}] repeat {r} {label}: {row['wall']:.1f} s, status {row.get('status')}, "
                      f"examples {row.get('examples')}, smallest_slack {row.get('smallest_slack')!r}"
                      + (f"  ERROR {row['error']}" if "error" in row else ""), file=sys.stderr, flush=True)
                results["total_seconds"] = round(time.perf_counter() - start, 1)
                save()
        if not args.no_chunk_times:
            from certify.fuzz.campaign import chunks

            results["chunks"] = []
            for c, (n, chunk_seed) in enumerate(chunks(args.examples, args.seed)):
                row = run_fuzz(n, chunk_seed, workdir / f"chunk-{c}", args.timeout, jobs=1)
                row["chunk"] = c
                results["chunks"].append(row)
                print(f"chunk {c} alone (-n {n} --seed {chunk_seed} --jobs 1): {row['wall']:.1f} s "
                      f"(report: {row.get('seconds')} s), examples {row.get('examples')}, smallest_slack "
                      f"{row.get('smallest_slack')!r}" + (f"  ERROR {row['error']}" if "error" in row else ""),
                      file=sys.stderr, flush=True)
                save()
    finally:
        procs.stop_all()
        if args.keep_workdir:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["load_average_end"] = list(os.getloadavg())
    results["total_seconds"] = round(time.perf_counter() - start, 1)
    save()
    print(json.dumps(results, indent=2))
    print_table(results)
    if args.plot:
        plot(results, args.plot)
    return 0 if results["summary"]["verdicts_agree"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the clusters and runs it started are stopped", file=sys.stderr)
        sys.exit(130)
