"""Issue 8: the follow-up paper's imbalance identity, universality classes and escape-time law.

Every check here can fail: each true statement is paired with a deliberately wrong variant
(a factor or a sign changed, a hypothesis dropped) that must not come out proved,
certified or reproduced.
"""

import json
import math

import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq

from certify.core.errors import InputError
from certify.followup import escape_time as E
from certify.followup import imbalance as I
from certify.followup.activations import ACTIVATIONS, Tie, get
from certify.kernel.verdict import Status
from certify.proofs import followup_activations as FA
from certify.proofs import followup_imbalance as FI
from certify.kernel.symbolic import Ledger

CERTAIN = (Status.PROVED, Status.CERTIFIED, Status.FUZZED, Status.REPRODUCED)


def _caught(result) -> bool:
    if isinstance(result, bool):
        return not result
    return result.status not in CERTAIN


# --- the identity: symbolic ------------------------------------------------------------


def test_identity_reduces_to_zero_for_generic_activation_and_loss():
    ledger = Ledger()
    assert FI.verify_identity(ledger, (1, 2, 1, 2))
    assert not ledger.failed and len(ledger.checked) >= 4


@pytest.mark.parametrize("variant", [{"factor": -4}, {"factor": 2}, {"sign": 1}])
def test_identity_with_a_changed_factor_or_sign_is_rejected(variant):
    ledger = Ledger()
    assert not FI.verify_identity(ledger, (1, 2, 1, 2), matrix=False, **variant)
    assert "fails" in ledger.failed[0]  # rejected by an exact polynomial instance


def test_weak_balancedness_on_every_relu_region_and_not_with_an_offset():
    assert FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1))
    assert FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1), slopes=(sp.Symbol("a", positive=True), 1))
    assert not FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1), offset=sp.Rational(1, 2))


def test_full_balancedness_only_when_all_units_are_active():
    ledger = Ledger()
    assert FI.verify_strong_balancedness(ledger)
    assert any("mixed pattern" in s for s in ledger.checked)


def test_homogeneous_pieces_and_the_converse():
    assert FI.homogeneous_pieces(Ledger())


# --- the identity: instances -------------------------------------------------------------


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "linear", "quadratic"])
def test_exact_identity_on_instances(act):
    net = I.random_network(np.random.default_rng(1), act)
    assert I.certify_identity(net).status is Status.PROVED


def test_exact_conservation_for_relu_and_its_failure_for_a_polynomial():
    rng = np.random.default_rng(2)
    assert I.certify_conservation(I.random_network(rng, "relu", widths=(3, 5, 4, 2))).status is Status.PROVED
    assert I.certify_conservation(I.random_network(rng, "quadratic")).status is Status.REFUTED
    assert I.certify_conservation(I.random_network(rng, "tanh")).status is Status.REFUTED


@pytest.mark.parametrize("act", ["tanh", "gelu"])
def test_ball_identity_is_certified(act):
    net = I.random_network(np.random.default_rng(3), act)
    v = I.certify_identity(net)
    assert v.status is Status.CERTIFIED
    assert I.certify_drift(net).status is Status.CERTIFIED  # the imbalance moves


@pytest.mark.parametrize("act,variant", [
    ("quadratic", {"factor": -4}), ("quadratic", {"factor": 2}), ("tanh", {"factor": -1}), ("tanh", {"sign": 1}),
    ("relu", {"sign": 1}), ("sigmoid", {"factor": -3}),
])
def test_wrong_closed_forms_are_refuted_on_instances(act, variant):
    net = I.random_network(np.random.default_rng(4), act)
    assert I.certify_identity(net, **variant).status is Status.REFUTED


def test_a_sign_change_is_invisible_for_homogeneous_activations_only_through_the_factor():
    # for ReLU, g = 0, so a wrong *factor* cannot be seen; the sign inside g can (test above)
    net = I.random_network(np.random.default_rng(5), "relu")
    assert I.certify_identity(net, factor=-4).status is Status.PROVED


