"""Three-valued comparisons of exact rationals and balls (trusted kernel).

``compare_le(a, b)`` answers TRUE when ``a <= b`` holds for certain, FALSE when
``a > b`` holds for certain, and UNKNOWN otherwise.  On exact rationals the
answer is never UNKNOWN.  On balls, Arb's own comparison operators are
one-sided (``x <= y`` is True only when it holds for every point of the two
balls), so a failed comparison is never read as its negation.

Floats are refused: a float comparison certifies nothing.
"""

from __future__ import annotations

import enum
import math
import sys
from typing import Any

from flint import arb, fmpq, fmpz


class Truth(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:  # pragma: no cover - guard against misuse
        raise TypeError("a Truth is three-valued; compare it with Truth.TRUE")


_TRUSTED = (fmpq, fmpz, arb, int)


def _check(a: Any, b: Any) -> bool:
    """Refuse untrusted types; return whether both are finite (a ball that is NaN, unbounded or a point at
    infinity holds no usable information about a real quantity, so comparing it is UNKNOWN)."""
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, _TRUSTED):
            raise TypeError(
                f"trusted comparisons take fmpq, fmpz, arb or int, not {type(v).__name__}"
            )
    return all(v.is_finite() for v in (a, b) if isinstance(v, arb))


def compare_le(a: Any, b: Any) -> Truth:
    """Is ``a <= b``?  TRUE / FALSE when certain, UNKNOWN otherwise."""
    if not _check(a, b):
        return Truth.UNKNOWN
    if a <= b:
        return Truth.TRUE
    if a > b:
        return Truth.FALSE
    return Truth.UNKNOWN


def compare_lt(a: Any, b: Any) -> Truth:
    """Is ``a < b``?  TRUE / FALSE when certain, UNKNOWN otherwise."""
    if not _check(a, b):
        return Truth.UNKNOWN
    if a < b:
        return Truth.TRUE
    if a >= b:
        return Truth.FALSE
    return Truth.UNKNOWN


def compare_eq(a: Any, b: Any) -> Truth:
    """Is ``a == b``?  For balls only inequality can be certain."""
    if not _check(a, b):
        return Truth.UNKNOWN
    if isinstance(a, arb) or isinstance(b, arb):
        diff = arb(a) - arb(b)
        if diff.is_exact() and diff.is_zero():
            return Truth.TRUE
        if not diff.contains(0):
            return Truth.FALSE
        return Truth.UNKNOWN
    return Truth.TRUE if a == b else Truth.FALSE


def _dyadic(x: arb) -> fmpq:
    """The exact value of a ball with zero radius (an endpoint), as a rational."""
    man, exp = x.mid().man_exp()
    man, exp = int(man), int(exp)
    return fmpq(man * 2**exp) if exp >= 0 else fmpq(man, 2 ** (-exp))


def endpoints(x: arb) -> tuple[fmpq, fmpq]:
    """Exact rational endpoints [lo, hi] of a finite ball."""
    if not x.is_finite():
        raise ValueError("the ball is not finite")
    return _dyadic(x.lower()), _dyadic(x.upper())


def encloses(x: arb, q: Any) -> bool:
    """Whether the ball ``x`` contains the rational ``q`` (decided exactly)."""
    lo, hi = endpoints(x)
    q = fmpq(q)
    return lo <= q <= hi


def lower_float(x: Any) -> float:
    """The largest float that is <= every point of ``x`` (rational or ball); -inf if unbounded."""
    if isinstance(x, arb):
        if not x.is_finite():
            return -math.inf
        q = endpoints(x)[0]
    else:
        q = fmpq(x)
    try:
        v = int(q.p) / int(q.q)  # correctly rounded to nearest
    except OverflowError:  # beyond binary64: the largest finite float is below a huge positive q
        return sys.float_info.max if q > 0 else -math.inf
    num, den = v.as_integer_ratio()
    if fmpq(num, den) > q:
        v = math.nextafter(v, -math.inf)
    return v


def upper_float(x: Any) -> float:
    """The smallest float that is >= every point of ``x`` (rational or ball); +inf if unbounded."""
    return -lower_float(-x)


def nearest_float(x: Any) -> float:
    """The float nearest to an exact rational (display only, never a verdict): +-inf beyond binary64."""
    q = fmpq(x)
    try:
        return int(q.p) / int(q.q)  # Python divides big integers correctly rounded
    except OverflowError:
        return math.inf if q > 0 else -math.inf
