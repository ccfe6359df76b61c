"""Claims as data: an id, the statement in our words, the evidence kind, a check."""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from certify.kernel.verdict import Evidence, Status, Verdict


@dataclass(frozen=True)
class Context:
    """What a check may use: its own seed, the data directory, the budget."""

    seed: int
    data_dir: Path
    quick: bool = False

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the paper.

    ``paper_ref`` is the manifest entry it belongs to (several claims, e.g. a
    symbolic proof and an instance certificate, may check one paper claim).
    ``check`` names the function as ``"module:function"``; it is imported only
    when the claim runs, so listing claims stays fast.  ``cost`` and ``shares``
    only schedule parallel runs.  A claim whose check is
    not written yet has ``check=None`` and ``pending`` naming the issue.
    """

    id: str
    paper_ref: str
    title: str
    section: str
    statement: str
    method: Evidence
    check: str | None = None
    pending: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    #: about how many seconds the check takes on the reference 2-core machine; it only orders parallel
    #: work (longest first), never what a check does
    cost: float = 0.5
    #: claims with the same non-empty value share a per-process cache (one training run for all of them),
    #: so a parallel run gives them to one worker together
    shares: str = ""

    def __post_init__(self) -> None:
        if (self.check is None) == (self.pending is None):
            raise ValueError(f"claim {self.id}: give exactly one of check= or pending=")

    def resolve(self) -> Callable[[Context], Verdict]:
        assert self.check is not None
        module, _, func = self.check.partition(":")
        return getattr(importlib.import_module(module), func)

    def run(self, ctx: Context) -> Verdict:
        if self.check is None:
            return Verdict(Status.SKIPPED, f"not checked yet: {self.pending}")
        return self.resolve()(ctx)


def claim_seed(global_seed: int, claim_id: str) -> int:
    """A claim's seed: a hash of the global seed and its id (order-independent)."""
    h = hashlib.blake2b(f"{global_seed}:{claim_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") >> 1  # non-negative, fits numpy's seeds


def describe(value: Any) -> Any:
    """JSON-friendly rendering of evidence values."""
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
