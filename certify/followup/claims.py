"""Checks of the follow-up paper's claims and of Section 5's weak balancedness (the catalog points here).

Instance checks go through the kernel (exact rationals, balls); the flow and escape-time checks are
experiments: several independent runs, each judged by its own rule, decided by
:func:`certify.gate.replication.replicate` (reproduced when enough runs pass; refuted only when the
failure is robust; undecided otherwise).  The protocols, their thresholds and the measured per-run
pass rates behind the numbers of runs are stated below (and in :mod:`certify.followup.escape_time`)
before any run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from certify.gate.claim import Context
from certify.gate.replication import Replication, replicate
from certify.followup import escape_time as E
from certify.followup import imbalance as I
from certify.kernel.verdict import Verdict, combine

EXACT_ACTIVATIONS = ("relu", "leaky_relu", "linear", "quadratic", "cubic")
BALL_ACTIVATIONS = ("tanh", "sigmoid", "softplus", "silu", "gelu", "arctan")

# --- the flow cross-check (followup.imbalance-identity.flow) ----------------------------------------
#
# One run: one random network per activation below (widths 3-4-4-2, 5 points, scale 1.2, dyadic entries),
# gradient flow to t = 2, 21 samples.  Smooth activations: DOP853 (rtol 1e-11), central differences of
# half-width 1e-4; kinked ones: the kink-aware RK4 of imbalance.py (steps <= 0.016, <= 1.5% of ||theta||
# and letting the field turn by <= 3%; kinks located to 1e-10 of a step; Filippov sliding), differences of
# half-width 0.016.  A kinked run is also checked against what the piece fields do not share: the energy
# identity dC/dt = -||grad C||^2 over every accepted step (the loss's change between accepted states against
# h ||grad C||^2 at the step's midpoint, grad C the plain gradient of escape_time.Flow; on steps sliding
# along a kink, -||v||^2 with v the Filippov field, which holds because v is tangent to the kink), and the
# sign pattern of every step's midpoint (a plain forward pass) against the piece it was integrated in.
# A run fails when an activation misses a threshold, the energy identity or the sign check; otherwise it is
# inconclusive (cannot test) when a kinked flow hits the cap on kink events, has an unresolved event (no
# consistent next piece by Filippov's rule) or an unlocated one (the event's bracket still wider than the
# resolution after 300 iterations); otherwise it passes.
#
# Thresholds (each measured on the 300 runs, seeds 1000..1299, that gave the pass rate below):
# * kinked drift: every step of the kink-aware RK4 integrates a polynomial field of which the imbalances
#   are exact first integrals, so what is left is RK4's own error per step, O((h L)^5) with L the field's
#   Lipschitz constant along the step, which the step control keeps small; measured median ~1e-11, max
#   1.0e-9 of ||theta(0)||^2 (it falls about 16-fold when the step halves: truncation, not kinks).
#   Threshold 1e-7, a hundred times the largest seen.  (The plain fixed-step RK4 it replaces, step 4e-3,
#   drifted by up to 2.4e-5 through the kinks, O(step^2) per crossing: the old threshold 1e-5 failed at
#   seeds 2 and 7.)
# * kinked rate error |finite difference - 0| / scale: measured max 8.9e-9; threshold 1e-6.
# * smooth rate error |finite difference - closed form| / scale: measured max 1.2e-7; threshold 1e-6 (as
#   before: DOP853 at rtol 1e-11 and differences of half-width 1e-4).
# * smooth drift (the imbalance moves): measured min 7.8e-4 (tanh) and 1.5e-3 (sigmoid), log10 of the
#   drift -1.7 +- 0.4; threshold 1e-4, three decades above the kinked threshold, so the two classes
#   cannot be confused.  The threshold was lowered from 1e-3 to 1e-4 *after seeing data*: one tanh network
#   in 150 drifted by 7.8e-4, below the old 1e-3 (which had been set against the old 1e-5 conservation
#   error, not against the smooth drifts).
# * kinked energy identity: relative residual sum_k |C(x_{k+1}) - C(x_k) + h_k ||grad C(mid_k)||^2| /
#   sum_k h_k ||grad C(mid_k)||^2 (midpoint rule, O(h^2)): measured max 1.3e-4 (relu and leaky relu), median
#   ~3e-5; threshold 1e-3, set with the check (issue 15) before the 300-run measurement, about eight times
#   the largest value seen.  A field scaled by 0.5 (which still conserves every imbalance) gives 0.5.
# * sign pattern: no preactivation of an accepted step's midpoint more than 1e-7 of its layer's largest |z|
#   past its kink on the wrong side (imbalance.SIGN_TOLERANCE); measured 0 in 300 runs.  (The first version,
#   with the band 1e-9, failed 3 runs of 300: one on a preactivation that left a kink it slid along 3e-9 on the
#   wrong side, harmless, whence the tolerance; two on a real defect, a preactivation dipping past its kink
#   and back within one step (-8e-7 at the midpoint), which the integrator now sees through its inner RK4
#   stages and handles as an event.)
FLOW_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
FLOW_T_END = 2.0
FLOW_STEP = 0.016
SMOOTH_RATE_ERROR = 1e-6
KINKED_RATE_ERROR = 1e-6
KINKED_DRIFT = 1e-7  # max |imbalance(t) - imbalance(0)| / ||theta(0)||^2 for "conserved"
SMOOTH_DRIFT = 1e-4  # at least this for "drifting" (tanh, sigmoid)
KINKED_ENERGY_ERROR = 1e-3  # relative energy-identity residual of the kink-aware RK4 (see flow_run's note)

#: Measured per-run rates (issue 15, the code as it is):
#:     python benchmarks/calibrate_followup.py flow --start 1000 --runs 300
#: 279 pass, 0 fail, 21 inconclusive (unresolved events: a preactivation grazing its kink, or two at their
#: kinks at once, with no consistent next piece by Filippov's rule; 7%).  So the probability q that a run does
#: not pass is <= 0.099 (95%, one-sided Clopper-Pearson).  Five runs, reproduced when >= 3 pass: P(verdict is
#: not reproduced) = P(<= 2 pass) <= 8.4e-3 (binomial).  --quick makes the same five runs (with three, >= 2
#: to pass, it would be <= 2.8e-2).  Refuted needs 4 runs of 5 failing outright (replicate's rule; an
#: inconclusive run is neither a pass nor a failure).  (Before issue 15: 300/300, but unresolved events went
#: unreported, and a run hitting the cap counted as a failure in replicate.)
FLOW_PROTOCOL = Replication(runs=5, reproduce_at_least=3, refute_at_most=1, quick_runs=5)

# --- the escape-time law (followup.escape-time-law and .he-normal) -----------------------------------
#
# One run: :data:`certify.followup.escape_time.BUDGETS` ["gate"] (symmetric: (r, L) = (3, 3), (3, 5), (4, 4),
# (4, 6)) or HE_BUDGETS["gate"] (He-normal: (3, 3), (3, 5)), 3 paired draws per (r, L), 5 eps each, judged by
# the per-run rule of escape_time.py: interval mean(S) +- t sd/sqrt(m), extended by |mean(G) - mean(S)| on
# the side of mean(S) away from mean(G) only; it must contain -(r-2) and exclude -(L-2); the (r, L) cannot
# test when |mean(G) - mean(S)| > 0.05 (pre-asymptotic grid); a draw still on its plateau at t_max fails; a
# draw exactly at a critical point stalls, and a run with more than a quarter of its draws stalled cannot test.
#
# Measured per-run rates (E.calibrate at these budgets; every run's draws are independent), issue 15:
#     python benchmarks/calibrate_followup.py escape --variant symmetric --runs 400 --seed 6000
#     python benchmarks/calibrate_followup.py escape --variant he --runs 1000 --seed 5000
# * symmetric: 400/400 runs pass; the draws differ only in the data, so the slopes are nearly deterministic:
#   the smallest margin (distance from -(r-2) to the nearer end of the interval) is 0.00016 for r = 4, L = 4
#   (median half-width 0.0013), 0.0006 to 0.0008 for the others; |mean(G) - mean(S)| at most 0.0088.
# * He-normal: 994/1000 runs pass, 4 fail (a draw alive but still on its plateau at t_max: 1 draw of 3000 for
#   L = 3, 3 for L = 5), 2 inconclusive (a configuration with fewer than two complete draws); stalled draws
#   (exactly zero gradient) 0.9% (L = 3) and 2.3% (L = 5); smallest margin 0.0004; |mean(G) - mean(S)| at
#   most 0.037 (L = 5; 0.0076 for L = 3).  (Before issue 15 near-critical draws, whose step exceeded 1% of the
#   horizon eps^-(r-2), counted as stalled; the horizon is the law under test, so a too-slow law became
#   inconclusive: they now fail their run.  The earlier two-sided interval gave 998/1000, margin 0.0017.)
# So the probability q that a run does not pass is <= 0.0075 (symmetric, 0/400) and <= 0.0118 (He-normal,
# 6/1000) at 95% (one-sided Clopper-Pearson).  Five runs, reproduced when >= 3 pass: P(verdict flips) =
# P(<= 2 pass) <= 4.1e-6 and 1.6e-5 (binomial); --quick, the first 3 runs, >= 2 to pass: <= 1.7e-4, 4.1e-4.
# Refuted only when 4 of the 5 runs (all 3 under --quick) fail outright (replicate's rule; an inconclusive run
# is neither a pass nor a failure) and the pooled slopes fail on both halves of the grid without a trend
# toward -(r-2) (E.robust_failure).
ESCAPE_PROTOCOL = Replication(runs=5, reproduce_at_least=3, refute_at_most=1, quick_runs=3)
HE_PROTOCOL = Replication(runs=5, reproduce_at_least=3, refute_at_most=1, quick_runs=3)


def _shapes(act: str) -> dict[str, Any]:
    # the cubic z - z^3/3 grows fast: keep its preactivations near the origin
    return {"scale": 0.8} if act == "cubic" else {}


def check_identity_instances(ctx: Context) -> Verdict:
    """The identity on random instances: exact for rational activations, balls for the others."""
    rng = ctx.rng()
    acts = EXACT_ACTIVATIONS + (BALL_ACTIVATIONS[:2] if ctx.quick else BALL_ACTIVATIONS)
    parts: dict[str, Verdict] = {}
    drift: dict[str, Any] = {}
    for act in acts:
        net = I.random_network(rng, act, **_shapes(act))
        parts[act] = I.certify_identity(net)
        if act not in ("relu", "leaky_relu", "linear"):
            d = I.certify_drift(net)
            parts[f"{act}: rate nonzero"] = d
            drift[act] = d.message
    v = combine(parts, "imbalance identity on instances (closed form = forward-mode derivative = 2<W, dW/dt>)")
    v.evidence.update({"network": "widths 3-4-3-2, 4 points, dyadic entries (multiples of 1/16), squared loss",
                       "exact": [a for a in acts if a in EXACT_ACTIVATIONS],
                       "balls": {"activations": [a for a in acts if a in BALL_ACTIVATIONS],
                                 "precision_bits": I.BALL_PRECISION,
                                 "tolerance": f"|direct - closed| <= {I.BALL_TOLERANCE} (1 + |closed|)"},
                       "non_homogeneous_rates_certified_nonzero": drift})
    return v


def check_weak_balancedness_instances(ctx: Context) -> Verdict:
    """Per-neuron and Frobenius imbalance rates are exactly 0 for ReLU and leaky ReLU networks (fmpq)."""
    rng = ctx.rng()
    nets = [("relu", (3, 4, 3, 2), 4), ("leaky_relu", (3, 4, 3, 2), 4)]
    if not ctx.quick:
        nets += [("relu", (4, 6, 5, 4, 2), 6), ("leaky_relu", (4, 6, 5, 4, 2), 6), ("linear", (3, 4, 3, 2), 4)]
    parts = {}
    for k, (act, widths, n) in enumerate(nets):
        parts[f"{act} {'-'.join(map(str, widths))} #{k}"] = I.certify_conservation(
            I.random_network(rng, act, widths=widths, n_points=n))
    # the contrast (not part of the verdict): a non-homogeneous activation is not conserved
    contrast = I.certify_conservation(I.random_network(rng, "quadratic"))
    v = combine(parts, "weak balancedness (d/dt of every per-neuron imbalance is exactly 0)")
    v.evidence["contrast: sigma = z + z^2/4"] = contrast.message
    v.evidence["method"] = ("d/dt Phi = -DL(theta)[grad Phi] by forward-mode differentiation in exact rationals, "
                            "Phi = ||W_{l+1}[:, i]||^2 - ||W_l[i, :]||^2 for every neuron i and the Frobenius pairs")
    return v


def flow_run(seed: int) -> tuple[str, dict[str, Any]]:
    """One run of the flow cross-check: (pass | fail | inconclusive, evidence)."""
    rng = np.random.default_rng(seed)
    rows: dict[str, Any] = {}
    fails, capped = [], []
    for act in FLOW_ACTIVATIONS:
        net = I.random_network(rng, act, widths=(3, 4, 4, 2), n_points=5, scale=1.2)
        tr = I.flow_trace(net, FLOW_T_END, n_times=21, rk4_step=FLOW_STEP)
        kinked = act in ("relu", "leaky_relu")
        rows[act] = {"rate_error": tr.rate_error, "drift": tr.drift, "loss": [float(tr.loss[0]), float(tr.loss[-1])]
                     if len(tr.loss) else None, "integrator": tr.integrator}
        if kinked:
            rows[act].update({"steps": tr.steps, "kink_events": tr.kink_events, "cap_hit": tr.cap_hit,
                              "unresolved_events": tr.unresolved_events, "unlocated_events": tr.unlocated_events,
                              "energy_error": tr.energy_error, "energy_steps": tr.energy_steps,
                              "sign_mismatches": tr.sign_mismatches, "restarts_past_kink": tr.restarts_past_kink})
            # the field integrated must be the gradient flow's (energy identity, plain gradient) and every step
            # must lie in the piece it was integrated in: checks independent of the piece field
            if not (tr.energy_error <= KINKED_ENERGY_ERROR and tr.sign_mismatches == 0):
                fails.append(act)
            elif tr.cap_hit or tr.unresolved_events or tr.unlocated_events:
                capped.append(act)
            elif not (tr.rate_error <= KINKED_RATE_ERROR and tr.drift <= KINKED_DRIFT):
                fails.append(act)
        elif not (tr.rate_error <= SMOOTH_RATE_ERROR and tr.drift >= SMOOTH_DRIFT):
            fails.append(act)
    outcome = "fail" if fails else "inconclusive" if capped else "pass"
    return outcome, {"outcome": outcome, "failed": fails, "inconclusive": capped, "cap_hit": capped,
                     "per_activation": rows}


def _outcome(outcome: str) -> bool | None:
    """A run's outcome for :func:`replicate`: True (pass), False (fail), None (inconclusive: cannot test)."""
    return {"pass": True, "fail": False}.get(outcome)


