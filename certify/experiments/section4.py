"""Experiments on Example 1 (Section 4): Figure 2, Figure 7 and the depth comparison of Prop. 3.2.

Untrusted numerics: projected gradient descent (:mod:`certify.optimum.escape`) proposes directions; the checks
turn what it finds into ``reproduced``/``refuted`` verdicts by rules fixed before running, stated in the
claims and repeated in their evidence:

* ``section4.1.width-helps`` (Section 4.1, Figure 2): depth 3, Gaussian starts on the sphere
  ||theta||^2 = 3; each of the 200 independent runs (50 per width, 25 under --quick) *succeeds* when its
  final speed exceeds sqrt(2) - 1 (the best rank-one speed, Appendix D.1) by more than ``MARGIN``.
  Reproduced when a one-sided Cochran-Armitage trend test on (log2 width, successes) rejects "no
  increasing trend" at level ``LEVEL``; refuted only on a robust failure: the opposite one-sided test
  rejects "no decreasing trend" at the same level, or the 99% upper bound on the fraction's slope per
  doubling of the width is below ``MIN_EFFECT``; undecided otherwise.  Fractions come with
  Wilson 95% intervals.  Measured over global seeds 0-4, 7 and 11: p between 3e-25 and 1e-20.
* ``prop3.2.example1-depths`` (Prop. 3.2): ``DEPTH_RUNS`` independent searches (3 under --quick), each
  with ``DEPTH_RESTARTS`` restarts per depth L = 2..6 at width 8.  Speeds found are lower bounds on
  s*(L), so the estimate of s*(L) is the best over all runs (the maximum, not a vote).  Reproduced when
  each pooled best is at least the pooled best at every smaller depth minus ``DEPTH_TOL``.  A search
  finds lower bounds only, so it can never show that s*(L) drops: a drop is ``undecided`` (the search's
  failure or the proposition's, the experiment cannot tell), never ``refuted``; the evidence says how
  many runs showed the drop on their own.  Measured per restart (400 restarts per depth, 2000 steps):
  the chance of reaching 0.4985 is 0.30, 0.17, 0.19, 0.19 at L = 3..6, so all 80 restarts miss at a
  depth with probability about 0.83^80 = 3e-7 (0.83^48 = 1.3e-4 under --quick).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from certify.gate.replication import run_seed, wilson_interval
from certify.core.datasets import example1_data
from certify.core.errors import InputError
from certify.optimum.escape import ANNEAL, LR_FINAL_FACTOR, EscapeRuns, check_budget, escape_directions, sphere_starts

RANK_ONE_SPEED = math.sqrt(2) - 1  # Appendix D.1 / eq. (6): the best rank-one speed at depth 3
RANK_TWO_SPEED = 0.5  # eq. (2), sign-corrected
MARGIN = 1e-3  # a run succeeds when its final speed > RANK_ONE_SPEED + MARGIN
LEVEL = 0.01  # one-sided Cochran-Armitage trend test, scores log2(width)
CI_LEVEL = 0.95  # Wilson intervals
#: the smallest increase of the success fraction per doubling of the width that counts as "increases":
#: the claim is refuted when the one-sided 99% upper bound on the trend's slope is below it
MIN_EFFECT = 0.05

#: ``certify figure2``: widths, runs per width, steps per run
FIGURE_WIDTHS = (4, 8, 16, 32, 64)
FIGURE_RUNS = 200
STEPS = 1000
#: the gate (``certify all``) runs a smaller budget; --quick smaller still
GATE_WIDTHS = (4, 8, 16, 32)
GATE_RUNS, GATE_STEPS = 50, 1000
QUICK_RUNS, QUICK_STEPS = 25, 600

#: Prop. 3.2 on Example 1
DEPTHS = (2, 3, 4, 5, 6)
DEPTH_WIDTH = 8
DEPTH_TOL = 1e-3
#: independent searches (runs) of DEPTH_RESTARTS restarts each, DEPTH_STEPS steps per restart
DEPTH_RUNS, DEPTH_QUICK_RUNS = 5, 3
DEPTH_RESTARTS, DEPTH_STEPS = 16, 2000

#: the width whose trajectories Figure 2 (centre) shows, and how many of them
TRAJECTORY_WIDTH = 16
TRAJECTORY_RUNS = 60


# --- statistics -------------------------------------------------------------------------------------


def trend_slope_upper(scores: Sequence[float], successes: Sequence[int], totals: Sequence[int],
                      level: float = 1 - LEVEL) -> tuple[float, float]:
    """The weighted least-squares slope of the success fraction against ``scores`` and its one-sided
    upper confidence bound at ``level`` (normal approximation with a robust standard error; each
    fraction's variance uses (x + 1)/(n + 2), so that all-or-nothing widths still carry variance)."""
    from scipy.stats import norm

    t = np.asarray(scores, dtype=float)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    centred = t - float(np.sum(n * t)) / float(n.sum())
    sxx = float(np.sum(n * centred * centred))
    if not sxx > 0:
        return math.nan, math.inf
    slope = float(np.sum(centred * x)) / sxx
    shrunk = (x + 1) / (n + 2)
    se = math.sqrt(float(np.sum(n * centred * centred * shrunk * (1 - shrunk)))) / sxx
    return slope, slope + float(norm.ppf(level)) * se


def cochran_armitage(scores: Sequence[float], successes: Sequence[int], totals: Sequence[int]) -> tuple[float, float]:
    """One-sided Cochran-Armitage trend test for proportions increasing with ``scores``.

    Z = sum_i t_i (x_i - n_i p) / sqrt(p (1 - p) [sum_i n_i t_i^2 - (sum_i n_i t_i)^2 / n]), p the pooled
    proportion; the p-value is P(N(0, 1) >= Z) (``scipy.stats.norm.sf``; scipy.stats has no trend test
    for proportions, so the statistic is computed here).  For a decreasing trend, pass the negated scores.
    When every run succeeds or every run fails there is no variation to test: Z = nan and p = 1.
    """
    from scipy.stats import norm

    t = np.asarray(scores, dtype=float)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    N = n.sum()
    p = x.sum() / N
    var = p * (1 - p) * (float(np.sum(n * t * t)) - float(np.sum(n * t)) ** 2 / N)
    if not var > 0:
        return math.nan, 1.0
    z = float(np.sum(t * (x - n * p))) / math.sqrt(var)
    return z, float(norm.sf(z))


# --- Figure 2: success fraction against width ------------------------------------------------------


@dataclass(frozen=True)
class WidthStudy:
    widths: tuple[int, ...]
    runs: dict[int, EscapeRuns]
    seed: Any
    steps: int

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for w in self.widths:
            r = self.runs[w]
            k = int(np.sum(r.speeds > RANK_ONE_SPEED + MARGIN))
            lo, hi = wilson_interval(k, r.restarts)
            b = r.best
            out.append({"width": w, "runs": r.restarts, "successes": k, "fraction": k / r.restarts,
                        "ci95": [lo, hi], "best_speed": float(r.speeds[b]),
                        "median_speed": float(np.median(r.speeds)), "best_ranks": [int(v) for v in r.ranks[b]],
                        "runs_near_rank_two": int(np.sum(np.abs(r.speeds - RANK_TWO_SPEED) < MARGIN)),
                        "runs_near_rank_one": int(np.sum(np.abs(r.speeds - RANK_ONE_SPEED) < MARGIN))})
        return out

    def test(self) -> dict[str, Any]:
        rows = self.rows()
        scores = [math.log2(r["width"]) for r in rows]
        k, n = [r["successes"] for r in rows], [r["runs"] for r in rows]
        z, p = cochran_armitage(scores, k, n)
        _, p_down = cochran_armitage([-t for t in scores], k, n)
        slope, upper = trend_slope_upper(scores, k, n)
        return {"test": "one-sided Cochran-Armitage trend test, scores log2(width)", "level": LEVEL,
                "statistic_z": None if math.isnan(z) else z, "p_value": p, "rejects_no_trend": p < LEVEL,
                "p_value_decreasing": p_down,
                "slope_per_doubling": None if math.isnan(slope) else slope,
                "slope_upper_99": None if math.isinf(upper) else upper, "min_effect": MIN_EFFECT,
                "robust_failure": bool(p >= LEVEL and (p_down < LEVEL or upper < MIN_EFFECT))}

    def settings(self) -> dict[str, Any]:
        r = self.runs[self.widths[0]]
        return {"data": "Example 1: 8 points on the unit circle, G = (-1)^j", "depth": 3,
                "start": "Gaussian, projected onto ||theta||^2 = 3", "steps": self.steps, "lr": r.lr,
                "anneal": f"constant, then geometric decay to {LR_FINAL_FACTOR:g} lr over the last "
                          f"{ANNEAL:.0%} of the steps",
                "success": f"final speed > sqrt(2) - 1 + {MARGIN:g}", "seed": self.seed,
                "seeds": "numpy default_rng([seed, width]) per width"}


def width_study(widths: Sequence[int], runs: int, steps: int, seed: int, record: bool = False) -> WidthStudy:
    """Projected gradient descent on Example 1 at depth 3, ``runs`` runs per width (Section 4.1)."""
    X, G = example1_data()
    out = {int(w): escape_directions(X, G, [2, int(w), int(w), 1], restarts=runs, steps=steps,
                                     seed=[int(seed), int(w)], record=record) for w in widths}
    return WidthStudy(tuple(int(w) for w in widths), out, seed, steps)


# --- eq. (6) and Figure 7 ---------------------------------------------------------------------------


def eq6_speed(phi: np.ndarray) -> np.ndarray:
    """eq. (6) as printed: |cos(xi + pi/4) - cos(xi) + cos(xi - pi/4) - cos(xi - pi/2)|, xi = phi mod pi/4."""
    xi = np.mod(phi, np.pi / 4)
    return np.abs(np.cos(xi + np.pi / 4) - np.cos(xi) + np.cos(xi - np.pi / 4) - np.cos(xi - np.pi / 2))


def width_one_speed(phi: np.ndarray) -> np.ndarray:
    """|sum_j G_j relu(W1 x_j)| for the width-one network W1 = [cos phi, sin phi], W2 = [1], W3 = [+-1]."""
    X, G = example1_data()
    pre = np.cos(phi)[:, None] * X[0] + np.sin(phi)[:, None] * X[1]
    return np.abs(np.maximum(pre, 0.0) @ G[0])


# --- figures ----------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def draw_figure2(study: WidthStudy, path: Path) -> None:
    plt = _pyplot()
    X, G = example1_data()
    rows, test = study.rows(), study.test()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), dpi=80, gridspec_kw={"width_ratios": [0.8, 1.3, 1.1]})
    ax = axes[0]
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.sin(t), np.cos(t), color="0.8", lw=1, zorder=0)
    pos = G[0] > 0
    ax.scatter(X[0, pos], X[1, pos], s=90, color="tab:red", label="G = +1", zorder=2)
    ax.scatter(X[0, ~pos], X[1, ~pos], s=90, color="tab:blue", label="G = -1", zorder=2)
    for j in range(X.shape[1]):
        ax.annotate(str(j + 1), (X[0, j], X[1, j]), xytext=(1.22 * X[0, j], 1.22 * X[1, j]), ha="center",
                    va="center", fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_title(r"Example 1: $x_j = (\sin\frac{2\pi j}{8}, \cos\frac{2\pi j}{8})$")
    ax.legend(loc="center", fontsize=9, frameon=False)

    ax = axes[1]
    w = TRAJECTORY_WIDTH if TRAJECTORY_WIDTH in study.runs else study.widths[len(study.widths) // 2]
    r = study.runs[w]
    if r.history is not None:
        it = np.arange(r.history.shape[1])
        shown = min(TRAJECTORY_RUNS, r.restarts)
        for i in range(shown):  # failures drawn on top: they are the fewer at this width
            ok = r.speeds[i] > RANK_ONE_SPEED + MARGIN
            ax.plot(it, r.history[i], lw=0.6, alpha=0.55, color="tab:blue" if ok else "tab:orange", zorder=1 if ok else 2)
        ax.axvspan(study.steps * (1 - ANNEAL), study.steps, color="0.92", zorder=0)
        ax.text(study.steps * (1 - ANNEAL / 2), 0.02, "step\ndecays", ha="center", fontsize=8, color="0.4")
        k = int(np.sum(r.speeds[:shown] > RANK_ONE_SPEED + MARGIN))
        ax.set_title(f"width {w}: {shown} of {r.restarts} runs ({k} succeed: blue; {shown - k} fail: orange)",
                     fontsize=10)
    ax.axhline(RANK_ONE_SPEED, color="k", ls="--", lw=1)
    ax.axhline(RANK_TWO_SPEED, color="k", ls=":", lw=1)
    box = {"fc": "white", "alpha": 0.85, "lw": 0, "pad": 1}
    ax.text(0, RANK_ONE_SPEED + 0.008, r"$\sqrt{2}-1$ (best rank one)", fontsize=9, va="bottom", bbox=box, zorder=3)
    ax.text(0, RANK_TWO_SPEED + 0.008, "1/2 (rank two, eq. 2)", fontsize=9, va="bottom", bbox=box, zorder=3)
    ax.set_ylim(-0.02, 0.56)
    ax.set_xlabel("iteration of projected gradient descent")
    ax.set_ylabel(r"speed $s = -\mathrm{Tr}[G^\top Y_\theta]$, $\|\theta\|^2 = 3$")

    ax = axes[2]
    ws = np.array([row["width"] for row in rows])
    fr = np.array([row["fraction"] for row in rows])
    lo = np.array([row["ci95"][0] for row in rows])
    hi = np.array([row["ci95"][1] for row in rows])
    ax.errorbar(ws, fr, yerr=[fr - lo, hi - fr], fmt="o-", color="tab:blue", capsize=4)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ws)
    ax.set_xticklabels([str(v) for v in ws])
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("hidden width (depth 3)")
    ax.set_ylabel(rf"fraction of runs with $s > \sqrt{{2}}-1+{MARGIN:g}$")
    z = test["statistic_z"]
    ax.set_title(f"{rows[0]['runs']} runs per width, Wilson 95% intervals", fontsize=10)
    ax.text(0.97, 0.04, f"Cochran-Armitage (one-sided)\nZ = {z:.2f}, p = {test['p_value']:.2g}" if z is not None
            else "no variation: trend test undefined", transform=ax.transAxes, ha="right", va="bottom", fontsize=9)
    ax.grid(alpha=0.3)
    fig.suptitle("Figure 2 (Section 4.1): projected gradient descent on Example 1, depth 3", fontsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_figure7(path: Path) -> dict[str, Any]:
    """eq. (6) over [0, 2 pi), with the direct width-one computation on top; returns their comparison."""
    plt = _pyplot()
    phi = np.linspace(0, 2 * np.pi, 2001)[:-1]
    printed, direct = eq6_speed(phi), width_one_speed(phi)
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=80)
    ax.plot(phi, printed, color="tab:blue", lw=2, label="eq. (6)")
    ax.plot(phi[::25], direct[::25], "o", ms=3, color="tab:red", label=r"$|\sum_j G_j\,\sigma(W_1 x_j)|$, $W_1 = [\cos\phi, \sin\phi]$")
    ax.axhline(RANK_ONE_SPEED, color="k", ls="--", lw=1)
    ax.text(2 * np.pi, RANK_ONE_SPEED + 0.01, r"$\sqrt{2}-1$", ha="right", va="bottom", fontsize=10)
    ax.set_xticks(np.arange(9) * np.pi / 4)
    ax.set_xticklabels(["0", r"$\pi/4$", r"$\pi/2$", r"$3\pi/4$", r"$\pi$", r"$5\pi/4$", r"$3\pi/2$", r"$7\pi/4$",
                        r"$2\pi$"])
    ax.set_xlim(0, 2 * np.pi)
    ax.set_ylim(0, 0.5)
    ax.set_xlabel(r"angle $\phi$ of the first layer")
    ax.set_ylabel("width-one speed")
    ax.set_title(r"Figure 7 (Appendix D.1): the width-one speed, eq. (6), maximal at multiples of $\pi/4$")
    ax.legend(loc="upper center", fontsize=8, ncol=2, bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    i = int(np.argmax(printed))
    return {"grid_points": int(phi.size), "max_abs_difference": float(np.max(np.abs(printed - direct))),
            "max": float(printed[i]), "argmax_phi": float(phi[i]), "sqrt2_minus_1": RANK_ONE_SPEED}


def figure2(out_dir: str | Path = "figures", runs: int = FIGURE_RUNS, seed: int = 0, steps: int = STEPS,
            widths: Sequence[int] = FIGURE_WIDTHS) -> dict[str, Any]:
    """Run the width study, draw figure2.png and figure7.png, write figure2.json; return the report."""
    if runs < 1:
        raise InputError(f"--runs must be at least 1, got {runs}")
    if steps < 1:
        raise InputError(f"--steps must be at least 1, got {steps}")
    if seed < 0:
        raise InputError(f"--seed must be non-negative, got {seed}")
    for w in widths:  # every width's budget before the first one runs (each records its trajectories)
        check_budget([2, int(w), int(w), 1], example1_data()[0].shape[1], runs, steps, record=True)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    start = time.perf_counter()
    study = width_study(widths, runs, steps, seed, record=True)
    seconds = time.perf_counter() - start
    draw_figure2(study, out / "figure2.png")
    eq6 = draw_figure7(out / "figure7.png")
    report = {"schema_version": 1, "figure": "Figure 2 (Section 4.1) and Figure 7 (Appendix D.1)",
              "settings": study.settings(), "widths": study.rows(), "trend_test": study.test(),
              "figure7": eq6, "seconds": round(seconds, 2),
              "files": {"figure2": str(out / "figure2.png"), "figure7": str(out / "figure7.png"),
                        "json": str(out / "figure2.json")}}
    (out / "figure2.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


# --- claim checks -----------------------------------------------------------------------------------


def check_width_helps(ctx: Any) -> Any:
    """Section 4.1 / Figure 2: the success fraction increases with width (trend test at level LEVEL)."""
    from certify.kernel.verdict import Evidence, Status, Verdict

    runs, steps = (QUICK_RUNS, QUICK_STEPS) if ctx.quick else (GATE_RUNS, GATE_STEPS)
    study = width_study(GATE_WIDTHS, runs, steps, ctx.seed)
    rows, test = study.rows(), study.test()
    fractions = ", ".join(f"{r['width']}: {r['successes']}/{r['runs']}" for r in rows)
    ev = {"kind": Evidence.EXPERIMENT.value, "widths": rows, "trend_test": test, "settings": study.settings(),
          "budget": f"gate budget ({'--quick' if ctx.quick else 'default'}): widths {list(GATE_WIDTHS)}, {runs} runs, "
                    f"{steps} steps; 'certify figure2' runs widths {list(FIGURE_WIDTHS)}, {FIGURE_RUNS} runs, "
                    f"{STEPS} steps",
          "runs": f"{sum(r['runs'] for r in rows)} independent runs of projected gradient descent "
                  f"({runs} per width)",
          "rule": f"reproduced iff the one-sided Cochran-Armitage test on (log2 width, successes) has p < {LEVEL}; "
                  f"refuted iff it does not and either the opposite test (a decreasing trend) has p < {LEVEL} or the "
                  f"99% upper bound on the fraction's slope per doubling of the width is below {MIN_EFFECT} (no "
                  "increase worth the name); undecided otherwise"}
    z = test["statistic_z"]
    stat = f"Z = {z:.2f}, p = {test['p_value']:.2g}" if z is not None else "no variation in the successes"
    if test["rejects_no_trend"]:
        return Verdict(Status.REPRODUCED, f"successes (s > sqrt 2 - 1 + {MARGIN:g}) per width {fractions}; "
                       f"increasing trend: {stat} < {LEVEL}", None, ev)
    if test["robust_failure"]:
        upper = test["slope_upper_99"]
        return Verdict(Status.REFUTED, f"successes per width {fractions}; no increase with width: decreasing-trend "
                       f"p = {test['p_value_decreasing']:.2g}, slope per doubling at most "
                       f"{'n/a' if upper is None else f'{upper:.3f}'} (99%) against {MIN_EFFECT}", None, ev)
    return Verdict(Status.UNDECIDED, f"successes per width {fractions}; no trend either way at level {LEVEL} "
                   f"({stat})", None, ev)


def depth_study(depths: Sequence[int], width: int, restarts: int, steps: int, seed: int) -> list[dict[str, Any]]:
    """Best speed found by projected gradient descent on Example 1 at each depth (hidden widths ``width``)."""
    X, G = example1_data()
    rows = []
    for L in depths:
        r = escape_directions(X, G, [2] + [width] * (L - 1) + [1], restarts=restarts, steps=steps,
                              seed=[int(seed), int(L)], record=False)
        b = r.best
        rows.append({"depth": int(L), "best_speed": float(r.speeds[b]), "median_speed": float(np.median(r.speeds)),
                     "best_ranks": [int(v) for v in r.ranks[b]], "best_residual": float(r.residuals[b]),
                     "restarts": restarts, "steps": steps, "lr": r.lr})
    return rows


def depth_runs(depths: Sequence[int], width: int, restarts: int, steps: int,
               seeds: Sequence[int]) -> list[list[dict[str, Any]]]:
    """``depth_study`` for several independent runs (one per seed) at once: at each depth the restarts of
    all runs go into one batch (run i draws its starts from default_rng([seed_i, depth])), and each run
    keeps its own best."""
    X, G = example1_data()
    runs: list[list[dict[str, Any]]] = [[] for _ in seeds]
    for L in depths:
        widths = [2] + [width] * (L - 1) + [1]
        parts = [sphere_starts(np.random.default_rng([int(s), int(L)]), widths, restarts) for s in seeds]
        init = [np.concatenate([p[l] for p in parts]) for l in range(L)]
        r = escape_directions(X, G, widths, restarts=restarts * len(seeds), steps=steps, init=init,
                              seed=0, record=False)
        for i in range(len(seeds)):
            block = slice(i * restarts, (i + 1) * restarts)
            b = i * restarts + int(np.argmax(r.speeds[block]))
            runs[i].append({"depth": int(L), "best_speed": float(r.speeds[b]),
                            "median_speed": float(np.median(r.speeds[block])),
                            "best_ranks": [int(v) for v in r.ranks[b]], "best_residual": float(r.residuals[b]),
                            "restarts": restarts, "steps": steps, "lr": r.lr})
    return runs


def pooled_depths(runs: list[list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The best speed per depth over all runs, and each depth's drop below the best of a smaller depth,
    with the number of runs that show a drop there on their own (the run's best at the depth is below its
    own best at a smaller depth minus the tolerance)."""
    depths = [row["depth"] for row in runs[0]]
    pooled = []
    for i, L in enumerate(depths):
        bests = [run[i]["best_speed"] for run in runs]
        j = int(np.argmax(bests))
        pooled.append({"depth": L, "best_speed": bests[j], "from_run": j, "per_run": bests,
                       "best_ranks": runs[j][i]["best_ranks"], "best_residual": runs[j][i]["best_residual"]})
    drops = []
    for i in range(1, len(pooled)):
        prior = max(p["best_speed"] for p in pooled[:i])
        own = [max(run[k]["best_speed"] for k in range(i)) - run[i]["best_speed"] for run in runs]
        drops.append({"depth": pooled[i]["depth"], "best_before": prior, "drop": prior - pooled[i]["best_speed"],
                      "runs_showing_it": sum(d > DEPTH_TOL for d in own)})
    return pooled, drops


def check_depths(ctx: Any) -> Any:
    """Prop. 3.2 on Example 1: the best speeds found for L = 2..6 over independent searches, pooled, are
    non-decreasing up to DEPTH_TOL."""
    from certify.kernel.verdict import Evidence, Status, Verdict

    n_runs = DEPTH_QUICK_RUNS if ctx.quick else DEPTH_RUNS
    seeds = [run_seed(ctx.seed, i) for i in range(n_runs)]  # --quick makes the first runs of the full protocol
    runs = depth_runs(DEPTHS, DEPTH_WIDTH, DEPTH_RESTARTS, DEPTH_STEPS, seeds)
    pooled, drops = pooled_depths(runs)
    worst = max(drops, key=lambda d: d["drop"])
    ev = {"kind": Evidence.EXPERIMENT.value, "pooled": pooled, "drops": drops, "tolerance": DEPTH_TOL,
          "width": DEPTH_WIDTH, "runs": n_runs, "run_seeds": seeds,
          "seeds": "run i draws from numpy default_rng([seed_i, depth]), seed_i a hash of the claim's seed and i",
          "budget": f"{n_runs} runs x {DEPTH_RESTARTS} restarts x {DEPTH_STEPS} steps per depth "
                    f"({'--quick' if ctx.quick else 'default'}; the full protocol makes {DEPTH_RUNS} runs)",
          "rule": f"the estimate of s*(L) is the best speed over all runs (speeds found are lower bounds on s*(L)); "
                  f"reproduced iff it is >= the estimate at every smaller depth minus {DEPTH_TOL:g}; undecided otherwise: "
                  f"a search finds lower bounds only, so a drop may be the search's failure and is never a refutation",
          "per_run": [{"run": i, "seed": s, "best_speeds": [r["best_speed"] for r in run]}
                      for i, (s, run) in enumerate(zip(seeds, runs))]}
    speeds = ", ".join(f"L={p['depth']}: {p['best_speed']:.5f}" for p in pooled)
    if worst["drop"] <= DEPTH_TOL:
        return Verdict(Status.REPRODUCED, f"best speeds found over {n_runs} runs {speeds}: non-decreasing within "
                       f"{DEPTH_TOL:g} (largest drop {worst['drop']:.2g})", None, ev)
    return Verdict(Status.UNDECIDED, f"best speeds found over {n_runs} runs {speeds}: at L = {worst['depth']} the speed "
                   f"is {worst['drop']:.3g} below a shallower one (a drop {worst['runs_showing_it']} of {n_runs} runs "
                   "show on their own); a search finds lower bounds only, so it cannot refute the proposition",
                   None, ev)
