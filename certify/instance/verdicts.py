"""What ``certify instance`` decides on one instance: Prop. 3.4, Theorem 3.1, the claimed speed and the
escape-time bound after Prop. 2.2.

The verdicts compare the balls of :mod:`certify.instance.enclosure` with the kernel's one-sided
comparisons; :func:`certify_instance` gathers them, with the exact Definition 2.1 check of
:mod:`certify.instance.exact`, into one :class:`InstanceCertificate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from flint import arb, fmpq

from certify.core.instances import Instance
from certify.instance.enclosure import (
    EnclosedNetwork,
    RatioSet,
    ball_interval,
    ball_str,
    enclose_network,
    weight_ratios,
)
from certify.instance.exact import escape_direction
from certify.kernel.compare import Truth, lower_float, nearest_float
from certify.kernel.verdict import Status, Verdict

DEFAULT_PS = (0.1, 0.25, 0.5, 0.75, 0.9)


# --- Prop. 3.4 ------------------------------------------------------------------------


def prop34_bound(net: EnclosedNetwork, s0: arb, p: float) -> arb:
    """2 log(||X||_F ||G||_F / s0) / (p L), as a ball (p is taken exactly as the float given)."""
    return 2 * (net.x_norm * net.g_norm / s0).log() / (arb(p) * net.depth)


def check_prop34(net: EnclosedNetwork, ratios: Sequence[RatioSet], ps: Sequence[float] = DEFAULT_PS,
                 tighten: float = 1.0) -> Verdict:
    """At least (1-p)L of the activations l = 0..L-1 have ratio <= the bound, for each p.

    ``tighten`` multiplies the bound (1.0 = as printed); tests use < 1 to check that a false variant
    does not certify.
    """
    L = net.depth
    ev: dict[str, Any] = {"||theta||^2": str(net.theta_sq), "L": L, "Tr[G^T Y]": ball_str(net.loss)}
    within = net.theta_sq_at_most(L)
    ev["||theta||^2"] = str(net.theta_sq)
    shown = nearest_float(net.theta_sq) if not isinstance(net.theta_sq, arb) else float(net.theta_sq.mid())
    if within is Truth.FALSE:
        return Verdict(Status.SKIPPED, f"hypothesis ||theta||^2 <= L fails (||theta||^2 = {shown:.6g} > {L}): "
                       "Prop. 3.4 says nothing here", None, ev)
    if within is Truth.UNKNOWN:
        return Verdict(Status.UNDECIDED, f"hypothesis ||theta||^2 <= L not decided (||theta||^2 = {shown:.6g}, "
                       "beyond the exact budget; raise CERTIFY_EXACT_ENTRIES)", None, ev)
    if not (net.loss < 0):
        return Verdict(Status.SKIPPED, "hypothesis Tr[G^T Z_L] <= -s0 < 0 not certified (Tr[G^T Y] = "
                       f"{ball_str(net.loss)}): Prop. 3.4 says nothing here", None, ev)
    s0 = (-net.loss).lower()  # Tr[G^T Z_L] <= -s0 holds for this exact s0 > 0
    ev["s0"] = ball_str(s0)
    per_p: dict[str, Any] = {}
    statuses = []
    margins = []
    for p in ps:
        bound = prop34_bound(net, s0, p) * arb(tighten)
        good = [l for l, r in enumerate(ratios) if r.ratio_high.upper() <= bound]
        bad = [l for l, r in enumerate(ratios) if r.ratio_low.lower() > bound]
        need = (1 - fmpq(*float(p).as_integer_ratio())) * L
        if fmpq(len(good)) >= need:
            st = Status.CERTIFIED
            margins.append(float(fmpq(len(good)) - need))
        elif fmpq(L - len(bad)) < need:
            st = Status.REFUTED
        else:
            st = Status.UNDECIDED
        statuses.append(st)
        per_p[str(p)] = {"bound": ball_interval(bound), "vacuous": bool(bound >= 1), "layers_certified_below": good,
                         "layers_certified_above": bad, "needed": float(need), "status": st.value}
    ev["per_p"] = per_p
    ev["activation_ratios"] = {str(l): r.to_dict() for l, r in enumerate(ratios)}
    worst = Status.REFUTED if Status.REFUTED in statuses else (Status.UNDECIDED if Status.UNDECIDED in statuses else Status.CERTIFIED)
    counts = ", ".join(f"p={p}: {len(per_p[str(p)]['layers_certified_below'])}/{L}" for p in ps)
    vacuous = [p for p in ps if per_p[str(p)]["vacuous"]]
    if worst is Status.CERTIFIED:
        msg = f"at least (1-p)L layers certified below the bound for every p ({counts})"
        if vacuous:
            msg += f"; vacuous (bound >= 1) for p = {vacuous}"
        return Verdict(worst, msg, min(margins), ev)
    bad_p = [p for p, st in zip(ps, statuses) if st is worst]
    return Verdict(worst, f"{worst.value} for p = {bad_p} ({counts})", None, ev)


# --- Theorem 3.1 -----------------------------------------------------------------------


def theorem31_constant(net: EnclosedNetwork, speed: arb) -> arb:
    r = net.x_norm * net.g_norm / speed
    return r * (2 * r.log()).sqrt()


def theorem31_report(net: EnclosedNetwork, act: Sequence[RatioSet], weights: Sequence[RatioSet],
                     gaps: Sequence[arb]) -> Verdict:
    """Per-layer ratios against Theorem 3.1's bound, with c computed from this theta's own speed.

    The theorem assumes theta is an optimal escape direction.  Nothing here verifies that, so the
    verdict is never 'certified': it reports the comparison and says the hypothesis is unverified.
    With s <= s* the constant c computed from s is >= the theorem's c, so the bound shown is the
    theorem's bound for the best speed this theta certifies.
    """
    L = net.depth
    speed = net.speed_on_sphere()
    ev: dict[str, Any] = {"speed": ball_str(speed), "hypothesis": "theta is an optimal escape direction: NOT verified "
                          "(no certificate of optimality supplied)"}
    if not (speed > 0):
        return Verdict(Status.SKIPPED, "speed not certified positive: Theorem 3.1's constant is undefined", None, ev)
    c = theorem31_constant(net, speed)
    ev["c"] = ball_str(c)
    rows = {}
    below = 0
    applicable = 0
    for l in range(1, L + 1):
        entry: dict[str, Any] = {"W": weights[l - 1].to_dict()["ratio"]}
        if l < L:
            entry["Z_sigma"] = act[l].to_dict()["ratio"]
            entry["gap"] = ball_interval(gaps[l - 1], 0.0, 1.0)
        if not (arb(l) > c * c):
            entry["bound"] = None
            entry["status"] = "l <= c^2: the theorem says nothing"
        else:
            applicable += 1
            root = arb(l).sqrt()
            bound = 8 * c / (1 - c / root) / root
            entry["bound"] = ball_interval(bound)
            highs = [weights[l - 1].ratio_high.upper()] + ([act[l].ratio_high.upper(), gaps[l - 1].upper()] if l < L else [])
            lows = [weights[l - 1].ratio_low.lower()] + ([act[l].ratio_low.lower(), gaps[l - 1].lower()] if l < L else [])
            if all(m <= bound for m in highs):
                entry["status"] = "all ratios certified below the bound"
                below += 1
            elif any(m > bound for m in lows):
                entry["status"] = "some ratio certified above the bound"
            else:
                entry["status"] = "undecided"
        rows[str(l)] = entry
    ev["layers"] = rows
    return Verdict(Status.SKIPPED, f"hypothesis (optimal direction) not verified; c = {float(c.mid()):.4g}, bound applies "
                   f"to {applicable}/{L} layers, ratios certified below it on {below}", None, ev)


CLAIMED_SPEED_TOLERANCE = 1e-9


def check_claimed_speed(net: EnclosedNetwork, claimed: float) -> Verdict:
    """The file's claimed speed against the certified speed on the sphere, to a relative 1e-9
    (float data such as points on a circle are themselves rounded)."""
    speed = net.speed_on_sphere()
    tol = arb(CLAIMED_SPEED_TOLERANCE) * max(1.0, abs(claimed))
    gap = abs(speed - arb(claimed))
    ev = {"claimed": claimed, "speed": ball_interval(speed), "tolerance": float(tol.mid())}
    if gap <= tol:
        return Verdict(Status.CERTIFIED, f"speed {ball_str(speed)} is within {CLAIMED_SPEED_TOLERANCE:g} of the "
                       f"claimed {claimed}", lower_float(tol - gap), ev)
    if gap > tol:
        return Verdict(Status.REFUTED, f"speed {ball_str(speed)} is not the claimed {claimed}", None, ev)
    return Verdict(Status.UNDECIDED, "the speed enclosure is too wide to compare with the claim", None, ev)


# --- the escape-time bound after Prop. 2.2 --------------------------------------------------


def escape_time_bounds(net: EnclosedNetwork, theta0_norm: float, r: float) -> dict[str, Any]:
    """Both forms of the lower bound on t1(r) - t0: as printed and as corrected (see prop2.2)."""
    L = net.depth
    s = net.speed_on_sphere()
    R0, rr, Xf = arb(theta0_norm), arb(r), net.x_norm
    out: dict[str, Any] = {"speed": ball_str(s), "theta0_norm": theta0_norm, "r": r}
    if not (s > 0):
        out["note"] = "speed not certified positive"
        return out
    if L == 2:
        printed = (arb(L).sqrt() * rr ** (arb(1) / L)).log() - R0.log()
        printed = printed / (2 * s)
        corrected = ((arb(L).sqrt() * (rr / Xf) ** (arb(1) / L)) / R0).log() / s
    else:
        printed = (R0 ** (2 - L) - arb(L) ** (arb(2 - L) / 2) * rr ** (arb(2 - L) / L)) / ((L - 2) * L * s)
        rate = arb(L) ** (1 - arb(L) / 2) * s
        target = arb(L).sqrt() * (rr / Xf) ** (arb(1) / L)
        corrected = (R0 ** (2 - L) - target ** (2 - L)) / ((L - 2) * rate)
    out["printed"] = ball_interval(printed)
    out["corrected"] = ball_interval(corrected)
    out["note"] = ("valid along an escape direction started at ||theta(t0)|| = theta0_norm; the printed form "
                   "drops ||X||_F and uses the rate L s (see prop2.2, section2.2.escape-time-bound)")
    return out


@dataclass
class InstanceCertificate:
    """Everything `certify instance` reports, as verdicts and JSON-ready evidence."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    quantities: dict[str, Any] = field(default_factory=dict)
    network: EnclosedNetwork | None = None


