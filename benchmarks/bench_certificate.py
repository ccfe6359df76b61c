"""Benchmark: writing and checking optimal-speed certificates (Section 4, footnote 2).

Prints JSON: for Example 1 at depth 2 and 3, the time to search and write a certificate (cvxpy and
Clarabel, untrusted), the time the exact checker takes to re-verify it from its JSON, their ratio,
and the same for random 2-D datasets of growing size.  Not a test: run it by hand,
    python benchmarks/bench_certificate.py [--repeat K]
The issue's target: checking Example 1's certificate takes well under a second.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np


def measure(X, G, depth: int, repeat: int) -> dict:
    from certify.kernel.speed_certificate import check_document
    from certify.optimum.certificates import certify_optimum

    search, check = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = certify_optimum(X, G, depth)
        search.append(time.perf_counter() - t0)
        text = json.dumps(result.document)
        t0 = time.perf_counter()
        report = check_document(json.loads(text))
        check.append(time.perf_counter() - t0)
        assert report.ok, report.first_failure
    s, c = min(search), min(check)
    return {"points": int(X.shape[1]), "depth": depth, "sign_patterns": result.document["search"]["sign_patterns"],
            "cells": len(result.document["upper"]["rays"]), "certificate_bytes": len(text),
            "search_seconds": round(s, 4), "check_seconds": round(c, 5), "search_over_check": round(s / c, 1),
            "interval_width": float(report.upper - report.lower)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of K runs (default 3)")
    args = parser.parse_args()
    from certify.core.datasets import example1_data

    X, G = example1_data()
    rows = [dict(case="example1", **measure(X, G, d, args.repeat)) for d in (2, 3)]
    rng = np.random.default_rng(0)
    for n in (4, 8, 12):
        Xr = rng.standard_normal((2, n))
        Gr = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)[None, :] * rng.uniform(0.5, 1.5, size=(1, n))
        rows.append(dict(case=f"random-{n}", **measure(Xr, Gr, 3, 1)))
    print(json.dumps({"machine": platform.platform(), "python": platform.python_version(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
