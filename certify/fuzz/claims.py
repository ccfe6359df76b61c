"""The fuzzed claims of the gate (prop3.2.fuzz, prop3.3.fuzz, prop3.4.fuzz) and the Prop. 3.3 experiment on
the best minimiser projected gradient descent finds (prop3.3.pgd, an experiment, not a certificate).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from certify.core.network import forward, frobenius_norm
from certify.fuzz import campaign
from certify.fuzz.campaign import (
    capped_chunks,
    failures,
    merge,
    run_chunks,
    save_counterexample,
)
from certify.fuzz.properties import PROPERTIES, TOL

# --- registered claims ----------------------------------------------------------------------

#: examples per fuzzed claim inside `certify all` (and with --quick)
GATE_EXAMPLES = 100
QUICK_EXAMPLES = 30


def fuzz_verdict(claim_id: str, *, examples: int, seed_value: int, data_dir: Path,
                 database_dir: Path | None = None, executor: Any = None,
                 on_chunk: Callable[[int, Any], None] | None = None):
    """Run one fuzz campaign (its chunks on ``executor``, this process when None) and turn it into a
    verdict: 'fuzzed', 'refuted' with a saved instance, or 'error' when a chunk could not run (before any
    counterexample: a counterexample is certain whatever else failed)."""
    from certify.kernel.verdict import Status, Verdict

    n_chunks = math.ceil(examples / campaign.CHUNK)
    outcomes = run_chunks(PROPERTIES[claim_id], examples=examples, seed_value=seed_value,
                          database_dir=database_dir, executor=executor, on_done=on_chunk)
    outcome = merge(outcomes, seed_value)
    bad = failures(outcomes)
    ev: dict[str, Any] = {"examples": outcome.examples, "budget": examples, "seed": seed_value,
                          "chunks": n_chunks, "chunks_at_call_cap": capped_chunks(outcomes),
                          "smallest_slack": outcome.min_slack if math.isfinite(outcome.min_slack) else None,
                          "statement": PROPERTIES[claim_id]().statement}
    if outcome.refuted:
        path = save_counterexample(claim_id, outcome.counterexample, data_dir / "counterexamples")
        ev["counterexample"] = str(path)
        ev["details"] = {k: str(v) for k, v in outcome.counterexample.evidence.items()}
        if bad:
            ev["chunks_not_run"] = bad
        return Verdict(Status.REFUTED, f"certain violation after {outcome.examples} examples, shrunk and saved to "
                       f"{path} (replay: certify instance {path})", None, ev)
    if bad:
        ev["chunks_not_run"] = bad
        return Verdict(Status.ERROR, f"{len(bad)} of {n_chunks} chunks did not run ({bad[0]}); "
                       f"{outcome.examples} examples ran without a counterexample", None, ev)
    capped = ev["chunks_at_call_cap"]
    note = (f"; chunk{'s' if len(capped) > 1 else ''} {', '.join(map(str, capped))} ended at the call cap "
            f"({campaign.CALL_CAP} test calls per example)" if capped else "")
    return Verdict(Status.FUZZED, f"{outcome.examples} examples (seed {seed_value}), no counterexample; smallest "
                   f"normalised slack {outcome.min_slack:.3g} (a float estimate; slacks below -{TOL:g} are "
                   f"re-checked rigorously){note}", max(outcome.min_slack, 0.0) if math.isfinite(
                       outcome.min_slack) else None, ev)


def _gate(claim_id: str):
    def check(ctx):
        n = QUICK_EXAMPLES if ctx.quick else GATE_EXAMPLES
        return fuzz_verdict(claim_id, examples=n, seed_value=ctx.seed % 2**32, data_dir=ctx.data_dir)
    check.__name__ = f"check_{claim_id.replace('.', '_')}"
    return check


check_prop32 = _gate("prop3.2.fuzz")
check_prop33 = _gate("prop3.3.fuzz")
check_prop34 = _gate("prop3.4.fuzz")


# --- Prop. 3.3 on the best minimiser found (an experiment, not a certificate) -------------------


#: prop3.3.pgd: each run is an independent nearly rank-one data set and its search; measured over global
#: seeds 0-4, 7 and 11 (21 runs), the largest ratio found was at most 2e-4 against bounds of 0.04 and up


def prop33_pgd_case(seed_value: int) -> tuple[bool, dict]:
    """One run: data u v^T + E with ||E||_F = eps, the best direction found by projected gradient descent,
    and whether its ratios are below 8 ||G|| eps/(s - ||G|| eps), s its own speed."""
    from certify.optimum.escape import projected_gradient_descent

    rng = np.random.default_rng(seed_value)
    d_in, n, depth, width = 3, 6, 3, 4
    u = np.abs(rng.standard_normal(d_in)) + 0.2
    v = np.abs(rng.standard_normal(n)) + 0.2
    E = rng.standard_normal((d_in, n))
    eps = 0.02
    X = np.outer(u, v) + eps * E / np.linalg.norm(E)
    G = rng.standard_normal((2, n))
    best = projected_gradient_descent(X, G, [d_in] + [width] * (depth - 1) + [2], restarts=10, steps=300,
                                      seed=seed_value)
    gn = frobenius_norm(G)
    if not math.isfinite(best.speed):
        return None, {"speed": best.speed, "note": "the speed found is not finite: this run cannot test the statement"}
    if not best.speed > gn * eps:  # the bound needs s > ||G|| eps: this run cannot test the statement
        return None, {"speed": best.speed, "note": "||G|| eps >= s: the bound does not apply"}
    bound = 8 * gn * eps / (best.speed - gn * eps)
    fp = forward(best.weights, X)
    ratio = lambda M: 1 - float(np.linalg.svd(M, compute_uv=False)[0] ** 2) / float(np.sum(M * M))  # noqa: E731
    measured = {f"W{l + 1}": ratio(W) for l, W in enumerate(best.weights)}
    measured.update({f"Z{l}_sigma": ratio(Z) for l, Z in enumerate(fp.post) if np.any(Z)})
    measured.update({f"gap{l + 1}": float(np.sum(np.minimum(Z, 0) ** 2) / np.sum(Z * Z))
                     for l, Z in enumerate(fp.pre[:-1]) if np.any(Z)})
    worst = max(measured.values())
    ev = {"speed": best.speed, "bound": bound, "largest_ratio": worst, "ratios": measured}
    if not (math.isfinite(worst) and math.isfinite(bound)):
        return None, {**ev, "note": "a ratio or the bound is not finite: this run cannot test the statement"}
    return worst <= bound, ev


def prop33_pgd_experiment(seed_value: int, quick: bool = False):
    """Prop. 3.3 at the best direction found on nearly rank-one data, over independent runs: the ratios are
    compared with 8 ||G|| eps/(s - ||G|| eps), s the best speed found (an estimate of s*, so this is an
    experiment: the true bound, with s* >= s, is smaller)."""
    from certify.gate.replication import Replication, replicate

    protocol = Replication(runs=5, reproduce_at_least=4, refute_at_most=1, quick_runs=3)
    return replicate(protocol, seed_value, quick, prop33_pgd_case,
                     what="every ratio of the best direction found on a nearly rank-one data set (eps = 0.02) is "
                          "below 8||G|| eps/(s - ||G|| eps) with s its own speed",
                     extra={"method": "projected gradient descent on the sphere (certify.optimum.escape)",
                            "per_run_rule": "the largest rank-one ratio and ReLU gap of the best direction found "
                                            "is <= the bound; a run where ||G|| eps >= s, or with a non-finite "
                                            "number, cannot test the statement"})


def check_prop33_pgd(ctx):
    return prop33_pgd_experiment(ctx.seed % 2**31, quick=ctx.quick)
