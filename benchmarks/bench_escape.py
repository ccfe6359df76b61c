"""Benchmark: R restarts of projected gradient descent batched against a Python loop of R single runs.

Prints JSON with the times and the ratios loop / batched.  Not a test: run it by hand,
    python benchmarks/bench_escape.py [--quick] [--width W] [--steps S]
Example 1 (Section 4), depth 3.  Every variant starts from the same points and takes the same steps
(the schedule of ``certify.optimum.escape``), so the work is the same:

* ``batched``: one ``escape_directions`` call on all R runs (weights of shape (R, n_l, n_{l-1}));
* ``loop_batch_of_one``: R calls of ``escape_directions`` on one run each (the same numpy code);
* ``loop_network``: R runs through ``certify.core.network.loss_gradient`` one matrix at a time (how the
  former solver ran).

The final speeds of the three agree; the largest difference is reported.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np

from certify.core.datasets import example1_data
from certify.optimum.escape import escape_directions, learning_rates, sphere_starts
from certify.core.network import localized_loss, loss_gradient


def loop_network(init, X, G, rates):
    speeds = []
    L = len(init)
    for r in range(init[0].shape[0]):
        Ws = [W[r] for W in init]
        for lr in rates:
            grads = loss_gradient(Ws, X, G)
            Ws = [W - lr * g for W, g in zip(Ws, grads)]
            norm = math.sqrt(sum(float((W * W).sum()) for W in Ws))
            Ws = [W * (math.sqrt(L) / norm) for W in Ws]
        speeds.append(-float(localized_loss(Ws, X, G)))
    return np.array(speeds)


def timed(f):
    start = time.perf_counter()
    out = f()
    return time.perf_counter() - start, out


def bench(R: int, width: int, steps: int) -> dict:
    X, G = example1_data()
    widths = [2, width, width, 1]
    init = sphere_starts(np.random.default_rng(R), widths, R)
    lr = 0.8 / (np.linalg.norm(X) * np.linalg.norm(G))
    t_batch, batched = timed(lambda: escape_directions(X, G, widths, init=init, steps=steps, lr=lr, record=False))
    t_one, ones = timed(lambda: np.array([escape_directions(X, G, widths, init=[W[r:r + 1] for W in init], steps=steps,
                                                           lr=lr, record=False).speeds[0] for r in range(R)]))
    t_net, net = timed(lambda: loop_network(init, X, G, learning_rates(steps, lr)))
    return {"restarts": R, "width": width, "steps": steps,
            "seconds": {"batched": round(t_batch, 3), "loop_batch_of_one": round(t_one, 3),
                        "loop_network": round(t_net, 3)},
            "ratio_loop_batch_of_one_over_batched": round(t_one / t_batch, 2),
            "ratio_loop_network_over_batched": round(t_net / t_batch, 2),
            "max_speed_difference": float(max(np.abs(batched.speeds - ones).max(), np.abs(batched.speeds - net).max()))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 steps instead of 300")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--restarts", type=int, nargs="+", default=[64, 256])
    args = ap.parse_args()
    steps = args.steps or (100 if args.quick else 300)
    rows = [bench(R, args.width, steps) for R in args.restarts]
    report = {"benchmark": "batched projected gradient descent vs a loop of single runs (Example 1, depth 3)",
              "python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
              "results": rows}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