def test_float_closed_form_agrees_with_the_forward_mode_derivative(rng):
    net = I.random_network(rng, "silu")
    closed = [c for c, _ in I.closed_form(net)]
    direct = [d for d, _ in I.direct_jvp(net)]
    bp = [d for d, _ in I.direct_backprop(net)]
    assert np.allclose(closed, direct, rtol=1e-10) and np.allclose(closed, bp, rtol=1e-10)


def test_ties_are_refused_for_kinked_activations():
    f, df = get("relu").exact
    assert f(fmpq(2)) == 2 and f(fmpq(-2)) == 0
    with pytest.raises(Tie):
        df(fmpq(0))


def test_flow_cross_check_flat_for_relu_and_drifting_for_tanh():
    rng = np.random.default_rng(6)
    relu = I.flow_trace(I.random_network(rng, "relu", widths=(2, 3, 2), n_points=3), 0.5, n_times=6)
    tanh = I.flow_trace(I.random_network(rng, "tanh", widths=(2, 3, 2), n_points=3, scale=2.0), 0.5, n_times=6)
    assert relu.drift < 1e-8 and relu.rate_error < 1e-6
    assert tanh.rate_error < 1e-6 and tanh.drift > 1e-5


def _kinked_net():
    # a ReLU network whose flow on [0, 1] crosses kinks six times and slides along two at once
    return I.random_network(np.random.default_rng(2), "relu", widths=(3, 4, 4, 2), n_points=5, scale=1.2)


def test_kink_aware_rk4_conserves_the_imbalance_where_plain_rk4_does_not():
    net = _kinked_net()
    honest = I.flow_trace(net, 1.0, n_times=6)
    plain = I.flow_trace(net, 1.0, n_times=6, kink_aware=False)
    assert honest.kink_events >= 3 and honest.max_sliding >= 1 and not honest.cap_hit
    assert honest.drift <= 1e-8 and honest.rate_error <= 1e-6
    assert plain.drift > 1e-6  # O(step^2) per crossing: the fixed-step RK4 fails the same bound


def test_kink_aware_rk4_cap_on_events_is_reported():
    tr = I.flow_trace(_kinked_net(), 1.0, n_times=6, max_kink_events=1)
    assert tr.cap_hit and tr.kink_events == 2
    assert len(tr.t) < 6  # the samples after the cap are missing, not invented


def test_the_kink_aware_flow_is_checked_against_the_plain_gradient():
    tr = I.flow_trace(_kinked_net(), 1.0, n_times=6)
    assert tr.energy_steps == tr.steps and tr.energy_error < 1e-3 and tr.sign_mismatches == 0
    assert tr.unresolved_events == 0 and tr.unlocated_events == 0


def test_a_mutated_piece_field_fails_the_flow_run(monkeypatch):
    # every frozen-slope field conserves the imbalances, so a field at half speed passes every imbalance
    # check; the energy identity dC/dt = -||grad C||^2 with the plain gradient does not
    from certify.followup import claims as C

    assert C.flow_run(1001)[0] == "pass"
    call = I._PieceField.__call__

    def half(self, theta, mode, watch=()):
        e = call(self, theta, mode, watch)
        e.field = 0.5 * e.field
        return e

    monkeypatch.setattr(I._PieceField, "__call__", half)
    outcome, ev = C.flow_run(1001)
    assert outcome == "fail" and "relu" in ev["failed"] and "leaky_relu" in ev["failed"]
    assert ev["per_activation"]["relu"]["energy_error"] > 0.1
    assert ev["per_activation"]["relu"]["drift"] < C.KINKED_DRIFT  # the imbalances alone do not see it


def test_unresolved_or_unlocated_events_make_a_flow_run_inconclusive(monkeypatch):
    from certify.followup import claims as C

    trace = I.flow_trace

    def flagged(net, *a, **k):
        tr = trace(net, *a, **k)
        if net.activation == "relu":
            tr.unlocated_events = 1
        return tr

    monkeypatch.setattr(I, "flow_trace", flagged)
    outcome, ev = C.flow_run(1001)
    assert outcome == "inconclusive" and ev["inconclusive"] == ["relu"]
    assert ev["per_activation"]["relu"]["unlocated_events"] == 1


