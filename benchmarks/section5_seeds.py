"""Section 5's experiments on other training seeds and on more widths: how robust are the gate's verdicts?

The gate judges conjecture (3) and the plateau remark on the two shared Section 3.3 trainings (depths 6
and 4, training seed 0), and conjecture (1) on widths 4-32.  This script measures what one run cannot:

* ``--seeds``: trains the preset (``default``) with each training seed and prints, per seed and depth,
  conjecture (3)'s outcome (pass, FAIL, or cannot test: no escape, or no second drop so the next saddle
  is never reached) with the tracked layer whose ratio grew most in the window, its ratio at the window's
  start -> its largest in the window; and the plateau concentrations S(depth 6), S(depth 4), their ratio;
* ``--widths``: conjecture (1) at depth 3 on wider networks (default 4-128, 100 runs each, ``--steps``
  steps, 1000 as in the gate), the fraction of projected-gradient runs that reach the certified optimum 1/2
  within 1e-3.

Not a test: run it by hand (about 10 s per training seed and 30 s for the widths on two cores),

    python benchmarks/section5_seeds.py [--seeds 0 1 2 3 4] [--preset default] [--widths 4 8 16 32 64 128]
                                        [--runs 100] [--steps 1000] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time

from certify.gate.replication import wilson_interval
from certify.experiments.experiment import preset, run_experiment
from certify.experiments.section5 import (OPT_TOL, PLATEAU_FACTOR, conjecture1_case, persistence_case,
                                          plateau_statistics)


def seeds_study(seeds: list[int], preset_name: str) -> list[dict]:
    rows = []
    print(f"{'seed':>4}  {'conj3 depth6':>38}  {'conj3 depth4':>38}  {'S6':>7} {'S4':>7} {'S6/S4':>7}  seconds")
    for seed in seeds:
        start = time.perf_counter()
        results = {}
        for spec in preset(preset_name):
            spec = dataclasses.replace(spec, config=dataclasses.replace(spec.config, seed=seed))
            results[spec.name] = run_experiment(spec)
        c3 = {k: persistence_case(r) for k, r in results.items()}
        st = {k: plateau_statistics(r) for k, r in results.items()}
        s6 = st["depth6"]["concentration"] if st["depth6"] else math.nan
        s4 = st["depth4"]["concentration"] if st["depth4"] else math.nan
        seconds = time.perf_counter() - start

        def cell(v):
            ev = v.evidence
            if "largest_ratio" not in ev:
                return "cannot test (no escape)"
            grown = max(ev["tracked_start_to_largest"].items(), key=lambda kv: kv[1][1], default=None)
            growth = f"{grown[0]} {grown[1][0]:.3f}->{grown[1][1]:.3f}" if grown else "none tracked"
            if ev.get("outcome") is None:
                why = "no 2nd drop" if not ev["window"]["ends_at"].startswith("the start") else "untracked"
                return f"cannot test ({why}) {growth}"
            return f"{'pass' if ev['outcome'] else 'FAIL'} {growth}"

        print(f"{seed:>4}  {cell(c3['depth6']):>38}  {cell(c3['depth4']):>38}  {s6:7.3g} {s4:7.3g} {s6 / s4:7.3g}  "
              f"{seconds:6.1f}", flush=True)
        rows.append({"seed": seed, "conjecture3": {k: {"status": v.status.value, "outcome": v.evidence.get("outcome"),
                                                        "message": v.message}
                                                    for k, v in c3.items()},
                     "plateaus": {"S_depth6": s6, "S_depth4": s4, "ratio": s6 / s4,
                                  "passes": bool(s6 >= PLATEAU_FACTOR * s4)}, "seconds": round(seconds, 1)})
    return rows


def widths_study(widths: list[int], runs: int, steps: int) -> list[dict]:
    from certify.gate.replication import Replication
    import certify.experiments.section5 as s5

    saved = s5.C1_PROTOCOL
    s5.C1_PROTOCOL = Replication(runs=runs, reproduce_at_least=(runs + 1) // 2, refute_at_most=runs // 5,
                                 quick_runs=runs)
    try:
        v = conjecture1_case(3, 0, False, widths=widths, steps=steps)
    finally:
        s5.C1_PROTOCOL = saved
    rows = []
    for row in v.evidence["widths"]:
        lo, hi = wilson_interval(row["found"], row["runs"])
        rows.append({**row, "wilson95": [lo, hi]})
        print(f"width {row['width']:>4}, {steps} steps: {row['found']:>4}/{row['runs']} reach 1/2 - {OPT_TOL:g} "
              f"(Wilson 95% [{lo:.3f}, {hi:.3f}]), best {row['best_speed']:.6f}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    ap.add_argument("--preset", default="default", choices=["default", "quick"])
    ap.add_argument("--widths", type=int, nargs="*", default=[4, 8, 16, 32, 64, 128])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--steps", type=int, default=1000, help="projected-gradient steps per run (the gate: 1000)")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    out = {}
    if args.seeds:
        out["seeds"] = seeds_study(args.seeds, args.preset)
    if args.widths:
        out["widths"] = widths_study(args.widths, args.runs, args.steps)
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
