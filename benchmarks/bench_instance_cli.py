"""Benchmark: ``certify instance FILE --json OUT`` end to end against a plain float64 numpy baseline.

Not a test: run it by hand.

    python benchmarks/bench_instance_cli.py [--quick] [--depths 5 10 20] [--rounds 3]
        [--families gaussian rank1] [--width 1000] [--points 2000] [--timeout 1800] [--json PATH]

What is timed is what a user runs.  For each weight family and depth L a network 784-1000x(L-1)-10 with
N = 2000 data points is written with ``certify.core.instances.save_instance`` into a temporary directory, then
three commands run as subprocesses, interleaved A L B A L B ... (``--rounds`` times each):

* A: ``certify instance FILE --json OUT`` (the console script installed next to this Python, else
  ``python -m certify``);
* L: ``python bench_instance_cli.py --library-run FILE OUT``: the library path, certify's
  ``instance_report`` called from Python (no command line, no terminal output), in its own process;
* B: ``python bench_instance_cli.py --float-baseline FILE OUT``: plain numpy in float64 that reads the
  same file and computes the same per-layer quantities, streaming, and writes them as JSON.  It imports
  nothing from certify (only numpy and the standard library), so both sides pay process start-up, imports
  and file loading, and the baseline pays nothing more.

The baseline computes, for the activations Z_0^s = X, Z_l^s = relu(W_l Z_{l-1}^s) (l = 0..L-1) and for
every W_l: s_1 = ||A v|| / ||v|| with v from the same untrusted power iteration the tool uses (a copy of
``certify.instance.witnesses.power_iteration``: start ones/sqrt(n), up to 60 steps of A^T(A v), normalised, stopping
once the Rayleigh quotient changes by less than 1e-15 relative), ||A||_F and the rank-one ratio 1 - s_1^2/||A||_F^2; the ReLU gaps
||min(Z_l, 0)||_F^2 / ||Z_l||_F^2 (l = 1..L-1); Tr[G^T Z_L] and ||theta||^2; and the float escape
estimate the CLI prints (``certify.core.network.escape_report``): on the sphere rho = sqrt(L) theta/||theta||,
s = -L0(rho) and the residual ||grad L0(rho) + s rho|| (relu'(0) = 0).  Each activation is summarised as
soon as it is formed and then dropped.  The backward pass of the escape estimate needs every activation
again; the forward pass keeps only every k-th one (k = ceil(sqrt L)) and the backward pass recomputes
one segment of k at a time (about 2 sqrt(L) activations in memory instead of L, for about one extra
forward pass of matrix products, small next to the power iterations).  Rho's activations are theta's
scaled by c^l, c = sqrt(L)/||theta|| (positive homogeneity), so no second forward pass on rho is run.

Reported per (family, depth):

* wall time: median over the rounds of each command, from its fork to its exit, and the ratio
  certify / float;
* peak memory: the maximum resident set size of each command.  Each command runs under a tiny launcher
  (``python -I -S -c``, about 6 MiB) that forks, execs the command and reaps it with ``os.wait4``, whose
  rusage is that one child's own (Linux: the largest RSS of the child and of any descendants it waited
  for, KiB; shown in MiB); the launcher also times the command, from the fork to the exit.  Why the
  launcher: Linux carries the memory of the process that forked into the child's ``ru_maxrss`` (the
  high-water mark of the pre-exec address space is kept across ``exec``; with vfork, as ``subprocess``
  uses, it is the parent's whole peak), so measuring from this benchmark directly would report its own
  peak (instance generation) for every command, and ``getrusage(RUSAGE_CHILDREN)`` is moreover a maximum
  over all children so far.  The launcher's own few MiB are a floor far below either command (both start
  Python and numpy).  Median over rounds, and the ratio certify / float;
* tightness, from the report's ``certified.layers``: for each activation l = 0..L-1 and each weight
  l = 1..L the relative excess of the certified upper end of the rank-one ratio over the float value,
  (hi - float)/|float|, and of the float s_1 over its certified lower end, (float - lo)/|float|; the worst
  over layers (and, for the other side, the excess of the certified upper end of s_1 over the float
  value, which bounds the lower end of the ratio).  A float ratio below :data:`RATIO_FLOOR` is rounding noise (1 - s_1^2/||A||_F^2 is good to
  a few ulp of 1, and can come out as -4e-16), so its relative excess is left out and the absolute one,
  hi - float, is reported for every layer.  Also whether every float value (ratio, s_1, ||.||_F, ReLU
  gap, Tr[G^T Y], speed) lies in its certified interval, each miss marked as within rounding or not;
  and the relative difference between the CLI's float speed and residual and the baseline's.  (On
  ``rank1`` the activations from Z_2^s on are rank one to float precision: the perturbations act on a
  rank-one input, so the full-rank part shrinks by about 1e-3 per layer.)

Also measured once: the start-up alone (``python -c "import numpy"`` against importing certify's
instance command), and the baseline's own phase times (load, per-layer quantities, escape estimate).

Weight families (seeded, deterministic): ``gaussian``: W_l with i.i.d. N(0, 2/fan_in) entries (He);
``rank1``: W_l = s_l (u v^T + 1e-3 E/||E||_F) with u, v unit vectors of |Gaussian| entries (nonnegative,
so the ReLUs keep the rank-one signal) and E Gaussian, s_l > 0 chosen from the forward pass so that the
root-mean-square entry of Z_l^s equals that of X (no overflow, no vanishing).  X is N(0, 1) entries,
d_in x N; G is N(0, 1) entries divided by N, d_out x N.

A failed or timed-out command (``--timeout`` seconds each) is reported in the table and the JSON, and
the benchmark goes on.  ``certify instance`` exits 1 when some verdict is refuted or undecided; that is
a finding of the tool, not a failure of the run, so a run counts as good when it exits 0 or 1 and writes
its JSON.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time

import numpy as np

# ----------------------------------------------------------------------------------------------------
# The float64 baseline (runs in its own process: only numpy and the standard library)
# ----------------------------------------------------------------------------------------------------


def power_iteration(A: np.ndarray, iterations: int = 60, rtol: float = 1e-15) -> np.ndarray:
    """The tool's untrusted witness for the top right singular vector (same steps, same start, same
    early stop once the Rayleigh quotient settles; a copy of ``certify.instance.witnesses.power_iteration``)."""
    A = np.asarray(A, dtype=np.float64)
    top = float(np.max(np.abs(A), initial=0.0))
    if 0 < top < math.inf and not (1e-100 < top < 1e100):
        A = A / top
    v = np.ones(A.shape[1]) / math.sqrt(A.shape[1])
    last = -1.0
    for _ in range(iterations):
        w = A.T @ (A @ v)
        size = float(np.linalg.norm(w))
        if not size > 0 or not math.isfinite(size):
            break
        rayleigh = float(v @ w)
        v = w / size
        if abs(rayleigh - last) <= rtol * abs(rayleigh):
            break
        last = rayleigh
    return v


def _norm(A: np.ndarray) -> float:
    return float(np.linalg.norm(A.ravel()))


def matrix_summary(A: np.ndarray) -> dict:
    """s_1 (lower estimate from the witness), ||A||_F and the rank-one ratio 1 - s_1^2/||A||_F^2."""
    v = power_iteration(A)
    s1 = _norm(A @ v) / _norm(v)
    fro = _norm(A)
    return {"s1": s1, "frobenius": fro, "ratio": 1.0 - (s1 / fro) ** 2 if fro > 0 else None}


def relu_gap(Z: np.ndarray) -> float | None:
    whole = _norm(Z)
    return (_norm(np.minimum(Z, 0.0)) / whole) ** 2 if whole > 0 else None


def library_run(path: str, out: str) -> None:
    """The library path: certify's report of the instance from Python (no command line, no printing)."""
    from pathlib import Path

    from certify.core import jsonio
    from certify.instance.report import instance_report

    report, _ = instance_report(Path(path))
    with open(out, "w") as fh:
        fh.write(jsonio.dumps(report))