def test_grazing_and_sliding_events_are_resolved():
    # seed 1000's ReLU network grazes a kink (dz/dt ~ 1e-9 on the inactive side, z a rounding-size step past
    # it) and seed 1005's leaky ReLU network leaves a kink it slid along with z at 9e-9, past the band: both
    # were unresolved events (the signs taken) before the sides were judged relative to the relaxed kink and
    # a sliding preactivation was let leave its kink on either side
    from certify.followup import claims as C

    for seed, act in ((1000, "relu"), (1005, "leaky_relu")):
        outcome, ev = C.flow_run(seed)
        assert ev["per_activation"][act]["unresolved_events"] == 0 and outcome == "pass", (seed, act)


def test_every_frozen_slope_field_has_the_imbalances_as_first_integrals(rng):
    net = _kinked_net()
    shapes = [w.shape for w in net.weights]
    F = I._PieceField(net, shapes)
    theta = I._flat(net.weights)
    Ws = I._unflat(theta, shapes)
    for _ in range(3):  # arbitrary slopes, not only ReLU's 0 and 1: sliding uses slopes in between
        D = [rng.uniform(0, 1, (m, net.X.shape[1])) for m, _ in shapes[:-1]]
        dW, _, _ = F._pass(Ws, D)
        rates = [2 * np.sum(Ws[l + 1] * dW[l + 1]) - 2 * np.sum(Ws[l] * dW[l]) for l in range(len(Ws) - 1)]
        assert np.max(np.abs(rates)) < 1e-12 * np.sum(theta**2) * np.linalg.norm(np.concatenate([d.ravel() for d in dW]))


def test_sliding_keeps_the_preactivation_on_its_kink():
    net = _kinked_net()
    W1 = net.weights[0].copy()
    x0 = net.X[:, 0]
    W1[0] -= (W1[0] @ x0) / (x0 @ x0) * x0  # put z = W1[0] . x_0 on the kink
    net = I.Network((W1,) + net.weights[1:], net.X, net.target, "relu")
    shapes = [w.shape for w in net.weights]
    F = I._PieceField(net, shapes, relax=1e-2)
    theta = I._flat(net.weights)
    mode = F.mode_at(theta)
    e = (0, 0, 0)
    ev = F(theta, I._Mode(mode.active, (e,)), watch=[e])
    z = ev.Z[0][0, 0]
    assert abs(z) < 1e-15 and np.isfinite(ev.slopes[0])
    assert ev.ok == (-1e-12 <= ev.slopes[0] <= 1 + 1e-12)
    assert abs(ev.watched[0] + z / 1e-2) < 1e-12  # the equivalent control: dz/dt = -z / relax, about 0


# --- universality classes ---------------------------------------------------------------


def test_four_classes_with_their_leading_terms():
    ledger = Ledger()
    table = FA.verify_classes(ledger)
    assert not ledger.failed
    assert {row["class"] for row in table.values()} == {"homogeneous", "offset", "quadratic", "cubic"}
    assert table["tanh"]["leading"] == "2*z**3/3" and table["silu"]["leading"] == "-z**2/4"
    assert table["sigmoid"]["sigma(0)"] == "1/2"


def test_a_misclassified_activation_is_caught():
    ledger = Ledger()
    FA.verify_classes(ledger, {**FA.EXPECTED, "tanh": "quadratic"})
    assert ledger.failed == ["tanh is in class quadratic (found: cubic, leading term 2*z**3/3)"]


def test_taylor_formula_of_g():
    assert FA.verify_taylor_formula(Ledger(), degree=4)


# --- the scalar ODE ---------------------------------------------------------------------


