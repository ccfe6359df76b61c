"""Checks of the follow-up paper's claims and of Section 5's weak balancedness (the catalog points here).

Instance checks go through the kernel (exact rationals, balls); the flow and escape-time
checks are experiments, with their protocol and thresholds fixed in the functions below
(and in :mod:`certify.followup.escape_time`) before any run.
"""

from __future__ import annotations

from typing import Any

from certify.claims.base import Context
from certify.followup import escape_time as E
from certify.followup import imbalance as I
from certify.kernel.verdict import Status, Verdict, combine

EXACT_ACTIVATIONS = ("relu", "leaky_relu", "linear", "quadratic", "cubic")
BALL_ACTIVATIONS = ("tanh", "sigmoid", "softplus", "silu", "gelu", "arctan")

# thresholds of the flow cross-check (floats), from the integrators' error budgets
SMOOTH_RATE_ERROR = 1e-6  # DOP853 at rtol 1e-11, central differences h = 1e-4
KINKED_RATE_ERROR = 1e-4  # fixed-step RK4 (step 4e-3) through ReLU's kinks: O(step) per crossing
KINKED_DRIFT = 1e-5  # max |imbalance(t) - imbalance(0)| / ||theta(0)||^2 for "conserved"
SMOOTH_DRIFT = 1e-3  # at least this for "drifting" (tanh, sigmoid)


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


def check_flow(ctx: Context) -> Verdict:
    """Float cross-check along solved flows: finite differences of the imbalance against the closed form."""
    rng = ctx.rng()
    acts = ("relu", "tanh") if ctx.quick else ("relu", "leaky_relu", "tanh", "sigmoid")
    rows, fails = {}, []
    for act in acts:
        net = I.random_network(rng, act, widths=(3, 4, 4, 2), n_points=5, scale=1.2)
        tr = I.flow_trace(net, 2.0, n_times=21)
        kinked = act in ("relu", "leaky_relu")
        rows[act] = {"rate_error": tr.rate_error, "drift": tr.drift, "loss": [tr.loss[0], tr.loss[-1]],
                     "integrator": "RK4, step 4e-3" if kinked else "DOP853, rtol 1e-11"}
        if kinked:
            if not (tr.rate_error <= KINKED_RATE_ERROR and tr.drift <= KINKED_DRIFT):
                fails.append(act)
        elif not (tr.rate_error <= SMOOTH_RATE_ERROR and tr.drift >= SMOOTH_DRIFT):
            fails.append(act)
    ev = {"per_activation": rows, "thresholds": {
        "smooth: |finite difference - closed| / scale <=": SMOOTH_RATE_ERROR,
        "smooth: drift >= (the imbalance moves)": SMOOTH_DRIFT,
        "kinked: |finite difference - 0| / scale <=": KINKED_RATE_ERROR,
        "kinked: drift <= (conserved up to the integrator's error)": KINKED_DRIFT},
        "note": "floats only: a cross-check of the identity along the flow, not a certificate"}
    summary = ", ".join(f"{a}: rate error {r['rate_error']:.1e}, drift {r['drift']:.1e}" for a, r in rows.items())
    if fails:
        return Verdict(Status.REFUTED, f"outside the stated tolerance for {', '.join(fails)} ({summary})", None, ev)
    return Verdict(Status.REPRODUCED, f"finite differences along the flow match the closed form; {summary}", None, ev)


def _escape_verdict(results: list[E.ConfigResult], extra: dict[str, Any], what: str) -> Verdict:
    status, message, ev = E.summarize(results)
    ev.update(extra)
    st = {"reproduced": Status.REPRODUCED, "refuted": Status.REFUTED, "undecided": Status.UNDECIDED}[status]
    return Verdict(st, f"{what}: {message}", None, ev)


def _protocol(budget: E.Budget, seed: int, variant: str) -> dict[str, Any]:
    return {"variant": variant, "seed": seed, "configs (r, L)": [list(c) for c in budget.configs],
            "eps_per_config": budget.n_eps, "draws_per_eps": budget.seeds,
            "eps_grids": {r: [float(e) for e in E.eps_grid(r, budget.n_eps)] for r in sorted({c[0] for c in budget.configs})},
            "escape": f"first time loss <= {1 - E.FRACTION} loss(0)", "fit": "OLS of log tau on log eps",
            "interval": f"t-interval (n - 2 degrees of freedom) at level {E.simultaneous_level(len(budget.configs)):.4f} "
                        f"each: {E.CONFIDENCE:.0%} for the {len(budget.configs)} intervals together (Bonferroni)",
            "network": f"d_in {E.D_IN}, width {E.WIDTH}, d_out 1, N {E.N_POINTS}, {budget.activation}, "
                       "squared loss, small layers last"}


def check_escape_symmetric(ctx: Context) -> Verdict:
    budget = E.BUDGETS["quick" if ctx.quick else "gate"]
    res = E.sweep(budget, ctx.seed, "symmetric")
    return _escape_verdict(res, {"protocol": _protocol(budget, ctx.seed, "symmetric")},
                           "permutation-symmetric init, fitted exponent of tau vs eps")


def check_escape_he(ctx: Context) -> Verdict:
    budget = E.HE_BUDGETS["quick" if ctx.quick else "gate"]
    res = E.sweep(budget, ctx.seed, "he")
    cross = E.integrator_cross_check(ctx.seed, ((3, 3, 1e-3),), gd_step=budget.gd_step)
    sym = {f"r={x.setup.r}, L={x.setup.L}": x.to_dict()["symmetry_distance"] for x in res}
    extra = {"protocol": {**_protocol(budget, ctx.seed, "he"), "integrator": f"relative-step GD, step {budget.gd_step}"},
             "integrator_cross_check": cross,
             "distance_from_symmetric_manifold": sym,
             "not_attracting": "the relative distance from the permutation-symmetric submanifold at escape stays of "
                               "the order of its value at initialisation (medians above)"}
    return _escape_verdict(res, extra, "He-normal init with r layers rescaled by eps, fitted exponent of tau vs eps")

