"""Exact checks of Section 2's identities and Lemma A.4 on concrete instances.

Each ``check_*`` function takes an :class:`~certify.core.instances.Instance` and
returns a verdict computed in exact rational arithmetic (python-flint fmpq),
so the float64 data of the file is taken at face value and nothing is rounded.
The ``*_on_shipped`` functions are the registered claims: the same check on
every instance in ``data/instances/``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from flint import arb, fmpq

from certify.gate.claim import Context
from certify.core.instances import Instance, load_instance
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
from certify.core.limits import env_limit
from certify.core.network import localized_loss, loss_gradient

#: rational scale factors used for the homogeneity check
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
    from certify.kernel import enclose as E
    from certify.kernel import normwise as NW
    from certify.instance.enclosure import exact_entries_limit

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


# --- the registered claims: the checks above on every shipped instance --------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _on_shipped(ctx: Context, check: Callable[[Instance], Verdict], what: str) -> Verdict:
    directory = ctx.data_dir / "instances"
    files = sorted(directory.glob("*.npz")) if directory.is_dir() else []
    if not files:
        return Verdict(Status.SKIPPED, f"no instances found in {directory}")
    parts = {}
    hashes = {}
    names: dict[str, list[str]] = {}
    for f in files:  # keyed by file name (unique in one directory), never by meta.name
        inst = load_instance(f)
        parts[f.name] = check(inst)
        hashes[f.name] = _sha256(f)
        names.setdefault(inst.name, []).append(f.name)
    v = combine(parts, what)
    v.evidence["files"] = hashes
    shared = {n: fs for n, fs in names.items() if len(fs) > 1}
    if shared:
        v.evidence["shared_names"] = shared
        v.message += "; " + "; ".join(f"name {n!r} is shared by {', '.join(fs)}" for n, fs in shared.items())
    return v


def homogeneity_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_homogeneity, "homogeneity of L0")


def euler_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_euler, "Euler's identity")


def lemma_a4_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_lemma_a4, "Lemma A.4")


def _prop34(inst: Instance) -> Verdict:
    from certify.instance.enclosure import check_prop34, enclose_network

    net = enclose_network(inst)
    return check_prop34(net, net.activations)


def prop34_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, _prop34, "Prop. 3.4")


def _thm31(inst: Instance) -> Verdict:
    from certify.instance.enclosure import enclose_network, theorem31_report, weight_ratios

    net = enclose_network(inst)
    return theorem31_report(net, net.activations, [weight_ratios(W) for W in inst.weights], net.gaps)


def thm31_on_shipped(ctx: Context) -> Verdict:
    v = _on_shipped(ctx, _thm31, "Theorem 3.1")
    if v.status is Status.SKIPPED and "cases" in v.evidence:
        below = {k: c["message"] for k, c in v.evidence["cases"].items()}
        v.message = ("hypothesis (theta optimal) is not verified on any shipped instance, so nothing is certified; "
                     "per instance: " + "; ".join(f"{k}: {m.split('; ', 1)[-1]}" for k, m in below.items()))
    return v