def test_scalar_ode_sandwich_and_wrong_exponents():
    assert FI.verify_sandwich(Ledger())
    assert not FI.verify_sandwich(Ledger(), claimed=FI.r - 1)  # tau ~ eps^-(r-1): wrong
    assert not FI.verify_sandwich(Ledger(), claimed=FI.L - 2)  # the total-depth exponent: wrong for L > r
    assert not FI.verify_sandwich(Ledger(), rate_exponent=FI.r + 1)


def test_symmetric_manifold_is_invariant_and_a_broken_point_is_not():
    assert FI.verify_symmetric_manifold(Ledger())
    assert not FI.verify_symmetric_manifold(Ledger(), break_symmetry=True)


def test_width_one_reduction():
    assert FI.verify_product_reduction(Ledger(), 5, 3)


# --- escape time: simulations and fits ----------------------------------------------------


def test_symmetric_runs_follow_eps_to_the_minus_one_for_r3():
    s = E.Setup(3, 4)
    taus = [E.simulate(s, eps, 11).tau * eps for eps in (1e-3, 1e-2)]
    assert abs(taus[0] / taus[1] - 1) < 0.05  # same data, eps x 10: tau x 10 within 5%


def test_batched_rk4_matches_solve_ivp():
    cc = E.integrator_cross_check(0, ((3, 3, 1e-2), (4, 4, 3e-2)))
    assert cc["max_relative_difference"] < 1e-4


def test_batched_gd_is_the_single_run_gd():
    s = E.Setup(3, 3, "he")
    one = E.simulate(s, 1e-2, 5, integrator="gd", gd_step=1e-2)
    batch = E.simulate_batch(s, [(1e-3, 4), (1e-2, 5)], step=1e-2, method="gd")[1]
    assert batch.tau == pytest.approx(one.tau, rel=1e-12)


def test_a_run_does_not_depend_on_its_batch():
    s = E.Setup(3, 5, "he")
    pairs = [(float(e), 50 + j) for j in range(3) for e in E.eps_grid(3, 3)]
    together = [x.tau for x in E.simulate_batch(s, pairs)]
    alone = [E.simulate_batch(s, [p])[0].tau for p in pairs[:3]]
    assert together[:3] == alone  # bitwise: --quick's first runs are the full protocol's first runs


def test_the_flow_stays_on_the_symmetric_manifold():
    run = E.simulate(E.Setup(3, 5), 1e-2, 3)
    assert run.escaped and run.symmetry_escape < 1e-10


def test_paired_draws_remove_the_he_prefactor_from_the_slope():
    # why the He-normal intervals were miscalibrated: tau = C eps^-(r-2) with C varying a lot between draws;
    # within a draw (same data and weight directions at every eps) C cancels from the slope
    res = E.paired_run(E.Budget(3, 4, ((3, 3),)), 7, "he")[0]
    assert res.analysis["stalled_draws"] == 1  # one draw has a dead layer: a critical point, left out
    logtau = np.log(res.tau())
    logtau = logtau[np.all(np.isfinite(logtau), axis=1)]
    assert np.std(logtau[:, 0], ddof=1) > 0.15  # the prefactor: log tau at one eps across draws
    assert np.ptp(res.analysis["full_grid_slopes"]) < 0.02  # the slopes of the same draws
    assert res.outcome == "pass"


def _config(r, L, law, draws=3, n_eps=5, stalled=(), never=()):
    """A synthetic (r, L): draw j at eps has tau = law(eps, j); draws in ``stalled`` hit a critical point."""
    setup = E.Setup(r, L)
    grid = E.eps_grid(r, n_eps)
    runs = []
    for j in range(draws):
        for eps in grid:
            dead = j in stalled or j in never
            tau = float("nan") if dead else law(float(eps), j)
            runs.append(E.Run(float(eps), j, tau, not dead, 0.5, 0, 0.0, 0.0, 0.0, "synthetic", j in stalled))
    res = E.ConfigResult(setup, grid, runs, E.simultaneous_level(2))
    E.analyse(res)
    return res


