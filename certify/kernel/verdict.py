"""Verdicts and the evidence behind them (trusted kernel).

A verdict's status is one of the ``Status`` values below.  The kernel decides
the statuses that claim truth (``proved``, ``certified``): only
:func:`from_comparison` and :func:`from_exact_identity` produce them from
trusted comparisons.  The others are produced by the checks themselves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from certify.kernel.compare import Truth, compare_eq, compare_le, lower_float


class Status(str, enum.Enum):
    PROVED = "proved"  # symbolic identity reduced to zero, or exact arithmetic
    CERTIFIED = "certified"  # rigorous inequality on an instance, with its margin
    FUZZED = "fuzzed"  # N random/adversarial cases, no counterexample
    REPRODUCED = "reproduced"  # an experiment within its stated tolerance
    ERRATUM = "erratum"  # fails as printed; the corrected statement has a verdict
    REFUTED = "refuted"  # fails, no correction known
    UNDECIDED = "undecided"  # neither proved nor refuted (e.g. wide enclosures)
    ERROR = "error"  # the check itself broke
    SKIPPED = "skipped"  # not run (pending, hypothesis not met, data missing)

    @property
    def holds(self) -> bool:
        """Whether the status says the claim (as checked) holds."""
        return self in (Status.PROVED, Status.CERTIFIED, Status.FUZZED, Status.REPRODUCED)


class Evidence(str, enum.Enum):
    SYMBOLIC = "symbolic"
    INTERVAL = "interval"
    CERTIFICATE = "certificate"
    FUZZ = "fuzz"
    EXPERIMENT = "experiment"


@dataclass
class Verdict:
    status: Status
    message: str
    margin: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    #: for an erratum: the verdict on the corrected statement
    corrected: "Verdict | None" = None

    def __post_init__(self) -> None:
        if self.status is Status.ERRATUM and self.corrected is None:
            raise ValueError("an erratum carries the verdict on the corrected statement")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "status": self.status.value,
            "message": self.message,
            "margin": self.margin,
            "evidence": self.evidence,
        }
        if self.corrected is not None:
            d["corrected"] = self.corrected.to_dict()
        return d


def show(x: Any, limit: int = 60) -> str:
    """An exact value as a string; long rationals are shortened to a 17-digit decimal."""
    text = str(x)
    if len(text) <= limit:
        return text
    try:
        from flint import arb, fmpq

        approx = arb(x) if isinstance(x, fmpq) else x
        return f"~{approx.str(17, radius=False)} (exact rational, {len(text)} characters)"
    except Exception:  # pragma: no cover - display only
        return text[:limit] + "..."


def from_comparison(lhs: Any, rhs: Any, what: str, evidence: dict[str, Any] | None = None) -> Verdict:
    """Verdict on ``lhs <= rhs`` from exact rationals or balls.

    certified (margin = a float lower bound of rhs - lhs), refuted when the
    opposite is certain, undecided otherwise.
    """
    ev = dict(evidence or {})
    ev.update(lhs=show(lhs), rhs=show(rhs))
    truth = compare_le(lhs, rhs)
    if truth is Truth.TRUE:
        margin = lower_float(rhs - lhs)
        return Verdict(Status.CERTIFIED, f"{what}: holds, margin >= {margin:.6g}", margin, ev)
    if truth is Truth.FALSE:
        return Verdict(Status.REFUTED, f"{what}: fails ({show(lhs)} > {show(rhs)})", None, ev)
    return Verdict(Status.UNDECIDED, f"{what}: enclosures overlap ({show(lhs)} vs {show(rhs)})", None, ev)


def from_exact_identity(lhs: Any, rhs: Any, what: str, evidence: dict[str, Any] | None = None) -> Verdict:
    """Verdict on ``lhs == rhs`` computed exactly: proved, refuted or undecided."""
    ev = dict(evidence or {})
    ev.update(lhs=show(lhs), rhs=show(rhs))
    truth = compare_eq(lhs, rhs)
    if truth is Truth.TRUE:
        return Verdict(Status.PROVED, f"{what}: exact equality", None, ev)
    if truth is Truth.FALSE:
        return Verdict(Status.REFUTED, f"{what}: {show(lhs)} != {show(rhs)}", None, ev)
    return Verdict(Status.UNDECIDED, f"{what}: cannot decide equality of balls", None, ev)


_ORDER = [Status.ERROR, Status.REFUTED, Status.UNDECIDED, Status.ERRATUM, Status.REPRODUCED,
          Status.FUZZED, Status.CERTIFIED, Status.PROVED]


def combine(parts: dict[str, Verdict], what: str) -> Verdict:
    """One verdict for a claim checked on several cases (e.g. instances).

    The claim holds only if it holds on every case that ran; the combined status
    is the weakest one seen (error < refuted < undecided < ... < certified <
    proved).  Skipped cases are listed but neither help nor hurt, unless every
    case was skipped.  The margin is the smallest margin.
    """
    ran = {k: v for k, v in parts.items() if v.status is not Status.SKIPPED}
    evidence = {k: v.to_dict() for k, v in parts.items()}
    if not ran:
        return Verdict(Status.SKIPPED, f"{what}: no case could be checked", None, {"cases": evidence})
    worst = min(ran.values(), key=lambda v: _ORDER.index(v.status)).status
    margins = [v.margin for v in ran.values() if v.margin is not None]
    margin = min(margins) if margins and worst.holds else None
    bad = [k for k, v in ran.items() if v.status is worst]
    skipped = sorted(set(parts) - set(ran))
    if worst.holds:
        msg = f"{what}: {worst.value} on {len(ran)} case(s)"
    else:
        msg = f"{what}: {worst.value} on {', '.join(bad)}: {ran[bad[0]].message}"
    if skipped:
        msg += f"; skipped {', '.join(skipped)}"
    return Verdict(worst, msg, margin, {"cases": evidence})