def float_baseline(path: str, out: str) -> None:
    """Per-layer quantities and the escape estimate of the instance at ``path``, as JSON to ``out``."""
    clock = time.perf_counter()
    with np.load(path, allow_pickle=False) as npz:
        X, G = np.asarray(npz["X"], dtype=np.float64), np.asarray(npz["G"], dtype=np.float64)
        L = sum(1 for key in npz.files if key.startswith("W"))
        Ws = [np.asarray(npz[f"W{l}"], dtype=np.float64) for l in range(1, L + 1)]
    seconds = {"load": time.perf_counter() - clock}

    clock = time.perf_counter()
    weights = {str(l): matrix_summary(W) for l, W in enumerate(Ws, start=1)}
    theta_sq = sum(_norm(W) ** 2 for W in Ws)
    seconds["weights"] = time.perf_counter() - clock

    clock = time.perf_counter()
    k = max(1, math.ceil(math.sqrt(L)))
    kept: dict[int, np.ndarray] = {}  # Z_l^s at l = 0, k, 2k, ... for the backward pass
    activations, gaps = {}, {}
    act = X
    for l in range(L):
        activations[str(l)] = matrix_summary(act)
        if l % k == 0:
            kept[l] = act
        Z = Ws[l] @ act
        if l + 1 < L:
            gaps[str(l + 1)] = relu_gap(Z)
            act = np.maximum(Z, 0.0, out=Z)
        else:
            act = Z
    trace = float(np.sum(G * act))  # Tr[G^T Z_L]
    del act, Z
    seconds["layers"] = time.perf_counter() - clock

    clock = time.perf_counter()
    escape = escape_estimate(Ws, G, kept, k, theta_sq, trace)
    seconds["escape"] = time.perf_counter() - clock

    result = {"depth": L, "activations": activations, "weights": weights, "relu_gap": gaps,
              "Tr[G^T Y]": trace, "squared_norm": theta_sq, "escape": escape, "seconds": seconds,
              "checkpoint_every": k}
    with open(out, "w") as fh:
        json.dump(result, fh)


