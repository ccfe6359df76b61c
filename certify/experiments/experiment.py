"""One experiment of Section 3.3: data, a training run, its saddles, snapshots and layer statistics.

Settings come in presets:

* ``default``: what ``certify figures`` and the registered claims run.  Width 32, 500 of the digits,
  full-batch gradient descent on the squared loss, 6000 steps per depth (float32): seconds on a
  small machine (the numbers are in the README).  The learning-rate constants were chosen so that
  the escape is stable (larger c makes the escape step overshoot and kill the ReLUs) and the first
  plateau lasts long enough to see.
* ``quick``: the same runs stopped at 5000 steps (``certify all --quick``).
* ``paper``: Appendix B's settings: width 1000, sigma0 = 1e-3, mini-batches of 32, cross-entropy,
  lr = 10/||theta||^4 (c = 10, k = 4) at depth 6 and 0.01/||theta||^4 at depth 4 (the value
  Appendix C gives for depth 4), 1000 epochs.  Hours on a CPU; given for users with the time.

The statistics are those of the paper: the rank-one ratio sum_{i>=2} s_i^2 / sum_i s_i^2 of each
W_l (Theorem 3.1's measure, over *all* singular values: s_1 from the SVD, the sum from the Frobenius
norm), the same ratio over the top 10 only (what Figures 1 and 3-6 show), and the number of
singular values above the largest gap among the top 10 (s_i / s_(i+1) largest), which counts the
dominant singular values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from certify.core.errors import InputError
from certify.experiments.data import Dataset, digits
from certify.experiments.saddles import Saddles, detect_saddles
from certify.experiments.training import TrainConfig, TrainingRun, cost_gradient_at_zero, train

#: the training run every claim judges uses this seed (one run shared by all the claims)
EXPERIMENT_SEED = 0


@dataclass(frozen=True)
class ExperimentSpec:
    """A named training run on a data set: ``digits`` (optionally ``n_points`` of them) or a dataset
    given directly to :func:`run_experiment`."""

    name: str
    config: TrainConfig
    n_points: int | None = 500
    data_seed: int = 0
    #: when set, the number of steps is this many epochs of the data (mini-batches of config.batch_size)
    epochs: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config.to_dict(), "n_points": self.n_points,
                "data_seed": self.data_seed, "epochs": self.epochs}

    def resolved(self, n_points: int) -> "ExperimentSpec":
        """The spec with ``epochs`` turned into steps for a data set of ``n_points`` points; records are
        then at least steps/200 apart (at most about 200 records: each costs SVDs of every layer)."""
        if self.epochs is None:
            return self
        steps = self.epochs * steps_per_epoch(n_points, self.config.batch_size)
        cfg = replace(self.config, steps=steps, record_every=max(self.config.record_every, steps // 200, 1))
        return replace(self, config=cfg, epochs=None)


def _spec(name: str, n_points: int | None, epochs: int | None = None, **kw: Any) -> ExperimentSpec:
    return ExperimentSpec(name, TrainConfig(seed=EXPERIMENT_SEED, **kw), n_points=n_points, epochs=epochs)


PRESETS: dict[str, tuple[ExperimentSpec, ...]] = {
    "default": (
        _spec("depth6", 500, depth=6, width=32, sigma0=3e-3, lr_c=3.0, steps=6000, loss="mse", record_every=10),
        _spec("depth4", 500, depth=4, width=32, sigma0=3e-3, lr_c=0.5, steps=6000, loss="mse", record_every=10),
    ),
    "quick": (
        _spec("depth6", 500, depth=6, width=32, sigma0=3e-3, lr_c=3.0, steps=5000, loss="mse", record_every=10),
        _spec("depth4", 500, depth=4, width=32, sigma0=3e-3, lr_c=0.5, steps=5000, loss="mse", record_every=10),
    ),
    "paper": (
        _spec("depth6", None, epochs=1000, depth=6, width=1000, sigma0=1e-3, lr_c=10.0, lr_power=4,
              batch_size=32, loss="ce"),
        _spec("depth4", None, epochs=1000, depth=4, width=1000, sigma0=1e-3, lr_c=0.01, lr_power=4,
              batch_size=32, loss="ce"),
    ),
}


def preset(name: str) -> tuple[ExperimentSpec, ...]:
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return PRESETS[name]


# --- layer statistics ----------------------------------------------------------------------------


def rank_one_ratio(s1: np.ndarray, frobenius: np.ndarray) -> np.ndarray:
    """sum_{i>=2} s_i^2 / sum_i s_i^2 = 1 - s_1^2/||W||_F^2 (0 for a zero matrix)."""
    s1 = np.asarray(s1, dtype=float)
    f2 = np.asarray(frobenius, dtype=float) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(f2 > 0, 1.0 - s1 * s1 / np.where(f2 > 0, f2, 1.0), 0.0)
    return np.clip(r, 0.0, 1.0)


def top_k_ratio(s: np.ndarray) -> np.ndarray:
    """The rank-one ratio over the recorded top singular values only (last axis)."""
    s2 = np.asarray(s, dtype=float) ** 2
    total = s2.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, s2[..., 1:].sum(axis=-1) / np.where(total > 0, total, 1.0), 0.0)


def dominant_count(s: np.ndarray) -> np.ndarray:
    """Number of singular values above the largest multiplicative gap s_i/s_(i+1) of the top ones
    (last axis; zero singular values, e.g. of a 10-row layer beyond rank 10, are left out)."""
    s = np.asarray(s, dtype=float)
    out = np.zeros(s.shape[:-1], dtype=int)
    for idx in np.ndindex(*s.shape[:-1]):
        v = s[idx]
        v = v[v > 0]
        if v.size < 2:
            out[idx] = v.size
            continue
        out[idx] = int(np.argmax(v[:-1] / v[1:])) + 1
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (scipy.stats, average ranks for ties); nan when either side is constant."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:  # scipy warns and returns nan; say nan without the warning
        return float("nan")
    return float(spearmanr(x, y).statistic)


@dataclass(frozen=True)
class Snapshot:
    """The network at one recorded step, with its per-layer statistics."""

    label: str
    step: int
    record: int
    loss: float
    norm: float
    singular_values: np.ndarray  # L x top_k
    ratios: np.ndarray  # rank-one ratio over all singular values, per layer
    top_ratios: np.ndarray  # over the top k only
    dominant: np.ndarray  # singular values above the largest gap, per layer
    weights: list[np.ndarray] | None  # None when no checkpoint was kept there

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "step": self.step, "loss": self.loss, "norm": self.norm,
                "rank_one_ratio": [float(r) for r in self.ratios],
                "top10_ratio": [float(r) for r in self.top_ratios],
                "dominant_singular_values": [int(k) for k in self.dominant],
                "top_singular_values": [[float(v) for v in row] for row in self.singular_values],
                "weights_kept": self.weights is not None}


@dataclass
class ExperimentResult:
    spec: ExperimentSpec
    dataset: Dataset
    run: TrainingRun
    saddles: Saddles
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def G(self) -> np.ndarray:
        """grad C(0) of the training loss, what L0 sees (Section 2)."""
        return cost_gradient_at_zero(self.dataset.targets, self.spec.config.loss)

    def settings(self) -> dict[str, Any]:
        c = self.spec.config
        return {"name": self.spec.name, "data": self.dataset.name, "n_points": self.dataset.n_points,
                "d_in": int(self.dataset.X.shape[0]), "classes": self.dataset.n_classes, "depth": c.depth,
                "width": c.width, "sigma0": c.sigma0, "lr": f"{c.lr_c:g}/||theta||^{c.k}", "steps": c.steps,
                "batch": c.batch_size or "full", "loss": c.loss, "seed": c.seed, "data_seed": self.spec.data_seed,
                "seconds": round(self.run.seconds, 2)}

    def summary(self) -> dict[str, Any]:
        return {"settings": self.settings(), "saddles": self.saddles.to_dict(),
                "snapshots": {k: v.to_dict() for k, v in self.snapshots.items()}, "notes": list(self.notes)}


def _snapshot(run: TrainingRun, label: str, record: int) -> Snapshot:
    step = int(run.steps[record])
    sv = run.singular_values[record]
    return Snapshot(label=label, step=step, record=record, loss=float(run.loss[record]),
                    norm=float(run.norm[record]), singular_values=sv,
                    ratios=rank_one_ratio(sv[:, 0], run.frobenius[record]), top_ratios=top_k_ratio(sv),
                    dominant=dominant_count(sv), weights=run.checkpoints.get(step))


def _record_of_step(run: TrainingRun, step: int) -> int:
    return int(np.searchsorted(run.steps, step))


SNAPSHOT_LABELS = {"init": "initialisation", "escape_onset": "escape onset",
                   "after_first_escape": "after the first escape", "after_second_escape": "after the second escape",
                   "end": "end of training"}


def take_snapshots(run: TrainingRun, saddles: Saddles) -> tuple[dict[str, Snapshot], list[str]]:
    """``init``; ``escape_onset`` (the last checkpoint at or before the first drop starts);
    ``after_first_escape`` and ``after_second_escape`` (the first checkpoint at or after that drop
    ends and before the next one starts); ``end``.  Snapshots that cannot be placed are left out and
    a note says why."""
    snaps = {"init": _snapshot(run, SNAPSHOT_LABELS["init"], 0)}
    notes: list[str] = []
    keys = np.array(sorted(run.checkpoints))
    drops = saddles.drops
    if not drops:
        notes.append("no drop of the loss detected: the network did not escape the first saddle")
    else:
        before = keys[keys <= drops[0].start_step]
        if before.size:
            snaps["escape_onset"] = _snapshot(run, SNAPSHOT_LABELS["escape_onset"], _record_of_step(run, int(before[-1])))
    for i, key in enumerate(("after_first_escape", "after_second_escape")):
        if i >= len(drops):
            break
        limit = drops[i + 1].start_step if i + 1 < len(drops) else int(run.steps[-1])
        after = keys[(keys >= drops[i].end_step) & (keys <= limit)]
        if after.size:
            snaps[key] = _snapshot(run, SNAPSHOT_LABELS[key], _record_of_step(run, int(after[0])))
        else:
            notes.append(f"no checkpoint between the end of drop {i + 1} (step {drops[i].end_step}) and step {limit}: "
                         "record more often or keep more checkpoints")
    snaps["end"] = _snapshot(run, SNAPSHOT_LABELS["end"], len(run.steps) - 1)
    return snaps, notes


ProgressFn = Callable[[int, int, float], None]


def load_dataset(spec: ExperimentSpec) -> Dataset:
    return digits(spec.n_points, seed=spec.data_seed)


def run_experiment(spec: ExperimentSpec, dataset: Dataset | None = None, *, progress: ProgressFn | None = None,
                   threads: int | None = 1) -> ExperimentResult:
    """Train, find the saddles, take the snapshots."""
    data = dataset if dataset is not None else load_dataset(spec)
    spec = spec.resolved(data.n_points)
    run = train(spec.config, data.X, data.targets, data_name=data.name, progress=progress, threads=threads)
    saddles = detect_saddles(run.steps, run.loss)
    snaps, notes = take_snapshots(run, saddles)
    return ExperimentResult(spec, data, run, saddles, snaps, notes)


def with_overrides(spec: ExperimentSpec, **kw: Any) -> ExperimentSpec:
    """The spec with some training settings replaced (``n_points`` and ``data_seed`` go to the spec)."""
    top = {k: kw.pop(k) for k in ("n_points", "data_seed") if k in kw}
    cfg = replace(spec.config, **{k: v for k, v in kw.items() if v is not None}) if kw else spec.config
    return replace(spec, config=cfg, **top)


def steps_per_epoch(n_points: int, batch: int | None) -> int:
    return 1 if not batch or batch >= n_points else math.ceil(n_points / batch)
