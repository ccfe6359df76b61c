"""Ball enclosures of one instance: its forward pass, norms and rank-one ratios (Section 2.2, Prop. 3.4).

Every number here is an ``arb`` ball built by :mod:`certify.kernel.normwise` and
:mod:`certify.kernel.enclose` from float64 BLAS results and a-priori rounding-error bounds; floats
(:mod:`certify.instance.witnesses`) only propose the vectors that make the bounds tight.

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
from certify.core.limits import env_limit
from certify.instance.witnesses import power_iteration
from certify.kernel import enclose as E
from certify.kernel import normwise as NW
from certify.kernel.arith import sum_of_squares_exact
from certify.kernel.compare import Truth, compare_le, lower_float, upper_float


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