def escape_estimate(Ws: list, G: np.ndarray, kept: dict, k: int, theta_sq: float, trace: float) -> dict:
    """s = -L0(rho) and ||grad L0(rho) + s rho|| for rho = c theta, c = sqrt(L)/||theta||.

    Z_l^s(rho) = c^l Z_l^s(theta) and relu'(Z_l(rho)) = relu'(Z_l(theta)), so the backward pass runs on
    theta's activations, recomputed one segment [a, a+k) at a time from the kept Z_a^s.
    """
    L = len(Ws)
    if not theta_sq > 0:
        return {"speed": None, "residual": None, "relative_residual": None}
    c = math.sqrt(L) / math.sqrt(theta_sq)
    speed = -(c ** L) * trace
    delta = G  # dL0/dZ_L at rho
    res_sq = grad_sq = 0.0
    for a in sorted(kept, reverse=True):
        segment = [kept[a]]  # Z_a^s .. Z_{b-1}^s (theta)
        for l in range(a + 1, min(a + k, L)):
            segment.append(np.maximum(Ws[l - 1] @ segment[-1], 0.0))
        for l in range(a + len(segment), a, -1):  # weight W_l, input Z_{l-1}^s
            post = segment[l - 1 - a]
            grad = (c ** (l - 1)) * (delta @ post.T)
            res_sq += _norm(grad + (speed * c) * Ws[l - 1]) ** 2
            grad_sq += _norm(grad) ** 2
            if l > 1:
                delta = (c * (Ws[l - 1].T @ delta)) * (post > 0)
        del segment
    residual = math.sqrt(res_sq)
    grad_norm = math.sqrt(grad_sq)
    return {"speed": speed, "residual": residual,
            "relative_residual": residual / grad_norm if grad_norm > 0 else math.inf}


# ----------------------------------------------------------------------------------------------------
# The benchmark (parent process)
# ----------------------------------------------------------------------------------------------------

FAMILIES = ("gaussian", "rank1")
PERTURBATION = 1e-3


