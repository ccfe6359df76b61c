"""``certify figures``: run the experiments of Section 3.3, write the PNGs and a summary.

The command line (certify/cli.py) only parses; this module builds the runs from a preset and the
user's overrides, trains them (with a progress bar on stderr when it is a terminal), writes the
figures and ``summary.json``, and prints what the runs show.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from certify.core.errors import InputError
from certify.experiments.data import Dataset, load_images
from certify.experiments.experiment import ExperimentResult, ExperimentSpec, preset, run_experiment, with_overrides


def build_specs(preset_name: str, depths: tuple[int, ...] = (), epochs: int | None = None,
                seeds: tuple[int, ...] = (), **overrides: Any) -> list[ExperimentSpec]:
    """The preset's runs, restricted to ``depths`` (a depth the preset lacks takes the settings of the
    nearest one, with only the depth changed), with the given settings replaced; with several ``seeds``,
    every run once per seed (named NAME-seedS, so that each writes its own figures)."""
    unique = tuple(dict.fromkeys(seeds))
    if len(unique) > 1:
        return [replace(s, name=f"{s.name}-seed{seed}") for seed in unique
                for s in build_specs(preset_name, depths, epochs, seed=seed, **overrides)]
    if unique:
        overrides["seed"] = unique[0]
    base = list(preset(preset_name))
    if depths:
        chosen = []
        for d in dict.fromkeys(depths):
            if d < 2:
                raise InputError(f"--depth must be at least 2, got {d}")
            match = next((s for s in base if s.config.depth == d), None)
            if match is None:
                near = min(base, key=lambda s: abs(s.config.depth - d))
                match = replace(near, name=f"depth{d}", config=replace(near.config, depth=d))
            chosen.append(match)
        base = chosen
    given = {k: v for k, v in overrides.items() if v is not None}
    specs = [with_overrides(s, **given) for s in base]
    if epochs is not None:
        specs = [replace(s, epochs=epochs) for s in specs]
    elif "steps" in given:  # explicit steps replace a preset's epochs
        specs = [replace(s, epochs=None) for s in specs]
    return specs


def _progress_bar(console: Any, specs: list[ExperimentSpec]):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(TextColumn("[bold]{task.fields[name]}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                    TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("loss {task.fields[loss]}"),
                    console=console, transient=True)


def run_figures(specs: list[ExperimentSpec], out: Path, *, dataset: Dataset | None = None,
                progress_console: Any = None, executor: Any = None) -> dict[str, Any]:
    """Train every spec (one task each on ``executor``, :mod:`certify.core.execution`; here when None), write
    its figures into ``out`` and return the summary (also written to ``out/summary.json``).  Each training
    seeds itself and uses one BLAS thread, so where it ran does not change it; a training whose task could
    not run is listed under ``failed`` with the reason."""
    from certify.experiments.claims import CASES
    from certify.experiments.figures import write_figures

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    results: list[ExperimentResult | str] = []
    start = time.perf_counter()
    parallel = executor is not None and executor.kind != "serial"
    if parallel:  # one training per task; the per-step progress stays on the workers
        from certify.core.execution import TaskFailure

        done = [0]

        def finished(i: int, outcome: Any) -> None:
            done[0] += 1
            if progress_console is not None:
                what = "failed" if isinstance(outcome, TaskFailure) else "trained"
                progress_console.print(f"[dim]figures: {specs[i].name} {what} ({done[0]} of {len(specs)})[/dim]")

        outcomes = executor.map(run_experiment, [(spec, dataset) for spec in specs], on_done=finished)
        results = [o.reason if isinstance(o, TaskFailure) else o for o in outcomes]
    elif progress_console is not None:
        with _progress_bar(progress_console, specs) as bar:
            for spec in specs:
                task = bar.add_task("", total=None, name=spec.name, loss="-")

                def tick(step: int, total: int, loss: float, _task: Any = task) -> None:
                    bar.update(_task, completed=step, total=total, loss=f"{loss:.4f}")

                results.append(run_experiment(spec, dataset, progress=tick))
    else:
        results = [run_experiment(spec, dataset) for spec in specs]
    summary: dict[str, Any] = {"out": str(out), "runs": {}, "failed": {}}
    for spec, r in zip(specs, results):
        if isinstance(r, str):  # a training whose task could not run: reported, never a figure
            summary["failed"][spec.name] = r
            continue
        entry = r.summary()
        entry["figures"] = write_figures(r, out)
        verdicts = {}
        for name, case in CASES.items():
            try:
                v = case(r)
                verdicts[name] = {"status": v.status.value, "message": v.message}
            except Exception as exc:  # one check failing must not lose the figures
                verdicts[name] = {"status": "error", "message": f"{exc.__class__.__name__}: {exc}"}
        entry["checks"] = verdicts
        summary["runs"][r.spec.name] = entry
    summary["seconds"] = round(time.perf_counter() - start, 2)
    summary["executor"] = executor.describe() if executor is not None else {"kind": "serial", "workers": 1}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def load_user_data(path: Path, labels: Path | None, n_points: int | None, seed: int, grayscale: bool) -> Dataset:
    return load_images(path, labels, n_points=n_points, seed=seed, grayscale=grayscale)


def print_summary(summary: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    for name, run in summary["runs"].items():
        s = run["settings"]
        console.print(f"[bold]{name}[/bold]: {s['data']} (N = {s['n_points']}), depth {s['depth']}, width "
                      f"{s['width']}, sigma0 {s['sigma0']:g}, lr {s['lr']}, {s['loss']} loss, batch {s['batch']}, "
                      f"{s['steps']} steps, seed {s['seed']}: trained in {s['seconds']:.1f}s")
        drops = run["saddles"]["drops"]
        if drops:
            console.print("  drops of the loss (saddle escapes): " + "; ".join(
                f"steps {d['start_step']}-{d['end_step']} ({d['loss_start']:.4f} -> {d['loss_end']:.4f})" for d in drops))
        else:
            console.print("  no drop of the loss: the network stayed at the first saddle")
        table = Table(title=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("snapshot")
        table.add_column("step", justify="right")
        table.add_column("loss", justify="right")
        table.add_column("rank-one ratio of W_1..W_L")
        table.add_column("dominant s.v. d_l")
        for snap in run["snapshots"].values():
            table.add_row(snap["label"], str(snap["step"]), f"{snap['loss']:.4f}",
                          " ".join(f"{v:.3f}" for v in snap["rank_one_ratio"]),
                          " ".join(str(d) for d in snap["dominant_singular_values"]))
        console.print(table)
        for check, v in run["checks"].items():
            console.print(f"  {check}: [bold]{v['status']}[/bold]  {v['message']}")
        for note in run["notes"]:
            console.print(f"  note: {note}")
        console.print("  figures: " + ", ".join(run["figures"].values()))
    for name, reason in summary.get("failed", {}).items():
        console.print(f"[bold red]{name}: not trained[/bold red]  {reason}")
    console.print(f"summary: {Path(summary['out']) / 'summary.json'} ({summary['seconds']:.1f}s)")
