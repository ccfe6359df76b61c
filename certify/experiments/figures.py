"""Figures of Section 3.3 and Appendices B-C, drawn from an :class:`ExperimentResult`.

For each run three PNGs:

* ``loss_<name>.png``: the training loss with the detected drops shaded and the snapshots marked
  (Figure 1, left), and the parameter norm ||theta|| below it;
* ``singular_values_<name>.png``: the top singular values of every W_l over training, one panel
  per layer, with the loss underneath (the layout of Figures 3 and 4);
* ``spectra_<name>.png``: the top singular values of every layer after the first escape (after the
  second too when there is one) and at the end (Figure 1 centre and right, Figures 5-6 third row),
  and the rank-one ratio of each layer at those times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from certify.core.errors import InputError
from certify.experiments.experiment import ExperimentResult

DPI = 90
#: snapshots marked on the time axis (the end of training is the right edge)
TIME_MARKS = ("after_first_escape", "after_second_escape")
SNAPSHOT_STYLE = {
    "after_first_escape": ("tab:red", "--"),
    "after_second_escape": ("tab:purple", "-."),
    "end": ("black", ":"),
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _title(result: ExperimentResult) -> str:
    s = result.settings()
    return (f"{s['data']} (N = {s['n_points']}), depth {s['depth']}, width {s['width']}, sigma0 = {s['sigma0']:g}, "
            f"lr = {s['lr']}, {s['loss']} loss, batch {s['batch']}, seed {s['seed']}")


def _mark(ax: Any, result: ExperimentResult, labels: bool = True) -> None:
    for d in result.saddles.drops:
        ax.axvspan(d.start_step, d.end_step, color="tab:orange", alpha=0.18, lw=0)
    for key in TIME_MARKS:
        color, style = SNAPSHOT_STYLE[key]
        snap = result.snapshots.get(key)
        if snap is not None:
            ax.axvline(snap.step, color=color, ls=style, lw=1.3, label=snap.label if labels else None)


def _time_axis(ax: Any, result: ExperimentResult) -> None:
    """Linear steps, or a square-root axis when the first drop comes in the first 5% of training
    (depth 4 escapes within a hundred steps: on a linear axis its first plateau would be invisible, on
    a log axis the later saddles would be squeezed together)."""
    run = result.run
    drops = result.saddles.drops
    if drops and drops[0].start_step < 0.05 * run.steps[-1]:
        from matplotlib.ticker import FixedLocator

        ax.set_xscale("function", functions=(lambda t: np.sqrt(np.maximum(t, 0)), lambda u: np.square(u)))
        top = float(run.steps[-1])
        ticks = [t for t in (0, 50, 200, 500, 1000, 2000, 3000, 5000, 7500, 10000, 20000, 30000, 50000, 75000,
                             100000, 200000, 500000, 1000000) if t <= top]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xlabel("gradient step (square-root scale)")
    else:
        ax.set_xlabel("gradient step")
    ax.set_xlim(run.steps[0], run.steps[-1])


def _loss_axes(ax: Any, result: ExperimentResult) -> None:
    run = result.run
    ax.plot(run.steps, run.loss, color="tab:blue", lw=1.6, label="training loss")
    _mark(ax, result)
    ax.set_ylabel(f"loss ({result.spec.config.loss})")
    _time_axis(ax, result)
    ax.grid(alpha=0.3)


def loss_figure(result: ExperimentResult, path: Path) -> Path:
    plt = _pyplot()
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6.2), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    _loss_axes(ax, result)
    n = result.saddles.n_escapes
    ax.set_title(f"Loss: {n} drop{'s' if n != 1 else ''} detected (shaded), snapshots marked", fontsize=11)
    ax.set_xlabel("")
    handles, names = ax.get_legend_handles_labels()
    if n:
        from matplotlib.patches import Patch

        handles.append(Patch(color="tab:orange", alpha=0.3))
        names.append("detected drop (saddle escape)")
    ax.legend(handles, names, loc="center left", fontsize=9)
    ax2.plot(result.run.steps, result.run.norm, color="tab:green", lw=1.4)
    _mark(ax2, result, labels=False)
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel("||theta||")
    _time_axis(ax2, result)
    ax2.grid(alpha=0.3, which="both")
    fig.suptitle(_title(result), fontsize=9)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.9, bottom=0.09, hspace=0.08)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def singular_values_figure(result: ExperimentResult, path: Path) -> Path:
    """Figures 3-4: top singular values of each W_l over training, the loss underneath."""
    plt = _pyplot()
    run = result.run
    L = result.spec.config.depth
    cols = (L + 1) // 2
    fig = plt.figure(figsize=(3.6 * cols + 0.6, 8.4))
    grid = fig.add_gridspec(3, cols, height_ratios=[1, 1, 0.9])
    k = run.singular_values.shape[2]
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, k))
    floor = max(float(run.singular_values[run.singular_values > 0].min()), 1e-12)
    top = float(run.singular_values.max())
    for l in range(L):
        ax = fig.add_subplot(grid[l // cols, l % cols])
        for i in range(k):
            ax.semilogy(run.steps, np.maximum(run.singular_values[:, l, i], floor), color=colors[i], lw=1.1)
        _mark(ax, result, labels=False)
        name = "input layer" if l == 0 else ("output layer" if l == L - 1 else "hidden layer")
        rows, cols_l = run.checkpoints[0][l].shape
        ax.set_title(f"W{l + 1} ({name}, {rows} x {cols_l})", fontsize=10)
        ax.set_ylim(floor * 0.8, top * 1.5)
        _time_axis(ax, result)
        ax.grid(alpha=0.3, which="major")
        ax.tick_params(labelsize=8)
        if l % cols == 0:
            ax.set_ylabel("singular value")
    ax = fig.add_subplot(grid[2, :])
    _loss_axes(ax, result)
    ax.legend(fontsize=9, loc="center left")
    fig.suptitle(f"Top {k} singular values of each weight matrix over training (colour: s1 dark ... s{k} light)\n"
                 f"{_title(result)}", fontsize=10)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.07, hspace=0.42, wspace=0.22)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def spectra_figure(result: ExperimentResult, path: Path) -> Path:
    """Singular values per layer at the snapshots, and the rank-one ratio per layer."""
    plt = _pyplot()
    L = result.spec.config.depth
    keys = [k for k in ("after_first_escape", "after_second_escape", "end") if k in result.snapshots]
    fig, axes = plt.subplots(1, len(keys) + 1, figsize=(4.0 * (len(keys) + 1), 4.3))
    colors = plt.cm.plasma(np.linspace(0.0, 0.85, L))
    for ax, key in zip(axes, keys):
        snap = result.snapshots[key]
        sv = snap.singular_values
        idx = np.arange(1, sv.shape[1] + 1)
        for l in range(L):
            v = sv[l]
            ax.semilogy(idx[v > 0], v[v > 0], "o-", color=colors[l], ms=3.5, lw=1.2, label=f"W{l + 1}")
        ax.set_title(f"{snap.label} (step {snap.step})", fontsize=10)
        ax.set_xlabel("index i")
        ax.set_xticks(idx)
        ax.grid(alpha=0.3, which="major")
    axes[0].set_ylabel("singular value s_i(W_l)")
    axes[0].legend(fontsize=8, ncol=2)
    ax = axes[-1]
    layers = np.arange(1, L + 1)
    for key in keys:
        snap = result.snapshots[key]
        color, style = SNAPSHOT_STYLE[key]
        ax.plot(layers, np.maximum(snap.ratios, 1e-6), marker="o", color=color, ls=style, lw=1.4, label=snap.label)
    if "init" in result.snapshots:
        ax.plot(layers, np.maximum(result.snapshots["init"].ratios, 1e-6), marker=".", color="grey", lw=1,
                label="initialisation")
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("layer l")
    ax.set_ylabel("sum_{i>=2} s_i^2 / sum_i s_i^2 (log scale)")
    ax.tick_params(labelsize=9)
    ax.set_ylim(top=1.5)
    ax.set_title("rank-one ratio of W_l", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.suptitle(_title(result), fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.86, bottom=0.13, wspace=0.25)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def write_figures(result: ExperimentResult, out: Path) -> dict[str, str]:
    """The three figures of one run in ``out`` (created if needed); returns name -> path."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    name = result.spec.name
    paths = {
        "loss": loss_figure(result, out / f"loss_{name}.png"),
        "singular_values": singular_values_figure(result, out / f"singular_values_{name}.png"),
        "spectra": spectra_figure(result, out / f"spectra_{name}.png"),
    }
    return {k: str(v) for k, v in paths.items()}
