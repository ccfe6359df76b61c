"""The claims registry: the catalog indexed by id, checked against the manifest."""

from __future__ import annotations

import fnmatch

from certify.gate.claim import Claim, Context, claim_seed
from certify.gate.catalog import CATALOG
from certify.gate.manifest import PAPER_CLAIMS
from certify.core.errors import InputError


def _index(claims: tuple[Claim, ...]) -> dict[str, Claim]:
    out: dict[str, Claim] = {}
    for c in claims:
        if c.id in out:
            raise RuntimeError(f"claim id {c.id!r} registered twice")
        if c.paper_ref not in PAPER_CLAIMS:
            raise RuntimeError(f"claim {c.id!r} refers to {c.paper_ref!r}, which is not in the manifest")
        out[c.id] = c
    return out


REGISTRY: dict[str, Claim] = _index(CATALOG)


def select(patterns: list[str] | tuple[str, ...]) -> list[Claim]:
    """Claims by exact id or glob pattern (``lemma-a4*``), in catalog order.

    An exact id that is unknown is an input error; a glob may match nothing.
    """
    chosen: set[str] = set()
    for pat in patterns:
        if any(ch in pat for ch in "*?["):
            chosen.update(cid for cid in REGISTRY if fnmatch.fnmatchcase(cid, pat))  # the same on every OS
        elif pat in REGISTRY:
            chosen.add(pat)
        else:
            close = [i for i in REGISTRY if i.startswith(pat.split(".")[0])][:3]
            hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'certify list')"
            raise InputError(f"unknown claim id {pat!r}{hint}")
    return [c for c in CATALOG if c.id in chosen]


__all__ = ["CATALOG", "PAPER_CLAIMS", "REGISTRY", "Claim", "Context", "claim_seed", "select"]
