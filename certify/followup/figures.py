"""Figures of ``certify escape-time`` (follow-up paper): escape times and imbalance traces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from certify.followup import imbalance as I
from certify.followup.escape_time import ConfigResult

COLORS = {2: "tab:purple", 3: "tab:blue", 4: "tab:orange", 5: "tab:green", 6: "tab:red"}
MARKERS = ["o", "s", "^", "D", "v", "P"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def escape_time_figure(results: list[ConfigResult], path: Path) -> Path:
    """log-log tau against eps, one panel per variant; points per (r, L), one line per (r, L) with the mean
    within-draw slope through the pooled means (draws are paired across eps)."""
    plt = _pyplot()
    variants = [v for v in ("symmetric", "he") if any(r.setup.variant == v for r in results)]
    fig, axes = plt.subplots(1, len(variants), figsize=(5.2 * len(variants), 4.2), squeeze=False)
    titles = {"symmetric": "permutation-symmetric init", "he": "He-normal init, r layers x eps"}
    for ax, variant in zip(axes[0], variants):
        rs = sorted({r.setup.r for r in results if r.setup.variant == variant})
        for res in (r for r in results if r.setup.variant == variant):
            r, L = res.setup.r, res.setup.L
            Ls = sorted({x.setup.L for x in results if x.setup.variant == variant and x.setup.r == r})
            marker = MARKERS[Ls.index(L) % len(MARKERS)]
            pts = [(x.eps, x.tau) for x in res.runs if x.escaped]
            if not pts:
                continue
            e, t = np.array(pts).T
            ax.loglog(e, t, marker, color=COLORS.get(r, "k"), ms=4, alpha=0.55, mfc="none", label=f"r={r}, L={L}")
            if res.fit is not None:
                grid = np.geomspace(e.min(), e.max(), 20)
                ax.loglog(grid, np.exp(res.fit.intercept) * grid**res.fit.slope, "-", color=COLORS.get(r, "k"),
                          lw=1, alpha=0.8)
        for r in rs:  # the predicted slope -(r - 2), anchored at the pooled geometric mean
            pool = [(x.eps, x.tau) for res in results if res.setup.variant == variant and res.setup.r == r
                    for x in res.runs if x.escaped]
            if not pool:
                continue
            e, t = np.array(pool).T
            grid = np.geomspace(e.min(), e.max(), 20)
            c = np.mean(np.log(t) + (r - 2) * np.log(e))
            ax.loglog(grid, np.exp(c) * grid ** (-(r - 2)), "--", color="gray", lw=1)
            slopes = [f"{x.fit.slope:.2f}" for x in results if x.setup.variant == variant and x.setup.r == r and x.fit]
            ax.annotate(f"r={r}: slopes {', '.join(slopes)} (theory {-(r - 2)})", xy=(0.03, 0.04 + 0.07 * rs.index(r)),
                        xycoords="axes fraction", fontsize=8, color=COLORS.get(r, "k"))
        ax.set_xlabel("eps (scale of the r small layers)")
        ax.set_ylabel("escape time tau (loss halved)")
        ax.set_title(titles[variant], fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.suptitle("Escape time vs eps: fitted lines per (r, L); dashed: slope -(r-2)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def imbalance_traces(seed: int, t_end: float = 3.0) -> dict[str, I.FlowTrace]:
    """The same random network, data and initial weights under ReLU and under tanh."""
    out = {}
    for act in ("relu", "tanh"):
        rng = np.random.default_rng(seed)
        out[act] = I.flow_trace(I.random_network(rng, act, widths=(3, 5, 5, 5, 2), n_points=6, scale=1.3), t_end,
                                n_times=61, rk4_step=0.016)
    return out


def imbalance_figure(traces: dict[str, I.FlowTrace], path: Path) -> Path:
    """||W_{l+1}||^2 - ||W_l||^2 minus its initial value, over time, for ReLU (flat) and tanh (drifting)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(traces), figsize=(5.2 * len(traces), 3.8), sharey=True, squeeze=False)
    for ax, (act, tr) in zip(axes[0], traces.items()):
        ref = tr.imbalance[0] if tr.imbalance0 is None else tr.imbalance0
        for l in range(tr.imbalance.shape[1]):
            ax.plot(tr.t, (tr.imbalance[:, l] - ref[l]) / tr.theta0_sq, lw=1.5,
                    label=f"||W{l + 2}||^2 - ||W{l + 1}||^2")
        ax.axhline(0, color="gray", lw=0.8)
        how = "kink-aware RK4" if act == "relu" else "DOP853"
        ax.set_title(f"{act}: max drift {tr.drift:.1e} of ||theta(0)||^2 ({how})", fontsize=10)
        ax.set_xlabel("time t (gradient flow)")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("(imbalance(t) - imbalance(0)) / ||theta(0)||^2")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("Norm imbalance along gradient flow: conserved for ReLU, drifting for tanh (same init)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
