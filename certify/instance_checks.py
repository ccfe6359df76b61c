"""Exact checks of Section 2's identities and Lemma A.4 on concrete instances.

Each ``check_*`` function takes an :class:`~certify.instances.Instance` and
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

from certify.claims.base import Context
from certify.instances import Instance, load_instance
from certify.kernel.arith import BALL, EXACT, working_precision
from certify.kernel.compare import Truth, compare_le, lower_float
from certify.kernel.verdict import (
    Status,
    Verdict,
    combine,
    from_comparison,
    from_exact_identity,
    show,
)
from certify.network import localized_loss, loss_gradient, squared_norm

#: rational scale factors used for the homogeneity check
SCALES = (fmpq(1, 3), fmpq(2), fmpq(7, 5))


def _exact_weights(inst: Instance) -> list:
    return [EXACT.array(W) for W in inst.weights]


def check_homogeneity(inst: Instance) -> Verdict:
    """L0(lambda theta) = lambda^L L0(theta) exactly, for lambda in SCALES."""
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
    Ws = _exact_weights(inst)
    value = localized_loss(Ws, inst.X, inst.G, EXACT)
    grads = loss_gradient(Ws, inst.X, inst.G, EXACT)
    inner = sum(((W * g).sum() for W, g in zip(Ws, grads)), fmpq(0))
    return from_exact_identity(inner, inst.depth * value, "theta^T grad L0 = L L0")


def check_lemma_a4(inst: Instance) -> Verdict:
    """prod_l ||W_l||_F <= 1 given ||theta||^2 <= L (both decided exactly)."""
    L = inst.depth
    Ws = _exact_weights(inst)
    sq = [(W * W).sum() for W in Ws]
    total = sum(sq, fmpq(0))
    ev = {"||theta||^2": show(total), "L": L}
    if compare_le(total, fmpq(L)) is not Truth.TRUE:
        return Verdict(
            Status.SKIPPED,
            f"hypothesis ||theta||^2 <= L fails ({float(total):.6g} > {L}); Lemma A.4 says nothing here",
            None,
            ev,
        )
    prod_sq = fmpq(1)
    for s in sq:
        prod_sq *= s
    # prod ||W_l||_F <= 1  <=>  prod ||W_l||_F^2 <= 1 (both sides non-negative): decided exactly
    v = from_comparison(prod_sq, fmpq(1), "prod ||W_l||_F^2 <= 1", ev)
    if v.status is Status.CERTIFIED:
        with working_precision(128):
            gap = arb(1) - arb(prod_sq).sqrt()  # encloses 1 - prod ||W_l||_F
        v.margin = lower_float(gap)
        v.message = f"prod ||W_l||_F <= 1 with margin >= {v.margin:.6g}"
        v.evidence["1 - prod ||W_l||_F"] = str(gap)
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
    for f in files:
        inst = load_instance(f)
        parts[inst.name] = check(inst)
        hashes[f.name] = _sha256(f)
    v = combine(parts, what)
    v.evidence["files"] = hashes
    return v


def homogeneity_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_homogeneity, "homogeneity of L0")


def euler_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_euler, "Euler's identity")


def lemma_a4_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, check_lemma_a4, "Lemma A.4")
