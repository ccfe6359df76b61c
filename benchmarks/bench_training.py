"""Benchmark: gradient steps per second of the Section 3.3 experiments.

Prints JSON.  Not a test: run it by hand,
    python benchmarks/bench_training.py [--full-steps N] [--threads T]
For the ``default`` preset (what ``certify figures`` and the claims run) it times a whole run and
reports steps/s with and without the recording (loss on the whole set, top-10 singular values of
every layer, checkpoints).  For the ``paper`` preset (width 1000, batches of 32, all 1797 digits)
it times ``--full-steps`` bare steps and one record, and extrapolates the 1000 epochs of Appendix B
(200 records) from them.
Ratios are against the default depth-6 run.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace

import numpy as np


def steps_per_second(spec, data, steps: int, record_every: int, threads: int | None) -> tuple[float, float]:
    from certify.experiments.training import train

    cfg = replace(spec.config, steps=steps, record_every=record_every)
    start = time.perf_counter()
    run = train(cfg, data.X, data.targets, threads=threads)
    wall = time.perf_counter() - start
    return steps / run.seconds, wall


def bare_steps_per_second(spec, data, steps: int, threads: int | None) -> tuple[float, float]:
    """Steps per second of the backend alone (mini-batches of the spec), and the seconds one record
    (loss on the whole set, top singular values of every layer) takes."""
    from certify.experiments.training import BACKENDS, _blas_threads, init_weights, top_singular_values

    c = spec.config
    rng = np.random.default_rng(0)
    X, T = data.X.astype(c.dtype), data.targets.astype(c.dtype)
    backend = BACKENDS[c.backend](init_weights(c, X.shape[0], T.shape[0], rng), c.dtype)
    batch = c.batch_size or X.shape[1]
    with _blas_threads(threads):
        idx = rng.choice(X.shape[1], size=batch, replace=False)
        backend.step(X[:, idx], T[:, idx], c.loss, c.lr_c, c.k)  # warm-up
        start = time.perf_counter()
        for _ in range(steps):
            idx = rng.choice(X.shape[1], size=batch, replace=False)
            backend.step(X[:, idx], T[:, idx], c.loss, c.lr_c, c.k)
        rate = steps / (time.perf_counter() - start)
        start = time.perf_counter()
        backend.evaluate(X, T, c.loss)
        for W in backend.weights():
            top_singular_values(W, c.top_k)
        record = time.perf_counter() - start
    return rate, record


def main() -> None:
    from certify.experiments.data import digits
    from certify.experiments.experiment import preset, steps_per_epoch

    ap = argparse.ArgumentParser()
    ap.add_argument("--full-steps", type=int, default=20, help="steps timed at the paper's width (default 20)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads during training (default 1)")
    args = ap.parse_args()
    report: dict = {"machine": platform.machine(), "python": platform.python_version(), "numpy": np.__version__,
                    "blas_threads": args.threads, "runs": {}}
    for spec in preset("default"):
        data = digits(spec.n_points, seed=spec.data_seed)
        c = spec.config
        with_rec, wall = steps_per_second(spec, data, c.steps, c.record_every, args.threads)
        bare, _ = steps_per_second(spec, data, c.steps, c.steps, args.threads)
        report["runs"][f"default/{spec.name}"] = {
            "width": c.width, "n_points": data.n_points, "batch": c.batch_size or "full", "dtype": c.dtype,
            "steps": c.steps, "steps_per_s": round(with_rec, 1), "steps_per_s_without_recording": round(bare, 1),
            "run_seconds": round(wall, 2)}
    full = {s.name: s for s in preset("paper")}
    data = digits(None)
    for name, spec in full.items():
        c = spec.config
        rate, record = bare_steps_per_second(spec, data, args.full_steps, args.threads)
        epochs = spec.epochs or 1
        total = epochs * steps_per_epoch(data.n_points, c.batch_size)
        records = total // max(1, total // 200)
        report["runs"][f"paper/{name}"] = {
            "width": c.width, "n_points": data.n_points, "batch": c.batch_size, "dtype": c.dtype,
            "steps_timed": args.full_steps, "steps_per_s": round(rate, 2), "seconds_per_record": round(record, 2),
            "paper_run_steps": total,
            "paper_run_hours_estimate": round((total / rate + records * record) / 3600, 2)}
    base = report["runs"]["default/depth6"]["steps_per_s"]
    for entry in report["runs"].values():
        entry["ratio_to_default_depth6"] = round(entry["steps_per_s"] / base, 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
