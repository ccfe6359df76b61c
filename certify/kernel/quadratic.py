"""Exact arithmetic in Q(sqrt 2) (trusted kernel; for Example 1, whose data are 0, +-1, +-sqrt(2)/2).

A number a + b sqrt(2) with rational a, b (``fmpq``).  Sums, differences and products stay in the field;
comparisons are decided exactly: sqrt(2) is irrational, so a + b sqrt(2) = 0 only when a = b = 0, and
otherwise its sign is that of a when a^2 > 2 b^2 and that of b when a^2 < 2 b^2.
"""

from __future__ import annotations

from typing import Any

from flint import fmpq, fmpz


def _rational(x: Any) -> fmpq | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, fmpq):
        return x
    if isinstance(x, (int, fmpz)):
        return fmpq(int(x))
    return None


class QSqrt2:
    """a + b sqrt(2), exactly."""

    __slots__ = ("a", "b")

    def __init__(self, a: Any, b: Any = 0) -> None:
        ra, rb = _rational(a), _rational(b)
        if ra is None or rb is None:
            raise TypeError("QSqrt2 takes rational parts (fmpq or int)")
        self.a, self.b = ra, rb

    @staticmethod
    def lift(x: Any) -> "QSqrt2 | None":
        if isinstance(x, QSqrt2):
            return x
        r = _rational(x)
        return None if r is None else QSqrt2(r, 0)

    def __add__(self, other: Any) -> "QSqrt2":
        o = QSqrt2.lift(other)
        return NotImplemented if o is None else QSqrt2(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __neg__(self) -> "QSqrt2":
        return QSqrt2(-self.a, -self.b)

    def __sub__(self, other: Any) -> "QSqrt2":
        o = QSqrt2.lift(other)
        return NotImplemented if o is None else QSqrt2(self.a - o.a, self.b - o.b)

    def __rsub__(self, other: Any) -> "QSqrt2":
        o = QSqrt2.lift(other)
        return NotImplemented if o is None else QSqrt2(o.a - self.a, o.b - self.b)

    def __mul__(self, other: Any) -> "QSqrt2":
        o = QSqrt2.lift(other)
        if o is None:
            return NotImplemented
        return QSqrt2(self.a * o.a + 2 * self.b * o.b, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def sign(self) -> int:
        a, b = self.a, self.b
        sa = (a > 0) - (a < 0)
        sb = (b > 0) - (b < 0)
        if sa == sb or sb == 0:
            return sa
        if sa == 0:
            return sb
        return sa if a * a > 2 * b * b else sb  # a^2 = 2 b^2 is impossible for rational a, b != 0

    def _cmp(self, other: Any) -> int:
        o = QSqrt2.lift(other)
        if o is None:
            raise TypeError(f"cannot compare QSqrt2 with {type(other).__name__}")
        return (self - o).sign()

    def __lt__(self, other: Any) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: Any) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: Any) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: Any) -> bool:
        return self._cmp(other) >= 0

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        o = QSqrt2.lift(other)
        return o is not None and self.a == o.a and self.b == o.b

    def __bool__(self) -> bool:
        return self.sign() != 0

    def __hash__(self) -> int:
        return hash((self.a, self.b)) if self.b != 0 else hash(self.a)

    def __float__(self) -> float:
        from flint import arb

        return float((arb(self.a) + arb(self.b) * arb(2).sqrt()).mid())

    def __repr__(self) -> str:
        return f"QSqrt2({self.a}, {self.b})"

    def __str__(self) -> str:
        if self.b == 0:
            return str(self.a)
        return f"{self.a} + {self.b}*sqrt(2)" if self.a != 0 else f"{self.b}*sqrt(2)"
