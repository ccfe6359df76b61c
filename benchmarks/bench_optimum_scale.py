"""Benchmark: how `certify optimum --depth 3` scales with the number of points, end to end.

Times the command a user runs, not the library call: for every case it writes the data to a
temporary .npz, runs
    certify optimum FILE --depth 3 --method M --json REPORT --certificate CERT
as a subprocess (``python -m certify``, the same entry point as the ``certify`` console script) and
times its wall clock, then runs ``certify check CERT`` the same way and times that too.  Each row
records the wall seconds of both commands, the report's own seconds_search / seconds_check, the
branch and bound's nodes and leaves, the certificate's size in bytes, the width of the certified
interval (upper_float - lower_float) and whether it was certified.

Data (2-D inputs, one output), with rng = numpy.random.default_rng(seed):
    X = rng.standard_normal((2, N))
    balanced:   g = rng.standard_normal(N)                           (signs about half and half)
    unbalanced: g = |rng.standard_normal(N)| * s, s = +1 with probability 0.8, else -1
                (the signs drawn by rng.random(N) < 0.8 after the magnitudes)
    G = g[None, :]

Default grid: N in 12, 16, 20, 22 with both methods (enumerate and branch), N in 50, 100, 200 with
branch only; balanced and unbalanced; seeds 0, 1, 2.  Then depth 2 in d dimensions (cone certificates,
``certify optimum FILE --depth 2`` with X of d rows): (d, N) in (3, 20), (3, 60), (3, 100), (5, 20),
(5, 60), (5, 100), X and G standard normal, the same seeds.  Enumeration refuses more than 4096 sign
patterns (2^|P| + 2^|M|), so with random signs it runs at N = 20-22 only when the split is nearly
even; a refusal is recorded as a row with its error line (and drawn as a note, not a point).  The targets (from the issue): 5 minutes at N = 100, 30 minutes at N = 200,
interval width 1e-6.

Not a test: run it by hand (it takes tens of minutes; ``--quick`` takes about a minute),
    python benchmarks/bench_optimum_scale.py [--quick] [--out RESULTS.json] [--plot FIGURE.png]
    python benchmarks/bench_optimum_scale.py --plot-only RESULTS.json --plot FIGURE.png
Prints the results as JSON (and writes them to --out, after every case, so a long run can be
drawn before it ends).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGETS_SECONDS = {100: 5 * 60, 200: 30 * 60}
TARGET_WIDTH = 1e-6

FULL_BOTH = (12, 16, 20, 22)
FULL_BRANCH = (50, 100, 200)
QUICK_BOTH = (8, 12)
QUICK_BRANCH = (30,)


#: depth 2 in d dimensions (cone certificates): (d, N) with X (d x N) and G (1 x N) standard normal
FULL_CONES = ((3, 20), (3, 60), (3, 100), (5, 20), (5, 60), (5, 100))
QUICK_CONES = ((3, 20),)
TARGET_CONES_SECONDS = 5 * 60


def make_data(n: int, balance: str, seed: int, dim: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dim, n))
    if balance == "balanced":
        g = rng.standard_normal(n)
    elif balance == "unbalanced":
        g = np.abs(rng.standard_normal(n)) * np.where(rng.random(n) < 0.8, 1.0, -1.0)
    else:
        raise ValueError(balance)
    return X, g[None, :]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "certify", *args]


def run_case(n: int, balance: str, seed: int, method: str, timeout: float) -> dict:
    """``method``: 'enumerate' or 'branch' (depth 3, 2-D), or 'cones-dD' (depth 2 in D dimensions)."""
    dim = int(method[len("cones-d"):]) if method.startswith("cones-d") else 2
    X, G = make_data(n, balance, seed, dim)
    row = {"N": n, "balance": balance, "seed": seed, "method": method, "dim": dim,
           "positive": int((G > 0).sum()), "negative": int((G < 0).sum())}
    with tempfile.TemporaryDirectory(prefix="bench_optimum_") as tmp:
        data, report, cert = (os.path.join(tmp, name) for name in ("data.npz", "report.json", "cert.json"))
        np.savez(data, X=X, G=G)
        if dim == 2:
            cmd = command("optimum", data, "--depth", "3", "--method", method, "--json", report, "--certificate", cert)
        else:
            cmd = command("optimum", data, "--depth", "2", "--json", report, "--certificate", cert)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            row.update(optimum_wall=round(time.perf_counter() - t0, 3), returncode=None, certified=False,
                       error=f"timed out after {timeout:g} s")
            return row
        row["optimum_wall"] = round(time.perf_counter() - t0, 3)
        row["returncode"] = proc.returncode
        if proc.returncode != 0 or not os.path.exists(report):
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            row.update(certified=False, error=lines[-1] if lines else f"exit {proc.returncode}")
            return row
        with open(report) as f:
            rep = json.load(f)
        search = rep.get("search") or {}
        row.update(certified=bool(rep.get("certified")),
                   seconds_search=rep.get("seconds_search"), seconds_check=rep.get("seconds_check"),
                   nodes=search.get("nodes"), leaves=search.get("leaves"), solves=search.get("solves"),
                   stopped=search.get("stopped"),
                   lower=rep.get("lower_float"), upper=rep.get("upper_float"),
                   width=(rep["upper_float"] - rep["lower_float"]) if "upper_float" in rep else None,
                   certificate_bytes=os.path.getsize(cert) if os.path.exists(cert) else None)
        if os.path.exists(cert):
            t0 = time.perf_counter()
            chk = subprocess.run(command("check", cert), check=False, capture_output=True, text=True, timeout=timeout)
            row["check_wall"] = round(time.perf_counter() - t0, 3)
            row["check_returncode"] = chk.returncode
            if chk.returncode != 0:
                lines = (chk.stderr or chk.stdout).strip().splitlines()
                row["check_error"] = lines[-1] if lines else f"exit {chk.returncode}"
    return row


def grid(quick: bool, seeds: list[int], enumerate_seeds: list[int] | None) -> list[tuple[int, str, int, str]]:
    both, branch_only = (QUICK_BOTH, QUICK_BRANCH) if quick else (FULL_BOTH, FULL_BRANCH)
    cases = []
    for n in both + branch_only:
        for balance in ("balanced", "unbalanced"):
            for seed in seeds:
                cases.append((n, balance, seed, "branch"))
                if n in both and (enumerate_seeds is None or seed in enumerate_seeds):
                    cases.append((n, balance, seed, "enumerate"))
    for d, n in (QUICK_CONES if quick else FULL_CONES):
        for seed in seeds:
            cases.append((n, "balanced", seed, f"cones-d{d}"))
    return cases


def plot(results: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    everything = [r for r in results["results"] if not r["method"].startswith("cones")]
    cones = [r for r in results["results"] if r["method"].startswith("cones") and r.get("optimum_wall")]
    refused = [r for r in everything if "too many sign patterns" in r.get("error", "")]
    rows = [r for r in everything if r.get("optimum_wall") is not None and r not in refused]
    seeds = sorted({r["seed"] for r in everything})
    style = {("enumerate", "balanced"): {"marker": "s", "color": "#d95f02", "label": "enumerate, balanced signs"},
             ("enumerate", "unbalanced"): {"marker": "s", "color": "#d95f02", "mfc": "none",
                                           "label": "enumerate, 80% positive"},
             ("branch", "balanced"): {"marker": "o", "color": "#1b9e77", "label": "branch and bound, balanced signs"},
             ("branch", "unbalanced"): {"marker": "o", "color": "#1b9e77", "mfc": "none",
                                        "label": "branch and bound, 80% positive"}}
    offset = {("enumerate", "balanced"): -0.013, ("enumerate", "unbalanced"): -0.0045,
              ("branch", "balanced"): 0.0045, ("branch", "unbalanced"): 0.013}  # log10 shifts; N 20 and 22 are close

    plt.rcParams.update({"font.size": 12})
    fig, (ax_t, ax_w, ax_c) = plt.subplots(1, 3, figsize=(17.5, 5.6), constrained_layout=True,
                                           gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for d, colour in ((3, "#7570b3"), (5, "#e7298a")):  # depth 2 in d dimensions: time and certificate size
        sel = [r for r in cones if r["dim"] == d]
        if sel:
            ax_c.plot([r["N"] for r in sel], [r["optimum_wall"] for r in sel], linestyle="none", marker="D",
                      color=colour, markersize=7, alpha=0.85, label=f"d = {d}: certify optimum --depth 2")
            for r in sel:
                if r.get("certificate_bytes"):
                    ax_c.annotate(f"{r['certificate_bytes'] / 1e6:.2g} MB", (r["N"], r["optimum_wall"]),
                                  xytext=(6, -3), textcoords="offset points", fontsize=8, color=colour)
    if cones:
        ax_c.axhline(TARGET_CONES_SECONDS, color="0.3", linestyle="--", linewidth=1.5)
        ax_c.annotate("target: 5 min", (0.98, TARGET_CONES_SECONDS), xycoords=("axes fraction", "data"),
                      xytext=(0, 4), textcoords="offset points", ha="right", va="bottom", fontsize=10, color="0.25")
        ax_c.set_xscale("log")
        ax_c.set_yscale("log")
        cn = sorted({r["N"] for r in cones})
        ax_c.set_xticks(cn)
        ax_c.set_xticklabels([str(n) for n in cn])
        ax_c.minorticks_off()
        ax_c.set_yticks([0.1, 1, 10, 60, 300])
        ax_c.set_yticklabels(["0.1 s", "1 s", "10 s", "1 min", "5 min"])
        ax_c.set_ylim(0.05, 1000)
        ax_c.set_xlabel("number of points N")
        ax_c.set_ylabel("wall time (labels: certificate size)")
        ax_c.set_title("Depth 2 in d dimensions (cones)")
        ax_c.grid(True, which="major", alpha=0.3)
        ax_c.legend(loc="upper left", fontsize=9, frameon=False)
    for key, st in style.items():
        sel = [r for r in rows if (r["method"], r["balance"]) == key]
        if not sel:
            continue
        xs = np.array([r["N"] for r in sel], float) * 10 ** offset[key]  # small shift so markers don't overlap
        kw = {"linestyle": "none", "markersize": 7, "alpha": 0.85, "markeredgewidth": 1.5}
        ax_t.plot(xs, [r["optimum_wall"] for r in sel], **kw, **st)
        ok = [(x, r["width"]) for x, r in zip(xs, sel) if r.get("width") is not None and r["width"] > 0]
        if ok:
            ax_w.plot(*zip(*ok), **kw, **{k: v for k, v in st.items() if k != "label"})
        bad = [(x, r["optimum_wall"]) for x, r in zip(xs, sel) if not r.get("certified")]
        if bad:
            ax_t.plot(*zip(*bad), linestyle="none", marker="x", color="crimson", markersize=10)
    for r in rows:  # a search that stopped early: certified, but the interval is wider than asked
        if r.get("stopped") and r.get("width"):
            x = r["N"] * 10 ** offset[(r["method"], r["balance"])]
            for ax, y in ((ax_t, r["optimum_wall"]), (ax_w, r["width"])):
                ax.plot([x], [y], linestyle="none", marker="o", markersize=14, mfc="none", mec="crimson", mew=1.5)
            ax_w.annotate(f"search stopped ({r['stopped']}):\ncertified, but wide", (x, r["width"]), xytext=(-12, 0),
                          textcoords="offset points", ha="right", va="center", fontsize=9, color="crimson")
    for n, secs in TARGETS_SECONDS.items():
        ax_t.plot([n * 0.8, n * 1.25], [secs, secs], color="0.3", linestyle="--", linewidth=1.5)
        ax_t.annotate(f"target at N = {n}: {secs // 60} min", (n * 1.25, secs), xytext=(-4, 5),
                      textcoords="offset points", ha="right", va="bottom", fontsize=10, color="0.25")
    ax_w.axhline(TARGET_WIDTH, color="0.3", linestyle="--", linewidth=1.5)
    ax_w.annotate("target width 1e-6", (0.98, TARGET_WIDTH), xycoords=("axes fraction", "data"),
                  xytext=(0, 4), textcoords="offset points", ha="right", va="bottom", fontsize=10, color="0.25")

    ns = sorted({r["N"] for r in rows})
    for ax in (ax_t, ax_w):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ns)
        labels = ax.set_xticklabels([str(n) for n in ns])
        for a, b, la, lb in zip(ns, ns[1:], labels, labels[1:]):  # close neighbours (20, 22): push apart
            if b / a < 1.15:
                la.set_horizontalalignment("right")
                lb.set_horizontalalignment("left")
        ax.minorticks_off()
        ax.set_xlabel("number of points N")
        ax.grid(True, which="major", alpha=0.3)
    ax_t.set_yticks([1, 10, 60, 300, 1800])
    ax_t.set_yticklabels(["1 s", "10 s", "1 min", "5 min", "30 min"])
    ax_t.set_ylim(0.2, max(3000, max((r["optimum_wall"] for r in rows), default=1) * 1.5))  # room for notes
    ax_t.set_ylabel("wall time of certify optimum (whole command)")
    ax_t.set_title("Time to a certified interval")
    ax_w.set_ylabel("width of the certified interval")
    ax_w.set_title("How tight the interval is")
    fig.legend(*ax_t.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=10, frameon=False)
    notes = []
    if refused:
        where = ", ".join(str(n) for n in sorted({r["N"] for r in refused}))
        notes.append(f"enumeration refused (over 4096 sign patterns):\n{len(refused)} case(s), at N = {where}")
    if any(r.get("stopped") for r in rows):
        notes.append("red ring: search stopped early (see right)")
    if notes:
        ax_t.text(0.98, 0.03, "\n".join(notes), transform=ax_t.transAxes, ha="right", va="bottom", fontsize=9,
                  color="0.3")
    fig.suptitle("Certifying optimal escape speeds on random data: s*(3) in 2-D (left, middle), s*(2) in d dimensions "
                 f"({len(seeds)} seed{'s' if len(seeds) != 1 else ''} per case)", fontsize=14)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small grid (N 8, 12 both methods; 30 branch; seed 0)")
    ap.add_argument("--seeds", type=int, nargs="+", help="seeds (default 0 1 2; --quick: 0)")
    ap.add_argument("--enumerate-seeds", type=int, nargs="+",
                    help="run enumeration only for these seeds (default: every seed)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per command (default 3600)")
    ap.add_argument("--out", help="write the results JSON here (rewritten after every case)")
    ap.add_argument("--plot", help="draw the figure (PNG) from the results")
    ap.add_argument("--plot-only", metavar="FROM_JSON", help="redraw --plot from a saved results JSON; run nothing")
    args = ap.parse_args()

    if args.plot_only:
        with open(args.plot_only) as f:
            results = json.load(f)
        plot(results, args.plot or "optimum-scaling.png")
        return

    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    cases = grid(args.quick, seeds, args.enumerate_seeds)
    results = {"benchmark": "certify optimum --depth 3 end to end (subprocess wall clock), enumerate vs branch",
               "command": "certify optimum FILE --depth 3 --method M --json R --certificate C; certify check C",
               "python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
               "cpus": os.cpu_count(), "targets_seconds": {str(k): v for k, v in TARGETS_SECONDS.items()},
               "target_width": TARGET_WIDTH, "results": []}
    start = time.perf_counter()
    for i, (n, balance, seed, method) in enumerate(cases, 1):
        row = run_case(n, balance, seed, method, args.timeout)
        results["results"].append(row)
        print(f"[{i}/{len(cases)}] N={n} {balance} seed={seed} {method}: {row.get('optimum_wall')} s, "
              f"width {row.get('width')}, certified {row.get('certified')}"
              + (f"  ERROR {row['error']}" if "error" in row else ""), file=sys.stderr, flush=True)
        results["total_seconds"] = round(time.perf_counter() - start, 1)
        if args.out:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
