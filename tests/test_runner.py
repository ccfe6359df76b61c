from pathlib import Path

from certify.gate.claim import Claim, claim_seed
from certify.cli import ExitCode, exit_code_for
from certify.kernel.verdict import Evidence, Status, Verdict
from certify.gate.runner import Result, run_claim


def broken_check(ctx):
    raise ZeroDivisionError("boom\nsecond line")


def not_a_verdict(ctx):
    return "proved"


def seeded_check(ctx):
    return Verdict(Status.PROVED, f"seed {ctx.seed}", None, {"draw": int(ctx.rng().integers(0, 10**9))})


def _claim(check):
    return Claim("t.x", "eq1", "t", "s", "st", Evidence.SYMBOLIC, check=f"tests.test_runner:{check}")


def test_a_raising_check_is_an_error_not_a_verdict():
    r = run_claim(_claim("broken_check"), 0, Path("."), False)
    assert r.status is Status.ERROR
    assert "ZeroDivisionError: boom" in r.message and "\n" not in r.message
    assert "Traceback" in r.evidence["traceback"]


def test_a_check_must_return_a_verdict():
    assert run_claim(_claim("not_a_verdict"), 0, Path("."), False).status is Status.ERROR


def test_seeds_depend_on_global_seed_and_id_only():
    a = run_claim(_claim("seeded_check"), 5, Path("."), False)
    b = run_claim(_claim("seeded_check"), 5, Path("."), True)
    c = run_claim(_claim("seeded_check"), 6, Path("."), False)
    assert a.seed == b.seed == claim_seed(5, "t.x") and a.evidence == b.evidence
    assert c.seed != a.seed
    assert claim_seed(5, "t.y") != claim_seed(5, "t.x")


def _result(status, corrected=None):
    return Result("x", "t", "s", "symbolic", status, None, "m", 0.0, 0, {}, corrected)


def test_exit_codes():
    assert exit_code_for([], False) is ExitCode.NO_CLAIMS
    assert exit_code_for([_result(Status.PROVED), _result(Status.SKIPPED)], False) is ExitCode.OK
    for bad in (Status.REFUTED, Status.UNDECIDED, Status.ERROR):
        assert exit_code_for([_result(Status.PROVED), _result(bad)], False) is ExitCode.FINDINGS
    erratum = _result(Status.ERRATUM, {"status": "proved"})
    assert exit_code_for([erratum], False) is ExitCode.OK
    assert exit_code_for([erratum], True) is ExitCode.FINDINGS
    experiment = _result(Status.REFUTED)
    experiment.method = "experiment"
    assert exit_code_for([experiment], False) is ExitCode.OK  # reported, fails only under --strict
    assert exit_code_for([experiment], True) is ExitCode.FINDINGS
    certificate = _result(Status.REFUTED)
    certificate.method = "certificate"
    assert exit_code_for([certificate], False) is ExitCode.FINDINGS
    broken_fix = _result(Status.ERRATUM, {"status": "refuted"})
    assert exit_code_for([broken_fix], False) is ExitCode.FINDINGS


def test_pending_claims_are_skipped_with_their_issue():
    c = Claim("t.p", "eq1", "t", "s", "st", Evidence.SYMBOLIC, pending="issue #3")
    r = run_claim(c, 0, Path("."), False)
    assert r.status is Status.SKIPPED and "issue #3" in r.message


def test_parallel_plan_groups_shared_caches_and_starts_the_longest_first():
    from certify.gate.catalog import CATALOG
    from certify.gate.runner import plan

    tasks = plan(list(CATALOG))
    assert sorted(i for t in tasks for i in t) == sorted(c.id for c in CATALOG)  # every claim exactly once
    by_id = {c.id: c for c in CATALOG}
    shared = [t for t in tasks if any(by_id[i].shares for i in t)]
    for t in shared:  # one task per shared cache, holding all its claims, in catalog order
        key = by_id[t[0]].shares
        assert [c.id for c in CATALOG if c.shares == key] == t
    costs = [sum(by_id[i].cost for i in t) for t in tasks]
    assert costs == sorted(costs, reverse=True)
    assert "section3.3.low-rank-after-escape" in tasks[0]


def test_workers_counts_the_processes_a_run_keeps_busy():
    from certify.gate.catalog import CATALOG
    from certify.gate.runner import plan, workers

    claims = list(CATALOG)
    assert workers(claims, 1) == 1 and workers(claims[:1], 8) == 1
    assert workers(claims, 2) == 2
    tasks = len(plan(claims))
    assert tasks < len(claims) and workers(claims, tasks + 5) == tasks  # never more processes than tasks
    shared = [c for c in claims if c.shares == "section3.3-training"]
    assert len(shared) >= 2 and workers(shared, 4) == 1  # one task: a shared training run
    caches = {c.shares for c in claims if c.shares}
    assert workers([c for c in claims if c.shares], 4) == len(caches)  # one task per shared cache
