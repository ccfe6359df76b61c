"""Exact checks on one instance: Section 2's identities, Lemma A.4 and Definition 2.1.

Each ``check_*`` function (and :func:`escape_direction`) takes an
:class:`~certify.core.instances.Instance` and returns a verdict computed in exact rational arithmetic
(python-flint fmpq), so the float64 data of the file is taken at face value and nothing is rounded.
Instances beyond ``CERTIFY_EXACT_WORK`` multiply-adds are skipped, never approximated.
"""

from __future__ import annotations

from flint import arb, fmpq

from certify.core.instances import Instance
from certify.core.limits import env_limit
from certify.core.network import forward, localized_loss, loss_gradient
from certify.instance.enclosure import ball_interval, ball_str, exact_entries_limit
from certify.kernel import enclose as E
from certify.kernel import normwise as NW
from certify.kernel.arith import EXACT, sum_of_squares_exact, working_precision
from certify.kernel.compare import Truth, compare_le, lower_float, nearest_float
from certify.kernel.verdict import (
    Status,
    Verdict,
    combine,
    from_comparison,
    from_exact_identity,
    show,
)

SCALES = (fmpq(1, 3), fmpq(2), fmpq(7, 5))


def _exact_weights(inst: Instance) -> list:
    return [EXACT.array(W) for W in inst.weights]


#: multiply-adds of one forward pass up to which exact (fmpq) arithmetic is used (CERTIFY_EXACT_WORK raises it)
EXACT_WORK_LIMIT = 300_000


def exact_work_limit() -> int:
    return env_limit("CERTIFY_EXACT_WORK", EXACT_WORK_LIMIT)


def exact_work(inst: Instance) -> int:
    """Multiply-adds of one forward pass (what exact rational arithmetic costs, roughly)."""
    return sum(W.shape[0] * W.shape[1] for W in inst.weights) * inst.X.shape[1]


def _too_large(inst: Instance, what: str) -> Verdict | None:
    work, limit = exact_work(inst), exact_work_limit()
    if work <= limit:
        return None
    return Verdict(Status.SKIPPED, f"{work} multiply-adds per pass is beyond the exact-arithmetic budget "
                   f"({limit}, CERTIFY_EXACT_WORK); {what} is proved symbolically for every network", None,
                   {"work": work})


def check_homogeneity(inst: Instance) -> Verdict:
    """L0(lambda theta) = lambda^L L0(theta) exactly, for lambda in SCALES."""
    skip = _too_large(inst, "homogeneity (a1.homogeneity)")
    if skip is not None:
        return skip
    Ws = _exact_weights(inst)
    L = inst.depth
    base = localized_loss(Ws, inst.X, inst.G, EXACT)
    parts = {}
    for lam in SCALES:
        scaled = localized_loss([W * lam for W in Ws], inst.X, inst.G, EXACT)
        parts[f"lambda={lam}"] = from_exact_identity(scaled, lam**L * base, f"lambda = {lam}")
    v = combine(parts, "L0(lambda theta) = lambda^L L0(theta)")
    # the statement needs lambda > 0: record what lambda = -1 gives on this instance
    flipped = localized_loss([W * -1 for W in Ws], inst.X, inst.G, EXACT)
    v.evidence["lambda=-1"] = {
        "L0(-theta)": show(flipped),
        "(-1)^L L0(theta)": show((-1) ** L * base),
        "equal": bool(flipped == (-1) ** L * base),
    }
    v.evidence["L0(theta)"] = show(base)
    return v


def check_euler(inst: Instance) -> Verdict:
    """theta^T grad L0(theta) = L L0(theta) exactly (gradient by backpropagation)."""
    skip = _too_large(inst, "Euler's identity (section2.1.euler)")
    if skip is not None:
        return skip
    Ws = _exact_weights(inst)
    value = localized_loss(Ws, inst.X, inst.G, EXACT)
    grads = loss_gradient(Ws, inst.X, inst.G, EXACT)
    inner = sum(((W * g).sum() for W, g in zip(Ws, grads)), fmpq(0))
    return from_exact_identity(inner, inst.depth * value, "theta^T grad L0 = L L0")


def check_lemma_a4(inst: Instance, bound: fmpq = fmpq(1)) -> Verdict:
    """prod_l ||W_l||_F <= bound (1 in the lemma) given ||theta||^2 <= L.

    Decided exactly (fmpq sums of squares) within the exact-entries budget; beyond it with balls around
    the sums of squares (relative width about 1e-13), falling back to the exact sums when a ball cannot
    decide and the exact sum is affordable.
    """

    L = inst.depth
    entries = sum(int(W.size) for W in inst.weights)
    exact = entries <= exact_entries_limit()
    while True:
        sq = [sum_of_squares_exact(W) if exact else NW.norm_sq_ball_accurate(W) for W in inst.weights]
        zero, target = (fmpq(0), fmpq(L)) if exact else (arb(0), arb(L))
        total = sum(sq, zero)
        prod_sq = fmpq(1) if exact else arb(1)
        for s in sq:
            prod_sq *= s
        rhs = bound * bound if exact else arb(bound * bound)
        decided = compare_le(total, target) is not Truth.UNKNOWN and compare_le(prod_sq, rhs) is not Truth.UNKNOWN
        if exact or decided or entries > 8 * exact_entries_limit():
            break
        exact = True  # a ball could not decide: the exact sums settle it
    ev = {"||theta||^2": show(total), "L": L, "arithmetic": "exact" if exact else "enclosed"}
    within = compare_le(total, target)
    if within is Truth.FALSE:
        shown = nearest_float(total) if exact else float(total.mid())
        return Verdict(
            Status.SKIPPED,
            f"hypothesis ||theta||^2 <= L fails ({shown:.6g} > {L}); Lemma A.4 says nothing here",
            None,
            ev,
        )
    if within is Truth.UNKNOWN:
        return Verdict(Status.UNDECIDED, "hypothesis ||theta||^2 <= L not decided beyond the exact budget "
                       "(raise CERTIFY_EXACT_ENTRIES)", None, ev)
    # prod ||W_l||_F <= bound  <=>  prod ||W_l||_F^2 <= bound^2 (both sides non-negative)
    v = from_comparison(prod_sq, rhs, "prod ||W_l||_F^2 <= bound^2", ev)
    if v.status is Status.CERTIFIED:
        with working_precision(128):
            gap = arb(bound) - E.sqrt_ball(arb(prod_sq))  # encloses bound - prod ||W_l||_F
        v.margin = lower_float(gap)
        v.message = f"prod ||W_l||_F <= {bound} with margin >= {v.margin:.6g}"
        v.evidence["bound - prod ||W_l||_F"] = str(gap)
    return v


# --- Definition 2.1 ----------------------------------------------------------------------

def escape_direction(inst: Instance) -> Verdict:
    """Is theta (up to scale) an escape direction, grad L0(theta) = -s' theta with s' >= 0?

    Computed exactly (fmpq) on small instances: s' = -theta.grad/||theta||^2 and the residual
    ||grad + s' theta||.  The condition is scale-invariant up to the factor ||theta||^(L-2).  A tie
    (a preactivation exactly 0) makes L0 non-differentiable there, and the answer then depends on
    relu'(0); it is reported as undecided.
    """

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

#: rational scale factors used for the homogeneity check