def certify_instance(inst: Instance, ps: Sequence[float] = DEFAULT_PS, theta0_norm: float | None = None,
                     r: float | None = None, checkpoints: dict[int, np.ndarray] | None = None) -> InstanceCertificate:
    net = enclose_network(inst, checkpoints=checkpoints)
    act = net.activations
    wts = [weight_ratios(W) for W in inst.weights]
    gaps = net.gaps
    out = InstanceCertificate(network=net)
    out.verdicts["prop3.4"] = check_prop34(net, act, ps)
    out.verdicts["thm3.1"] = theorem31_report(net, act, wts, gaps)
    claimed = inst.meta.get("claimed_speed")
    if isinstance(claimed, (int, float)) and not isinstance(claimed, bool):
        out.verdicts["claimed-speed"] = check_claimed_speed(net, float(claimed))
    speed = net.speed_on_sphere()
    direction = escape_direction(inst)
    out.quantities = {
        "||X||_F": ball_interval(net.x_norm, 0.0),
        "||G||_F": ball_interval(net.g_norm, 0.0),
        "Tr[G^T Y]": ball_interval(net.loss),
        "speed_on_sphere": ball_interval(speed),
        "layers": {
            str(l): {
                **({"W_ratio": wts[l - 1].to_dict()} if l >= 1 else {}),
                **({"activation_ratio": act[l].to_dict()} if l < inst.depth else {}),
                **({"relu_gap": ball_interval(gaps[l - 1], 0.0, 1.0)} if 1 <= l < inst.depth else {}),
                **({"preactivation_radius": net.radii[l - 1]} if l >= 1 else {}),
            }
            for l in range(0, inst.depth + 1)
        },
    }
    out.quantities["escape_direction"] = direction.to_dict()
    if theta0_norm is not None and r is not None:
        out.quantities["escape_time_lower_bound"] = escape_time_bounds(net, theta0_norm, r)
    return out
