"""How an experiment turns independent runs into a verdict: the protocol is fixed before running.

An experimental claim (``Evidence.EXPERIMENT``) makes ``runs`` independent runs, each with its own seed
derived from the claim's seed and the run's index, and judges each run by its own stated rule.  Then:

* ``reproduced`` when at least ``reproduce_at_least`` of the runs pass;
* ``refuted`` only when the failure is robust: at least ``runs - refute_at_most`` runs fail, and the
  claim's own robustness check (for a fitted exponent: the failure persists over both halves of the
  range of the fit) agrees;
* ``undecided`` otherwise (the runs disagree: no verdict either way).

A run that cannot test the statement (its hypothesis does not hold on the data drawn, or a number came
out non-finite) reports ``None``: it is neither a pass nor a failure, so it can only move the verdict
towards ``undecided``.

Under ``--quick`` an experiment makes ``quick_runs`` runs, the first ones of the full protocol (same
seeds), with thresholds scaled by the same fractions, so a verdict the full protocol gives with margin is
the quick one too.  The evidence carries the count, the fraction, its 95% Wilson interval
(``scipy.stats.binomtest``), the rule as a sentence and every run's seed and outcome.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from certify.kernel.verdict import Evidence, Status, Verdict


def run_seed(claim_seed: int, index: int) -> int:
    """The seed of run ``index`` of a claim: a hash of the claim's seed and the index (fits numpy)."""
    h = hashlib.blake2b(f"{claim_seed}:run:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") >> 33  # 31 bits: accepted by every seeded API used here


def wilson_interval(passes: int, runs: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (scipy.stats)."""
    from scipy.stats import binomtest

    if runs < 1:
        raise ValueError("no runs")
    ci = binomtest(passes, runs).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Replication:
    """The protocol of an experimental claim: how many independent runs, and the verdict rule."""

    runs: int
    reproduce_at_least: int
    refute_at_most: int
    quick_runs: int

    def __post_init__(self) -> None:
        if not 0 <= self.refute_at_most < self.reproduce_at_least <= self.runs:
            raise ValueError("need 0 <= refute_at_most < reproduce_at_least <= runs")
        if not 1 <= self.quick_runs <= self.runs:
            raise ValueError("need 1 <= quick_runs <= runs")

    def count(self, quick: bool) -> int:
        return self.quick_runs if quick else self.runs

    def thresholds(self, quick: bool) -> tuple[int, int]:
        """(reproduce when passes >= a, refute when passes <= b) for the number of runs made."""
        n = self.count(quick)
        if n == self.runs:
            return self.reproduce_at_least, self.refute_at_most
        a = math.ceil(self.reproduce_at_least * n / self.runs)
        b = math.floor(self.refute_at_most * n / self.runs)
        return a, min(b, a - 1)

    def rule(self, quick: bool) -> str:
        n = self.count(quick)
        a, b = self.thresholds(quick)
        return (f"{n} independent runs ({self.runs} in the full protocol, {self.quick_runs} under --quick): reproduced "
                f"when at least {a} pass; refuted when at least {n - b} fail and the failure is robust; undecided "
                "otherwise (a run that cannot test the statement neither passes nor fails)")

    def seeds(self, claim_seed: int, quick: bool) -> list[int]:
        return [run_seed(claim_seed, i) for i in range(self.count(quick))]

    def decide(self, outcomes: Sequence[bool | None], *, quick: bool,
               robust_failure: bool = True) -> tuple[Status, dict[str, Any]]:
        """The status for the runs' ``outcomes`` (True pass, False fail, None cannot test) and the
        evidence of the decision."""
        n = len(outcomes)
        if n != self.count(quick):
            raise ValueError(f"expected {self.count(quick)} runs, got {n}")
        k = sum(o is True for o in outcomes)
        failed = sum(o is False for o in outcomes)
        a, b = self.thresholds(quick)
        lo, hi = wilson_interval(k, n)
        failing = failed >= n - b
        if k >= a:
            status = Status.REPRODUCED
        elif failing and robust_failure:
            status = Status.REFUTED
        else:
            status = Status.UNDECIDED
        ev = {"runs": n, "passed": k, "failed": failed, "could_not_test": n - k - failed, "fraction": k / n,
              "wilson95": [lo, hi], "rule": self.rule(quick),
              "failure_robust": None if not failing else bool(robust_failure)}
        return status, ev


def replicate(protocol: Replication, claim_seed: int, quick: bool,
              one_run: Callable[[int], tuple[bool | None, dict[str, Any]]],
              *, what: str, robust: Callable[[list[dict[str, Any]]], tuple[bool, str]] | None = None,
              extra: dict[str, Any] | None = None) -> Verdict:
    """Make the protocol's runs (``one_run(seed) -> (passed, evidence)``, passed None when the run cannot
    test the statement) and decide.

    ``robust(run_evidence)`` says whether a failure is robust (and why), when most runs fail; without it a
    failure in enough runs is robust by itself.
    """
    seeds = protocol.seeds(claim_seed, quick)
    rows = []
    outcomes = []
    for i, s in enumerate(seeds):
        ok, ev = one_run(s)
        ok = None if ok is None else bool(ok)
        outcomes.append(ok)
        rows.append({"run": i, "seed": s, "passed": ok, **ev})
    a, b = protocol.thresholds(quick)
    k = sum(o is True for o in outcomes)
    robust_ok, why = (True, "")
    if sum(o is False for o in outcomes) >= len(outcomes) - b and robust is not None:
        robust_ok, why = robust(rows)
    status, decision = protocol.decide(outcomes, quick=quick, robust_failure=robust_ok)
    if why:
        decision["robustness"] = why
    evidence = {"kind": Evidence.EXPERIMENT.value, "protocol": decision, "per_run": rows, **(extra or {})}
    lo, hi = decision["wilson95"]
    head = f"{k}/{len(outcomes)} runs pass (95% Wilson [{lo:.2f}, {hi:.2f}]); {what}"
    if status is Status.REPRODUCED:
        msg = f"{head}: reproduced (>= {a} needed)"
    elif status is Status.REFUTED:
        msg = f"{head}: refuted (>= {len(outcomes) - b} fail{'; ' + why if why else ''})"
    else:
        msg = (f"{head}: undecided (reproduced needs >= {a} passing, refuted >= {len(outcomes) - b} failing with a "
               f"robust failure{'; ' + why if why else ''})")
    return Verdict(status, msg, None, evidence)
