"""Depth sweep of the optimal escape speed s*(L) on 2-D data with one output (Section 5, conjecture (2)).

For each data file and each depth L, :func:`certify.optimum.certificates.certify_optimum` proposes a certificate
(untrusted search) and the exact kernel checks it; only a passing check gives an interval
[lower, upper] that contains s*(L).  Consecutive depths are then compared on the exact ends:

* ``increase``: lower(L) > upper(L-1), so s*(L) - s*(L-1) >= lower(L) - upper(L-1) > 0, certified;
* ``bounded``: the two intervals overlap, so s*(L) - s*(L-1) <= upper(L) - lower(L-1) =: w; no
  increase is certified, and none larger than w is possible (w bounds the rise, it is not a width);
* ``decrease``: upper(L) < lower(L-1), which Prop. 3.2 (s*(L) >= s*(L-1)) rules out: a finding;
* ``not-compared``: one of the two depths has no certified interval (refused by the size limits, or
  a check failed), or the previous depth was not sampled.

Nothing is said about depths that were not sampled: a flat stretch from L0 to Lmax is reported as
"s* rises by at most W from L0 to Lmax", never as a plateau for every L >= L0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from flint import fmpq

from certify.core.errors import InputError

INCREASE, BOUNDED, DECREASE, NOT_COMPARED, FIRST = "increase", "bounded", "decrease", "not-compared", "first"


def exact(x: Any) -> fmpq:
    """An exact rational as fmpq (fmpq, Fraction or int); floats are refused, they are not exact ends."""
    if isinstance(x, fmpq):
        return x
    if isinstance(x, (bool, float)):
        raise TypeError(f"an exact end must be a rational, got {type(x).__name__}")
    if isinstance(x, int):
        return fmpq(x)
    if isinstance(x, Fraction):
        return fmpq(x.numerator, x.denominator)
    raise TypeError(f"an exact end must be a rational, got {type(x).__name__}")


def down(x: Any) -> float:
    """The largest float <= the exact x."""
    from certify.kernel.compare import lower_float

    return lower_float(exact(x))


def up(x: Any) -> float:
    """The smallest float >= the exact x."""
    return -down(-exact(x)) + 0.0  # + 0.0: never -0.0


def classify(prev: tuple[Any, Any] | None, cur: tuple[Any, Any] | None) -> tuple[str, fmpq | None]:
    """Compare the certified intervals (lower, upper) of s*(L-1) and s*(L), exactly.

    Returns (kind, bound): ``increase`` with bound = lower(L) - upper(L-1) > 0 (the least certified rise);
    ``bounded`` with bound = upper(L) - lower(L-1) >= 0 (the largest possible rise); ``decrease`` with
    bound = lower(L-1) - upper(L) > 0; ``not-compared`` with None when either interval is missing."""
    if prev is None or cur is None:
        return NOT_COMPARED, None
    (lo0, hi0), (lo1, hi1) = (tuple(map(exact, prev)), tuple(map(exact, cur)))
    if lo0 > hi0 or lo1 > hi1:
        raise ValueError("an interval with lower > upper")
    if lo1 > hi0:
        return INCREASE, lo1 - hi0
    if hi1 < lo0:
        return DECREASE, lo0 - hi1
    return BOUNDED, hi1 - lo0


@dataclass
class Point:
    """s*(L) on one data set at one depth: a certified interval, a failed check, or a refusal."""

    depth: int
    status: str  # "certified", "failed" (the exact check did not pass) or "refused" (size limits)
    lower: fmpq | None = None
    upper: fmpq | None = None
    widths: list[int] = field(default_factory=list)
    seconds_search: float = 0.0
    seconds_check: float = 0.0
    seconds: float = 0.0
    reason: str = ""
    verdict: str = FIRST
    bound: fmpq | None = None  # see classify()

    @property
    def interval(self) -> tuple[fmpq, fmpq] | None:
        return (self.lower, self.upper) if self.status == "certified" else None

    @property
    def lower_float(self) -> float | None:
        return down(self.lower) if self.interval else None

    @property
    def upper_float(self) -> float | None:
        return up(self.upper) if self.interval else None

    @property
    def width(self) -> float | None:
        """upper - lower rounded up (0 when the ends are equal)."""
        return up(self.upper - self.lower) if self.interval else None

    def verdict_text(self) -> str:
        if self.verdict == FIRST:
            return "first depth"
        if self.verdict == INCREASE:
            return f"increase certified (by >= {down(self.bound):.3g})"
        if self.verdict == BOUNDED:
            return ("no increase: upper(L) = lower(L-1)" if self.bound == 0
                    else f"no increase beyond {up(self.bound):.3g}")
        if self.verdict == DECREASE:
            return f"DECREASE by >= {down(self.bound):.3g}: contradicts Prop. 3.2"
        return "not compared"

    def to_json(self) -> dict[str, Any]:
        bound = None
        if self.bound is not None:
            bound = {"exact": str(self.bound), "float": down(self.bound) if self.verdict != BOUNDED else up(self.bound)}
        return {"depth": self.depth, "status": self.status,
                "lower": None if self.lower is None else str(self.lower),
                "upper": None if self.upper is None else str(self.upper),
                "lower_float": self.lower_float, "upper_float": self.upper_float, "width": self.width,
                "widths": self.widths, "verdict": self.verdict, "verdict_text": self.verdict_text(),
                "bound": bound, "reason": self.reason or None,
                "seconds_search": round(self.seconds_search, 3), "seconds_check": round(self.seconds_check, 3),
                "seconds": round(self.seconds, 3)}


@dataclass
class DataSweep:
    """The sweep on one data file."""

    name: str
    file: str
    n_points: int
    n_positive: int
    n_negative: int
    points: list[Point] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The last certified increase, and the flat stretch after it up to the deepest depth reached
        without a gap: from ``flat_from`` to ``flat_to`` s* rises by at most ``rise_bound``.  No depth
        beyond ``flat_to`` is covered."""
        last_increase = max((p.depth for p in self.points if p.verdict == INCREASE), default=None)
        run: list[Point] = []
        for p in self.points:
            if p.interval is None:
                break
            if run and p.verdict != BOUNDED:  # an increase (or anything else) restarts the stretch
                run = []
            run.append(p)
        out: dict[str, Any] = {"last_increase_at": last_increase, "flat_from": None, "flat_to": None,
                               "rise_bound": None, "rise_bound_float": None}
        if len(run) >= 2:
            rise = run[-1].upper - run[0].lower
            out.update(flat_from=run[0].depth, flat_to=run[-1].depth, rise_bound=str(rise),
                       rise_bound_float=up(rise))
        return out

    def summary_text(self) -> str:
        s = self.summary()
        parts = []
        if s["last_increase_at"] is not None:
            parts.append(f"increase certified up to L = {s['last_increase_at']}")
        if s["flat_from"] is not None:
            parts.append(f"from L = {s['flat_from']} to {s['flat_to']} s* rises by at most {s['rise_bound_float']:.3g}"
                         f" (nothing is certified for L > {s['flat_to']})")
        refused = [p.depth for p in self.points if p.status == "refused"]
        failed = [p.depth for p in self.points if p.status == "failed"]
        if refused:
            parts.append(f"refused by the size limits at L = {', '.join(map(str, refused))}")
        if failed:
            parts.append(f"check FAILED at L = {', '.join(map(str, failed))}")
        return "; ".join(parts) or "no two consecutive depths certified"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "points": self.n_points, "positive": self.n_positive,
                "negative": self.n_negative, "summary": self.summary(), "summary_text": self.summary_text(),
                "depths": [p.to_json() for p in self.points]}