def check_flow(ctx: Context) -> Verdict:
    """Float cross-check along solved flows: conserved for ReLU and leaky ReLU, drifting for tanh and sigmoid."""

    def one_run(seed: int) -> tuple[bool | None, dict[str, Any]]:
        outcome, ev = flow_run(seed)
        return _outcome(outcome), ev

    extra = {"thresholds": {
        "smooth: |finite difference - closed| / scale <=": SMOOTH_RATE_ERROR,
        "smooth: drift >= (the imbalance moves)": SMOOTH_DRIFT,
        "kinked: |finite difference - 0| / scale <=": KINKED_RATE_ERROR,
        "kinked: drift <= (conserved up to the integrator's error)": KINKED_DRIFT},
        "run": f"one network per activation ({', '.join(FLOW_ACTIVATIONS)}): widths 3-4-4-2, 5 points, scale 1.2, "
               f"flow to t = {FLOW_T_END}, 21 samples; a run passes when every activation meets its thresholds",
        "integrators": {"smooth": "DOP853, rtol 1e-11", "kinked": f"kink-aware RK4, steps <= {FLOW_STEP}, moving theta by "
                        f"<= {I.KINK_REL_STEP} of its norm and turning the field by <= {I.KINK_FIELD_CHANGE}, kinks "
                        f"located to {I.KINK_RESOLUTION} of a step, Filippov sliding, at most {I.MAX_KINK_EVENTS} events"},
        "note": "floats only: a cross-check of the identity along the flow, not a certificate"}
    # refuted needs runs - refute_at_most outright failures (replicate's own rule; inconclusive runs are
    # None there, neither passes nor failures): no further robustness condition
    v = replicate(FLOW_PROTOCOL, ctx.seed, ctx.quick, one_run, extra=extra,
                  what="imbalance along solved flows: conserved for ReLU and leaky ReLU, drifting for tanh and sigmoid")
    rows = v.evidence["per_run"]
    worst = {act: max(r["per_activation"][act]["drift"] for r in rows) if act in ("relu", "leaky_relu")
             else min(r["per_activation"][act]["drift"] for r in rows) for act in FLOW_ACTIVATIONS}
    v.evidence["extremes"] = {"largest kinked drift": {a: worst[a] for a in ("relu", "leaky_relu")},
                              "smallest smooth drift": {a: worst[a] for a in ("tanh", "sigmoid")}}
    v.message += ("; largest drift relu {:.1e}, leaky relu {:.1e}; smallest tanh {:.1e}, sigmoid {:.1e}"
                  .format(worst["relu"], worst["leaky_relu"], worst["tanh"], worst["sigmoid"]))
    return v


