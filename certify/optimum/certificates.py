"""Certificates of optimal escape speeds, decided by the trusted kernel (Section 4).

A proposed document (from :mod:`certify.optimum.search`) or a file is checked after a JSON round trip
by :mod:`certify.kernel.speed_certificate`, :mod:`certify.kernel.speed_cones` or
:mod:`certify.kernel.speed_invariant`, by its schema; only that checker's report is ever shown as a
certified interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from certify.core.errors import InputError
from certify.kernel.speed_certificate import (
    CertificateFormatError,
    CheckReport,
    check_document,
)
from certify.optimum.search import exact_data, propose

#: the largest certificate file ``certify check`` reads (bytes).  A search at the checker's limits writes
#: about 2 MB (4096 multiplier vectors, 512 points as exact binary fractions); this leaves room for
#: hand-written exact numbers.  Raising it is safe: the checker's own limits still bound its work.
MAX_CERTIFICATE_BYTES = 8 * 2**20


@dataclass
class OptimumResult:
    document: dict[str, Any]
    report: CheckReport
    seconds_search: float
    seconds_check: float


def certify_optimum(X: np.ndarray, G: np.ndarray, depth: int, method: str = "auto", gap: float | None = None,
                    time_limit: float | None = None, node_limit: int | None = None) -> OptimumResult:
    """Propose a certificate and check it with the trusted kernel (after a JSON round trip); the options
    are those of :func:`propose`."""
    t0 = time.perf_counter()
    doc, _ = propose(X, G, depth, method, gap, time_limit, node_limit)
    return check_proposal(doc, time.perf_counter() - t0)


def check_proposal(doc: dict[str, Any], seconds_search: float) -> OptimumResult:
    """Check a proposed certificate with the trusted kernel, after a JSON round trip (what a file holds)."""
    import json

    t1 = time.perf_counter()
    try:
        report = check_any_document(json.loads(json.dumps(doc)))
    except CertificateFormatError as exc:  # numbers or sizes beyond the checker's limits
        raise InputError(f"the certificate for these data is beyond the checker's limits ({exc})") from None
    return OptimumResult(doc, report, seconds_search, time.perf_counter() - t1)


def check_any_document(doc: Any) -> CheckReport:
    """Check a certificate of any kind this toolkit writes, by its schema: one depth on 2-D data, every depth
    (an invariant), or depth 2 on data of any dimension (cones).  CertificateFormatError if malformed."""
    from certify.kernel import speed_cones, speed_invariant

    schema = doc.get("schema") if isinstance(doc, dict) else None
    if schema == speed_invariant.SCHEMA:
        return speed_invariant.check_invariant_document(doc)
    if schema == speed_cones.SCHEMA:
        return speed_cones.check_cones_document(doc)
    return check_document(doc)


def load_certificate(path: str | Path) -> Any:
    """Read a certificate file as strict JSON (:mod:`certify.core.jsonio`: no NaN or Infinity, integer literals
    of at most 309 digits, nesting at most 64, at most MAX_CERTIFICATE_BYTES); anything else is an
    InputError (exit 2).  Exact numbers are strings, bounded by the checker (MAX_DIGITS)."""
    from certify.core import jsonio

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a certificate file")
    return jsonio.read(p, f"{p}", max_bytes=MAX_CERTIFICATE_BYTES)


def about_data(doc: Any, X: np.ndarray, G: np.ndarray) -> bool:
    """Is the certificate about exactly these X and G?  Compares the digest of their exact values with the
    one the document carries (``certify check --data``, and every search that ran elsewhere)."""
    data = doc.get("data") if isinstance(doc, dict) else None
    return isinstance(data, dict) and data.get("sha256") == exact_data(X, G)["sha256"]


def check_search_outcome(outcome: Any, X: np.ndarray, G: np.ndarray, depth: int) -> dict[str, Any]:
    """Decide what a search task (:func:`certify.optimum.search.propose_task`, run by any executor) returned
    for the data X, G at ``depth``: ``{"state": "certified" | "failed", "result": OptimumResult}`` or
    ``{"state": "refused" | "error", "reason": ...}``.  The search ran elsewhere, so its certificate must
    also be about these X and G and about this depth, not only pass its own checks."""
    from certify.core.execution import TaskFailure

    if isinstance(outcome, TaskFailure):
        return {"state": "error", "reason": outcome.reason}
    if not isinstance(outcome, dict) or not ("refused" in outcome or "document" in outcome):
        return {"state": "error", "reason": f"the task returned {type(outcome).__name__}, not a search"}
    if "refused" in outcome:
        return {"state": "refused", "reason": outcome["refused"]}
    try:
        result = check_proposal(outcome["document"], outcome["seconds_search"])
    except InputError as exc:
        return {"state": "refused", "reason": str(exc)}
    doc = result.document
    if not about_data(doc, X, G):
        return {"state": "error", "reason": "the search returned a certificate about other data"}
    if doc.get("depth") != depth and not (result.report.ok and getattr(result.report, "every_depth", False)
                                          and result.report.depth <= depth):
        return {"state": "error", "reason": f"the search returned a certificate for depth "
                f"{doc.get('depth')}, not {depth}"}
    return {"state": "certified" if result.report.ok else "failed", "result": result}