@dataclass
class SweepResult:
    data: list[DataSweep]
    depths: list[int]
    seconds: float = 0.0

    @property
    def findings(self) -> bool:
        """A failed check or a certified decrease: something to look at (exit status 1)."""
        return any(p.status == "failed" or p.verdict == DECREASE for d in self.data for p in d.points)

    def to_json(self) -> dict[str, Any]:
        return {"schema": "certify/depth-sweep", "schema_version": 1, "depths": self.depths,
                "seconds": round(self.seconds, 3), "findings": self.findings,
                "data": [d.to_json() for d in self.data],
                "note": "intervals are certified by the exact checker at the sampled depths only; "
                        "'bounded' means the rise from L-1 to L is at most 'bound', not that s* is constant"}


def load_sweep_data(file: str | Path) -> tuple[str, np.ndarray, np.ndarray]:
    """(name, X, G) of a data file the optimum command accepts; anything else is an InputError."""
    from certify.core.instances import load_data
    from certify.optimum.search import validate_data

    X, G, meta = load_data(file)
    try:
        validate_data(X, G)
    except InputError as exc:
        raise InputError(f"{file}: {exc}") from None
    name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else Path(file).stem
    return name, X, G


def sweep(files: Iterable[str | Path], depths: Sequence[int],
          on_progress: Callable[[str, str, int, Point | None], None] | None = None) -> SweepResult:
    """Certify s*(L) for every file and depth.  Every file is read and validated before any work (bad data
    is an InputError); a depth whose certificate exceeds the checker's limits is recorded as refused."""
    from certify.optimum.search import MAX_DEPTH
    from certify.optimum.certificates import certify_optimum

    depths = sorted({int(d) for d in depths})
    if not depths or depths[0] < 2 or depths[-1] > MAX_DEPTH:
        raise InputError(f"depths must lie between 2 and {MAX_DEPTH}, got {depths}")
    loaded = [(str(f), *load_sweep_data(f)) for f in files]
    start = time.perf_counter()
    result = SweepResult([], depths)
    for file, name, X, G in loaded:
        g = G[0]
        ds = DataSweep(name, file, X.shape[1], int((g > 0).sum()), int((g < 0).sum()))
        result.data.append(ds)
        prev: Point | None = None
        for L in depths:
            if on_progress:
                on_progress("start", name, L, None)
            t = time.perf_counter()
            try:
                r = certify_optimum(X, G, L)
            except InputError as exc:  # the data were validated above: this is a size limit at this depth
                p = Point(L, "refused", reason=str(exc).splitlines()[0] if str(exc) else "refused")
            else:
                rep = r.report
                p = Point(L, "certified" if rep.ok else "failed", rep.lower, rep.upper, list(rep.widths),
                          r.seconds_search, r.seconds_check)
                if not rep.ok:
                    first = rep.first_failure
                    p.reason = f"check {first[0]}: {first[1]}" if first else "the report is incomplete"
            p.seconds = time.perf_counter() - t
            if prev is not None:
                sampled = prev.depth == L - 1
                p.verdict, p.bound = classify(prev.interval if sampled else None, p.interval)
            ds.points.append(p)
            prev = p
            if on_progress:
                on_progress("done", name, L, p)
    result.seconds = time.perf_counter() - start
    return result


