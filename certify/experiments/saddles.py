"""Finding the saddles in a loss curve: plateaus and the drops between them (Section 3.3).

Trained from small initialisation, the loss sits on a plateau near C(0) (the saddle at the
origin), drops when the parameters escape, and may sit on further plateaus (later saddles) before
dropping again.  The detector reads the recorded loss only:

1. the curve is smoothed by a running median (mini-batch noise, single-step spikes);
2. a record is *flat* when the smoothed loss changes there (central difference) more slowly than
   ``flat_rate`` times D/T, with D = loss(0) - min loss the total decrease and T the number of
   steps: with the default 0.5, a stretch is flat when at its pace the loss would take twice the
   whole run to make the whole decrease;
3. a *plateau* is a run of at least ``min_plateau_records`` flat records;
4. a *drop* is what lies between two plateaus, or after the last one, when the loss falls there by
   at least ``min_drop_fraction`` of D and at least ``min_relative_drop`` of the initial loss (a
   curve that only crawls is one plateau).  A drop that ends with training ends at the last record.

Thresholds are fractions of the curve's own scales (D and T), so the detector does not depend on
the loss (cross-entropy or squared), on the learning rate or on the number of steps.  Nothing here
is a verdict; the claims read the result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Segment:
    """Records ``start``..``end`` (indices, inclusive) and the steps they correspond to."""

    start: int
    end: int
    start_step: int
    end_step: int
    loss_start: float
    loss_end: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Saddles:
    """Drops and plateaus of one loss curve, in order."""

    drops: tuple[Segment, ...]
    plateaus: tuple[Segment, ...]
    total_decrease: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_escapes(self) -> int:
        return len(self.drops)

    def to_dict(self) -> dict[str, Any]:
        return {"drops": [d.to_dict() for d in self.drops], "plateaus": [p.to_dict() for p in self.plateaus],
                "total_decrease": self.total_decrease, "settings": self.settings}


def running_median(y: np.ndarray, window: int) -> np.ndarray:
    """Median over a centred window (shrunk at the ends); window 1 returns y."""
    y = np.asarray(y, dtype=float)
    if window <= 1 or y.size < 3:
        return y.copy()
    h = window // 2
    return np.array([np.median(y[max(0, i - h) : i + h + 1]) for i in range(y.size)])


def detect_saddles(steps: np.ndarray, loss: np.ndarray, *, smooth: int = 5, flat_rate: float = 0.5,
                   min_plateau_records: int = 3, min_drop_fraction: float = 0.05,
                   min_relative_drop: float = 0.01) -> Saddles:
    """Drops and plateaus of the curve ``loss`` recorded at ``steps`` (see the module docstring)."""
    x = np.asarray(steps, dtype=float)
    y = running_median(np.asarray(loss, dtype=float), smooth)
    n = y.size
    min_plateau = min_plateau_records
    settings = {"smooth": smooth, "flat_rate": flat_rate, "min_plateau_records": min_plateau,
                "min_drop_fraction": min_drop_fraction, "min_relative_drop": min_relative_drop}

    def seg(a: int, b: int) -> Segment:
        return Segment(a, b, int(x[a]), int(x[b]), float(y[a]), float(y[b]))

    total = float(y[0] - y.min()) if n else 0.0
    least = min_relative_drop * abs(float(y[0])) if n else 0.0
    if n < 3 or not total > max(least, 1e-12):
        return Saddles((), (seg(0, n - 1),) if n else (), max(total, 0.0), settings)
    span = float(x[-1] - x[0]) or 1.0
    threshold = flat_rate * total / span
    lo = np.r_[0, np.arange(n - 1)]
    hi = np.r_[np.arange(1, n), n - 1]
    rate = np.abs(y[hi] - y[lo]) / np.maximum(x[hi] - x[lo], 1e-300)
    flat = rate <= threshold
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if flat[i]:
            j = i
            while j + 1 < n and flat[j + 1]:
                j += 1
            if j - i + 1 >= min_plateau:
                runs.append((i, j))
            i = j + 1
        else:
            i += 1
    plateaus: list[Segment] = []
    drops: list[Segment] = []
    # gaps between plateaus (and before the first / after the last) are candidate drops
    bounds = [(-1, -1)] + runs + [(n, n)]
    for (_, prev_end), (next_start, _) in zip(bounds[:-1], bounds[1:]):
        a, b = max(prev_end, 0), min(next_start, n - 1)
        if b > a and y[a] - y[b] >= max(min_drop_fraction * total, least):
            drops.append(seg(a, b))
    # plateaus are the flat runs, widened to meet the drops (a run shorter than needed is not kept)
    edges = [0] + [v for d in drops for v in (d.start, d.end)] + [n - 1]
    for a, b in zip(edges[0::2], edges[1::2]):
        if b - a + 1 >= min_plateau and any(r[0] >= a and r[1] <= b for r in runs):
            plateaus.append(seg(a, b))
    return Saddles(tuple(drops), tuple(plateaus), total, settings)


def plateau_after(saddles: Saddles, drop_index: int) -> Segment | None:
    """The plateau that follows drop ``drop_index`` (the saddle it reaches), if any."""
    if drop_index >= len(saddles.drops):
        return None
    end = saddles.drops[drop_index].end
    return next((p for p in saddles.plateaus if p.start >= end), None)
