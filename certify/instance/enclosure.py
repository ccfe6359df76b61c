"""Certified quantities of one instance, for Section 2.2, Prop. 3.4 and Theorem 3.1.

Floats (numpy, power iteration) only *propose* witnesses here: top singular vectors and Perron
vectors.  Every number that enters a verdict is an ``arb`` ball produced by
:mod:`certify.kernel.normwise` and :mod:`certify.kernel.enclose` from float64 BLAS results and
a-priori rounding-error bounds.

Layers are indexed as in the paper: weights W_l and preactivations Z_l for l = 1..L, activations
Z_l^s for l = 0..L-1 with Z_0^s = X.  Prop. 3.4 counts the activations l = 0..L-1 (its product
runs over them; see ``prop3.4.steps``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from flint import arb, fmpq

from certify.core.instances import Instance
from certify.kernel import enclose as E
from certify.kernel import normwise as NW
from certify.kernel.arith import EXACT, sum_of_squares_exact
from certify.kernel.compare import Truth, compare_le, lower_float, nearest_float, upper_float
from certify.kernel.verdict import Status, Verdict
from certify.core.limits import env_limit

DEFAULT_PS = (0.1, 0.25, 0.5, 0.75, 0.9)


def power_iteration(A: np.ndarray, iterations: int = 60, rtol: float = 1e-15) -> np.ndarray:
    """Untrusted float estimate of the top right singular vector of A (deterministic start).

    Stops early once the Rayleigh quotient of A^T A changes by less than ``rtol`` (relative) between two
    iterations: the witness is then as good as float arithmetic makes it.  A is rescaled (a copy) only
    when its largest entry is far enough from 1 for A^T A v to overflow or underflow."""
    A = np.asarray(A, dtype=np.float64)
    top = float(np.max(np.abs(A), initial=0.0))
    if 0 < top < math.inf and not (1e-100 < top < 1e100):  # singular vectors do not change with scale
        A = A / top
    n = A.shape[1]
    v = np.ones(n) / math.sqrt(n)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # a witness: no warnings to print
        return _power_steps(A, v, iterations, rtol)


def _power_steps(A: np.ndarray, v: np.ndarray, iterations: int, rtol: float) -> np.ndarray:
    last = -1.0
    for _ in range(iterations):
        w = A.T @ (A @ v)
        nrm = float(np.linalg.norm(w))
        if not nrm > 0 or not math.isfinite(nrm):
            break
        rayleigh = float(v @ w)
        v = w / nrm
        if abs(rayleigh - last) <= rtol * abs(rayleigh):
            break
        last = rayleigh
    return v


def ball_str(b: arb) -> str:
    return b.str(10, radius=True)


def ball_interval(b: arb, floor: float | None = None, ceil: float | None = None) -> list[float]:
    """[lower, upper] as floats rounded outward, clipped to [floor, ceil] when the quantity is known to lie
    there (a ratio in [0, 1], a norm >= 0): Arb stores radii with 30-bit precision, so a ball for [0, 1]
    pokes out by about 1e-9."""
    lo = lower_float(b) if b.is_finite() else -math.inf
    hi = upper_float(b) if b.is_finite() else math.inf
    if floor is not None:
        lo = max(lo, floor)
    if ceil is not None:
        hi = min(hi, ceil)
    return [lo, hi]


@dataclass
class RatioSet:
    """Certified ratios of one matrix: rank-one ratio, s_1 bounds, Frobenius norm."""

    ratio: arb  # a ball containing [ratio_low, ratio_high] (for display)
    s1_low: arb
    s1_high: arb
    frobenius: arb
    ratio_low: arb  # its lower end bounds the ratio from below
    ratio_high: arb  # its upper end bounds the ratio from above (decisions use these two, not the wide ball)

    def to_dict(self) -> dict[str, Any]:
        return {"ratio": [ball_interval(self.ratio_low, 0.0, 1.0)[0], ball_interval(self.ratio_high, 0.0, 1.0)[1]],
                "s1": [ball_interval(self.s1_low, 0.0)[0], ball_interval(self.s1_high, 0.0)[1]],
                "frobenius": ball_interval(self.frobenius, 0.0)}


def enclosure_ratios(Z: NW.NormEnclosure) -> RatioSet:
    """Rank-one ratio, s_1 bounds and Frobenius norm of a matrix known through a norm-wise enclosure."""
    v = power_iteration(Z.mid)
    fro = NW.frobenius_ball(Z)
    lo = NW.top_singular_lower(Z, v)
    hi = NW.top_singular_upper(Z, E.perron_vector(Z.mid, iterations=10), v)
    if fro.is_finite() and (not hi.is_finite() or fro.upper() < hi):
        hi = fro.upper()
    r_lo, r_hi = E.rank_one_ratio_bounds(fro, lo, hi)
    return RatioSet(E.rank_one_ratio_ball(fro, lo, hi), lo, hi, fro, r_lo, r_hi)


def activation_ratios(Z: NW.NormEnclosure) -> RatioSet:
    return enclosure_ratios(Z)


def weight_ratios(W: np.ndarray) -> RatioSet:
    return enclosure_ratios(NW.NormEnclosure.exact(W))


#: entries of theta up to which ||theta||^2 is summed exactly (fmpq) for the report; beyond it, a ball,
#: and the exact sum only when a comparison the ball cannot decide needs it (CERTIFY_EXACT_ENTRIES)
EXACT_ENTRIES_LIMIT = 2**21


def exact_entries_limit() -> int:
    return env_limit("CERTIFY_EXACT_ENTRIES", EXACT_ENTRIES_LIMIT)


def theta_squared(weights: Sequence[np.ndarray], exact: bool | None = None) -> Any:
    """||theta||^2: exact (fmpq) within the exact-entries budget (or when ``exact`` is True), else a ball."""
    entries = sum(int(W.size) for W in weights)
    if exact is None:
        exact = entries <= exact_entries_limit()
    if exact:
        return sum((sum_of_squares_exact(W) for W in weights), fmpq(0))
    return _sum_balls(NW.norm_sq_ball_accurate(W) for W in weights)


@dataclass
class EnclosedNetwork:
    """The certified per-layer quantities of an instance's forward pass, and the scalars every claim needs.

    The pass is norm-wise (:mod:`certify.kernel.normwise`) and streamed: each layer's ratios are computed
    and its matrices dropped, so memory stays near that of one float forward pass.  ``pre``/``post`` keep the
    enclosures only when asked for (tests).
    """

    inst: Instance
    activations: list[RatioSet]  # Z_0^s..Z_{L-1}^s
    gaps: list[arb]  # ReLU gaps of Z_1..Z_{L-1}
    radii: list[dict[str, float]]  # per preactivation Z_l: the norm-wise radius, absolute and relative
    x_norm: arb
    g_norm: arb
    loss: arb  # Tr[G^T Y]
    theta_sq: Any  # fmpq (exact) or arb (beyond the exact budget)
    pre: list[NW.NormEnclosure] = field(default_factory=list)  # Z_1..Z_L, only with keep=True
    post: list[NW.NormEnclosure] = field(default_factory=list)  # Z_0^s..Z_{L-1}^s, only with keep=True
    l0_float: float = math.nan  # Tr[G^T Y] from the float centre (an estimate, for the float report)

    @property
    def depth(self) -> int:
        return self.inst.depth

    def theta_sq_at_most(self, bound: int) -> Truth:
        """Is ||theta||^2 <= bound?  A ball that cannot decide is replaced by the exact sum when the instance
        is within the exact-entries budget (or the ball's width is the only obstacle and the sum is cheap)."""
        t = compare_le(self.theta_sq, fmpq(bound) if isinstance(self.theta_sq, fmpq) else arb(bound))
        if t is Truth.UNKNOWN and isinstance(self.theta_sq, arb):
            entries = sum(int(W.size) for W in self.inst.weights)
            if entries <= 8 * exact_entries_limit():  # the exact sum costs about 0.25 s per million entries
                self.theta_sq = theta_squared(self.inst.weights, exact=True)
                t = compare_le(self.theta_sq, fmpq(bound))
        return t

    def speed_on_sphere(self) -> arb:
        """s = -L0(rho), rho = sqrt(L) theta/||theta|| (homogeneity: L0(rho) = (L/||theta||^2)^(L/2) L0(theta))."""
        L = self.depth
        if not (self.theta_sq > 0):  # theta = 0 (or not certainly nonzero): no direction, no speed
            return arb.nan()
        scale = (arb(L) / arb(self.theta_sq)) ** (arb(L) / 2)
        return -self.loss * scale


def _relative(radius: arb, mid: np.ndarray) -> dict[str, float]:
    r = upper_float(radius) if radius.is_finite() else math.inf
    size = E.norm_up(mid)
    return {"radius": r, "relative": (r / size) if size > 0 and math.isfinite(r) else (0.0 if r == 0 else math.inf)}


#: depth from which the products use three Ozaki slices (and carry each activation's low part) instead of
#: two slices on the float activation: the radius grows by about ||W_l||_2 ||Z_(l-1)^s||_F / ||Z_l||_F per
#: layer (about 3 on random weights), from about u = 1.1e-16 relative per layer with two slices (the
#: activation rounded to one float) and 1e-21 with three; beyond depth 12 the first would pass 1e-11
FINE_PRODUCTS_FROM_DEPTH = 13


def slices_for_depth(depth: int) -> int:
    """How many slices the accurate products use (tightness only: both are rigorous)."""
    return 3 if depth >= FINE_PRODUCTS_FROM_DEPTH else 2


def enclose_network(inst: Instance, exact_norm: bool | None = None, keep: bool = False,
                    checkpoints: dict[int, np.ndarray] | None = None) -> EnclosedNetwork:
    """Stream the norm-wise forward pass, computing each layer's certified ratios as it goes.

    ||theta||^2 is exact within the exact-entries budget (``exact_norm`` forces either way).  A dict
    given as ``checkpoints`` receives the float centres of the activations Z_l^s at every
    :func:`certify.core.network.checkpoint_stride`-th layer, for the float escape estimate's backward pass.
    """
    from certify.core.network import checkpoint_stride

    stride = checkpoint_stride(inst.depth)
    act = NW.NormEnclosure.exact(inst.X)
    if checkpoints is not None:
        checkpoints[0] = act.mid
    activations = [activation_ratios(act)]
    l0_float = math.nan
    gaps: list[arb] = []
    radii: list[dict[str, float]] = []
    pre: list[NW.NormEnclosure] = []
    post: list[NW.NormEnclosure] = [act] if keep else []
    loss = E.WHOLE
    slices = slices_for_depth(inst.depth)
    for l, W in enumerate(inst.weights, start=1):
        Z = NW.layer(W, act, slices=slices)
        radii.append(_relative(Z.radius, Z.mid))
        if keep:
            pre.append(Z)
        if l < inst.depth:
            act, gap = NW.relu_and_gap(Z)
            gaps.append(gap)
            del Z
            if slices == 2:  # u of radius per layer is far below the 1e-9 aimed at when depth <= 12
                act = NW.fold(act)
            activations.append(activation_ratios(act))
            if keep:
                post.append(act)
            if checkpoints is not None and l % stride == 0:
                checkpoints[l] = act.mid
        else:
            loss = NW.inner_ball(inst.G, Z)
            with np.errstate(over="ignore", invalid="ignore"):
                l0_float = float(np.sum(inst.G * Z.mid))
    return EnclosedNetwork(
        inst=inst,
        activations=activations,
        gaps=gaps,
        radii=radii,
        x_norm=E.norm_ball(inst.X),
        g_norm=E.norm_ball(inst.G),
        loss=loss,
        theta_sq=theta_squared(inst.weights, exact_norm),
        pre=pre,
        post=post,
        l0_float=l0_float,
    )


def _sum_balls(balls) -> arb:
    total = arb(0)
    for b in balls:
        total += b
    return total


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


# --- Definition 2.1 ----------------------------------------------------------------------

def escape_direction(inst: Instance) -> Verdict:
    """Is theta (up to scale) an escape direction, grad L0(theta) = -s' theta with s' >= 0?

    Computed exactly (fmpq) on small instances: s' = -theta.grad/||theta||^2 and the residual
    ||grad + s' theta||.  The condition is scale-invariant up to the factor ||theta||^(L-2).  A tie
    (a preactivation exactly 0) makes L0 non-differentiable there, and the answer then depends on
    relu'(0); it is reported as undecided.
    """
    from certify.instance.exact import exact_work, exact_work_limit
    from certify.core.network import forward, loss_gradient

    work, limit = exact_work(inst), exact_work_limit()
    if work > limit:
        return Verdict(Status.SKIPPED, f"instance too large for the exact gradient ({work} > {limit} "
                       "multiply-adds, CERTIFY_EXACT_WORK); see the float estimates", None, {"work": work})
    Ws = [EXACT.array(W) for W in inst.weights]
    fp = forward(Ws, inst.X, EXACT)
    ties = sum(1 for Z in fp.pre[:-1] for z in Z.ravel() if z == 0)
    grads = loss_gradient(Ws, inst.X, inst.G, EXACT)
    theta_sq = sum(((W * W).sum() for W in Ws), fmpq(0))
    if theta_sq == 0:
        return Verdict(Status.SKIPPED, "theta = 0 is not a direction: Definition 2.1 says nothing here", None,
                       {"ties": ties})
    inner = sum(((W * g).sum() for W, g in zip(Ws, grads)), fmpq(0))
    s_prime = -inner / theta_sq
    res_sq = sum((((g + W * s_prime) ** 2).sum() for W, g in zip(Ws, grads)), fmpq(0))
    grad_sq = sum(((g * g).sum() for g in grads), fmpq(0))
    rel = (arb(res_sq) / arb(grad_sq)).sqrt() if grad_sq > 0 else arb(0)
    ev = {"ties": ties, "s'": str(s_prime) if len(str(s_prime)) < 80 else ball_str(arb(s_prime)),
          "relative_residual": ball_interval(rel)}
    if ties:
        return Verdict(Status.UNDECIDED, f"{ties} preactivation(s) exactly 0: L0 is not differentiable here, "
                       "Definition 2.1's gradient depends on relu'(0)", None, ev)
    if res_sq == 0 and s_prime >= 0:
        return Verdict(Status.PROVED, "theta is exactly an escape direction (grad L0 = -s' theta, residual 0)", None, ev)
    if res_sq == 0:
        return Verdict(Status.REFUTED, "theta is a critical direction with negative speed, not an escape direction",
                       None, ev)
    return Verdict(Status.REFUTED, f"not an escape direction: relative residual "
                   f"||grad + s' theta|| / ||grad|| = {float(rel.mid()):.3g} > 0 (exact)", lower_float(rel), ev)


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