def _ode_law(r, spread=0.3):
    # the scalar ODE's shape: tau = C_j (eps^-(r-2) - u^-(r-2)), a pre-asymptotic bend at large eps
    return lambda eps, j: math.exp(spread * j) * (eps ** -(r - 2) - 0.7 ** -(r - 2))


def test_the_law_with_its_pre_asymptotic_bend_passes_and_wrong_laws_fail():
    good = [_config(3, 3, _ode_law(3)), _config(3, 5, _ode_law(3)), _config(4, 6, _ode_law(4))]
    assert all(c.outcome == "pass" for c in good)
    assert good[0].analysis["slope_large_half"] < good[0].analysis["slope_small_half"] < -1  # the bend is there
    steeper = _config(3, 3, lambda eps, j: math.exp(0.3 * j) * eps**-1.1)
    depth = _config(3, 5, lambda eps, j: math.exp(0.3 * j) * eps**-3.0)  # the total-depth law -(L-2)
    shallow_r = _config(4, 4, lambda eps, j: math.exp(0.3 * j) * eps**-1.0)  # -(r-3)
    for bad in (steeper, depth, shallow_r):
        assert bad.outcome == "fail"
    assert E.run_outcome(good) == "pass" and E.run_outcome(good + [steeper]) == "fail"


def test_stalled_draws_make_a_run_inconclusive_and_plateaus_make_it_fail():
    assert _config(3, 3, _ode_law(3), stalled=(0, 1)).outcome == "inconclusive"
    assert _config(3, 3, _ode_law(3), stalled=(0,)).outcome == "pass"  # two complete draws remain
    assert _config(3, 3, _ode_law(3), never=(1,)).outcome == "fail"  # still on the plateau at t_max
    assert E.run_outcome([_config(3, 3, _ode_law(3)), _config(3, 3, _ode_law(3), stalled=(0, 1))]) == "inconclusive"


def test_a_pre_asymptotic_wrong_law_does_not_pass():
    # the review's case: a two-sided systematic term gave S = -1.25, G = -0.57, interval [-1.93, -0.57]: pass
    res = _config(3, 4, lambda eps, j: eps**-2 * (1 + 1.8e5 * eps**1.5))
    a = res.analysis
    assert a["slope_small_half"] == pytest.approx(-1.25, abs=0.01)
    assert a["slope_large_half"] == pytest.approx(-0.57, abs=0.01)
    assert res.outcome != "pass"
    assert res.outcome == "inconclusive" and "pre-asymptotic" in a["inconclusive"]  # |G - S| > MAX_SLOPE_CHANGE
    # one-sided: the limit lies beyond S away from G, so the interval stops at S + stat on G's side
    assert a["interval"][1] < -1.2


def test_the_systematic_term_is_one_sided():
    # a power law with a correction that makes the slope shallower at large eps: G - S > 0, the limit is below S
    def law(eps, j):
        return math.exp(0.3 * j) * eps**-1.0 * (1 + 0.5 * eps**0.5)

    res = _config(3, 3, law)
    a = res.analysis
    assert a["slope_large_half"] > a["slope_small_half"] and a["systematic_side"] == "below"
    assert a["interval"][1] == pytest.approx(a["slope_small_half"] + a["statistical_halfwidth"])
    assert a["interval"][0] == pytest.approx(a["slope_small_half"] - a["statistical_halfwidth"]
                                             - a["systematic_halfwidth"])


def test_a_run_fails_when_its_interval_does_not_exclude_the_depth_exponent():
    # draws with slopes -1, -1.5, -2: the interval contains -(r-2) = -1 and also -(L-2) = -2
    res = _config(3, 4, lambda eps, j: eps ** -(1 + 0.5 * j))
    assert res.checks == {"interval contains -(r-2)": True, "interval excludes -(L-2)": False}
    assert res.outcome == "fail"