def _rms(A: np.ndarray) -> float:
    return _norm(A) / math.sqrt(A.size)


def make_instance(family: str, depth: int, width: int, points: int, d_in: int, d_out: int, seed: int):
    from certify.core.instances import Instance

    rng = np.random.default_rng([seed, FAMILIES.index(family), depth])
    X = rng.standard_normal((d_in, points))
    G = rng.standard_normal((d_out, points)) / points
    widths = [d_in] + [width] * (depth - 1) + [d_out]
    target = _rms(X)
    Ws, act = [], X
    for l in range(1, depth + 1):
        n_out, n_in = widths[l], widths[l - 1]
        if family == "gaussian":
            Ws.append(rng.standard_normal((n_out, n_in)) * math.sqrt(2.0 / n_in))
            continue
        u, v = np.abs(rng.standard_normal(n_out)), np.abs(rng.standard_normal(n_in))
        E = rng.standard_normal((n_out, n_in))
        W = np.outer(u / _norm(u), v / _norm(v)) + PERTURBATION * E / _norm(E)
        Z = W @ act
        if l < depth:
            Z = np.maximum(Z, 0.0, out=Z)
        scale = target / _rms(Z)
        Ws.append(W * scale)
        act = Z * scale
    meta = {"name": f"bench-{family}-L{depth}", "description": "benchmarks/bench_instance_cli.py",
            "source": f"seed {seed}"}
    return Instance(X, G, tuple(Ws), meta)


def certify_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "certify")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "certify"]