def _escape_protocol_text(budget: E.Budget, variant: str) -> dict[str, Any]:
    return {"variant": variant, "configs (r, L)": [list(c) for c in budget.configs],
            "eps_per_draw": budget.n_eps, "paired_draws_per_config": budget.seeds,
            "eps_grids": {r: [float(e) for e in E.eps_grid(r, budget.n_eps)] for r in sorted({c[0] for c in budget.configs})},
            "escape": f"first time loss <= {1 - E.FRACTION} loss(0)",
            "integrator": f"batched {budget.method}, relative step {budget.step}",
            "per_run_rule": "per draw, S and G = slopes of log tau on log eps over the smaller- and larger-eps halves; "
                            "interval mean(S) +- t_{m-1} sd(S)/sqrt(m), t at level "
                            f"{E.simultaneous_level(len(budget.configs)):.4f} (Bonferroni over the configurations), "
                            "extended by |mean(G) - mean(S)| on the side of mean(S) away from mean(G) only; "
                            f"|mean(G) - mean(S)| > {E.MAX_SLOPE_CHANGE}: pre-asymptotic grid, that (r, L) cannot test; "
                            "passes when the interval contains -(r-2) and, for L != r, excludes -(L-2); a draw still on "
                            "its plateau at t_max fails its (r, L); a draw at an exact critical point (zero gradient) "
                            f"stalls; a run with more than {E.STALL_LIMIT:.0%} of its draws stalled cannot test; "
                            "otherwise a run fails when one (r, L) fails and passes when every (r, L) passes",
            "robust_failure": "pooled over the runs, the mean slopes of both halves exclude -(r-2) on the same side and "
                              "the deviation does not shrink significantly as eps decreases",
            "network": f"d_in {E.D_IN}, width {E.WIDTH}, d_out 1, N {E.N_POINTS}, {budget.activation}, squared loss, "
                       "small layers last"}