def test_slow_draws_are_not_escaped_rather_than_stalled():
    # r = 4 networks judged against the horizon of an r = 3 law: too slow, they must fail, not stall
    setup = E.Setup(4, 4)
    grid = np.array([1e-4, 3e-4, 1e-3])  # tau ~ 0.28 eps^-2, past 200 eps^-1 + 1000; the first step alone
    # spans more than 1% of that horizon, which the earlier criterion called stalled
    runs = E.simulate_batch(setup, [(float(e), s) for s in (1, 2) for e in grid], horizon_r=3)
    assert all(not r.escaped and not r.stalled for r in runs)
    res = E.ConfigResult(setup, grid, runs, E.simultaneous_level(1))
    E.analyse(res)
    assert res.outcome == "fail" and res.analysis["stalled_draws"] == 0 and res.analysis["not_escaped_draws"] == 2


def test_too_many_stalled_draws_make_a_run_inconclusive():
    ok = _config(3, 3, _ode_law(3), draws=4)
    one = _config(3, 3, _ode_law(3), draws=4, stalled=(0,))  # 1 of 8 draws of the run: testable
    two = _config(3, 5, _ode_law(3), draws=4, stalled=(0, 1))  # with ``one``: 3 of 8 > STALL_LIMIT
    assert E.run_outcome([ok, one]) == "pass"
    assert E.stalled_fraction([one, two]) == pytest.approx(3 / 8)
    assert E.run_outcome([one, two]) == "inconclusive"
    outcome, _, ev = E.summarize([one, two])
    assert outcome == "inconclusive" and ev["stalled_fraction"] == pytest.approx(3 / 8)


def _escape_status(monkeypatch, laws, quick=False):
    """check_escape_symmetric on synthetic runs: run i uses laws[i % len(laws)] for its single (3, 5)."""
    from certify.gate.claim import Context
    from certify.followup import claims as C

    def fake_runs(budget, seeds, variant):
        return {s: [_config(3, 5, **laws[i % len(laws)])] for i, s in enumerate(seeds)}

    monkeypatch.setattr(E, "paired_runs", fake_runs)
    monkeypatch.setattr(E, "integrator_cross_check", lambda *a, **k: {})
    monkeypatch.setitem(E.BUDGETS, "gate", E.Budget(5, 3, ((3, 5),)))
    v = C.check_escape_symmetric(Context(seed=1, data_dir=None, quick=quick))
    return v.status, v.evidence["protocol"]


def test_protocol_decisions_on_synthetic_runs(monkeypatch):
    law = {"law": _ode_law(3)}
    steeper = {"law": lambda eps, j: math.exp(0.3 * j) * eps**-1.1}
    # a log correction: the local slope creeps toward -1 as eps decreases; failing, but maybe pre-asymptotic
    creeping = {"law": lambda eps, j: math.exp(0.3 * j) * math.log(1 / eps) ** 0.5 / eps}
    # a stronger one: the slope changes by more than MAX_SLOPE_CHANGE between the halves: no test at all
    bending = {"law": lambda eps, j: math.exp(0.3 * j) * math.log(1 / eps) / eps}
    stalled = {"law": _ode_law(3), "stalled": (0, 1)}
    assert _escape_status(monkeypatch, [law])[0] is Status.REPRODUCED
    status, ev = _escape_status(monkeypatch, [steeper])
    assert status is Status.REFUTED and ev["passed"] == 0 and "both exclude" in ev["robustness"]
    status, ev = _escape_status(monkeypatch, [creeping])
    assert status is Status.UNDECIDED and ev["failed"] == 5 and "shrinks as eps decreases" in ev["robustness"]
    status, ev = _escape_status(monkeypatch, [bending])
    assert status is Status.UNDECIDED and ev["could_not_test"] == 5 and ev["failed"] == 0
    assert _escape_status(monkeypatch, [law, steeper, steeper])[0] is Status.UNDECIDED  # 2 of 5 pass
    assert _escape_status(monkeypatch, [law, law, law, steeper, steeper])[0] is Status.REPRODUCED  # 3 of 5
    # stalled runs are no evidence of failure: 1 pass, 4 inconclusive is not a refutation
    assert _escape_status(monkeypatch, [law, stalled, stalled, stalled, stalled])[0] is Status.UNDECIDED
    assert _escape_status(monkeypatch, [steeper, steeper, stalled, stalled, stalled])[0] is Status.UNDECIDED
    # refuted needs runs - refute_at_most = 4 outright failures: inconclusive runs are None, not failures
    assert _escape_status(monkeypatch, [steeper, steeper, steeper, stalled, stalled])[0] is Status.UNDECIDED
    assert _escape_status(monkeypatch, [steeper, steeper, steeper, steeper, stalled])[0] is Status.REFUTED
    status, ev = _escape_status(monkeypatch, [law, stalled, stalled, stalled, stalled])
    assert ev["could_not_test"] == 4 and ev["failed"] == 0
    # --quick: the first 3 runs, 2 to reproduce, none to refute
    assert _escape_status(monkeypatch, [law, law, steeper], quick=True)[0] is Status.REPRODUCED
    assert _escape_status(monkeypatch, [law, steeper, steeper], quick=True)[0] is Status.UNDECIDED
    assert _escape_status(monkeypatch, [steeper], quick=True)[0] is Status.REFUTED


