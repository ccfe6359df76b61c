"""Section 3.3's claims on other training seeds: does each verdict of the gate's fixed-seed runs hold?

The gate trains the two runs of Section 3.3 (depths 6 and 4) once, with the fixed seed 0, because
more runs do not fit its budget (about 12 s per seed on two cores).  This script trains the same
preset with other seeds and prints each claim's per-run status, so the robustness of the gate's
verdicts across seeds is measured rather than assumed.  Not a test: run it by hand,

    python benchmarks/section33_seeds.py [--seeds 0 1 2 3 4] [--preset default] [--json OUT]

Prop. 3.4 at the snapshot (a certificate, not an experiment) is left out: it does not depend on
how representative the run is.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from certify.experiments.claims import CASES
from certify.experiments.experiment import preset, run_experiment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--preset", default="default", choices=["default", "quick"])
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    rows = []
    cases = [k for k in CASES if k != "prop3.4"]
    print(f"{'seed':>4}  {'run':<7}" + "".join(f"{k:>18}" for k in cases) + "   seconds")
    for seed in args.seeds:
        for spec in preset(args.preset):
            spec = dataclasses.replace(spec, config=dataclasses.replace(spec.config, seed=seed))
            start = time.perf_counter()
            result = run_experiment(spec)
            verdicts = {k: CASES[k](result) for k in cases}
            seconds = time.perf_counter() - start
            rows.append({"seed": seed, "run": spec.name, "seconds": round(seconds, 2),
                         "statuses": {k: v.status.value for k, v in verdicts.items()},
                         "messages": {k: v.message for k, v in verdicts.items()}})
            print(f"{seed:>4}  {spec.name:<7}" + "".join(f"{v.status.value:>18}" for v in verdicts.values())
                  + f"   {seconds:7.1f}", flush=True)
    summary = {k: {s: sum(r["statuses"][k] == s for r in rows) for s in sorted({r["statuses"][k] for r in rows})}
               for k in cases}
    print(json.dumps({"runs": len(rows), "statuses per claim": summary}, indent=1))
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump({"preset": args.preset, "rows": rows, "summary": summary}, fh, indent=1)


if __name__ == "__main__":
    main()
