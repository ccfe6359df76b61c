import json

import numpy as np
import pytest

from certify.fuzz import campaign as F
from certify.fuzz import claims as FC
from certify.fuzz import properties as P
from certify.core.instances import load_instance
from certify.kernel.verdict import Status
from tests.conftest import run_cli


@pytest.mark.parametrize("name", sorted(P.PROPERTIES))
def test_true_propositions_survive_a_small_campaign(name):
    outcome = F.run(P.PROPERTIES[name](), examples=40, seed_value=11)
    assert not outcome.refuted, outcome.counterexample.evidence
    assert outcome.examples >= 20


@pytest.mark.parametrize("prop, key, shrink", [
    (lambda: P.prop34_property(bound_factor=0.05), "bound", False),
    (lambda: P.prop32_property(loss_margin=0.5), "loss_slack", False),
    (lambda: P.prop33_property(lipschitz_factor=0.5), "slack_lipschitz", True),
])
def test_false_variants_are_found_shrunk_and_saved(tmp_path, prop, key, shrink):
    outcome = F.run(prop(), examples=300, seed_value=1, shrink=shrink)
    assert outcome.refuted
    ev = outcome.counterexample
    assert key in ev.evidence
    path = F.save_counterexample("variant", ev, tmp_path)
    inst = load_instance(path)  # replayable: a valid instance file
    assert inst.depth <= 4 and max(inst.widths) <= 5  # shrunk to something small


def test_fuzz_verdict_records_examples_and_slack(tmp_path):
    v = FC.fuzz_verdict("prop3.4.fuzz", examples=30, seed_value=5, data_dir=tmp_path)
    assert v.status is Status.FUZZED
    assert v.evidence["examples"] >= 15 and v.evidence["seed"] == 5
    assert v.evidence["smallest_slack"] is not None


def test_prop34_counts_the_activations_from_l_equal_0():
    # with p < 1/L the count (1-p)L exceeds L - 1: only the reading l = 0..L-1 (X included) can meet it
    L, p = 4, 0.1
    assert P._needed(p, L) == 4 > L - 1
    from certify.instance.verdicts import check_prop34
    from certify.instance.enclosure import enclose_network
    from certify.core.paths import instances_dir

    inst = load_instance(instances_dir() / "nearly-rank-one-depth4.npz")
    net = enclose_network(inst)
    v = check_prop34(net, net.activations, ps=(p,))
    assert v.status is Status.CERTIFIED
    assert v.evidence["per_p"][str(p)]["layers_certified_below"] == [0, 1, 2, 3]


def test_fuzz_command(tmp_path):
    out = tmp_path / "f.json"
    proc = run_cli("fuzz", "prop3.3", "-n", "30", "--seed", "4", "--json", str(out),
                   env={"CERTIFY_RESULTS": str(tmp_path / "r")})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["status"] == "fuzzed" and report["evidence"]["seed"] == 4
    assert run_cli("fuzz", "prop9").returncode == 2


def test_projected_gradient_descent_finds_the_linear_optimum():
    from certify.optimum.escape import projected_gradient_descent

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 5))
    G = rng.standard_normal((2, 5))
    best = projected_gradient_descent(X, G, [3, 2], restarts=3, steps=300, lr=0.1)
    # depth 1: L0 = Tr[G^T W X] on ||W||_F = 1 is minimised at W = -G X^T/||G X^T||_F
    assert best.speed == pytest.approx(np.linalg.norm(G @ X.T), rel=1e-6)


def test_prop33_pgd_experiment_reports_its_protocol():
    v = FC.prop33_pgd_experiment(3, quick=True)
    assert v.status is Status.REPRODUCED
    assert v.evidence["kind"] == "experiment" and len(v.evidence["per_run"]) == 3
    assert v.evidence["protocol"]["passed"] == 3 and "5 in the full protocol" in v.evidence["protocol"]["rule"]
    full = FC.prop33_pgd_experiment(3, quick=False)
    assert [r["seed"] for r in full.evidence["per_run"]][:3] == [r["seed"] for r in v.evidence["per_run"]]