#: Started by ``python -I -S -c``: runs the command as its own child, and writes that child's wall time,
#: exit code and ``ru_maxrss`` (KiB) to argv[1].  Being small, it keeps the parent's memory out of the count.
LAUNCHER = """
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    except OSError as exc:
        print(f"cannot run {cmd[0]}: {exc}", file=sys.stderr, flush=True)
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as fh:
    fh.write(f"{seconds!r} {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(cmd: list[str], timeout: float, log_path: str) -> dict:
    """Run ``cmd`` through :data:`LAUNCHER` (output to ``log_path``): wall time, exit code, peak RSS.

    The launcher and the command form a new process group, killed as a whole after ``timeout`` seconds.
    """
    import subprocess

    measured = log_path + ".rusage"
    timed_out = False
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, measured, *cmd],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher is not reaped yet: its pid is still its own
            proc.wait()
    with open(log_path, "rb") as fh:
        tail = fh.read()[-2000:].decode("utf-8", "replace")
    result = {"seconds": None, "exit_code": None, "max_rss_mib": None, "timed_out": timed_out, "log_tail": tail}
    if not timed_out and proc.returncode == 0 and os.path.isfile(measured):
        with open(measured) as fh:
            seconds, code, kib = fh.read().split()
        result.update(seconds=float(seconds), exit_code=int(code), max_rss_mib=int(kib) / 1024)
        os.remove(measured)
    elif not timed_out:
        result["exit_code"] = f"launcher failed ({proc.returncode})"
    return result


def _relative(a: float, b: float) -> float | None:
    return abs(a - b) / abs(b) if b != 0 else (0.0 if a == b else None)


#: below this a float rank-one ratio 1 - s_1^2/||A||_F^2 is rounding noise (its error is a few ulp of 1)
RATIO_FLOOR = 1e-12
#: a float value this close to its certified interval (relative; absolute for ratios) is outside by rounding
ROUNDING = 1e-12


def tightness(report: dict, floats: dict) -> dict:
    """Certified intervals of ``report`` against the baseline's float values."""
    layers = report["certified"]["layers"]
    outside: list[dict] = []

    def inside(name: str, interval: list, value: float | None, absolute: bool = False) -> None:
        if value is None or interval[0] <= value <= interval[1]:
            return
        miss = interval[0] - value if value < interval[0] else value - interval[1]
        scale = 1.0 if absolute else abs(value)
        outside.append({"quantity": name, "float": value, "certified": interval,
                        "by_rounding": bool(miss <= ROUNDING * scale)})

    def excesses(kind: str, key: str, indices: range) -> dict:
        rows = {}
        for l in indices:
            cert, flt = layers[str(l)][key], floats[kind][str(l)]
            inside(f"{key}[{l}].ratio", cert["ratio"], flt["ratio"], absolute=True)
            for q in ("s1", "frobenius"):
                inside(f"{key}[{l}].{q}", cert[q], flt[q])
            s1 = flt["s1"]
            row = {"float_ratio": flt["ratio"], "certified_ratio": cert["ratio"], "float_s1": s1,
                   "certified_s1": cert["s1"], "ratio_upper_excess_abs": None, "ratio_upper_excess": None,
                   "s1_lower_deficit": (s1 - cert["s1"][0]) / abs(s1) if s1 else None,
                   "s1_upper_excess": (cert["s1"][1] - s1) / abs(s1) if s1 else None}
            if flt["ratio"] is not None:
                row["ratio_upper_excess_abs"] = cert["ratio"][1] - flt["ratio"]
                if abs(flt["ratio"]) > RATIO_FLOOR:
                    row["ratio_upper_excess"] = row["ratio_upper_excess_abs"] / abs(flt["ratio"])
            rows[str(l)] = row

        def worst(q: str) -> float | None:
            return max((r[q] for r in rows.values() if r[q] is not None), default=None)

        return {"layers": rows, "worst_ratio_upper_excess": worst("ratio_upper_excess"),
                "worst_ratio_upper_excess_abs": worst("ratio_upper_excess_abs"),
                "worst_s1_lower_deficit": worst("s1_lower_deficit"), "worst_s1_upper_excess": worst("s1_upper_excess")}

    L = floats["depth"]
    out = {"activations": excesses("activations", "activation_ratio", range(L)),
           "weights": excesses("weights", "W_ratio", range(1, L + 1))}
    for l in range(1, L):
        inside(f"relu_gap[{l}]", layers[str(l)]["relu_gap"], floats["relu_gap"][str(l)])
    cq = report["certified"]
    inside("Tr[G^T Y]", cq["Tr[G^T Y]"], floats["Tr[G^T Y]"])
    inside("speed_on_sphere", cq["speed_on_sphere"], floats["escape"]["speed"])
    est = report.get("direction_float_estimates") or {}
    out["cli_float_estimates_vs_baseline"] = {
        q: _relative(est[q], floats["escape"][q]) for q in ("speed", "residual")
        if est.get(q) is not None and floats["escape"].get(q) is not None}
    out["all_inside"] = not outside
    out["all_inside_up_to_rounding"] = all(o["by_rounding"] for o in outside)
    out["outside"] = outside
    return out


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def bench_one(family: str, depth: int, args, workdir: str) -> dict:
    from certify.core.instances import save_instance

    clock = time.perf_counter()
    inst = make_instance(family, depth, args.width, args.points, args.d_in, args.d_out, args.seed)
    path = save_instance(inst, os.path.join(workdir, f"{family}-L{depth}.npz"))
    del inst
    row: dict = {"family": family, "depth": depth, "file_mib": os.path.getsize(path) / 2**20,
                 "generate_seconds": time.perf_counter() - clock}
    tool, lib, base = [], [], []
    report = floats = None
    for r in range(args.rounds):
        for side, runs in (("certify", tool), ("library", lib), ("float", base)):
            out = os.path.join(workdir, f"{family}-L{depth}-{side}-{r}.json")
            if side == "certify":
                cmd = certify_command() + ["instance", str(path), "--json", out]
            else:
                flag = "--library-run" if side == "library" else "--float-baseline"
                cmd = [sys.executable, os.path.abspath(__file__), flag, str(path), out]
            run = run_measured(cmd, args.timeout, out + ".log")
            data = None
            if run["exit_code"] in ((0, 1) if side != "float" else (0,)) and os.path.isfile(out):
                try:
                    with open(out) as fh:
                        data = json.load(fh)
                except ValueError as exc:
                    run["log_tail"] += f"\nunreadable JSON {out}: {exc}"
                os.remove(out)
            run["ok"] = data is not None
            if data is None:
                print(f"  {family} L={depth} round {r} {side}: FAILED (exit {run['exit_code']}"
                      f"{', timed out' if run['timed_out'] else ''})\n{run['log_tail']}", file=sys.stderr, flush=True)
            else:
                del run["log_tail"]
                if side == "certify":
                    report = report or data
                elif side == "library":
                    pass
                else:
                    run["phases"] = data["seconds"]
                    floats = floats or data
                print(f"  {family} L={depth} round {r} {side}: {run['seconds']:.2f} s, {run['max_rss_mib']:.0f} MiB",
                      file=sys.stderr, flush=True)
            runs.append(run)
    os.remove(path)
    for side, runs in (("certify", tool), ("library", lib), ("float", base)):
        good = [x for x in runs if x["ok"]]
        row[side] = {"runs": runs, "failures": len(runs) - len(good),
                     "median_seconds": _median([x["seconds"] for x in good]),
                     "median_max_rss_mib": _median([x["max_rss_mib"] for x in good])}
    row["time_ratio"] = _ratio(row["certify"]["median_seconds"], row["float"]["median_seconds"])
    row["library_time_ratio"] = _ratio(row["library"]["median_seconds"], row["float"]["median_seconds"])
    row["memory_ratio"] = _ratio(row["certify"]["median_max_rss_mib"], row["float"]["median_max_rss_mib"])
    if report is not None and floats is not None:
        try:
            row["tightness"] = tightness(report, floats)
        except (KeyError, TypeError, IndexError) as exc:
            row["tightness"] = {"error": f"report layout not understood: {exc!r}"}
    return row


