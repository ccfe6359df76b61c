"""The replication protocol of experimental claims: thresholds, seeds, the decision and its evidence."""

from __future__ import annotations

import pytest

from certify.gate.replication import Replication, replicate, run_seed, wilson_interval
from certify.kernel.verdict import Status

P = Replication(runs=5, reproduce_at_least=4, refute_at_most=1, quick_runs=3)


def test_thresholds_scale_with_the_runs_made():
    assert P.thresholds(quick=False) == (4, 1)
    assert P.thresholds(quick=True) == (3, 0)  # ceil(4 * 3/5) = 3, floor(1 * 3/5) = 0
    assert Replication(10, 8, 2, 5).thresholds(quick=True) == (4, 1)


@pytest.mark.parametrize("bad", [(5, 6, 1, 3), (5, 4, 4, 3), (5, 4, -1, 3), (5, 4, 1, 0), (5, 4, 1, 6)])
def test_inconsistent_protocols_are_refused(bad):
    with pytest.raises(ValueError):
        Replication(*bad)


@pytest.mark.parametrize("outcomes, status", [
    ([1, 1, 1, 1, 1], Status.REPRODUCED), ([1, 1, 0, 1, 1], Status.REPRODUCED),
    ([1, 0, 0, 1, 1], Status.UNDECIDED), ([1, 0, 1, 0, 0], Status.UNDECIDED),
    ([0, 0, 1, 0, 0], Status.REFUTED), ([0, 0, 0, 0, 0], Status.REFUTED)])
def test_decision(outcomes, status):
    got, ev = P.decide([bool(o) for o in outcomes], quick=False)
    assert got is status and ev["passed"] == sum(outcomes) and ev["runs"] == 5
    lo, hi = ev["wilson95"]
    assert 0 <= lo <= sum(outcomes) / 5 <= hi <= 1


def test_runs_that_cannot_test_neither_pass_nor_fail():
    status, ev = P.decide([True, True, True, None, None], quick=False)
    assert status is Status.UNDECIDED and ev["could_not_test"] == 2 and ev["failed"] == 0
    assert P.decide([False, False, False, None, True], quick=False)[0] is Status.UNDECIDED  # 3 failures < 4
    assert P.decide([False, False, False, False, None], quick=False)[0] is Status.REFUTED
    assert P.decide([True, True, True, True, None], quick=False)[0] is Status.REPRODUCED


def test_a_failure_that_is_not_robust_is_undecided():
    assert P.decide([False] * 5, quick=False, robust_failure=False)[0] is Status.UNDECIDED


def test_the_number_of_outcomes_must_match_the_protocol():
    with pytest.raises(ValueError):
        P.decide([True] * 3, quick=False)


def test_wilson_interval_values():
    lo, hi = wilson_interval(7, 20)
    assert (round(lo, 4), round(hi, 4)) == (0.1812, 0.5671)
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-15)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0, abs=1e-15)


def test_quick_makes_the_first_runs_of_the_full_protocol():
    assert P.seeds(123, quick=True) == P.seeds(123, quick=False)[:3]
    assert len(set(P.seeds(123, quick=False))) == 5 and P.seeds(124, quick=False) != P.seeds(123, quick=False)
    assert all(0 <= s < 2**31 for s in P.seeds(2**62, quick=False)) and run_seed(1, 0) == run_seed(1, 0)


def test_replicate_records_every_run_and_the_robustness_reason():
    seen = []

    def one(seed):
        seen.append(seed)
        return False, {"value": seed % 7}

    v = replicate(P, 5, False, one, what="w", robust=lambda rows: (False, "the drop moves with the range"))
    assert v.status is Status.UNDECIDED and "the drop moves with the range" in v.message
    assert [r["seed"] for r in v.evidence["per_run"]] == seen == P.seeds(5, quick=False)
    assert v.evidence["protocol"]["robustness"] == "the drop moves with the range"
    v = replicate(P, 5, True, lambda s: (True, {}), what="w")
    assert v.status is Status.REPRODUCED and v.evidence["kind"] == "experiment"