def _escape_check(ctx: Context, variant: str, budget: E.Budget, protocol: Replication, what: str,
                  extra: dict[str, Any]) -> Verdict:
    seeds = protocol.seeds(ctx.seed, ctx.quick)
    results = E.paired_runs(budget, seeds, variant)  # all runs in one batch per (r, L): same numbers as one by one
    _, b = protocol.thresholds(ctx.quick)
    needed = protocol.count(ctx.quick) - b  # outright failures replicate() requires for refuted

    def one_run(seed: int) -> tuple[bool | None, dict[str, Any]]:
        outcome, summary, ev = E.summarize(results[seed])
        return _outcome(outcome), {"outcome": outcome, "summary": summary, **ev}

    def robust(rows: list[dict[str, Any]]) -> tuple[bool, str]:
        return E.robust_failure(rows, needed=needed)

    pooled = []
    for j, (r, L) in enumerate(budget.configs):
        S = [x for s in seeds for x in results[s][j].analysis.get("small_half_slopes", [])]
        G = [x for s in seeds for x in results[s][j].analysis.get("large_half_slopes", [])]
        if S:
            pooled.append(f"r={r}, L={L}: {np.mean(S):.4f} / {np.mean(G):.4f} vs {-(r - 2)}")
    v = replicate(protocol, ctx.seed, ctx.quick, one_run, robust=robust,
                  what=f"{what} (mean slope small / large eps: {'; '.join(pooled)})",
                  extra={"protocol_design": _escape_protocol_text(budget, variant), **extra})
    return v