# --- the figure -----------------------------------------------------------------------------------


def render_figure(result: SweepResult, path: str | Path) -> Path:
    """Certified intervals of s*(L) against L, one marker set per data set, as a PNG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 5.0), dpi=110)
    markers = "osD^vP*Xh"
    k = len(result.data)
    for i, ds in enumerate(result.data):
        shift = (i - (k - 1) / 2) * 0.045  # side by side, so that equal values stay visible
        cert = [p for p in ds.points if p.interval]
        xs = np.array([p.depth + shift for p in cert], dtype=float)
        lo = np.array([p.lower_float for p in cert], dtype=float)
        hi = np.array([p.upper_float for p in cert], dtype=float)
        refused = [p.depth for p in ds.points if p.status == "refused"]
        failed = [p.depth for p in ds.points if p.status == "failed"]
        label = f"{ds.name} (N = {ds.n_points})"
        if refused:
            label += f"\nL = {', '.join(map(str, refused))} refused (size limits)"
        if failed:
            label += f"\nL = {', '.join(map(str, failed))}: check failed"
        color, marker = f"C{i % 10}", markers[i % len(markers)]
        if len(cert):
            # marker: the lower end (attained by a network); bar: up to the certified upper end
            ax.errorbar(xs, lo, yerr=[np.zeros_like(lo), hi - lo], fmt=marker, ms=6, capsize=6, elinewidth=2.2,
                        color=color, label=label)
            ax.plot(xs, lo, "-", lw=0.8, alpha=0.6, color=color)
        else:
            ax.plot([], [], marker, color=color, label=label)
    ax.set_xticks(result.depths)
    ax.set_xlabel("depth L")
    ax.set_ylabel("s*(L): certified interval")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_title("Optimal escape speed s*(L) of bias-free ReLU networks on 2-D data, exactly checked\n"
                 "marker: lower end (attained); bar: up to the upper end; unsampled depths: nothing claimed",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    plt.close(fig)
    return out
