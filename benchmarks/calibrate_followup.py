"""Calibration: the per-run pass rates quoted in certify/followup/claims.py, reproduced.

Prints JSON.  Not a test: run it by hand (one CPU-heavy command at a time), e.g.

    python benchmarks/calibrate_followup.py flow --start 1000 --runs 300
    python benchmarks/calibrate_followup.py escape --variant symmetric --runs 400 --seed 6000
    python benchmarks/calibrate_followup.py escape --variant he --runs 1000 --seed 5000

``flow``: runs of :func:`certify.followup.claims.flow_run` on the seeds start .. start + runs - 1: how many
pass, fail and are inconclusive, and the extremes of every measured quantity a threshold is set against.
``escape``: :func:`certify.followup.escape_time.calibrate` at the gate budget of the variant (the budget one
run of the claim makes), ``runs`` independent runs from ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any


def _finite(xs: list[float]) -> list[float]:
    return [x for x in xs if isinstance(x, (int, float)) and math.isfinite(x)]


def flow(start: int, runs: int) -> dict[str, Any]:
    from certify.followup import claims as C

    t0 = time.perf_counter()
    outcomes = {"pass": 0, "fail": 0, "inconclusive": 0}
    per: dict[str, dict[str, list[float]]] = {a: {} for a in C.FLOW_ACTIVATIONS}
    flagged = []
    for seed in range(start, start + runs):
        outcome, ev = C.flow_run(seed)
        outcomes[outcome] += 1
        if outcome != "pass":
            flagged.append({"seed": seed, "outcome": outcome, "failed": ev["failed"],
                            "inconclusive": ev["inconclusive"]})
        for act, row in ev["per_activation"].items():
            for key, value in row.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    per[act].setdefault(key, []).append(float(value))
    extremes = {act: {k: {"min": min(_finite(v), default=None), "max": max(_finite(v), default=None)}
                      for k, v in d.items()} for act, d in per.items()}
    return {"what": "flow_run", "seeds": [start, start + runs - 1], "runs": runs, "outcomes": outcomes,
            "not_passing": flagged, "extremes": extremes, "seconds": round(time.perf_counter() - t0, 1)}


def escape(variant: str, runs: int, seed: int) -> dict[str, Any]:
    from certify.followup import escape_time as E

    budget = (E.BUDGETS if variant == "symmetric" else E.HE_BUDGETS)["gate"]
    t0 = time.perf_counter()
    out = E.calibrate(budget, variant, runs, seed)
    for c in out["configurations"].values():
        c.pop("margins", None)
    return {"what": "escape_time.calibrate", "variant": variant, "budget": "gate",
            "configs": [list(c) for c in budget.configs], "n_eps": budget.n_eps, "draws": budget.seeds,
            "seed": seed, **out, "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    f = sub.add_parser("flow")
    f.add_argument("--start", type=int, default=1000)
    f.add_argument("--runs", type=int, default=300)
    e = sub.add_parser("escape")
    e.add_argument("--variant", choices=("symmetric", "he"), required=True)
    e.add_argument("--runs", type=int, required=True)
    e.add_argument("--seed", type=int, required=True)
    args = p.parse_args()
    out = flow(args.start, args.runs) if args.what == "flow" else escape(args.variant, args.runs, args.seed)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