def check_escape_symmetric(ctx: Context) -> Verdict:
    budget = E.BUDGETS["gate"]
    return _escape_check(ctx, "symmetric", budget, ESCAPE_PROTOCOL, "permutation-symmetric init, exponent of tau vs eps",
                         {"integrator_cross_check": E.integrator_cross_check(ctx.seed, ((3, 3, 1e-2),), step=budget.step)})


def check_escape_he(ctx: Context) -> Verdict:
    budget = E.HE_BUDGETS["gate"]
    v = _escape_check(ctx, "he", budget, HE_PROTOCOL, "He-normal init with r layers x eps, exponent of tau vs eps",
                      {"integrator_cross_check": E.integrator_cross_check(ctx.seed, ((3, 3, 1e-2),), step=budget.step),
                       "step_halving_on_a_he_draw": E.step_halving_check(ctx.seed, E.Setup(3, 3, "he"), budget.n_eps,
                                                                         budget.step)})
    sym: dict[str, Any] = {}
    for row in v.evidence["per_run"]:
        for c in row["configurations"]:
            d = sym.setdefault(f"r={c['r']}, L={c['L']}", {"start": [], "escape": []})
            d["start"].append(c["symmetry_distance"]["start_median"])
            d["escape"].append(c["symmetry_distance"]["escape_median"])
    v.evidence["distance_from_symmetric_manifold"] = {
        k: {"start_median": float(np.median(d["start"])), "escape_median": float(np.median(d["escape"]))}
        for k, d in sym.items()}
    v.evidence["not_attracting"] = ("the relative distance from the permutation-symmetric submanifold at escape stays "
                                    "of the order of its value at initialisation (medians above)")
    return v
