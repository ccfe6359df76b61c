"""The instance checks registered as claims: each runs on every instance shipped in ``data/instances/``
(homogeneity, Euler's identity, Lemma A.4, Prop. 3.4 and Theorem 3.1).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from certify.core.instances import Instance, load_instance
from certify.gate.claim import Context
from certify.instance.verdicts import check_prop34, theorem31_report
from certify.instance.enclosure import enclose_network, weight_ratios
from certify.instance.exact import check_euler, check_homogeneity, check_lemma_a4
from certify.kernel.verdict import (
    Status,
    Verdict,
    combine,
)

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
    net = enclose_network(inst)
    return check_prop34(net, net.activations)


def prop34_on_shipped(ctx: Context) -> Verdict:
    return _on_shipped(ctx, _prop34, "Prop. 3.4")


def _thm31(inst: Instance) -> Verdict:
    net = enclose_network(inst)
    return theorem31_report(net, net.activations, [weight_ratios(W) for W in inst.weights], net.gaps)


def thm31_on_shipped(ctx: Context) -> Verdict:
    v = _on_shipped(ctx, _thm31, "Theorem 3.1")
    if v.status is Status.SKIPPED and "cases" in v.evidence:
        below = {k: c["message"] for k, c in v.evidence["cases"].items()}
        v.message = ("hypothesis (theta optimal) is not verified on any shipped instance, so nothing is certified; "
                     "per instance: " + "; ".join(f"{k}: {m.split('; ', 1)[-1]}" for k, m in below.items()))
    return v