def test_prop33_pgd_decision_follows_the_protocol(monkeypatch):
    outcomes = iter([True, False, False, False, True])
    monkeypatch.setattr(FC, "prop33_pgd_case", lambda s: (next(outcomes), {}))
    v = FC.prop33_pgd_experiment(0, quick=False)  # 2 of 5 pass: neither >= 4 nor <= 1
    assert v.status is Status.UNDECIDED and v.evidence["protocol"]["passed"] == 2
    outcomes = iter([False, False, True, False, False])
    assert FC.prop33_pgd_experiment(0, quick=False).status is Status.REFUTED
    outcomes = iter([None, None, None, None, True])  # runs whose data cannot test the bound are no passes
    assert FC.prop33_pgd_experiment(0, quick=False).status is Status.UNDECIDED


def test_long_campaigns_run_in_chunks_with_derived_seeds(monkeypatch):
    monkeypatch.setattr(F, "CHUNK", 10)
    out = F.run_in_chunks(P.prop33_property(), examples=25, seed_value=3)
    assert 15 <= out.examples <= 25 and not out.refuted
    found = F.run_in_chunks(P.prop33_property(lipschitz_factor=0.5), examples=300, seed_value=1)
    assert found.refuted


def test_a_seed_gives_the_same_examples_whatever_ran_before_in_the_process():
    """Hypothesis also draws literals from the project modules already imported; certify empties that pool
    while it fuzzes, so one seed means one campaign (whatever the worker ran before, --jobs, install mode)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "if sys.argv[1] == 'heavy':\n"
        "    import certify.optimum.search, certify.optimum.escape, certify.experiments.section4, certify.experiments.claims\n"
        "from certify.fuzz.campaign import run\nfrom certify.fuzz.properties import PROPERTIES\n"
        "out = run(PROPERTIES['prop3.4.fuzz'](), examples=40, seed_value=123)\n"
        "print(out.examples, repr(float(out.min_slack)))\n"
    )
    outs = [subprocess.run([sys.executable, "-c", script, kind], capture_output=True, text=True, timeout=300)
            for kind in ("light", "heavy")]
    assert all(o.returncode == 0 for o in outs), [o.stderr[-500:] for o in outs]
    assert outs[0].stdout == outs[1].stdout, [o.stdout for o in outs]


def test_a_run_ends_at_its_call_cap_by_count_not_by_time(monkeypatch):
    """Hypothesis' target phase can call the test far more often than max_examples (prop3.4 at seed 7 went past
    11,500 calls for 1000 examples); a run ends after CALL_CAP calls per example, the same place every time."""
    monkeypatch.setattr(F, "CALL_CAP", 1)
    calls = []
    prop = P.prop34_property()
    evaluate = prop.evaluate

    def counted(case):
        calls.append(1)
        return evaluate(case)

    prop.evaluate = counted
    first = F.run(prop, examples=40, seed_value=7)
    assert len(calls) <= 40  # never more calls than the cap allows
    again = F.run(P.prop34_property(), examples=40, seed_value=7)
    assert (first.examples, first.min_slack, first.capped) == (again.examples, again.min_slack, again.capped)
    assert first.capped and first.examples == 23  # 40 calls, 17 of them rejected by the property's assumptions
    monkeypatch.setattr(F, "CALL_CAP", 4)
    assert not F.run(P.prop34_property(), examples=40, seed_value=7).capped
    merged = F.merge([F.FuzzOutcome(5, 0.2, None, 1, capped=True), F.FuzzOutcome(7, 0.1, None, 2)], 1)
    assert merged.capped and merged.examples == 12 and F.capped_chunks(
        [F.FuzzOutcome(5, 0.2, None, 1, capped=True), F.FuzzOutcome(7, 0.1, None, 2)]) == [0]


def test_the_call_cap_never_cuts_the_shrinking_of_a_counterexample(monkeypatch):
    monkeypatch.setattr(F, "CALL_CAP", 1)
    found = F.run(P.prop33_property(lipschitz_factor=0.5), examples=300, seed_value=1)
    assert found.refuted and found.counterexample.violated