def _flow_status(monkeypatch, outcomes, quick=False):
    from certify.gate.claim import Context
    from certify.followup import claims as C

    runs = iter(range(10))

    def fake(seed):
        o = outcomes[next(runs) % len(outcomes)]
        acts = {a: {"drift": 1e-12 if a in ("relu", "leaky_relu") else 1e-2, "rate_error": 0.0}
                for a in C.FLOW_ACTIVATIONS}
        return o, {"outcome": o, "per_activation": acts}

    monkeypatch.setattr(C, "flow_run", fake)
    return C.check_flow(Context(seed=0, data_dir=None, quick=quick)).status


def test_flow_protocol_decisions(monkeypatch):
    assert _flow_status(monkeypatch, ["pass"]) is Status.REPRODUCED
    assert _flow_status(monkeypatch, ["pass", "pass", "pass", "fail", "fail"]) is Status.REPRODUCED
    assert _flow_status(monkeypatch, ["pass", "pass", "fail", "fail", "fail"]) is Status.UNDECIDED
    assert _flow_status(monkeypatch, ["pass", "fail", "fail", "fail", "fail"]) is Status.REFUTED
    assert _flow_status(monkeypatch, ["fail"]) is Status.REFUTED
    # runs that hit the cap on kink events do not count as failures
    assert _flow_status(monkeypatch, ["inconclusive"]) is Status.UNDECIDED
    assert _flow_status(monkeypatch, ["fail", "fail", "inconclusive", "inconclusive", "inconclusive"]) is Status.UNDECIDED
    # refuted needs 4 outright failures (replicate's rule): inconclusive runs are None, not failures
    assert _flow_status(monkeypatch, ["fail", "fail", "fail", "inconclusive", "inconclusive"]) is Status.UNDECIDED
    assert _flow_status(monkeypatch, ["fail", "fail", "fail", "fail", "inconclusive"]) is Status.REFUTED
    assert _flow_status(monkeypatch, ["pass", "pass", "fail"], quick=True) is Status.REPRODUCED
    assert _flow_status(monkeypatch, ["fail"], quick=True) is Status.REFUTED


def test_quick_runs_are_the_first_runs_of_the_full_protocol():
    from certify.followup import claims as C

    for protocol in (C.FLOW_PROTOCOL, C.ESCAPE_PROTOCOL, C.HE_PROTOCOL):
        assert protocol.seeds(5, True) == protocol.seeds(5, False)[:protocol.quick_runs]
    budget = E.Budget(3, 2, ((3, 3),))
    three = E.paired_runs(budget, [1, 2, 3], "he")
    two = E.paired_runs(budget, [1, 2], "he")
    assert [r.tau for r in two[2][0].runs] == [r.tau for r in three[2][0].runs]