def startup(workdir: str, timeout: float) -> dict:
    """Process start-up and imports alone, each side once."""
    cmds = {"certify_imports": [sys.executable, "-c", "import certify.cli, certify.instance.report"],
            "numpy_import": [sys.executable, "-c", "import numpy"]}
    out = {}
    for name, cmd in cmds.items():
        run = run_measured(cmd, timeout, os.path.join(workdir, name + ".log"))
        out[name] = {"seconds": run["seconds"], "max_rss_mib": run["max_rss_mib"], "exit_code": run["exit_code"]}
    return out


def _fmt(x: float | None, spec: str) -> str:
    """``format(x, spec)``, or a dash as wide when x is missing."""
    width = spec.split(".")[0]
    return "-".rjust(int(width) if width.isdigit() else 0) if x is None else format(x, spec)


def _inside_label(t: dict) -> str:
    if not t:
        return "-"
    if "error" in t:
        return "error"
    if t["all_inside"]:
        return "yes"
    n = len(t["outside"])
    return f"rounding ({n})" if t["all_inside_up_to_rounding"] else f"NO ({n})"


def print_table(summary: dict) -> None:
    cfg = summary["config"]
    print(f"certify instance vs float64 numpy: {cfg['d_in']}-{cfg['width']}x(L-1)-{cfg['d_out']}, "
          f"N = {cfg['points']}, {cfg['rounds']} round(s) each, interleaved; medians")
    ci, ni = summary["startup"]["certify_imports"], summary["startup"]["numpy_import"]
    print(f"start-up alone: import certify's instance command {_fmt(ci['seconds'], '.2f')} s "
          f"({_fmt(ci['max_rss_mib'], '.0f')} MiB), import numpy {_fmt(ni['seconds'], '.2f')} s "
          f"({_fmt(ni['max_rss_mib'], '.0f')} MiB)")
    head = (f"{'family':<9}{'L':>3} {'certify s':>10}{'lib s':>7}{'float s':>9}{'x':>6}{'lib x':>6} {'cert MiB':>9}{'float MiB':>10}"
            f"{'x':>6}  {'act r+':>8}{'act r+abs':>10}{'act s1-':>9}{'act s1+':>9}{'W r+':>9}{'W s1-':>9}{'W s1+':>9}"
            "  inside")
    print(head)
    print("-" * len(head))
    for row in summary["results"]:
        t = row.get("tightness") or {}
        act, wts = t.get("activations", {}), t.get("weights", {})
        fails = row["certify"]["failures"] + row["library"]["failures"] + row["float"]["failures"]
        print(f"{row['family']:<9}{row['depth']:>3} "
              f"{_fmt(row['certify']['median_seconds'], '10.2f')}{_fmt(row['library']['median_seconds'], '7.2f')}"
              f"{_fmt(row['float']['median_seconds'], '9.2f')}"
              f"{_fmt(row['time_ratio'], '6.1f')}{_fmt(row['library_time_ratio'], '6.1f')} "
              f"{_fmt(row['certify']['median_max_rss_mib'], '9.0f')}"
              f"{_fmt(row['float']['median_max_rss_mib'], '10.0f')}{_fmt(row['memory_ratio'], '6.1f')}  "
              f"{_fmt(act.get('worst_ratio_upper_excess'), '8.1e')}"
              f"{_fmt(act.get('worst_ratio_upper_excess_abs'), '10.1e')}"
              f"{_fmt(act.get('worst_s1_lower_deficit'), '9.1e')}{_fmt(act.get('worst_s1_upper_excess'), '9.1e')}"
              f"{_fmt(wts.get('worst_ratio_upper_excess'), '9.1e')}{_fmt(wts.get('worst_s1_lower_deficit'), '9.1e')}"
              f"{_fmt(wts.get('worst_s1_upper_excess'), '9.1e')}"
              f"  {_inside_label(t)}{f'  [{fails} failed run(s)]' if fails else ''}")
    print("x: certify / float; lib x: the library path (instance_report from Python) / float.  r+: worst (certified upper - float)/|float| of the ratio 1 - s1^2/||.||_F^2 over "
          f"layers whose float ratio exceeds {RATIO_FLOOR:g}; r+abs: worst certified upper - float, all layers;\n"
          "s1-, s1+: worst (float - certified lower)/|float| and (certified upper - float)/|float| of s_1.  inside: every float value in its certified "
          "interval (rounding: outside only by float rounding).")