def test_the_escape_claims_reproduce_at_the_quick_budget():
    from certify.gate.claim import Context
    from certify.followup import claims as C

    v = C.check_escape_he(Context(seed=3, data_dir=None, quick=True))
    assert v.status is Status.REPRODUCED and v.evidence["protocol"]["runs"] == 3


def test_bonferroni_level():
    assert E.simultaneous_level(1) == pytest.approx(0.95)
    assert E.simultaneous_level(4) == pytest.approx(0.9875)


def test_bad_setups_are_input_errors():
    with pytest.raises(InputError):
        E.Setup(4, 3)
    with pytest.raises(InputError):
        E.Setup(3, 3, "orthogonal")
    with pytest.raises(InputError):
        E.Setup(3, 3, activation="swish")


def test_every_classified_activation_has_float_and_ball_or_exact_versions():
    for name, act in ACTIVATIONS.items():
        assert act.exact is not None or act.ball is not None, name
        z = np.linspace(-2, 2, 9)
        if act.sym is not None:  # the float derivative agrees with the symbolic one
            zz = sp.Symbol("z")
            d = sp.lambdify(zz, sp.diff(act.sym(zz), zz), ["scipy", "numpy"])
            assert np.allclose(act.df(z), d(z) * np.ones_like(z), atol=1e-12), name
        if act.ball is not None:  # the balls contain the float values (up to float rounding)
            f, df = act.ball
            for x in (-1.25, 0.5, 2.0):
                assert abs(float(f(arb(x)).mid()) - float(act.f(np.array(x)))) < 1e-12, name
                assert abs(float(df(arb(x)).mid()) - float(act.df(np.array(x)))) < 1e-12, name


# --- the command line ------------------------------------------------------------------


def test_escape_time_command_writes_figures_and_json(tmp_path, monkeypatch, capsys):
    from certify.cli import main

    tiny = E.Budget(3, 2, ((3, 3), (3, 4)))
    monkeypatch.setitem(E.BUDGETS, "default", tiny)
    monkeypatch.setitem(E.HE_BUDGETS, "default", E.Budget(3, 2, ((3, 3),), step=0.1))
    code = main(["escape-time", "--out", str(tmp_path), "--json", str(tmp_path / "fits.json")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "fits.json").read_text())
    assert code in (0, 1) and "symmetric" in out and "wrote" in out
    assert {c["variant"] for c in report["configurations"]} == {"symmetric", "he"}
    for name in ("followup-escape-time.png", "followup-imbalance.png"):
        assert 0 < (tmp_path / name).stat().st_size < 200_000


def test_escape_time_command_bad_json_path(tmp_path, capsys):
    from certify.cli import main

    code = main(["escape-time", "--out", str(tmp_path), "--json", str(tmp_path / "missing" / "f.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err


def test_escape_time_command_rejects_a_negative_seed(tmp_path, capsys):
    from certify.cli import main

    code = main(["escape-time", "--out", str(tmp_path), "--seed", "-1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--seed" in err
    assert not list(tmp_path.iterdir())  # refused before any sweep


def test_one_failing_run_of_the_report_is_a_fail_not_a_refutation(tmp_path, monkeypatch):
    from certify.followup import report as R

    monkeypatch.setitem(E.BUDGETS, "default", E.Budget(3, 2, ((3, 3),)))
    monkeypatch.setitem(E.HE_BUDGETS, "default", E.Budget(3, 2, ((3, 3),), step=0.1))
    monkeypatch.setattr(E, "summarize", lambda res: ("fail", "synthetic", {}))
    monkeypatch.setattr(E, "integrator_cross_check", lambda seed: {"method": "rk4", "max_relative_difference": 0.0})
    monkeypatch.setattr(R.Fg, "imbalance_traces", lambda seed: {})
    monkeypatch.setattr(R.Fg, "escape_time_figure", lambda results, path: path)
    monkeypatch.setattr(R.Fg, "imbalance_figure", lambda traces, path: path)
    report = R.escape_time_report(tmp_path)
    assert {v["status"] for v in report["verdicts"].values()} == {"fail"}