def main() -> None:
    import argparse
    import platform
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: width 250, N 500, depths 5 10, 1 round")
    ap.add_argument("--depths", type=int, nargs="+")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    ap.add_argument("--width", type=int)
    ap.add_argument("--points", type=int)
    ap.add_argument("--d-in", type=int, default=784)
    ap.add_argument("--d-out", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per command (default 1800)")
    ap.add_argument("--json", metavar="PATH", help="write the summary as JSON")
    args = ap.parse_args()
    args.width = args.width or (250 if args.quick else 1000)
    args.points = args.points or (500 if args.quick else 2000)
    args.depths = args.depths or ([5, 10] if args.quick else [5, 10, 20])
    args.rounds = args.rounds or (1 if args.quick else 3)
    if min(args.depths) < 1 or min(args.width, args.points, args.d_in, args.d_out, args.rounds) < 1:
        ap.error("depths, width, points, dimensions and rounds must be positive")

    summary = {"benchmark": "certify instance FILE --json OUT vs a float64 numpy baseline (subprocesses)",
               "config": {k: getattr(args, k) for k in ("width", "points", "d_in", "d_out", "depths", "rounds",
                                                        "families", "seed", "timeout")},
               "certify_command": certify_command(),
               "python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
               "cpus": os.cpu_count(), "results": []}
    with tempfile.TemporaryDirectory(prefix="bench_instance_cli-") as workdir:
        summary["startup"] = startup(workdir, args.timeout)
        for family in args.families:
            for depth in args.depths:
                summary["results"].append(bench_one(family, depth, args, workdir))
    print_table(summary)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--library-run"]:
        if len(sys.argv) != 4:
            sys.exit("usage: bench_instance_cli.py --library-run INSTANCE.npz OUT.json")
        library_run(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["--float-baseline"]:
        if len(sys.argv) != 4:
            sys.exit("usage: bench_instance_cli.py --float-baseline INSTANCE.npz OUT.json")
        float_baseline(sys.argv[2], sys.argv[3])
    else:
        main()
